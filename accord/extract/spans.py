"""Where an indicator was found, and whether a typed value is one: for reviewing an extraction.

The console's publish preview shows each indicator with the sentence it came from and lets the
analyst correct values; both use the extractor's own scan (`find_spans`), so a corrected value is
accepted exactly when `accord extract` would have read it as that type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .core import TYPES, Span, find_spans
from .idn import DEFANGED_DOT

# A sentence ends at a line break, an ideographic full stop, or ". ! ? ؟" before a space.
_SENTENCE_END = re.compile(r"\n|\u3002|[.!?\u061f](?=\s)")
_SPACES = re.compile(r"\s+")
WIDTH = 100  # characters of context at most on each side of the indicator


@dataclass(frozen=True)
class Context:
    """The sentence around one occurrence: the text before it, the occurrence, the text after."""

    before: str
    hit: str
    after: str


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text.replace(DEFANGED_DOT, "."))


def sentence(text: str, start: int, end: int, width: int = WIDTH) -> Context:
    """The sentence (or line) of normalised `text` holding `text[start:end]`, cut to `width`
    characters on each side with an ellipsis where it was cut."""
    lo, hi = max(0, start - width), min(len(text), end + width)
    ends = list(_SENTENCE_END.finditer(text, lo, start))
    first = ends[-1].end() if ends else lo
    after = _SENTENCE_END.search(text, end, hi)
    last = (after.start() if after.group() == "\n" else after.end()) if after else hi
    before = _clean(text[first:start]).lstrip()
    tail = _clean(text[end:last]).rstrip()
    if not ends and lo > 0:
        before = "…" + before
    if not after and hi < len(text):
        tail += "…"
    return Context(before, _clean(text[start:end]), tail)


def first_occurrences(raw: str) -> tuple[str, list[Span]]:
    """The normalised text and the first occurrence of each distinct (type, value), in reading order."""
    text, spans = find_spans(raw)
    seen: set[tuple[str, str]] = set()
    first = []
    for span in spans:
        if span[:2] not in seen:
            seen.add(span[:2])
            first.append(span)
    return text, first


def canonical(kind: str, value: str) -> str | None:
    """The canonical form of `value` if the extractor reads all of it as one indicator of type `kind`
    (defanged forms accepted), else None: "evil[.]com" is a domain, "evil.com/x" is not."""
    if kind not in TYPES:
        return None
    text, spans = find_spans(value.strip())
    lo, hi = len(text) - len(text.lstrip()), len(text.rstrip())
    for found_kind, found, start, end in spans:
        if start <= lo and end >= hi:
            return found if found_kind == kind else None
    return None
