"""Languages: negotiation, the remembered switch, right-to-left Arabic, compiled catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from starlette.testclient import TestClient
from web_world import World, sign_in

from accord.web import i18n

LOCALES = Path(i18n.__file__).parent / "locales"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-EG,ar;q=0.9,en;q=0.5", "ar"),
        ("zh-CN,zh;q=0.9", "zh"),
        ("fr-FR, en;q=0.3, ar;q=0.8", "ar"),
        ("de", "en"),
        ("", "en"),
        ("ar;q=0, zh;q=0.1", "zh"),
    ],
)
def test_accept_language_negotiation(header: str, expected: str) -> None:
    assert i18n.from_accept_language(header) == expected


def test_arabic_pages_are_right_to_left_and_translated(app) -> None:
    page = TestClient(app).get("/signin", headers={"accept-language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.text and "تسجيل الدخول" in page.text


def test_the_switch_is_remembered_and_beats_the_header(app, world: World) -> None:
    client = TestClient(app)
    sign_in(client, world.fr_token)
    first = client.get("/dashboard", params={"lang": "zh"}, headers={"accept-language": "ar"})
    assert '<html lang="zh" dir="ltr">' in first.text and "仪表板" in first.text
    assert "accord_lang=zh" in first.headers["set-cookie"]
    later = client.get("/intel", headers={"accept-language": "ar"})
    assert '<html lang="zh"' in later.text and "搜索" in later.text
    back = client.get("/intel", params={"lang": "en", "q": "kit"})
    assert '<html lang="en" dir="ltr">' in back.text and "fr-phishing-kit" in back.text
    assert 'href="/intel?q=kit&amp;lang=ar"' in back.text


def test_dates_follow_the_locale(app, world: World) -> None:
    client = TestClient(app)
    sign_in(client, world.fr_token)
    assert "年" in client.get("/dashboard", params={"lang": "zh"}).text


@pytest.mark.parametrize("lang", ["ar", "zh"])
def test_catalogues_are_complete_and_compiled(lang: str) -> None:
    folder = LOCALES / lang / "LC_MESSAGES"
    with open(LOCALES / "accord.pot", "rb") as f:
        source = {m.id for m in read_po(f) if m.id}
    with open(folder / "accord.po", "rb") as f:
        po = read_po(f)
    untranslated = [
        m.id for m in po if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    assert not untranslated
    assert source <= {m.id for m in po if m.id}
    with open(folder / "accord.mo", "rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    assert {_key(m.id): _key(m.string) for m in po if m.id and not m.fuzzy} == compiled


def _key(value: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    """Plural entries come back as lists from .mo files and tuples from .po files."""
    return value if isinstance(value, str) else tuple(value)


def test_the_template_catalogue_is_up_to_date() -> None:
    """Every string in the code and templates is in accord.pot (else it would show in English)."""
    from babel.messages.extract import extract_from_dir

    web = Path(i18n.__file__).parent
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
    found = {
        msg if isinstance(msg, str) else msg[0]
        for _file, _line, msg, _comments, _context in extract_from_dir(
            str(web), method_map, keywords=keywords
        )
    }
    with open(LOCALES / "accord.pot", "rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    assert found - known == set(), "run pybabel extract/update/compile (see docs/web.md)"


def test_sizes_read_naturally_in_each_language() -> None:
    Lang = i18n.Lang
    assert Lang("en").size(703) == "703 bytes" and Lang("en").size(1) == "1 byte"
    assert Lang("en").size(1_500_000) == "1.5 MB"
    assert "بايت" in Lang("ar").size(703) and Lang("zh").size(703) == "703字节"
