"""Extraction rules per indicator type: positives, canonical forms and the false-positive traps."""

import hashlib

import pytest

from accord.extract import find_indicators

from .helpers import base58check, bech32


def only(text: str, kind: str) -> list[str]:
    return find_indicators(text).get(kind, [])


# --- positives and canonical forms -------------------------------------------------------------


def test_ipv4_defanged_and_canonical() -> None:
    assert only("C2 1.2.3[.]4 and 8.8.8.8.", "ipv4") == ["1.2.3.4", "8.8.8.8"]


def test_ipv4_with_port_and_range() -> None:
    assert only("beacon to 45.77.1.2:8443 then 45.77.1.3-45.77.1.9", "ipv4") == [
        "45.77.1.2",
        "45.77.1.3",
        "45.77.1.9",
    ]


def test_cidr_is_network_canonical_and_not_an_ip() -> None:
    found = find_indicators("block 10.1.2.3/8 and 2001:db8::1/32")
    assert found["cidr"] == ["10.0.0.0/8", "2001:db8::/32"]
    assert "ipv4" not in found and "ipv6" not in found


def test_ipv6_compressed() -> None:
    assert only("host 2001:0DB8:0000:0000:0000:0000:0000:0001 up", "ipv6") == ["2001:db8::1"]


def test_domain_lowercase_and_punycode_to_unicode() -> None:
    assert only("Seen: EVIL.Example.COM and xn--80ak6aa92e.com", "domain") == [
        "evil.example.com",
        "аррӏе.com",
    ]


def test_unicode_idn_domain_matched() -> None:
    assert only("phish at bücher.de today", "domain") == ["bücher.de"]


def test_url_lowercase_scheme_and_host_path_kept() -> None:
    assert only("get HXXPS://Evil.COM/Path/A.php?x=Y.", "url") == ["https://evil.com/Path/A.php?x=Y"]


def test_url_host_not_repeated_as_domain() -> None:
    found = find_indicators("see http://evil.com/x")
    assert found == {"url": ["http://evil.com/x"]}


def test_url_in_parentheses_and_markdown() -> None:
    assert only("(see http://evil.com/a) [x](https://b.org/c)", "url") == [
        "http://evil.com/a",
        "https://b.org/c",
    ]


def test_url_keeps_balanced_parentheses() -> None:
    assert only("https://en.wikipedia.org/wiki/Foo_(bar) ok", "url") == [
        "https://en.wikipedia.org/wiki/Foo_(bar)"
    ]


def test_email_refanged_and_lowercase() -> None:
    assert only("write to Admin[at]Mail(.)RU now", "email") == ["admin@mail.ru"]


@pytest.mark.parametrize("kind", ["md5", "sha1", "sha256", "sha512"])
def test_hashes_by_length_lowercase(kind: str) -> None:
    digest = hashlib.new(kind, kind.encode()).hexdigest()
    assert only(f"hash {digest.upper()}.", kind) == [digest]
    assert only(f"哈希值{digest}。", kind) == [digest]


def test_constant_filler_is_not_a_hash() -> None:
    assert find_indicators("0" * 32 + " " + "f" * 64) == {}


def test_cve_uppercase() -> None:
    found = only("exploits cve-2021-44228 and CVE-2023-1234567", "cve")
    assert found == ["CVE-2021-44228", "CVE-2023-1234567"]


def test_attack_ids() -> None:
    assert only("uses T1059.001, T1566 and T1059/003", "attack") == ["T1059.001", "T1059.003", "T1566"]


def test_btc_checked_addresses_only() -> None:
    legacy = base58check(b"\x00" + bytes(range(20)))
    segwit = bech32([0] + [i % 32 for i in range(32)])
    broken = legacy[:-1] + ("z" if legacy[-1] != "z" else "y")
    assert only(f"pay {legacy} or {segwit} not {broken}", "btc") == sorted([legacy, segwit])


def test_registry_key_with_spaces_in_path() -> None:
    text = r"persists in HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon, then"
    assert only(text, "registry") == [r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon"]


def test_asn() -> None:
    assert only("hosted in AS13335 and ASN 4134; as 15 people", "asn") == ["AS13335", "AS4134"]


def test_file_names() -> None:
    assert only("drops payload.exe and C:\\Users\\Public\\svc.dll", "file") == ["payload.exe", "svc.dll"]


# --- false positives -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "upgrade to version 1.2.0.4 now",
        "Chrome v16.11.34 was patched",
        "the OID 1.3.6.1.4.1.311.2 identifies",
        "see section 4.2.1.3 of the RFC",
        "الإصدار 1.2.0.4 متاح",
        "1.2.0.4 الإصدار",
        "版本1.2.0.4已发布",
        "dated 2023.10.15 at 12.30.45",
        "octets 256.1.1.1 and 1.2.3.999",
        "date 01.02.2023.05",
    ],
)
def test_no_ip_in_versions_oids_sections_dates(text: str) -> None:
    found = find_indicators(text)
    assert "ipv4" not in found and "domain" not in found


