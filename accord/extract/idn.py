"""Internationalised host names in scripts written without ASCII boundaries (Arabic, Han, Kana, Hangul).

A Latin-script host ends where ASCII letters end, but `例子.中国` glued to Chinese prose has no such
edge: `请访问例子.中国获取` could be `访问例子.中国`, `例子.中国` or `问例子.中国获`. Without word
segmentation the boundary is decided by rules that keep prose out:

- The TLD must be a real one (Public Suffix List), and the value must pass UTS 46 (`idna`).
- Left edge: a change of script (`访问www.例子.中国`, `الخادمevil.مصر`), or a hard delimiter (start,
  space, quote, bracket, colon, `、`) before a Han/Kana label. After clause punctuation (`，` `；` `。`
  `）`) a Han label is prose, not a host, unless the left edge is fixed by a marker (below).
- Right edge: the TLD is a whole label or ends at a change of script (`中文网.com获取`). A TLD glued
  to prose of its own script (`例子.中国获取`) is cut after the longest real TLD only when the text
  marks the value as a host: a scheme, an `@`, a `www.` label or a defanged dot (`例子[.]中国`).
- `。` separates labels only in marked values (`http://例子。中国`); elsewhere it ends a sentence.
- Unicode labels sit under a real public suffix (`中文网.com`, `例子.com.cn`, `例子.中国`); a Unicode
  word before an ASCII host (`المتحدة.evil.com`) is a sentence end, left to the ASCII rules.
"""

from __future__ import annotations

from functools import lru_cache

import idna

from .suffixes import is_public_suffix, tlds

DEFANGED_DOT = "\ufdd0"  # a noncharacter: refang's mark for a defanged dot next to a Unicode label
IDEOGRAPHIC_DOT = "\u3002"
# Scripts whose words are not delimited by ASCII: Arabic, Hebrew, Han, Kana, Hangul.
WIDE_RANGES = (
    "\u0620-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06fa-\u06fc\u06ff\u0750-\u077f\u05d0-\u05ea"
    "\u3041-\u3096\u30a1-\u30fa\u30fc\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7a3"
)
# Scripts written without spaces between words: a label of theirs glued to prose is ambiguous.
_NO_SPACE_RANGES = ((0x3041, 0x30FC), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))
NARROW_RANGES = "A-Za-z0-9\\-\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"
LABEL_RANGES = NARROW_RANGES + WIDE_RANGES


def _expand(ranges: str) -> frozenset[str]:
    out: set[str] = set()
    i = 0
    while i < len(ranges):
        if ranges[i] == "\\" and ranges[i + 1] == "-":
            out.add("-")
            i += 2
        elif i + 2 < len(ranges) and ranges[i + 1] == "-":
            out.update(chr(c) for c in range(ord(ranges[i]), ord(ranges[i + 2]) + 1))
            i += 3
        else:
            out.add(ranges[i])
            i += 1
    return frozenset(out)


WIDE = _expand(WIDE_RANGES)
DOTS = frozenset({".", DEFANGED_DOT, IDEOGRAPHIC_DOT})
# Before a Han/Kana label these start a clause of prose, so they do not delimit a host.
SOFT_DELIMITERS = frozenset(",;!?。)]}」』”’》〉…")
# Real TLDs that are far more often file extensions in reports (readme.md, report.zip).
FILE_LIKE_TLDS = frozenset({"zip", "mov", "md", "py", "sh", "pl", "rs", "so", "ps", "exe", "doc", "bin"})


def _no_space(ch: str) -> bool:
    c = ord(ch)
    return any(lo <= c <= hi for lo, hi in _NO_SPACE_RANGES)


@lru_cache(maxsize=4096)
def to_unicode(host: str) -> str:
    """Canonical Unicode form of a host (UTS 46 mapping, IDNA 2008 validation), '' if invalid.

    `xn--` labels are decoded, so the punycode and the Unicode spelling give one value.
    """
    try:
        return idna.decode(idna.encode(host, uts46=True, transitional=False))
    except (idna.IDNAError, UnicodeError, ValueError):
        return ""


