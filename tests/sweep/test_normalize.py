"""Canonical forms: each rule of the matching semantics that lives in value normalization."""

from __future__ import annotations

import re

import polars as pl
import pytest

from accord.sweep import normalize, observations


@pytest.mark.parametrize(
    ("raw", "canon"),
    [
        ("Evil.COM", "evil.com"),
        ("evil.com.", "evil.com"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("XN--BCHER-KVA.de", "xn--bcher-kva.de"),
        (" spaced.org ", "spaced.org"),
    ],
)
def test_domain_canonical(raw: str, canon: str) -> None:
    assert normalize.domain(raw) == canon


@pytest.mark.parametrize(
    ("raw", "canon"),
    [
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:db8::0:1", "2001:db8::1"),
        ("10.1.2.3", "10.1.2.3"),
        ("not-an-ip", None),
        ("01.2.3.4", None),
        ("١.٢.٣.٤", None),  # Arabic-Indic digits: `\\d` matches them, no address has them
    ],
)
def test_ip_canonical(raw: str, canon: str | None) -> None:
    assert normalize.ip(raw) == canon


@pytest.mark.parametrize(
    ("raw", "canon"),
    [
        ("HTTP://Evil.COM/a", "http://evil.com/a"),
        ("http://evil.com:80/a", "http://evil.com/a"),
        ("https://evil.com:443/a", "https://evil.com/a"),
        ("http://evil.com:8080/a", "http://evil.com:8080/a"),
        ("http://evil.com/a#frag", "http://evil.com/a"),
        ("http://evil.com/%7euser/%41", "http://evil.com/~user/A"),
        ("http://evil.com/a%2fb", "http://evil.com/a%2Fb"),
        ("http://evil.com", "http://evil.com/"),
        ("http://evil.com?q=1", "http://evil.com/?q=1"),
        ("http://Bücher.de/x", "http://xn--bcher-kva.de/x"),
        ("/relative/path", None),
    ],
)
def test_url_canonical(raw: str, canon: str | None) -> None:
    assert normalize.url(raw) == canon


def test_hash_and_email_are_case_insensitive() -> None:
    assert normalize.hash_value("ABCDEF") == "abcdef"
    assert normalize.email("Mallory@Evil.COM") == "mallory@evil.com"
    assert normalize.hash_algo("sha256") == "SHA-256"
    assert normalize.hash_algo("SHA-1") == "SHA-1"
    assert normalize.hash_algo("ssdeep") is None


URL_SHAPES = [
    "http://evil.com",
    "https://evil.com/",
    "http://evil.com/a/b?c=d/e",
    "http://evil.com/a?q",
    "http://evil.com?q=1",
    "http://Evil.com/a",
    "http://evil.com./a",
    "http://evil.com:80/a",
    "http://evil.com:8080",
    "http://evil.com/a#frag",
    "http://evil.com/%7Euser",
    "http://user@evil.com/a",
    "http://1.2.3.4/a",
    "http://[2001:db8::1]/a",
    " http://padded.org/x ",
    "ftp://evil.com/a",
    "not a url",
]


def test_url_rows_fast_shapes_agree_with_the_scalar_canonicaliser() -> None:
    """URLs already in canonical shape skip `normalize.url`; every shape must give what it gives."""
    df = pl.DataFrame({"line": list(range(len(URL_SHAPES))), "u": URL_SHAPES})
    urls, hosts = observations.url_rows(df, "u")
    got = dict(urls.select("line", "value").iter_rows())
    want = {i: normalize.url(u.strip()) for i, u in enumerate(URL_SHAPES)}
    assert got == {i: v for i, v in want.items() if v is not None}
    host_of = dict(hosts.select("line", "value").iter_rows())
    for line, canon in got.items():  # the host as the general rule reads it off the canonical URL
        m = re.match(r"^[a-z][a-z0-9+.-]*://(?:[^/@]*@)?([^/:?\[\]]+)", canon)
        host = m.group(1) if m and not re.fullmatch(observations.V4, m.group(1)) else None
        assert host_of.get(line) == host, canon
    assert host_of[0] == "evil.com" and host_of[14] == "padded.org" and 12 not in host_of


def test_ip4_int_is_exactly_the_canonical_dotted_quad() -> None:
    """The sweep's integer form of an address (which decides CIDR membership unchecked) exists exactly
    for the texts the V4 rule calls canonical, and is the address's value."""
    import ipaddress
    import random

    rng = random.Random(5)
    parts = ["0", "00", "01", "1", "9", "10", "99", "100", "199", "200", "249", "250", "255", "256", "300"]
    parts += ["0255", "+1", "-1", "", " 1", "1 ", "\u0663", "1\n"]
    texts = [".".join(rng.choice(parts) for _ in range(rng.choice([3, 4, 4, 4, 5]))) for _ in range(20000)]
    texts += [
        "".join(rng.choice("0123456789.+- x:\u0661") for _ in range(rng.randrange(17))) for _ in range(20000)
    ]
    got = pl.DataFrame({"v": texts}).with_columns(
        i=observations.ip4_int(pl.col("v")), canonical=pl.col("v").str.contains(observations.V4)
    )
    assert got.filter(pl.col("canonical")).height > 500
    for text, value, canonical in got.iter_rows():
        assert (value is not None) == canonical, text
        assert value is None or value == int(ipaddress.IPv4Address(text)), text
        assert canonical == (normalize.ip(text) == text and ":" not in text), text
