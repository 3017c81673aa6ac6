"""Visual to logical order for one line of right-to-left text taken from a PDF.

A PDF draws an Arabic line as glyphs from left to right (visual order). Reading it back needs the
inverse of the Unicode Bidirectional Algorithm (UAX #9): levels are resolved on the visual sequence
(rules W1-W7, N0-N2, I1-I2; the rules look at neighbours, so they give the same levels in either
order for the runs that matter here), then the reversals of rule L2 are undone in the opposite order
(lowest odd level first). Left-to-right runs inside the line, which is what indicators are
(`103.170.180[.]231`, `https://host/path/`, hashes), come back whole and in place.

Glyphs are kept as units: a lam-alef ligature maps to two characters that must not be swapped.
Boundary-neutral characters (zero-width space, soft hyphen) take the line's own level, as PDF writers
such as fpdf2 lay them out; they split a number in two either way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

_STRONG = frozenset({"L", "R"})
_NUMBER = frozenset({"EN", "AN"})


def bidi_class(glyph: str) -> str:
    """Bidi class of a glyph's text (its first character; AL is kept apart from R for rule W2)."""
    if not glyph:
        return "ON"
    cls = unicodedata.bidirectional(glyph[0])
    if cls in ("LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI", "S", "WS", "B", ""):
        return "ON"
    return cls


def has_rtl(glyphs: Sequence[str]) -> bool:
    return any(bidi_class(g) in ("R", "AL") for g in glyphs)


def base_is_rtl(classes: Sequence[str]) -> bool:
    """Direction of a line on its own: right-to-left unless Latin letters are at both ends and in the
    majority (a wrapped line of an Arabic paragraph often starts or ends with a Latin indicator)."""
    strong = [c for c in classes if c in ("L", "R", "AL")]
    if not strong:
        return False
    rtl = sum(c != "L" for c in strong)
    return strong[0] != "L" or strong[-1] != "L" or rtl > len(strong) - rtl


def _resolve(classes: list[str], rtl: bool, glyphs: Sequence[str]) -> list[str]:
    """Weak and neutral types resolved to L, R, EN or AN (BN keeps 'BN'); W1-W7 and N0-N2."""
    base = "R" if rtl else "L"
    types = list(classes)
    n = len(types)
    prev = base  # W1: a mark takes the type of what precedes it
    for i, t in enumerate(types):
        if t == "NSM":
            types[i] = prev
        elif t != "BN":
            prev = t
    strong = base  # W2 (EN after AL is AN) and W3 (AL is R)
    for i, t in enumerate(types):
        if t in ("L", "R", "AL"):
            strong = t
            if t == "AL":
                types[i] = "R"
        elif t == "EN" and strong == "AL":
            types[i] = "AN"
    for i in range(1, n - 1):  # W4: one separator between two numbers of the same kind
        t, a, b = types[i], types[i - 1], types[i + 1]
        if (t == "ES" and a == b == "EN") or (t == "CS" and a == b and a in _NUMBER):
            types[i] = a
    i = 0
    while i < n:  # W5: terminators next to a European number
        if types[i] == "ET":
            j = i
            while j < n and types[j] == "ET":
                j += 1
            if (i and types[i - 1] == "EN") or (j < n and types[j] == "EN"):
                types[i:j] = ["EN"] * (j - i)
            i = j
        else:
            i += 1
    types = ["ON" if t in ("ES", "ET", "CS") else t for t in types]  # W6
    strong = base  # W7: a European number after Latin text is Latin
    for i, t in enumerate(types):
        if t in _STRONG:
            strong = t
        elif t == "EN" and strong == "L":
            types[i] = "L"
    _brackets(types, glyphs)
    i = 0
    while i < n:  # N1/N2: neutrals between two of one direction take it, else the line's direction
        if types[i] != "ON":
            i += 1
            continue
        j = i
        while j < n and types[j] == "ON":
            j += 1
        left = _direction(types[i - 1]) if i else base
        right = _direction(types[j]) if j < n else base
        types[i:j] = [left if left == right else base] * (j - i)
        i = j
    return types


_OPEN = {"(": ")", "[": "]", "{": "}"}


def _brackets(types: list[str], glyphs: Sequence[str]) -> None:
    """N0, as far as it shows in drawing order: a bracket pair drawn `(` before `)` around Latin text,
    with Latin text before it, is Latin (`billing(at)` beside Arabic stays whole)."""
    stack: list[int] = []
    for i, g in enumerate(glyphs):
        if g in _OPEN:
            stack.append(i)
        elif stack and g == _OPEN[glyphs[stack[-1]]]:
            j = stack.pop()
            before = next((t for t in reversed(types[:j]) if t in ("L", "R", "EN", "AN")), "")
            if "L" in types[j + 1 : i] and before == "L":
                types[j] = types[i] = "L"
        elif g in _OPEN.values():
            stack.clear()


def _direction(t: str) -> str:
    return "L" if t == "L" else "R" if t in ("R", "EN", "AN") else "BN"


def levels(glyphs: Sequence[str], rtl: bool) -> list[int]:
    """Embedding level of each glyph (I1-I2): base 1 for a right-to-left line, 0 otherwise."""
    out = []
    for t in _resolve([bidi_class(g) for g in glyphs], rtl, glyphs):
        if rtl:
            out.append(1 if t in ("R", "BN") else 2)
        else:
            out.append(0 if t in ("L", "BN") else 1 if t == "R" else 2)
    return out


def to_logical(glyphs: Sequence[str], rtl: bool | None = None) -> list[str]:
    """Glyph texts of one line in visual (left-to-right drawing) order, returned in logical order."""
    if rtl is None:
        rtl = base_is_rtl([bidi_class(g) for g in glyphs])
    lv = levels(glyphs, rtl)
    items = list(zip(lv, glyphs, strict=True))
    top = max(lv, default=0)
    for k in range(1, top + 1):  # L2 undone: its reversals in the opposite order
        i = 0
        while i < len(items):
            if items[i][0] < k:
                i += 1
                continue
            j = i
            while j < len(items) and items[j][0] >= k:
                j += 1
            items[i:j] = items[i:j][::-1]
            i = j
    return [g for _, g in items]
