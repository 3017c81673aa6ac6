"""Public Suffix List: a current copy from `publicsuffixlist`, a shipped fallback, the newer one wins."""

import pytest

from accord.extract import find_indicators, suffixes

TEXT = """// VERSION: {version}
// ===BEGIN ICANN DOMAINS===
com
com.cn
*.ck
!www.ck
中国
{extra}
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
github.io
// ===END PRIVATE DOMAINS===
"""


@pytest.fixture
def fresh():
    suffixes.current.cache_clear()
    yield
    suffixes.current.cache_clear()


def test_parse_icann_section_only() -> None:
    psl = suffixes.parse(TEXT.format(version="2030-01-01_00-00-00_UTC", extra="ye"), "test")
    assert psl.version == "2030-01-01_00-00-00_UTC"
    assert psl.tlds == frozenset({"com", "中国", "ye"})
    assert "github.io" not in psl.suffixes and "com.cn" in psl.suffixes


def test_current_list_is_recent() -> None:
    psl = suffixes.current()
    assert psl.version >= "2026-01-01"
    # delegated or listed as TLDs after the 2019 copy of publicsuffix2; retired since then
    assert {"ye", "bd", "kh", "hotel", "music", "البحرين", "ישראל"} <= suffixes.tlds()
    assert not {"intel", "off", "duck", "goo"} & suffixes.tlds()
    assert {"中国", "公司", "网络", "مصر", "السعودية", "امارات"} <= suffixes.tlds()


@pytest.mark.parametrize(
    ("name", "public"),
    [
        ("com", True),
        ("com.cn", True),
        ("co.uk", True),
        ("foo.ck", True),
        ("www.ck", False),
        ("github.io", False),
        ("evil.com", False),
        ("中国", True),
    ],
)
def test_is_public_suffix(name: str, public: bool) -> None:
    assert suffixes.is_public_suffix(name) is public


def test_shipped_copy_is_the_fallback(monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    monkeypatch.setattr(suffixes, "_package_text", lambda: "")
    psl = suffixes.current()
    assert psl.source == "shipped" and "ye" in psl.tlds and "中国" in psl.tlds
    assert find_indicators("pay-7.ye 例子.中国", types=["domain"]) == {"domain": ["pay-7.ye", "例子.中国"]}


def test_newer_copy_wins(monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    monkeypatch.setattr(
        suffixes, "_package_text", lambda: TEXT.format(version="2999-01-01_00-00-00_UTC", extra="newtld")
    )
    assert suffixes.current().source == "publicsuffixlist"
    assert find_indicators("shop.newtld evil.ye", types=["domain"]) == {"domain": ["shop.newtld"]}
    suffixes.current.cache_clear()
    monkeypatch.setattr(
        suffixes, "_package_text", lambda: TEXT.format(version="2001-01-01_00-00-00_UTC", extra="oldtld")
    )
    assert suffixes.current().source == "shipped" and "oldtld" not in suffixes.tlds()


def test_shipped_copy_round_trips() -> None:
    text = suffixes.SHIPPED.read_text("utf-8")
    assert "// VERSION:" in text and "Mozilla Public" in text
    assert suffixes.parse(suffixes.ship(text), "x").suffixes == suffixes.parse(text, "x").suffixes
