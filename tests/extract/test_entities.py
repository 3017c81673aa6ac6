"""Gazetteer entities in English, Arabic and Chinese."""

import os
from pathlib import Path

import pytest

from accord.extract import extract_file, find_entities


def test_countries_in_three_languages() -> None:
    assert find_entities("Attacks from Russia and Iran")["countries"] == ["IR", "RU"]
    assert find_entities("هجمات من روسيا وإيران")["countries"] == ["IR", "RU"]
    assert find_entities("来自俄罗斯和伊朗的攻击")["countries"] == ["IR", "RU"]


def test_pycountry_arabic_names_with_diacritics_match_plain_text() -> None:
    # pycountry spells China "الصّين" (with shadda); prose usually omits it.
    assert find_entities("الرئيس الصيني في الصين")["countries"] == ["CN"]


def test_longest_match_and_lowercase_common_words_ignored() -> None:
    found = find_entities("North Korea hackers ate turkey in jordan")
    assert found == {"countries": ["KP"]}


def test_threat_actor_aliases_to_canonical() -> None:
    assert find_entities("Fancy Bear and 拉撒路组织 and مجموعة لازاروس")["threat_actors"] == [
        "APT28",
        "Lazarus Group",
    ]


def test_latin_word_boundaries() -> None:
    assert "organizations" not in find_entities("UNIX FBIS sysUN")


SHARED_ARTICLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "article-ar.txt"


@pytest.mark.skipif(
    not SHARED_ARTICLE.is_file() and os.environ.get("CI") != "true",
    reason="../shared/examples is not beside this checkout (CI=true makes this a failure)",
)
def test_shared_arabic_article() -> None:
    """The real Arabic news article from the issue: entities found, no false indicators."""
    ex = extract_file(SHARED_ARTICLE)
    assert ex.lang == "ar"
    assert ex.entities["countries"] == ["CN", "US"]
    assert ex.entities["people"] == ["Xi Jinping"]
    assert ex.indicators == {}


def test_language_guess_by_script() -> None:
    from accord.extract.lang import detect_language

    assert detect_language("The C2 at evil.com was seized by police.") == "en"
    assert detect_language("استضيفت صفحات التصيد على evil.com") == "ar"
    assert detect_language("控制服务器域名为evil.com。请封锁 http://bad.cn/a/b/c") == "zh"
    assert detect_language("Сервер evil.com был заблокирован") == "ru"
    assert detect_language("1.2.3.4") == "en"
