"""Find, validate and canonicalise indicators in one pass per type over normalised text."""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections.abc import Iterable, Iterator
from itertools import chain

from . import idn
from . import patterns as P
from .normalize import normalize
from .suffixes import tlds
from .validate import (
    hash_type,
    looks_like_av_name,
    strip_trailing,
    valid_base58check,
    valid_bech32,
    valid_hostname,
    valid_ipv4,
    valid_ipv6,
    version_context,
)

TYPES = (
    "ipv4",
    "ipv6",
    "cidr",
    "domain",
    "url",
    "email",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "cve",
    "attack",
    "btc",
    "file",
    "registry",
    "asn",
)


class _Spans:
    """Character ranges already claimed by a URL, e-mail or registry key (hosts are not re-reported)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)

    def covers(self, pos: int) -> bool:
        i = bisect.bisect_right(self.starts, pos) - 1
        return i >= 0 and self.ends[i] > pos


def canon_url(url: str) -> str:
    """Lowercase scheme and host, Unicode IDN host; '' when the host is not a real host."""
    scheme, _, rest = url.partition("://")
    cut = len(rest)
    for sep in "/?#":
        j = rest.find(sep)
        if j != -1:
            cut = min(cut, j)
    authority, tail = rest[:cut].replace(P.IDEOGRAPHIC_DOT, "."), rest[cut:]
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        canon_host = valid_ipv6(host)
        if not canon_host:
            return ""
        canon_host = f"[{canon_host}]{port}"
    else:
        host, colon, port = hostport.partition(":")
        if port and not port.isdigit():
            return ""
        parts = tuple(host.split("."))
        if len(parts) == 4 and all(p.isdigit() for p in parts):
            canon_host = valid_ipv4(parts)
        else:
            canon_host = valid_hostname(host, strict_case=False)
        if not canon_host:
            return ""
        canon_host += colon + port
    return f"{scheme.lower()}://{userinfo}{at}{canon_host}{tail}"


def _dotted(token: str, before: str, after: str, prefix: str) -> tuple[str, str]:
    """Classify a dotted token as ('domain'|'file', value) or ('', '')."""
    labels = token.split(".")
    ext = labels[-1].lower()
    if all(lab.isdigit() for lab in labels):
        return "", ""
    is_tld = ext in tlds()
    if ext in P.FILE_EXT_SET and (not is_tld or (ext in idn.FILE_LIKE_TLDS and len(labels) == 2)):
        return "file", token
    if looks_like_av_name(token, before, after):
        return "", ""
    host = valid_hostname(token)
    while not host and len(labels) > 2 and not labels[-1].islower():
        labels = labels[:-1]  # "evil.com.The next sentence", "evil.com。SHA1: ..."
        host = valid_hostname(".".join(labels))
    if host and not version_context(prefix):
        return "domain", host
    return "", ""


def _anchor_starts(text: str, anchor: re.Pattern[str], back: frozenset[str], limit: int) -> Iterator[tuple]:
    """(anchor start, candidate start) pairs: the engine skips to each cheap literal-led `anchor`, then
    we step left over at most `limit` characters of `back`."""
    for a in anchor.finditer(text):
        pos = a.start()
        stop = max(0, pos - limit)
        while pos > stop and text[pos - 1] in back:
            pos -= 1
        yield a.start(), pos


def _anchored(
    rx: re.Pattern[str], text: str, anchor: re.Pattern[str], back: frozenset[str], limit: int
) -> Iterator[re.Match[str]]:
    """Matches of `rx` that contain an `anchor`, tried once at each anchor (see _anchor_starts)."""
    last = -1
    for at, pos in _anchor_starts(text, anchor, back, limit):
        if at < last:
            continue
        m = rx.match(text, pos)
        if m and m.end() > at:
            last = m.end()
            yield m


def _idn_url(m: re.Match[str]) -> tuple[str, int]:
    """Canonical URL whose host has Unicode labels, and where it ends; ('', 0) if the host is not one.

    When glued prose had to be cut off the host, the port and path after it are not the URL's."""
    run = m.group(1)
    host, _, end = idn.resolve(run, "", marked=True, anchored=True, require_wide=False)
    if not host:
        return "", 0
    scheme = m.group()[: m.group().index("://")].lower()
    if end < len(run):
        return f"{scheme}://{host}", m.start(1) + end
    tail = strip_trailing((m.group(2) or "") + (m.group(3) or ""))
    return f"{scheme}://{host}{tail}", m.start(1) + end + len(tail)


