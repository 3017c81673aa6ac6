"""Countries, organisations, people and threat actors via a gazetteer (no model download needed).

Country names come from pycountry and its gettext catalogues (English, Arabic, Chinese); the rest
from data/gazetteer.json, which analysts can edit. Matching is one Aho-Corasick pass.
"""

from __future__ import annotations

import gettext
import json
from functools import lru_cache
from importlib import resources

import ahocorasick
import pycountry

KINDS = ("countries", "organizations", "people", "threat_actors")

_AR_FOLD = {c: None for c in range(0x064B, 0x0653)}  # harakat
_AR_FOLD.update({0x0670: None, 0x0640: None, 0x0623: "ا", 0x0625: "ا", 0x0622: "ا", 0x0649: "ي"})
_PROCLITICS = "وبفكل"


def fold_entity_text(text: str) -> str:
    """Lowercase and drop Arabic diacritics/tatweel, unify alef and ya forms."""
    return text.translate(_AR_FOLD).lower()


def _is_arabic(ch: str) -> bool:
    return "\u0600" <= ch <= "\u06ff"


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@lru_cache(maxsize=1)
def _gazetteer_file() -> dict:
    return json.loads(resources.files(__package__).joinpath("data/gazetteer.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _automaton() -> ahocorasick.Automaton:
    entries: dict[str, tuple[str, str]] = {}

    def add(alias: str, kind: str, canon: str) -> None:
        key = fold_entity_text(alias.strip())
        if len(key) >= 2:
            entries.setdefault(key, (kind, canon))

    data = _gazetteer_file()
    # Curated entries first so they win over pycountry's long official names.
    for code, aliases in data.get("country_aliases", {}).items():
        for alias in aliases:
            add(alias, "countries", code)
    for kind in ("organizations", "people", "threat_actors"):
        for entry in data.get(kind, []):
            for alias in [entry["name"], *entry.get("aliases", [])]:
                add(alias, kind, entry["name"])
    tr = {
        loc: gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc], fallback=True)
        for loc in ("ar", "zh_CN", "zh_TW")
    }
    for c in pycountry.countries:
        for name in {c.name, getattr(c, "common_name", c.name)}:
            add(name, "countries", c.alpha_2)
            for t in tr.values():
                add(t.gettext(name), "countries", c.alpha_2)
    auto = ahocorasick.Automaton()
    for key, (kind, canon) in entries.items():
        auto.add_word(key, (len(key), kind, canon, key))
    auto.make_automaton()
    return auto


def _boundary_ok(text: str, start: int, end: int, key: str) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if _is_latin(key[0]) or _is_latin(key[-1]):
        return not _is_latin(before) and not _is_latin(after)
    if _is_arabic(key[0]):
        if _is_arabic(after):
            return False
        if _is_arabic(before):
            return before in _PROCLITICS and (start < 2 or not _is_arabic(text[start - 2]))
    return True


def find_entities(raw: str) -> dict[str, list[str]]:
    """Entities mentioned in `raw`, keyed by kind; countries as ISO 3166-1 alpha-2 codes."""
    folded = raw.translate(_AR_FOLD)
    text = folded.lower()
    if len(text) != len(folded):  # a few letters lowercase to two code points; keep offsets aligned
        text = "".join(c.lower()[0] for c in folded)
    found: dict[str, set[str]] = {k: set() for k in KINDS}
    taken_until = -1
    matches = []
    for end, (length, kind, canon, key) in _automaton().iter(text):
        start = end - length + 1
        matches.append((start, -length, end + 1, kind, canon, key))
    matches.sort()
    for start, _neg, end, kind, canon, key in matches:
        if start < taken_until:
            continue  # longest-leftmost: "North Korea" wins over "Korea"
        if not _boundary_ok(text, start, end, key):
            continue
        if _is_latin(key[0]) and not (folded[start].isupper() or folded[start].isdigit()):
            continue  # "turkey", "chad", "jordan" in lowercase are not countries
        found[kind].add(canon)
        taken_until = end
    return {k: sorted(v) for k, v in found.items() if v}


def country_name(code: str) -> str:
    """English short name for an ISO 3166-1 alpha-2 code."""
    c = pycountry.countries.get(alpha_2=code)
    return getattr(c, "common_name", None) or (c.name if c else code)


def gazetteer_aliases(kind: str, name: str) -> list[str]:
    """Aliases listed in the gazetteer for an entry (used for STIX `aliases`)."""
    for entry in _gazetteer_file().get(kind, []):
        if entry["name"] == name:
            return list(entry.get("aliases", []))
    return []
