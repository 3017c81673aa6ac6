"""PDF to text, right-to-left lines in logical order.

pypdf is fast and right for left-to-right documents, but it re-orders right-to-left lines with its
own heuristics and scrambles the indicators inside them (`103.170.180[.]231` came out as
`231].[103.170.180`, URLs lost their trailing `/`, hashes split by a zero-width space swapped
halves). A document whose text has Arabic or Hebrew letters is therefore read again with
pdfminer.six, which gives each line's glyphs with their positions in drawing order, and each line is
put back in logical order by `bidi.to_logical`. Measured on the corpus's Arabic PDFs, this also beat
pypdfium2 (logical Arabic words, but Latin runs cut at every neutral) and pdfplumber (pdfminer's
visual order again).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections import Counter

from .bidi import bidi_class, has_rtl, to_logical


class PdfError(Exception):
    """Unreadable or encrypted PDF; str() is the reason without the file name."""


_RTL_LETTER = re.compile("[\u0590-\u05ff\u0600-\u06ff\u0750-\u077f\ufb1d-\ufdff\ufe70-\ufeff]")


def pdf_text(data: bytes) -> str:
    """Text of a PDF given as bytes; raises PdfError('encrypted PDF' / 'unreadable PDF (...)')."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PdfError("encrypted PDF")
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except PdfError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PdfError(f"unreadable PDF ({type(exc).__name__})") from exc
    if _RTL_LETTER.search(text):
        return rtl_pdf_text(data)
    return text


def _visual(line: list) -> list[str]:
    """Glyph texts of a pdfminer text line from left to right (a writer may draw right to left)."""
    from pdfminer.layout import LTChar

    chars = [o for o in line if isinstance(o, LTChar)]
    backwards = sum(b.x0 < a.x0 - 0.5 for a, b in zip(chars, chars[1:], strict=False))
    items = list(line)[::-1] if backwards * 2 > len(chars) else list(line)
    glyphs = []
    for o in items:
        text = o.get_text()
        if text == "\n":
            continue
        glyphs.append(text)
    return glyphs


def _drop_spaces_at_marks(glyphs: list[str]) -> list[str]:
    """pdfminer inserts a space after a zero-width combining mark (`تُ`): drop it."""
    out: list[str] = []
    for i, g in enumerate(glyphs):
        after = glyphs[i + 1][:1] if i + 1 < len(glyphs) else " "
        if g == " " and out and (unicodedata.combining(out[-1][:1] or " ") or unicodedata.combining(after)):
            continue
        out.append(g)
    return out


def rtl_pdf_text(data: bytes) -> str:
    """Text of a PDF through pdfminer.six, each line with right-to-left glyphs in logical order."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTTextContainer, LTTextLine
    from pdfminer.pdfparser import PDFSyntaxError

    pages: list[list[list[str]]] = []
    try:
        for page in extract_pages(io.BytesIO(data), laparams=LAParams(boxes_flow=None)):
            lines = []
            for box in page:
                if isinstance(box, LTTextContainer):
                    lines += [_drop_spaces_at_marks(_visual(ln)) for ln in box if isinstance(ln, LTTextLine)]
            pages.append(lines)
    except (PDFSyntaxError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PdfError(f"unreadable PDF ({type(exc).__name__})") from exc
    # A right-to-left document's mixed lines are right-to-left even when Latin dominates a line
    # ("SHA1 هي <hash>. ... www.evil[.]cn."): lines are wrapped pieces of right-to-left paragraphs.
    letters = Counter(bidi_class(g) for lines in pages for line in lines for g in line)
    doc_rtl = letters["R"] + letters["AL"] > letters["L"]
    out = []
    for lines in pages:
        for glyphs in lines:
            if has_rtl(glyphs):
                glyphs = to_logical(glyphs, True if doc_rtl else None)
            out.append("".join(glyphs).strip())
    return "\n".join(out)