def _idn_email(m: re.Match[str]) -> tuple[str, int]:
    """Canonical e-mail address whose domain has Unicode labels, and where it ends; ('', 0) if none."""
    local, run = m.group(1), m.group(2)
    host, _, end = idn.resolve(run, "", marked=True, anchored=True, require_wide=False)
    if not host or not local.strip("."):
        return "", 0
    return f"{local.lower()}@{host}", m.start(2) + end


def _idn_hosts(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, host) of hosts with Arabic/Han/... labels outside URLs and e-mails (rules: idn.py)."""
    last = -1
    for a in P.IDN_ANCHOR.finditer(text):
        if a.start() < last:
            continue
        left = P.IDN_RUN_LEFT.search(text, max(0, a.start() - 257), a.start())
        j = P.IDN_RUN_RIGHT.match(text, a.end()).end()
        last = j
        if not left:
            continue  # hundreds of glued letters: prose, not a host
        i = left.start()
        while i < j and text[i] in idn.DOTS:
            i += 1
        host, s, e = idn.resolve(
            text[i:j], text[i - 1] if i else "", marked=False, anchored=False, require_wide=True
        )
        if host:
            yield i + s, i + e, host
    if "www\u3002" in text or "WWW\u3002" in text:
        for m in P.WWW_IDN.finditer(text):
            host, _, e = idn.resolve(
                m.group()[:4] + m.group(1), "", marked=True, anchored=True, require_wide=True
            )
            if host:
                yield m.start(), m.start() + e, host


_HEXDIGITS = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_LOCAL_PART = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_SCHEME_CH = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_AT = re.compile("@")
_URL_AT = re.compile("://")


Span = tuple[str, str, int, int]  # (type, canonical value, start, end) in the normalised text


def find_indicators(raw: str, types: Iterable[str] | None = None) -> dict[str, list[str]]:
    """All indicators in `raw`, refanged, canonical, de-duplicated and sorted, keyed by type."""
    want = set(types or TYPES)
    found = _scan(normalize(raw, keep_marks=True), None)
    return {t: sorted(found[t]) for t in TYPES if t in want and found[t]}


def find_spans(raw: str, types: Iterable[str] | None = None) -> tuple[str, list[Span]]:
    """The normalised text of `raw` and every occurrence of an indicator in it, in reading order.

    For the console's preview, which shows each indicator with its sentence; `find_indicators` does
    not collect positions, so extraction keeps its speed.
    """
    want = set(types or TYPES)
    text = normalize(raw, keep_marks=True)
    where: list[Span] = []
    _scan(text, where)
    return text, sorted((s for s in where if s[0] in want), key=lambda s: (s[2], s[3]))


def _scan(text: str, where: list[Span] | None) -> dict[str, set[str]]:
    """Values found in normalised `text` by type; each occurrence also goes to `where` if given."""
    found: dict[str, set[str]] = {t: set() for t in TYPES}
    spans = _Spans()

    def add(kind: str, value: str, start: int, end: int) -> None:
        found[kind].add(value)
        if where is not None:
            where.append((kind, value, start, end))

    if "://" in text:
        last = -1
        for at, pos in _anchor_starts(text, _URL_AT, _SCHEME_CH, 6):
            if at < last:
                continue
            m = P.URL_IDN.match(text, pos)
            canon, end = _idn_url(m) if m and m.end() > at else ("", 0)
            if not canon:
                m = P.URL.match(text, pos)
                if not m or m.end() <= at:
                    continue
                last = m.end()
                value = strip_trailing(m.group())
                canon, end = canon_url(value), m.start() + len(value)
            if canon and len(canon.split("://", 1)[1]) > 0:
                add("url", canon, pos, end)
                spans.add(pos, end)
                last = max(last, end)
    if "@" in text:
        last = -1
        for at, pos in _anchor_starts(text, _AT, _LOCAL_PART, 64):
            if at < last or spans.covers(at):
                continue
            m = P.EMAIL_IDN.match(text, pos)
            canon, end = _idn_email(m) if m and m.end() > at else ("", 0)
            if canon:
                add("email", canon, pos, end)
                spans.add(pos, end)
                last = end
                continue
            m = P.EMAIL.match(text, pos)
            if not m or m.end() <= at:
                continue
            last = m.end()
            if spans.covers(m.start()):
                continue
            value = strip_trailing(m.group())
            local, _, host = value.replace(P.IDEOGRAPHIC_DOT, ".").partition("@")
            canon = valid_hostname(host, strict_case=False)
            if canon and local.strip("."):
                add("email", f"{local.lower()}@{canon}", m.start(), m.start() + len(value))
                spans.add(m.start(), m.start() + len(value))
    if "\\" in text:
        for m in P.REGISTRY.finditer(text):
            value = strip_trailing(m.group()).replace("\\\\", "\\")
            if "\\" in value:
                add("registry", value, m.start(), m.start() + len(m.group()))
                spans.add(m.start(), m.start() + len(m.group()))

    ipv4_matches = _anchored(P.IPV4, text, P.IPV4_ANCHOR, _DIGITS, 3)
    if P.IDEOGRAPHIC_DOT in text:
        ipv4_matches = chain(ipv4_matches, _anchored(P.IPV4, text, P.IPV4_ANCHOR_IDEOGRAPHIC, _DIGITS, 3))
    for m in ipv4_matches:
        if spans.covers(m.start()):
            continue
        canon = valid_ipv4(m.groups()[:4])
        if (
            not canon
            or canon.startswith("0.")
            or version_context(text[max(0, m.start() - 24) : m.start()], text[m.end() : m.end() + 48])
        ):
            continue
        if m.group(5) is not None:
            bits = int(m.group(5))
            if bits <= 32:
                add("cidr", str(ipaddress.ip_network(f"{canon}/{bits}", strict=False)), m.start(), m.end())
            continue
        add("ipv4", canon, m.start(), m.end())
    for m in _anchored(P.IPV6, text, P.IPV6_ANCHOR, _HEXDIGITS, 4):
        if spans.covers(m.start()):
            continue
        body = m.group()
        bits = m.group(1)
        if bits is not None:
            body = body[: body.rindex("/")]
        canon = valid_ipv6(body)
        if not canon:
            continue
        end = m.end()
        if end < len(text) and (text[end].isascii() and (text[end].isalnum() or text[end] == "_")):
            continue
        if bits is not None and int(bits) <= 128:
            add("cidr", str(ipaddress.ip_network(f"{canon}/{bits}", strict=False)), m.start(), end)
        else:
            add("ipv6", canon, m.start(), end)

    for m in P.LONG_TOKEN.finditer(text):
        token = m.group()
        if spans.covers(m.start()):
            continue
        kind = hash_type(token) if all(c in _HEXDIGITS for c in token) else ""
        if kind:
            add(kind, token.lower(), m.start(), m.end())
        elif token[0] in "13" and len(token) <= 35 and valid_base58check(token):
            add("btc", token, m.start(), m.end())
    for rx in (P.BECH32, P.BECH32_UPPER):
        for m in rx.finditer(text):
            if valid_bech32(m.group()) and not spans.covers(m.start()):
                add("btc", m.group().lower(), m.start(), m.end())
    cve_rx = P.CVE_ANY_CASE if ("cve" in text or "Cve" in text) else P.CVE
    for m in cve_rx.finditer(text):
        if 1999 <= int(m.group(1)) <= 2100:
            add("cve", f"CVE-{m.group(1)}-{m.group(2)}", m.start(), m.end())
    for m in P.ATTACK.finditer(text):
        if 1000 <= int(m.group(1)) <= 1999 and not spans.covers(m.start()):
            add("attack", f"T{m.group(1)}" + (f".{m.group(2)}" if m.group(2) else ""), m.start(), m.end())
    for m in P.ASN.finditer(text):
        num = int(m.group(1))
        if 0 < num < 4294967296:
            add("asn", f"AS{num}", m.start(), m.end())

    if not text.isascii():
        for start, end, host in _idn_hosts(text):
            if not spans.covers(start):
                add("domain", host, start, end)
                spans.add(start, end)
    for m in P.DOMAIN.finditer(text):
        start = m.start()
        if spans.covers(start):
            continue
        token = strip_trailing(m.group().replace(P.IDEOGRAPHIC_DOT, "."))
        if "." not in token:
            continue
        before = text[start - 1] if start else ""
        if before == ":" and (start < 2 or not (text[start - 2].isascii() and text[start - 2].isalpha())):
            before = " "  # "域名：evil.com" (a folded full-width colon), not "Trojan:Win32.Agent"
        after = text[start + len(token)] if start + len(token) < len(text) else ""
        kind, value = _dotted(token, before, after, text[max(0, start - 24) : start])
        if kind:
            add(kind, value, start, start + len(token))

    return found
