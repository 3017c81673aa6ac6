"""Canonical forms of observable values.

Indicators and log values are both reduced to one canonical string so that matching is a plain hash
join; the scalar functions here are the reference the vectorized paths in `observations` must agree with.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

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


# ASCII digits only: \d also takes other scripts' digits, and `١.٢.٣.٤` (Arabic-Indic) is no address
OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_V4 = re.compile(rf"{OCTET}(\.{OCTET}){{3}}")


def ip(value: str) -> str | None:
    """Canonical text of an address (compressed IPv6), or None if it is not an address."""
    if _V4.fullmatch(value):
        return value  # already canonical; skips ipaddress for the common case
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


_CIDR4 = re.compile(rf"{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}/([0-9]{{1,2}})")


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


def _pct_normal(text: str) -> str:
    """RFC 3986 6.2.2.1-6.2.2.2: escapes of unreserved characters decoded, the others' hex upper-cased."""
    return _PCT.sub(_pct, text) if "%" in text else text


def remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4, step by step: `.` and `..` segments removed, `..` also removing its parent."""
    out: list[str] = []
    rest = path
    while rest:
        if rest.startswith("../"):
            rest = rest[3:]
        elif rest.startswith("./"):
            rest = rest[2:]
        elif rest.startswith("/./"):
            rest = rest[2:]
        elif rest == "/.":
            rest = "/"
        elif rest.startswith("/../") or rest == "/..":
            rest = "/" + rest[4:]
            if out:
                out.pop()
        elif rest in (".", ".."):
            rest = ""
        else:
            cut = rest.find("/", 1)
            seg, rest = (rest, "") if cut < 0 else (rest[:cut], rest[cut:])
            out.append(seg)
    return "".join(out)


def _path(path: str, scheme: str) -> str:
    """Path of a URL with an authority: escapes normalized, dot segments removed, empty is `/` for the
    schemes that define it so (RFC 3986 6.2.3; the WHATWG "special" schemes with a default port)."""
    path = _pct_normal(path)
    if "/." in path:
        path = remove_dot_segments(path)
    return path or ("/" if scheme in _DEFAULT_PORTS else "")


_URL_CHARS = r"[A-Za-z0-9._~!$&()*+,;=:@/-]"  # unreserved, sub-delims, : @ / (no %, ?, #, [, ')
_PLAIN_URL = re.compile(
    rf"([A-Za-z][A-Za-z0-9+.-]*)://([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)(?::([0-9]{{1,5}}))?"
    rf"(/{_URL_CHARS}*)?(?:\?((?:{_URL_CHARS}|\?)+))?"
)
# RFC 3986 appendix B, with the scheme held to its syntax (3.1) and an authority required
_URI = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(\?[^#]*)?(?:#.*)?", re.S)
_PORT = re.compile(r"[0-9]*")


def _authority(authority: str, scheme: str) -> str | None:
    """userinfo@host:port in canonical form (see `url`), or None if it is not a valid authority."""
    userinfo, at, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            return None
        host, port = hostport[: end + 1], hostport[end + 1 :]
        if port and not port.startswith(":"):
            return None
        port = port[1:]
        inner = _pct_normal(host[1:-1]).lower()
        host = "[" + (ip(inner) or inner) + "]"
    else:
        host, _, port = hostport.partition(":")
        if ":" in port:
            return None
        host = domain(_pct_normal(host)) or ""  # lowercase, IDN as punycode, no trailing dot
        if "%" in host:
            host = _pct_normal(host)  # `domain` lower-cased the hex of the remaining escapes
    if not host or not _PORT.fullmatch(port) or (port and int(port) > 65535):
        return None
    if port and _DEFAULT_PORTS.get(scheme) != int(port):
        host += f":{int(port)}"  # an empty port, or the scheme's default, is dropped with its ":"
    return (_pct_normal(userinfo) + "@" if at else "") + host


@lru_cache(maxsize=262144)
def url(value: str) -> str | None:
    """Canonical form of an absolute URL with an authority (None for anything else): RFC 3986 6.2.2
    (scheme and host lowercase, escape hex uppercase, escapes of unreserved characters decoded, dot
    segments removed) and 6.2.3 (default port, empty port, empty path of http(s) as `/`); the fragment is
    dropped, the host is a canonical domain (IDN as punycode, no trailing dot) or IP literal. The rules
    and their cases are tabled in docs/sweep.md."""
    v = value.strip()
    plain = _PLAIN_URL.fullmatch(v)
    if plain:  # no userinfo, escape, IP literal or fragment: case, port, the path and "/" change
        scheme, host, port, path, query = plain.groups()
        scheme = scheme.lower()
        host = host.lower()
        if port is not None:
            if int(port) > 65535:
                return None
            if _DEFAULT_PORTS.get(scheme) != int(port):
                host += f":{int(port)}"
        path = path or ""
        if "/." in path:
            path = remove_dot_segments(path)
        out = f"{scheme}://{host}{path or ('/' if scheme in _DEFAULT_PORTS else '')}"
        return f"{out}?{query}" if query else out
    m = _URI.fullmatch(v)
    if m is None:
        return None
    scheme, authority, path, query = m.groups()
    scheme = scheme.lower()
    netloc = _authority(authority, scheme)
    if netloc is None:
        return None
    return f"{scheme}://{netloc}{_path(path, scheme)}{_pct_normal(query or '')}"


_HOST_OF = re.compile(r"[a-z][a-z0-9+.-]*://(?:[^/?#]*@)?([^/?#:\[\]]+)")


def url_host(value: str) -> str | None:
    """Host of a URL as a canonical domain (None for IP-literal hosts and what `url` rejects)."""
    canon = url(value)
    m = _HOST_OF.match(canon) if canon else None
    if m is None or ip(m.group(1)):
        return None
    return m.group(1)


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