def _split(run: str) -> tuple[list[str], list[str]]:
    """Labels and the separators between them."""
    labels, seps, cur = [], [], []
    for ch in run:
        if ch in DOTS:
            labels.append("".join(cur))
            seps.append(ch)
            cur = []
        else:
            cur.append(ch)
    labels.append("".join(cur))
    return labels, seps


def _script_change(label: str) -> int:
    """Index of the first change between wide and narrow letters or digits (a hyphen is neither), or 0."""
    for i in range(1, len(label)):
        a, b = label[i - 1], label[i]
        if a != "-" and b != "-" and (a in WIDE) != (b in WIDE):
            return i
    return 0


def _left_cut(label: str) -> int:
    """Start of the host in the first label: after glued wide-script prose that precedes narrow text."""
    for i in range(1, len(label)):
        if label[i - 1] in WIDE and label[i] not in WIDE and label[i] != "-":
            return i
    return 0


def _tld_prefix(label: str) -> int:
    """Length of the longest real TLD that starts a wide-script label followed by more of its script."""
    top = tlds()
    for k in range(min(len(label) - 1, 20), 1, -1):
        if label[:k] in top and label[k] in WIDE:
            return k
    return 0


def _right_end(labels: list[str], seps: list[str], marked: bool) -> tuple[int, int]:
    """(number of labels kept, length of the last kept label), or (0, 0).

    The rightmost label that is a TLD, whole or up to a change of script, ends the host (what follows
    is prose: `云端登录.com的网站．公司已经报警`); a TLD glued to prose of its own script only when marked.
    """
    top = tlds()
    for n in range(len(labels), 1, -1):
        last = labels[n - 1].lower()
        if last in top:
            return n, len(last)
        cut = _script_change(last)
        if cut and last[:cut] in top:
            return n, cut
        if marked and seps[n - 2] != IDEOGRAPHIC_DOT and last and last[0] in WIDE:
            cut = _tld_prefix(last)
            if cut:
                return n, cut
    return 0, 0


def _left_edge(labels: list[str], before: str) -> tuple[int, bool]:
    """Cut glued prose off the first label in place: (offset of the host in the run, ok)."""
    cut = _left_cut(labels[0])
    head = labels[0] = labels[0][cut:]
    if not head:
        return 0, False
    digits = len(head) - len(head.lstrip("0123456789"))
    if 0 < digits < len(head) and head[digits] in WIDE:
        return 0, False  # "2024年例子.中国": a number glued to prose
    if not cut and _no_space(head[0]) and before in SOFT_DELIMITERS:
        return 0, False  # "，托管在例子.中国": a clause of prose, not a host
    return cut, True


def resolve(
    run: str, before: str, *, marked: bool, anchored: bool, require_wide: bool
) -> tuple[str, int, int]:
    """The host inside `run` (labels and dots): (canonical value, start, end) or ('', 0, 0).

    `before` is the character preceding the run ('' at the start of the text); `anchored` means a
    scheme or `@` fixes the left edge; `marked` that the text flags the value as a host.
    """
    labels, seps = _split(run.rstrip("".join(DOTS)))
    start = 0
    if not anchored:
        start, ok = _left_edge(labels, before)
        if not ok:
            return "", 0, 0
        marked = marked or labels[0].lower() == "www"
    marked = marked or DEFANGED_DOT in seps
    if not marked and IDEOGRAPHIC_DOT in seps:
        return "", 0, 0
    n, last_len = _right_end(labels, seps, marked)
    if not n or any(not lab for lab in labels[:n]):
        return "", 0, 0
    kept = labels[: n - 1] + [labels[n - 1][:last_len]]
    if sum(map(len, kept)) + n - 1 > 253:
        return "", 0, 0
    wide = [i for i, lab in enumerate(kept) if any(c in WIDE for c in lab)]
    if require_wide and not wide:
        return "", 0, 0
    if wide and wide[-1] < n - 1 and not is_public_suffix(".".join(kept[wide[-1] + 1 :]).lower()):
        return "", 0, 0  # "المتحدة.evil.com": a sentence end before an ASCII host
    if n == 2 and kept[-1].lower() in FILE_LIKE_TLDS:
        return "", 0, 0  # "样本.zip" is a file name
    value = to_unicode(".".join(kept))
    if not value:
        return "", 0, 0
    return value, start, start + sum(map(len, kept)) + n - 1