@pytest.mark.parametrize(
    "text",
    [
        "open report.zip and readme.md",
        "detected as W32/SilkLoader.CA!tr by the AV",
        "Trojan:Win32/Emotet.PE!MTB",
        "resolves host.badtld and server.local",
        "the attack ended.Then they left",
        "built on ASP.NET",
    ],
)
def test_no_domain_false_positives(text: str) -> None:
    assert "domain" not in find_indicators(text)


def test_file_names_on_real_tlds_are_files() -> None:
    found = find_indicators("open report.zip and readme.md")
    assert found == {"file": ["readme.md", "report.zip"]}


def test_subdomain_on_file_like_tld_is_domain() -> None:
    assert only("c2 at update.evil.zip", "domain") == ["update.evil.zip"]


def test_hash_inside_longer_hex_run_rejected() -> None:
    assert find_indicators("blob " + "ab12" * 8 + "ff" + " end") == {}
    assert find_indicators("x" + "a1" * 16) == {}


def test_timestamps_and_macs_are_not_ipv6() -> None:
    assert "ipv6" not in find_indicators("at 12:30:45 mac 00:1a:2b:3c:4d:5e std::vector")


# --- Arabic and Chinese context ----------------------------------------------------------------


def test_glued_to_han_and_chinese_punctuation() -> None:
    found = find_indicators("攻击者使用evil。com和1.2.3.4，然后访问http://bad.cn/x。")
    assert found["domain"] == ["evil.com"]
    assert found["ipv4"] == ["1.2.3.4"]
    assert found["url"] == ["http://bad.cn/x"]


def test_glued_to_arabic_with_arabic_comma() -> None:
    found = find_indicators("الخادمevil.com، والعنوان ١٩٢٫١٦٨٫١٫١، و user@mail.ru؛")
    assert found == {"ipv4": ["192.168.1.1"], "domain": ["evil.com"], "email": ["user@mail.ru"]}


def test_bidi_zero_width_and_soft_hyphen_inside_indicator() -> None:
    text = "\u200fev\u200bil\u00ad.com\u200e و 8.8\u200b.8.8"
    assert find_indicators(text) == {"ipv4": ["8.8.8.8"], "domain": ["evil.com"]}


def test_fullwidth_indicators_in_chinese() -> None:
    found = find_indicators("邮箱ａｄｍｉｎ＠ｅｖｉｌ．ｃｏｍ，地址１．２．３．４：８０")
    assert found == {"ipv4": ["1.2.3.4"], "email": ["admin@evil.com"]}


def test_ideographic_full_stop_as_dot_and_as_sentence_end() -> None:
    found = find_indicators(
        "访问http://bad。cn/x。SHA1值见下。域名evil。com。1。2。3。4是地址。evil.org是另一个"
    )
    assert found == {
        "ipv4": ["1.2.3.4"],
        "domain": ["evil.com", "evil.org"],
        "url": ["http://bad.cn/x"],
    }


def test_full_stop_after_arabic_word_is_a_boundary() -> None:
    found = find_indicators("الإقليمية.103.170.180.231 و جاريا.evil.com")
    assert found == {"ipv4": ["103.170.180.231"], "domain": ["evil.com"]}
    assert find_indicators("1.2.3.4.5 and x.1.2.3.4") == {}


def test_arabic_sentence_dot_is_not_a_domain() -> None:
    assert find_indicators("مع الولايات المتحدة.ونفى الزعيم") == {}


def test_types_filter() -> None:
    assert find_indicators("1.2.3.4 evil.com", types=["domain"]) == {"domain": ["evil.com"]}


def test_btc_uppercase_bech32_and_not_inside_words() -> None:
    segwit = bech32([0] + [(7 * i) % 32 for i in range(32)])
    legacy = base58check(b"\x05" + bytes(range(40, 60)))
    found = only(f"{segwit.upper()} and x{legacy} and {legacy}。", "btc")
    assert found == sorted([segwit, legacy])


def test_ipv6_glued_and_with_zone_like_suffix_rejected() -> None:
    assert only("地址2001:db8::8a2e:370:7334，端口", "ipv6") == ["2001:db8::8a2e:370:7334"]
    assert only("fe80::1ff:fe23:4567:890ax", "ipv6") == []
