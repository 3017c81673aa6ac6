"""Compile-time fast paths (plain URLs, IPv4 CIDRs, false-positive ranges) agree with the general code."""

from __future__ import annotations

import gc
import ipaddress
import random
import re

import pytest

from accord.sweep import FalsePositives, compile_indicators, normalize, patterns
from accord.sweep.patterns import Atom

URLS = [
    "http://evil.com/a",
    "HTTP://Evil.COM/A/b",
    "https://good.org",
    "http://a.com?x=1",
    "http://a.com/p?",
    "http://a.com/p#f",
    "http://a.com./x",
    "http://a.com:80/x",
    "http://user@a.com/x",
    "http://a.com/%7e",
    "http://1.2.3.4/x",
    "git+ssh://a.com/x",
    "http://a.com//x?y=/?z",
    " http://a.com/x ",
    "http://a-b.c0m/x;y=1,z!$&()*+=:@x",
    "1http://a.com/x",
    "http:///x",
]


def _slow_url(value: str, monkeypatch: pytest.MonkeyPatch) -> str | None:
    monkeypatch.setattr(normalize, "_PLAIN_URL", re.compile(r"(?!)"))
    try:
        return normalize.url.__wrapped__(value)
    finally:
        monkeypatch.undo()


def _random_urls(n: int) -> list[str]:
    rng = random.Random(3)
    host, path = "aZ09.-", "aZ09._~!$&()*+,;=:@/-?#%[]' "
    out = []
    for _ in range(n):
        scheme = rng.choice(["http", "HTTPS", "ftp", "a+b.c", "1x", ""])
        h = "".join(rng.choice(host) for _ in range(rng.randrange(0, 8)))
        p = "".join(rng.choice(path) for _ in range(rng.randrange(0, 8)))
        out.append(f"{scheme}://{h}{rng.choice(['', '/', ':80/', '@'])}{p}")
    return out


def test_plain_url_fast_path_equals_the_general_canonicaliser(monkeypatch: pytest.MonkeyPatch) -> None:
    for value in URLS + _random_urls(3000):
        assert normalize.url.__wrapped__(value) == _slow_url(value, monkeypatch), value


@pytest.mark.parametrize(
    "value",
    ["1.2.3.4/24", "1.2.3.4/32", "1.2.3.4/0", "1.2.3.4/08", "255.255.255.255/31", "1.2.3.4/33", "01.2.3.4/8"],
)
def test_cidr4_equals_ipaddress(value: str) -> None:
    fast, net = normalize.cidr4(value), normalize.network(value)
    if fast is not None:
        assert net is not None and net.version == 4
        assert fast == (int(net.network_address), net.prefixlen)


def test_cidr4_random_equals_ipaddress() -> None:
    rng = random.Random(5)
    for _ in range(5000):
        value = ".".join(str(rng.randrange(0, 300)) for _ in range(4)) + f"/{rng.randrange(0, 40)}"
        fast, net = normalize.cidr4(value), normalize.network(value)
        assert fast is None or (net is not None and fast == (int(net.network_address), net.prefixlen))


@pytest.mark.parametrize(
    "value", ["1.2.3.4", "0.0.0.0", "255.255.255.255", "01.2.3.4", "::1", "1.2.3", " 1.2.3.4"]
)
def test_ipv4_int_only_for_canonical_text(value: str) -> None:
    got = normalize.ipv4_int(value)
    canonical = normalize.ip(value) == value and ":" not in value
    assert got == (int(ipaddress.ip_address(value)) if canonical else None)


def _brute_covers(fp: FalsePositives, atom: Atom) -> bool:
    """The false-positive check as a scan of every listed range (the reference for the bisection)."""
    if atom.kind not in patterns.IP_KINDS:
        return fp.covers(atom)
    if atom.op == "cidr":
        net = ipaddress.ip_network((int(atom.value), atom.prefix)) if atom.version == 4 else None
        net = net or ipaddress.IPv6Network((int(atom.value), atom.prefix))
        lo, hi, version = int(net.network_address), int(net.broadcast_address), net.version
    else:
        try:
            addr = ipaddress.ip_address(str(atom.value))
        except ValueError:
            return False
        lo = hi = int(addr)
        version = addr.version
    return any(
        n.version == version and int(n.network_address) <= lo and hi <= int(n.broadcast_address)
        for n in fp.networks
    )


def test_false_positive_ranges_bisection_equals_a_scan(tmp_path) -> None:  # type: ignore[no-untyped-def]
    custom = tmp_path / "fp.json"
    custom.write_text(
        '{"cidrs": ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.128.0.0/9", "8.8.8.8/32", '
        '"0.0.0.0/1", "2001:db8::/32", "2001:db8:1::/48", "::1/128"], "domains": ["google.com"]}'
    )
    rng = random.Random(9)
    for fp in (FalsePositives.load(), FalsePositives.load(custom), FalsePositives.empty()):
        for _ in range(3000):
            r = rng.random()
            if r < 0.4:
                base = rng.choice(
                    [10 << 24, (10 << 24) | (1 << 16), 8 << 24, 127 << 24, rng.randrange(1 << 32)]
                )
                atom = Atom(
                    "ipv4-addr:value",
                    "eq",
                    str(ipaddress.IPv4Address(base + rng.randrange(1 << 17) & 0xFFFFFFFF)),
                )
            elif r < 0.8:
                prefix = rng.randrange(0, 32)
                base = rng.choice([10 << 24, (10 << 24) | (1 << 16), 0, rng.randrange(1 << 32)])
                atom = Atom(
                    "network-traffic:dst_ref.value", "cidr", base >> (32 - prefix) << (32 - prefix), prefix, 4
                )
            else:
                prefix = rng.randrange(16, 128)
                base = rng.choice([0x20010DB8 << 96, (0x20010DB8 << 96) | (1 << 80), 1])
                atom = Atom("ipv6-addr:value", "cidr", base >> (128 - prefix) << (128 - prefix), prefix, 6)
            assert fp.covers(atom) == _brute_covers(fp, atom), atom


def test_compile_leaves_the_collector_as_it_was() -> None:
    ind = {"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '1.2.3.4']"}
    assert gc.isenabled()
    compile_indicators([ind], FalsePositives.load())
    assert gc.isenabled()
    gc.disable()
    try:
        compile_indicators([ind], FalsePositives.load())
        assert not gc.isenabled()
    finally:
        gc.enable()
