"""Positions of indicators (for reviewing an extraction): the same values as find_indicators, each
occurrence with its place in the normalised text, its sentence, and typed values read back."""

from pathlib import Path

import pytest

from accord.extract import find_indicators, find_spans, read_document
from accord.extract.spans import canonical, first_occurrences, sentence

DOCS = Path(__file__).resolve().parent.parent / "corpus" / "docs"


@pytest.mark.parametrize("path", sorted(DOCS.iterdir())[::4], ids=lambda p: p.name)
def test_spans_find_exactly_what_find_indicators_finds(path: Path) -> None:
    raw = read_document(path)
    text, spans = find_spans(raw)
    expected = {(kind, value) for kind, values in find_indicators(raw).items() for value in values}
    assert {(kind, value) for kind, value, _s, _e in spans} == expected
    assert [s[2] for s in spans] == sorted(s[2] for s in spans)
    for kind, value, start, end in spans:
        if kind in ("ipv4", "md5", "sha1", "sha256", "sha512", "cve"):
            seen = text[start:end].replace("\u3002", ".")  # "91。97。152。106" in Chinese prose
            assert seen.lower() == value.lower(), (kind, value, text[start:end])


def test_every_occurrence_is_reported_and_the_first_kept_for_review() -> None:
    raw = "C2 1.2.3[.]4 then evil[.]com.\nAgain 1.2.3.4 here."
    text, spans = find_spans(raw)
    assert [(k, v) for k, v, _s, _e in spans] == [
        ("ipv4", "1.2.3.4"),
        ("domain", "evil.com"),
        ("ipv4", "1.2.3.4"),
    ]
    assert [text[s:e] for _k, _v, s, e in spans] == ["1.2.3.4", "evil.com", "1.2.3.4"]
    _text, first = first_occurrences(raw)
    assert [(k, v) for k, v, _s, _e in first] == [("ipv4", "1.2.3.4"), ("domain", "evil.com")]
    assert find_spans(raw, types=["domain"])[1] == [spans[1]]


@pytest.mark.parametrize(
    ("raw", "value", "expected"),
    [
        (
            "Title line\nThe kit used evil[.]com for C2. Then it stopped. ",
            "evil.com",
            ("The kit used ", "evil.com", " for C2."),
        ),
        (
            "مقدمة. أعلن المركز أن الخادم evil[.]com كان نشطًا؟ وبعد ذلك",
            "evil.com",
            ("أعلن المركز أن الخادم ", "evil.com", " كان نشطًا؟"),
        ),
        (
            "前言。攻击者使用的域名是 evil。com。其他内容",
            "evil.com",
            ("攻击者使用的域名是 ", "evil。com", "。"),
        ),
        ("Version 2.0 notes. Host 1.2.3.4 seen", "1.2.3.4", ("Host ", "1.2.3.4", " seen")),
    ],
)
def test_the_sentence_around_an_indicator(raw: str, value: str, expected: tuple[str, str, str]) -> None:
    text, spans = find_spans(raw)
    _kind, _value, start, end = next(s for s in spans if s[1] == value)
    context = sentence(text, start, end)
    assert (context.before, context.hit, context.after) == expected


def test_a_long_line_is_cut_with_an_ellipsis() -> None:
    raw = "word " * 100 + "evil.com" + " more" * 100
    text, [(_k, _v, start, end)] = find_spans(raw)
    context = sentence(text, start, end, width=30)
    assert context.before.startswith("…") and context.after.endswith("…")
    assert len(context.before) <= 31 and len(context.after) <= 31 and context.hit == "evil.com"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("domain", " Evil[.]COM ", "evil.com"),
        ("domain", "evil.com/x", None),
        ("url", "evil.com/x", None),
        ("url", "hxxps://Evil.com/Gate", "https://evil.com/Gate"),
        ("ipv4", "203.0.113.999", None),
        ("ipv4", "١٩٢.١٦٨.١.١", "192.168.1.1"),
        ("cidr", "10.1.2.3/8", "10.0.0.0/8"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        ("sha1", "d41d8cd98f00b204e9800998ecf8427e", None),
        ("cve", "cve-2024-3400", "CVE-2024-3400"),
        ("asn", "ASN 13335", "AS13335"),
        ("attack", "T1059/001", "T1059.001"),
        ("email", "Ops@Mail[.]ru", "ops@mail.ru"),
        ("domain", "مثال.مصر", "مثال.مصر"),
        ("domain", "<b>evil.com</b>", None),
        ("domain", "1.2.3.4", None),
        ("nonsense", "evil.com", None),
        ("domain", "", None),
    ],
)
def test_a_typed_value_is_read_with_the_extractor_s_rules(
    kind: str, value: str, expected: str | None
) -> None:
    assert canonical(kind, value) == expected
