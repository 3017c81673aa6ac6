"""Canonical forms of observable values.

Indicators and log values are both reduced to one canonical string so that matching is a plain hash
join; the scalar functions here are the reference the vectorized paths in `observations` must agree with.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

import idna

HASH_ALGOS = ("MD5", "SHA-1", "SHA-256", "SHA-512")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ws": 80, "wss": 443}
_UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PCT = re.compile(r"%([0-9A-Fa-f]{2})")


@lru_cache(maxsize=65536)
def domain(value: str) -> str | None:
    """Lowercase ACE (punycode) form without trailing dot, so IDN and punycode spellings meet."""
    v = value.strip().rstrip(".").lower()
    if not v:
        return None
    if v.isascii():
        return v
    try:
        return idna.encode(v, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            return v.encode("idna").decode("ascii")
        except UnicodeError:
            return v


_V4 = re.compile(r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}")


def ip(value: str) -> str | None:
    """Canonical text of an address (compressed IPv6), or None if it is not an address."""
    if _V4.fullmatch(value):
        return value  # already canonical; skips ipaddress for the common case
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CIDR4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}/([0-9]{{1,2}})")


def cidr4(value: str) -> tuple[int, int] | None:
    """(network as int, prefix) of a plain `a.b.c.d/n`, as `network` gives it; None for any other
    spelling, which `network` then decides. Skips building an ipaddress object for the common case."""
    m = _CIDR4.fullmatch(value)
    if m is None:
        return None
    a, b, c, d, p = (int(x) for x in m.groups())
    if p > 32:
        return None
    addr = (a << 24) | (b << 16) | (c << 8) | d
    return addr & (0xFFFFFFFF ^ ((1 << (32 - p)) - 1)), p


def ipv4_int(value: str) -> int | None:
    """The address as int if `value` is IPv4 text in the canonical form `ip` leaves unchanged, else None."""
    if not _V4.fullmatch(value):
        return None
    a, b, c, d = value.split(".")
    return (int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d)


def network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """An address or CIDR as a network (host bits ignored, as STIX CIDR values are not strict)."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def _pct(m: re.Match[str]) -> str:
    byte = int(m.group(1), 16)
    return chr(byte) if byte in _UNRESERVED else "%" + m.group(1).upper()


_URL_CHARS = r"[A-Za-z0-9._~!$&()*+,;=:@/-]"  # unreserved, sub-delims, : @ / (no %, ?, #, [, ')
_PLAIN_URL = re.compile(
    rf"([A-Za-z][A-Za-z0-9+.-]*)://([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(/{_URL_CHARS}*)?(?:\?((?:{_URL_CHARS}|\?)+))?"
)


@lru_cache(maxsize=262144)
def url(value: str) -> str | None:
    """RFC 3986 normalization: case of scheme/host, default port, fragment, unreserved escapes, empty path."""
    v = value.strip()
    plain = _PLAIN_URL.fullmatch(v)
    if plain:  # no port, userinfo, escape, IP literal or fragment: only case and the empty path change
        scheme, host, path, query = plain.groups()
        out = f"{scheme.lower()}://{host.lower()}{path or '/'}"
        return f"{out}?{query}" if query else out
    try:
        parts = urlsplit(v)
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if ":" in host:
        host = "[" + (ip(host) or host) + "]"
    else:
        host = domain(host) or ""
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    netloc = (userinfo + "@" if userinfo else "") + host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc += f":{port}"
    path = _PCT.sub(_pct, parts.path) or "/"
    query = _PCT.sub(_pct, parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def url_host(value: str) -> str | None:
    """Host of a URL as a canonical domain (None for IP-literal hosts)."""
    try:
        host = urlsplit(value.strip()).hostname
    except ValueError:
        return None
    if not host or ip(host):
        return None
    return domain(host)


def hash_value(value: str) -> str:
    """Hashes compare case-insensitively."""
    return value.strip().lower()


def email(value: str) -> str:
    """Email addresses compare case-insensitively (as MISP and most mail systems do)."""
    return value.strip().lower()


def hash_algo(name: str) -> str | None:
    """Accept the STIX vocabulary names and their common spellings."""
    n = name.upper().replace("_", "-")
    n = {"SHA1": "SHA-1", "SHA256": "SHA-256", "SHA512": "SHA-512"}.get(n, n)
    return n if n in HASH_ALGOS else None
