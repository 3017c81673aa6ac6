"""Folding and refanging rules, one assertion per marker."""

import pytest

from accord.extract.normalize import fold, normalize, refang


@pytest.mark.parametrize(
    ("defanged", "expected"),
    [
        ("evil[.]com", "evil.com"),
        ("evil(.)com", "evil.com"),
        ("evil{.}com", "evil.com"),
        ("evil[dot]com", "evil.com"),
        ("evil(dot)com", "evil.com"),
        ("evil[DOT]com", "evil.com"),
        ("evil dot com", "evil.com"),
        ("evil\\.com", "evil.com"),
        ("http[:]//evil.com", "http://evil.com"),
        ("hxxp://evil.com", "http://evil.com"),
        ("hXXps://evil.com", "https://evil.com"),
        ("fxp://files.evil.com", "ftp://files.evil.com"),
        ("user[at]mail.ru", "user@mail.ru"),
        ("user(at)mail.ru", "user@mail.ru"),
        ("user[@]mail.ru", "user@mail.ru"),
        ("user [at] mail [dot] ru", "user@mail.ru"),
    ],
)
def test_refang_markers(defanged: str, expected: str) -> None:
    assert normalize(defanged) == expected


@pytest.mark.parametrize(
    ("fullwidth", "expected"),
    [
        ("ｅｖｉｌ［．］ｃｏｍ", "evil.com"),
        ("ｕｓｅｒ＠ｍａｉｌ．ｒｕ", "user@mail.ru"),
        ("ｕｓｅｒ［ａｔ］ｍａｉｌ（．）ｒｕ", "user@mail.ru"),
        ("ｈｘｘｐｓ：／／ｅｖｉｌ．ｃｏｍ", "https://evil.com"),
        ("ＣＶＥ－２０２１－４４２２８", "CVE-2021-44228"),
        ("evil［。］com", "evil.com"),
    ],
)
def test_fullwidth_forms(fullwidth: str, expected: str) -> None:
    assert normalize(fullwidth) == expected


def test_bare_word_at_is_never_refanged() -> None:
    text = "meet the team at example.com or at noon"
    assert refang(text) == text


def test_dot_word_after_article_is_prose() -> None:
    assert "the dot com bubble" in normalize("the dot com bubble burst")


def test_arabic_and_persian_digits_and_decimal_separator() -> None:
    assert fold("١٩٢٫١٦٨٫١٫١") == "192.168.1.1"
    assert fold("۱۰.۰.۰.۵") == "10.0.0.5"


def test_invisible_marks_removed() -> None:
    assert fold("ev\u200bil.c\u00adom\u200e\u200f\ufeff") == "evil.com"


def test_fold_is_idempotent_on_ascii() -> None:
    text = "plain ASCII: http://a.b/c?d=e"
    assert fold(text) == text
