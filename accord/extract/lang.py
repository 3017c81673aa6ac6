"""Script-count language guess: enough to tell English, Arabic and Chinese apart without a model."""

from __future__ import annotations

import re

# One character class per script; counting with findall keeps the loop in C.
_SCRIPTS = {
    "ar": re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "zh": re.compile("[\u4e00-\u9fff\u3400-\u4dbf]"),
    "ja": re.compile("[\u3040-\u30ff]"),
    "ko": re.compile("[\uac00-\ud7af]"),
    "ru": re.compile("[\u0400-\u04ff]"),
}
_LATIN = re.compile("[A-Za-z]")
# A Han character carries about as much text as three Latin letters.
_WEIGHT = {"zh": 3, "ja": 3, "ko": 2}


def detect_language(text: str, sample: int = 4000) -> str:
    """ISO 639-1 code of the dominant script in the first `sample` characters; 'en' for Latin."""
    head = text[:sample]
    counts = {code: len(rx.findall(head)) * _WEIGHT.get(code, 1) for code, rx in _SCRIPTS.items()}
    if counts["ja"] and counts["zh"]:
        # Japanese mixes kana with kanji; kanji alone (no kana) is Chinese.
        counts["ja"] += counts["zh"] if counts["ja"] * 4 > counts["zh"] else 0
    code, n = max(counts.items(), key=lambda kv: kv[1])
    if n and n >= len(_LATIN.findall(head)) * 0.5:
        return code
    return "en"
