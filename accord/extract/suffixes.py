"""The Public Suffix List (ICANN section): which top-level domains and public suffixes exist.

Hosts on TLDs that do not exist (`server.local`, `dc01.corp`) are not indicators, and new TLDs
(`.bot`, `.ye`, IDN TLDs such as `.البحرين`) must be known, so the list has to be current. The copy
bundled with the `publicsuffixlist` package (re-released every few weeks) is read from disk; a copy
shipped in `data/public_suffix_list.dat` is the fallback, and whichever carries the newer `VERSION`
line wins. Nothing is downloaded at run time.

    python -m accord.extract.suffixes     # refresh the shipped copy from the installed package
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

SHIPPED = Path(__file__).parent / "data" / "public_suffix_list.dat"
_VERSION = re.compile(r"^// VERSION: (\S+)", re.M)
_BEGIN, _END = "// ===BEGIN ICANN DOMAINS===", "// ===END ICANN DOMAINS==="


@dataclass(frozen=True)
class SuffixList:
    """ICANN rules of one PSL copy: `tlds` (single labels), `suffixes` (all rules, `*.`/`!` ones kept)."""

    version: str
    source: str
    tlds: frozenset[str]
    suffixes: frozenset[str]


def parse(text: str, source: str) -> SuffixList:
    """Rules of the ICANN section (private registrations like `github.io` are hosts, not suffixes)."""
    m = _VERSION.search(text)
    begin = text.find(_BEGIN)
    end = text.find(_END, begin)
    body = text[begin:end] if begin != -1 and end != -1 else text
    rules = set()
    for line in body.splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            rules.add(line.lower())
    return SuffixList(
        version=m.group(1) if m else "",
        source=source,
        tlds=frozenset(r for r in rules if "." not in r and r[0] not in "*!"),
        suffixes=frozenset(rules),
    )


def _package_text() -> str:
    """The list bundled with `publicsuffixlist`, or '' when that package is not installed."""
    try:
        return resources.files("publicsuffixlist").joinpath("public_suffix_list.dat").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


@lru_cache(maxsize=1)
def current() -> SuffixList:
    """The newest of the installed package's list and the shipped copy (ISO timestamps sort)."""
    shipped = parse(SHIPPED.read_text("utf-8"), "shipped")
    text = _package_text()
    if not text:
        return shipped
    package = parse(text, "publicsuffixlist")
    return package if package.version >= shipped.version and package.tlds else shipped


def tlds() -> frozenset[str]:
    """Top-level labels, lowercase, IDN TLDs in Unicode (`中国`, `مصر`)."""
    return current().tlds


def is_public_suffix(name: str) -> bool:
    """`com`, `com.cn`, `co.uk` (or a `*.` wildcard rule covering it), in lowercase Unicode."""
    rules = current().suffixes
    if name in rules:
        return True
    _, dot, parent = name.partition(".")
    return bool(dot) and "*." + parent in rules and "!" + name not in rules


def ship(text: str) -> str:
    """The shipped copy: licence header, VERSION/COMMIT lines and the ICANN section only."""
    head = [line for line in text[: text.find(_BEGIN)].splitlines() if line.startswith("//")]
    begin = text.find(_BEGIN)
    end = text.find(_END, begin) + len(_END)
    rules = [
        line.strip()
        for line in text[begin:end].splitlines()
        if line.strip() and (not line.startswith("//") or "ICANN DOMAINS" in line)
    ]
    return "\n".join(head + [""] + rules) + "\n"


def main() -> None:
    text = _package_text()
    if not text:
        raise SystemExit("publicsuffixlist is not installed")
    SHIPPED.write_text(ship(text), encoding="utf-8")
    print(f"{SHIPPED}: {parse(text, 'publicsuffixlist').version}")


if __name__ == "__main__":
    main()
