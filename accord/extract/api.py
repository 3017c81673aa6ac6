"""Library entry points: text or file in, an Extraction out."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .core import TYPES, find_indicators
from .entities import find_entities
from .lang import detect_language
from .readers import read_document


@dataclass
class Extraction:
    """What one document yielded; `to_json` is the `--format json` object."""

    file: str
    lang: str
    indicators: dict[str, list[str]]
    entities: dict[str, list[str]]
    title: str = ""
    description: str = ""
    text: str = field(default="", repr=False)

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "lang": self.lang,
            "indicators": self.indicators,
            "entities": self.entities,
        }


def title_and_description(text: str) -> tuple[str, str]:
    """A report's name (its first line) and description (the start of the rest)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    title = lines[0][:200] if lines else ""
    body = " ".join(lines[1:] if len(lines) > 1 else lines)
    return title, body[:1000]


def extract_text(
    text: str,
    *,
    lang: str = "auto",
    file: str = "-",
    types: tuple[str, ...] = TYPES,
    entities: bool = True,
) -> Extraction:
    """Indicators and entities from a document's text."""
    code = detect_language(text) if lang in ("auto", "", None) else lang
    title, description = title_and_description(text)
    return Extraction(
        file=file,
        lang=code,
        indicators=find_indicators(text, types),
        entities=find_entities(text) if entities else {},
        title=title,
        description=description,
        text=text,
    )


def extract_file(path: str | Path, *, lang: str = "auto", entities: bool = True) -> Extraction:
    """Read any supported format (raises ReadError with a one-line reason) and extract."""
    text = read_document(path)
    return extract_text(text, lang=lang, file=str(path), entities=entities)
