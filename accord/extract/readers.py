"""File -> text for plain text (any encoding), HTML, PDF, DOCX and Markdown.

Every failure becomes a ReadError whose message is one line naming the file, so the command can
report it and carry on with the other inputs.
"""

from __future__ import annotations

import io
import zipfile
from html.parser import HTMLParser
from pathlib import Path

from charset_normalizer import from_bytes

from .pdf import PdfError, pdf_text


class ReadError(Exception):
    """A file that cannot be turned into text; str() is the one-line reason."""


_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt fieldset figcaption figure footer form h1 h2 h3 h4 "
    "h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul title caption".split()
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})


class _TextParser(HTMLParser):
    """Collects page text; block and cell boundaries become newlines/tabs so cells never merge."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in ("td", "th"):
            self.parts.append("\t")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            self.parts.append("\n")
        elif tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in ("td", "th"):
            self.parts.append("\t")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title or not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML page (title first), scripts and styles dropped."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def decode_bytes(data: bytes, name: str) -> str:
    """Decode text of unknown encoding: BOM/UTF-8 first, then charset-normalizer's best guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ReadError(f"{name}: binary or undecodable content")
    return str(best)


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 20


def _pdf_text(data: bytes, name: str) -> str:
    try:
        return pdf_text(data)
    except PdfError as exc:
        raise ReadError(f"{name}: {exc}") from exc


def _docx_text(data: bytes, name: str) -> str:
    import docx
    from lxml.etree import XMLSyntaxError

    try:
        doc = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, XMLSyntaxError) as exc:  # damaged XML inside too
        raise ReadError(f"{name}: unreadable DOCX ({type(exc).__name__})") from exc
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def detect_format(data: bytes, name: str) -> str:
    """'pdf', 'docx', 'html' or 'text', from magic bytes first and the file name second."""
    suffix = Path(name).suffix.lower()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    head = data[:2048].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or (suffix not in (".md", ".txt") and b"<body" in head):
        return "html"
    return "text"


def read_bytes(data: bytes, name: str) -> str:
    """Text of a document given as bytes; raises ReadError with a one-line reason."""
    if not data.strip():
        raise ReadError(f"{name}: empty file")
    kind = detect_format(data, name)
    if kind == "ole":
        raise ReadError(f"{name}: encrypted or legacy Office file (not supported)")
    if kind == "pdf":
        text = _pdf_text(data, name)
    elif kind == "docx":
        text = _docx_text(data, name)
    else:
        if _looks_binary(data):
            raise ReadError(f"{name}: binary file")
        text = decode_bytes(data, name)
        if kind == "html":
            text = html_to_text(text)
    if not text.strip():
        raise ReadError(f"{name}: no text could be extracted")
    return text


def read_document(path: str | Path) -> str:
    """Text of the file at `path` ('-' is standard input)."""
    name = str(path)
    try:
        if name == "-":
            import sys

            data = sys.stdin.buffer.read()
        else:
            data = Path(path).read_bytes()
    except OSError as exc:
        raise ReadError(f"{name}: {exc.strerror or type(exc).__name__}") from exc
    return read_bytes(data, name)
