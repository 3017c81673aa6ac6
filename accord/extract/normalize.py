"""Unicode folding and refanging.

Indicators in Arabic and Chinese prose arrive with full-width forms, native digits, bidi marks and
ideographic dots; analysts also defang them on purpose. Folding everything to plain ASCII first lets
the patterns stay small, ASCII-only and linear-time.
"""

from __future__ import annotations

import re

from .idn import DEFANGED_DOT, WIDE

_FOLD: dict[int, str] = {}
# Full-width ASCII (U+FF01..U+FF5E) -> ASCII; ideographic space -> space.
for _cp in range(0xFF01, 0xFF5F):
    _FOLD[_cp] = chr(_cp - 0xFEE0)
_FOLD[0x3000] = " "
# Arabic-Indic and Persian digits -> ASCII digits.
for _i in range(10):
    _FOLD[0x0660 + _i] = str(_i)
    _FOLD[0x06F0 + _i] = str(_i)
_FOLD.update(
    {
        0x066B: ".",  # Arabic decimal separator
        0x066C: ",",  # Arabic thousands separator
        0x06D4: ".",  # Arabic full stop
        # The ideographic full stop stays distinct (patterns accept it as a label separator), so a
        # URL path still ends at "。" and a domain right after a sentence ("。evil.com") is found.
        0xFF61: "\u3002",  # half-width ideographic full stop
        0xFE52: ".",  # small full stop
        0x2024: ".",  # one dot leader
        0x3010: "[",  # 【
        0x3011: "]",  # 】
        0xFE6B: "@",  # small commercial at
        0xFE55: ":",  # small colon
        0x2010: "-",
        0x2011: "-",
        0x2012: "-",
        0x2013: "-",
        0x2014: "-",
        0x2212: "-",
        0xFE63: "-",
        0x00A0: " ",
        0x2007: " ",
        0x202F: " ",
        0x2002: " ",
        0x2003: " ",
        0x2009: " ",
        # Latin ligatures that PDF text extraction emits for shaped fonts ("ﬁnance" -> "finance").
        0xFB00: "ff",
        0xFB01: "fi",
        0xFB02: "fl",
        0xFB03: "ffi",
        0xFB04: "ffl",
        0xFB05: "st",
        0xFB06: "st",
    }
)
# Invisible characters that split an indicator without being visible: deleted outright.
for _cp in (
    0x00AD,
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    0x2060,
    0xFEFF,
    0x061C,
    0x202A,
    0x202B,
    0x202C,
    0x202D,
    0x202E,
    0x2066,
    0x2067,
    0x2068,
    0x2069,
    ord(DEFANGED_DOT),  # a noncharacter, reserved for refang's own mark
):
    _FOLD[_cp] = ""


_FOLD_CHARS = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_FOLD)) + "]")


def fold(text: str) -> str:
    """Map full-width/native forms to ASCII and drop invisible marks.

    One C-level scan finds which foldable characters occur, then one str.replace per distinct
    character: several times faster than str.translate with a dict on non-ASCII text.
    """
    if text.isascii():
        return text
    for ch in set(_FOLD_CHARS.findall(text)):
        text = text.replace(ch, _FOLD[ord(ch)])
    return text


# Refanging. Every rule starts with a literal character, so the regex engine skips ahead with a
# fast literal search, and each rule only runs when a cheap `in` test says it can match.
_MARK = r"\s?(\.|\u3002|dot|at|@|:|://|:/)\s?"
_BRACKETS = {
    "[": re.compile(r"\[" + _MARK + r"\]", re.I),
    "(": re.compile(r"\(" + _MARK + r"\)", re.I),
    "{": re.compile(r"\{" + _MARK + r"\}", re.I),
    "<": re.compile(r"<" + _MARK + r">", re.I),
}
_SEP = "\x00"  # marks a refanged separator so the spaces around it ("user [at] mail") can go
_BACKSLASH_DOT = re.compile(r"(?<=[A-Za-z0-9\-])\\\.(?=[A-Za-z0-9])")
_REGISTRY_TAIL = re.compile(r"HK[A-Z_]+(?:\\[^\s\\]*)*$", re.I)
_WORD_DOT = re.compile(r" (?:dot|DOT) (?=[A-Za-z0-9])")
_SCHEME = re.compile(r"(?:[hH](?:xx|XX|Xx|xX|\*\*)[pP]([sS]?)|([fF][xX*][pP]))(?=[sS]?\[?:)")
_SCHEME_HINTS = ("xxp", "XXp", "XXP", "xXp", "Xxp", "xxP", "**p", "fxp", "FXP", "Fxp")
_ENGLISH_STOP = frozenset({"the", "a", "an", "this", "that", "per", "one", "no"})


def _scheme(m: re.Match[str]) -> str:
    if m.start() and m.string[m.start() - 1].isascii() and m.string[m.start() - 1].isalnum():
        return m.group()
    if m.group(2):
        return "ftp"
    return "http" + m.group(1).lower()


def _word_dot(m: re.Match[str]) -> str:
    start = m.start()
    j = start
    s = m.string
    if not start or not (s[start - 1].isascii() and s[start - 1].isalnum()):
        return m.group()
    while j > 0 and (s[j - 1].isalnum() and s[j - 1].isascii()):
        j -= 1
    return " dot " if s[j:start].lower() in _ENGLISH_STOP else "."


def _next_to_wide(m: re.Match[str]) -> bool:
    """A defanged dot beside an Arabic/Han/... letter (one space allowed): it joins Unicode labels."""
    s, i, j = m.string, m.start() - 1, m.end()
    if i > 0 and s[i] == " ":
        i -= 1
    if j < len(s) - 1 and s[j] == " ":
        j += 1
    return (i >= 0 and s[i] in WIDE) or (j < len(s) and s[j] in WIDE)


def _mark(m: re.Match[str]) -> str:
    sep = m.group(1).lower()
    sep = {"dot": ".", "at": "@", "\u3002": "."}.get(sep, sep)
    if sep == "." and _next_to_wide(m):
        sep = DEFANGED_DOT  # tells the IDN rules the text marks this as a host (see idn.py)
    return _SEP + sep + _SEP if sep in (".", "@", DEFANGED_DOT) else sep


def _backslash_dot(m: re.Match[str]) -> str:
    # `HKCR\.exe` is a registry key, not an escaped dot.
    return "\\." if _REGISTRY_TAIL.search(m.string, max(0, m.start() - 200), m.start()) else "."


def refang(text: str) -> str:
    """Undo the usual defanging marks; the bare English word "at" is never touched."""
    for opener, rx in _BRACKETS.items():
        if opener in text:
            text = rx.sub(_mark, text)
    if _SEP in text:
        text = text.replace(" " + _SEP, "").replace(_SEP + " ", "").replace(_SEP, "")
    if "\\." in text:
        text = _BACKSLASH_DOT.sub(_backslash_dot, text)
    if any(h in text for h in _SCHEME_HINTS):
        text = _SCHEME.sub(_scheme, text)
    if " dot " in text or " DOT " in text:
        text = _WORD_DOT.sub(_word_dot, text)
    return text


def normalize(text: str, *, keep_marks: bool = False) -> str:
    """Fold then refang: the text every pattern runs on.

    With `keep_marks`, a defanged dot next to a Unicode label stays as `idn.DEFANGED_DOT` so the IDN
    rules know the text marked that value as a host; otherwise it is a plain dot.
    """
    text = refang(fold(text))
    if not keep_marks and DEFANGED_DOT in text:
        text = text.replace(DEFANGED_DOT, ".")
    return text
