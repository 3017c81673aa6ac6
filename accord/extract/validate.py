"""False-positive rules: what a candidate must satisfy to be reported.

Kept apart from the patterns so each rule is small, named and unit-testable on its own.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re

from .idn import to_unicode
from .suffixes import tlds

# Characters stripped from the end of a candidate: ASCII and CJK/Arabic punctuation.
TRAILING = ".,;:!?'\"`)]}>*،؛؟。，、；：！？）】》」』”’…-_»«›‹〉〕"


NOT_HOSTS = frozenset({"asp.net", "vb.net", "ado.net", "e.g", "i.e"})
AV_PREFIXES = frozenset(
    {
        "trojan",
        "backdoor",
        "worm",
        "virus",
        "exploit",
        "hacktool",
        "ransom",
        "riskware",
        "adware",
        "pua",
        "pup",
        "heur",
        "win32",
        "win64",
        "w32",
        "w64",
        "msil",
        "linux",
        "android",
        "osx",
        "macos",
        "trojandownloader",
        "trojanspy",
        "trojan-downloader",
        "trojan-spy",
        "generic",
        "gen",
        "mal",
        "malware",
        "behavior",
        "suspicious",
        "vbs",
        "js",
        "html",
        "script",
        "o97m",
        "x97m",
        "w97m",
    }
)


def valid_hostname(host: str, *, strict_case: bool = True) -> str:
    """Canonical (lowercase, Unicode) hostname if its TLD exists, else ''."""
    host = host.rstrip(".")
    if not host or len(host) > 253 or "." not in host:
        return ""
    labels = host.split(".")
    if any(not lab or len(lab) > 63 or lab[0] == "-" or lab[-1] == "-" for lab in labels):
        return ""
    tld = labels[-1]
    if strict_case and len(labels) == 2 and len(tld) > 2 and tld[0].isupper() and tld[1:].islower():
        return ""  # "done.Next": a missing space after a full stop, not a host
    lower = host.lower()
    canon = lower if lower.isascii() and "xn--" not in lower else to_unicode(host)
    if not canon or canon.rsplit(".", 1)[-1] not in tlds():
        return ""
    if "_" in "".join(canon.split(".")[-2:]) or canon in NOT_HOSTS:
        return ""
    return canon


def looks_like_av_name(token: str, before: str, after: str) -> bool:
    """`W32/SilkLoader.CA!tr`, `Trojan:Win32/Foo.A`, `Trojan.Win32.Agent`: detection names."""
    if before in "/:\\!" and before != "":
        return True
    if after == "!":
        return True
    first = token.split(".", 1)[0].lower()
    return first in AV_PREFIXES and any(c.isupper() for c in token)


_VERSION_CTX = re.compile(
    r"(?:\bv|\bver\.?|version|versions|build|release|firmware|update|patch|oid|section|sec\.|clause|"
    r"chapter|paragraph|§|版本|版|第|节|条|الإصدار|إصدار|الاصدار|اصدار|النسخة|نسخة|البند|القسم|المادة)"
    r"\s*:?\s*$",
    re.I,
)


_VERSION_CTX_AFTER = re.compile(
    r"^\s*[.،:]?\s*(?:[\u0600-\u06ff]+\s+)?(?:الإصدار|إصدار|الاصدار|اصدار|النسخة|نسخة|البند|القسم|المادة)"
)


def version_context(prefix: str, suffix: str = "") -> bool:
    """True when the words around a dotted number mark it as a version/OID/section number.

    Arabic keywords are also looked for *after* the number: PDF text of right-to-left lines often
    comes out in visual order, which puts "البند 4.2.1.3" as "4.2.1.3 البند".
    """
    return bool(_VERSION_CTX.search(prefix[-24:]) or (suffix and _VERSION_CTX_AFTER.search(suffix[:48])))


def valid_ipv4(parts: tuple[str, ...]) -> str:
    """Canonical dotted quad, rejecting octets > 255 and leading zeros (dates, octal ambiguity)."""
    for p in parts:
        if len(p) > 1 and p[0] == "0":
            return ""
        if int(p) > 255:
            return ""
    return ".".join(str(int(p)) for p in parts)


def valid_ipv6(text: str) -> str:
    """Compressed canonical IPv6 form, or '' (timestamps, MACs and `::` alone are rejected)."""
    text = text.rstrip(":.")
    if text.count(":") < 2 or text in ("::",):
        return ""
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        return ""
    return addr.compressed


HASH_TYPES = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}


def hash_type(hexrun: str) -> str:
    """Hash type by exact length; a longer hex run contains no hash. Constant runs are filler."""
    kind = HASH_TYPES.get(len(hexrun), "")
    if kind and len(set(hexrun.lower())) <= 2:
        return ""
    return kind


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def valid_base58check(addr: str) -> bool:
    """Legacy Bitcoin address: base58 with a 4-byte double-SHA-256 checksum."""
    num = 0
    for c in addr:
        idx = _B58_INDEX.get(c)
        if idx is None:
            return False
        num = num * 58 + idx
    pad = len(addr) - len(addr.lstrip("1"))
    raw = b"\x00" * pad + num.to_bytes((num.bit_length() + 7) // 8, "big")
    if len(raw) != 25:
        return False
    check = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()[:4]
    return raw[-4:] == check and raw[0] in (0, 5)


_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def valid_bech32(addr: str) -> bool:
    """Segwit address checksum (BIP-173 bech32 constant 1, BIP-350 bech32m constant 0x2bc830a3)."""
    addr = addr.lower()
    hrp, _, data = addr.rpartition("1")
    if hrp != "bc" or len(data) < 7:
        return False
    values = []
    for c in data:
        v = _BECH32.find(c)
        if v < 0:
            return False
        values.append(v)
    chk = 1
    for v in [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= _BECH_GEN[i]
    return chk in (1, 0x2BC830A3)


def strip_trailing(value: str) -> str:
    """Drop trailing punctuation of any script; keep a ')' that closes a '(' inside the value."""
    while value and value[-1] in TRAILING:
        if value[-1] == ")" and value.count("(") >= value.count(")"):
            break
        if value[-1] == "]" and value.count("[") >= value.count("]"):
            break
        value = value[:-1]
    return value
