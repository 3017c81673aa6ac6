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
        # ISSUBSET is = on addresses (a CIDR or one address), refused on other kinds and on numbers
        "[ipv4-addr:value ISSUBSET '10.1.0.0/16']",
        "[network-traffic:dst_ref.value ISSUBSET '10.1.2.3' AND network-traffic:dst_port = 443]",
        "[ipv6-addr:value ISSUBSET '2001:db8::/32'] OR [ipv4-addr:value ISSUBSET '10.0.0.0/8']",
        "[ipv4-addr:value = '10.1.2.3' AND ipv4-addr:value ISSUBSET '10.1.2.0/24']",
        "[domain-name:value ISSUBSET 'a.org']",
        "[network-traffic:dst_port ISSUBSET '80']",
        "[ipv4-addr:value ISSUBSET 5]",
        "[ipv4-addr:value ISSUBSETx '10.0.0.0/8']",
        # hash names in any case or spelling the vocabulary knows; others left to the full compile
        "[file:hashes.'sha-1' = 'AB']",
        "[file:hashes.sha256 = 'ab'] OR [file:hashes.'md5' = 'CD']",
        "[file:hashes.'Sha_256' = 'AB']",
        "[file:hashes.'md4' = 'AB']",
        "[ipv4-addr:hashes.md5 = 'AB']",
        # parentheses around one comparison or around the whole; IN as an OR of its values
        "[(url:value = 'http://a/x') OR network-traffic:dst_ref.value = '10.1.2.3']",
        "[(ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x.org')]",
        "[(ipv4-addr:value = '1.2.3.4']",
        "[ipv4-addr:value = '1.2.3.4')]",
        "([url:value = 'http://a/x'] OR [domain-name:value = 'A.org'])",
        " ([url:value = 'http://a/x'])\n",
        "([url:value = 'http://a/x']) OR ([domain-name:value = 'a.org'])",
        "([url:value = 'http://a/x'] OR [domain-name:value = 'a.org']) WITHIN 5 SECONDS",
        "[ipv4-addr:value IN ('1.2.3.4', '10.0.0.0/8',\n '2001:db8::1')]",
        "[network-traffic:dst_port IN (80, 443) AND network-traffic:dst_ref.value IN ('1.2.3.4', '5.6.7.8')]",
        "[network-traffic:dst_port IN ('80', '443')]",
        "[ipv4-addr:value IN (1, 2)]",
        "[domain-name:value IN ('a.org', '')] OR [url:value IN ('http://a/')]",
        "[ipv4-addr:value IN (" + ", ".join(f"'10.0.0.{i}'" for i in range(70)) + ")]",
        "[ipv4-addr:value IN (" + ", ".join(f"'10.0.0.{i}'" for i in range(9)) + ") AND "
        "ipv4-addr:value IN (" + ", ".join(f"'10.0.1.{i}'" for i in range(9)) + ")]",
        "[domain-name:value IN ('a.org', 'b.org')]",
        # comparisons joined by OR in parentheses: alternatives of one operand
        "[network-traffic:dst_ref.value ISSUBSET '10.0.0.0/8' AND (network-traffic:dst_port = 443 OR"
        " network-traffic:dst_port = 8443)]",
        "[(ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '10.0.0.0/8') AND ipv4-addr:value = '5.6.7.8']",
        "[(domain-name:value = 'a.org' OR domain-name:value = '') OR url:value = 'http://a/']",
        "[(ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'a.org') AND ipv4-addr:value = '5.6.7.8']",
        "[(ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8')]",
        "[(ipv4-addr:value = '1.2.3.4' OR (ipv4-addr:value = '5.6.7.8'))]",
        "[(ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '5.6.7.8']",
        "[(network-traffic:dst_port IN (80, 443) OR network-traffic:dst_port = 8080) AND "
        "network-traffic:dst_ref.value IN ('1.2.3.4', '5.6.7.8')]",
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
        ("[(ipv4-addr:value = '1.2.3.4')]", True),
        ("[(ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x.org')]", False),
        ("[(ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '5.6.7.8') AND ipv4-addr:value = 'x']", True),
        ("[(ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '5.6.7.8')]", False),
        ("[ipv4-addr:value != '1.2.3.4']", False),
        ("[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.org']", True),
        ("[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.org']", False),
        ("[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value = 'x.org'] WITHIN 5 SECONDS", False),
        ("[ipv4-addr:value = '1.2.3.4'] OR [domain-name:value LIKE '%.x.org']", False),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8']", True),
        ("[domain-name:value ISSUBSET 'a.org']", False),
        ("[ipv4-addr:value ISSUBSET 5]", False),
        ("[file:hashes.'sha-1' = 'AB']", True),
    ],
)
def test_fast_path_is_taken_only_for_its_shapes(pattern: str, fast: bool) -> None:
    assert (patterns._fast(pattern) is not None) == fast
