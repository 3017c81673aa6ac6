"""Pattern compilation: the regex fast path equals the full ANTLR-based compile, and modes are right."""

from __future__ import annotations

import pytest

from accord.sweep import patterns


@pytest.mark.parametrize(
    "pattern",
    [
        "[ipv4-addr:value = '203.0.113.0/24']",
        "[ipv4-addr:value='203.0.113.7']",
        "[ipv6-addr:value = '2001:DB8::1']",
        "[ipv4-addr:value = '2001:db8::/32']",
        "[domain-name:value = 'Bücher.de.']",
        "[url:value = 'HTTP://a.com:80/x#y']",
        "[email-addr:value = 'A@B.c']",
        "[file:hashes.'SHA-256' = 'AB01']",
        "[file:hashes.MD5 = 'AB01']",
        "[domain-name:value = 'it\\'s']",
        "[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]",
        "[network-traffic:dst_ref.value = '2001:db8::/32' AND network-traffic:dst_port = 443 OR url:value = 'http://a']",
        "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.org']",
        "[ipv4-addr:value = '2001:db8::/32' OR ipv4-addr:value = '1.2.3.4']",
        "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '2001:db8::/32']",
        "[file:hashes.'SHA-1' = 'AA' OR file:hashes.MD5 = 'BB' AND file:hashes.'SHA-256' = 'CC']",
        "[domain-name:value = 'a AND b']",
        "[network-traffic:dst_port = 80 OR network-traffic:src_port = 8080]",
        # plain CIDRs and URLs take their own shortcuts to canonical form
        "[ipv4-addr:value = '1.2.3.4/32']",
        "[ipv4-addr:value = '1.2.3.4/0']",
        "[ipv4-addr:value = '1.2.3.77/08']",
        "[ipv4-addr:value = '01.2.3.4/8']",
        "[ipv4-addr:value = '1.2.3.4/33']",
        "[ipv6-addr:value = '1.2.3.0/24']",
        "[network-traffic:src_ref.value = '10.1.0.0/16' AND network-traffic:src_port = 80]",
        "[url:value = 'HTTP://A.com?q=1']",
        # observations joined by OR: the union of their DNFs
        "[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'Evil.COM.']",
        "[domain-name:value = 'a.org']OR[url:value = 'HTTP://a.org:80/x'] OR\n [file:hashes.MD5 = 'AB']",
        "[ipv4-addr:value = '10.0.0.0/8' OR url:value = 'http://a'] OR [network-traffic:dst_port = 443]",
        "[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.org'] OR [url:value = 'http://a']",
        "[domain-name:value = ''] OR [ipv4-addr:value = '1.2.3.4']",
        "[ipv4-addr:value = '1.2.3.4'] ORx [domain-name:value = 'a.org']",
        "[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.org']",
        "[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'a.org'] WITHIN 5 SECONDS",
        "([ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'a.org'])",
    ],
)
def test_fast_path_equals_full_compile(pattern: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = patterns.compile_pattern(pattern)
    monkeypatch.setattr(patterns, "_fast", lambda p: None)
    assert fast == patterns.compile_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "mode"),
    [
        ("[ipv4-addr:value = '1.2.3.4' OR domain-name:value LIKE '%.x']", "simple"),
        ("[ipv4-addr:value = '1.2.3.4'] OR [url:value = 'http://a/']", "simple"),
        ("[ipv4-addr:value != '1.2.3.4']", "event"),
        ("[file:name = 'a.exe']", "event"),
        ("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x']", "event"),
        ("[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']", "multi"),
        ("[ipv4-addr:value = '1.2.3.4'] REPEATS 2 TIMES", "multi"),
        ("[ipv4-addr:value = '1.2.3.4'] AND [ipv4-addr:value = '1.2.3.5']", "multi"),
        ("[ipv4-addr:value = ", "invalid"),
        ("[domain-name:value MATCHES '(']", "invalid"),
    ],
)
def test_modes(pattern: str, mode: str) -> None:
    assert patterns.compile_pattern(pattern).mode == mode


@pytest.mark.parametrize(
    ("pattern", "fast"),
    [
        ("[ipv4-addr:value = '203.0.113.0/24']", True),
        ("[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]", True),
        ("[file:hashes.'SHA-1' = 'AA' OR file:hashes.MD5 = 'BB']", True),
        ("[domain-name:value = 'it\\'s']", False),
        ("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'x.org']", False),
        ("[(ipv4-addr:value = '1.2.3.4')]", False),
        ("[ipv4-addr:value != '1.2.3.4']", False),
        ("[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.org']", True),
        ("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.org']", False),
        ("[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.org'] WITHIN 5 SECONDS", False),
        ("[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value LIKE '%.x.org']", False),
    ],
)
def test_fast_path_is_taken_only_for_its_shapes(pattern: str, fast: bool) -> None:
    assert (patterns._fast(pattern) is not None) == fast
