"""Object validation, TLP reading and timestamps: the rules the write path applies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stixgen import indicator, stix_id

from accord.stix.markings import TLP, tlp_of
from accord.stix.timestamps import format_us, parse_us
from accord.stix.validate import InvalidObject, is_simple_valid_pattern, validate


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"type": "Indicator"}, "'type' must be"),
        ({"id": "indicator--123"}, "not a valid STIX identifier"),
        ({"id": stix_id("malware", "x")}, "must reference a indicator"),
        ({"spec_version": "3.0"}, "'spec_version' must be"),
        ({"created": "2026-01-01"}, "malformed timestamp"),
        ({"modified": "2025-01-01T00:00:00Z"}, "'modified' must not be earlier"),
        ({"pattern": "[ipv4-addr:value = '1.2.3.4'"}, "invalid STIX pattern"),
        ({"valid_until": "2025-01-01T00:00:00Z"}, "'valid_until' must be later"),
        ({"object_marking_refs": ["tlp-red"]}, "object_marking_refs"),
        (
            {"object_marking_refs": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"},
            "must be a list",
        ),
        ({"created_by_ref": stix_id("malware", "m")}, "must reference a identity"),
        ({"revoked": "yes"}, "'revoked' must be true or false"),
        ({"Bad-Property": 1}, "property name"),
        ({"x_accord_recipients": [""]}, "x_accord_recipients"),
        ({"pattern": None}, "'pattern' is required"),
        ({"type": "indicator\n"}, "'type' must be"),
        (
            {"id": "indicator--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12 + "\n"},
            "not a valid STIX identifier",
        ),
        ({"created_by_ref": "identity--x--" + "0" * 8 + "-0000-4000-8000-" + "0" * 12}, "not a valid STIX"),
        ({"labels\n": ["x"]}, "property name"),
        ({"created": "\u0662\u0660\u0662\u0666-01-01T00:00:00Z"}, "malformed timestamp"),
        ({"modified": "2026-01-01T00:00:00Z", "created": "2026-01-01T00:00:00.000Z"}, None),
    ],
)
def test_invalid_objects_are_refused_with_the_reason(change: dict, reason: str | None) -> None:
    if reason is None:  # the control: equal instants written differently are valid
        assert validate({**indicator("v"), **change})["modified_us"] == parse_us("2026-01-01T00:00:00Z")
        return
    with pytest.raises(InvalidObject, match=reason):
        validate({**indicator("v"), **change})


def test_shape_cache_still_checks_each_objects_values() -> None:
    """Two objects of one shape: the second's bad values are caught though its shape is known."""
    good = indicator("shape", created_by_ref=stix_id("identity", "me"), labels=["x"])
    validate(good)
    for change in ({"created_by_ref": "identity--nope"}, {"labels": "x"}, {"valid_from": "soon"}):
        assert set(change) <= set(good)  # same shape as the valid one
        with pytest.raises(InvalidObject):
            validate({**good, **change})


def test_missing_required_properties_per_type() -> None:
    rel = {
        "type": "relationship",
        "spec_version": "2.1",
        "id": stix_id("relationship", "r"),
        "created": "2026-01-01T00:00:00Z",
        "modified": "2026-01-01T00:00:00Z",
        "relationship_type": "uses",
        "source_ref": stix_id("malware", "a"),
    }
    with pytest.raises(InvalidObject, match="'target_ref' is required for a relationship"):
        validate(rel)
    validate({**rel, "target_ref": stix_id("tool", "b")})
    with pytest.raises(InvalidObject, match="'count' must be"):
        validate(
            {
                "type": "sighting",
                "spec_version": "2.1",
                "id": stix_id("sighting", "s"),
                "created": "2026-01-01T00:00:00Z",
                "modified": "2026-01-01T00:00:00Z",
                "sighting_of_ref": stix_id("indicator", "i"),
                "count": -1,
            }
        )


def test_cyber_observables_need_no_timestamps_and_default_to_21() -> None:
    facts = validate(
        {
            "type": "ipv4-addr",
            "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
            "value": "198.51.100.3",
        }
    )
    assert facts["spec_version"] == "2.1" and facts["modified_us"] is None


def test_custom_objects_and_properties_are_accepted() -> None:
    validate(
        {
            "type": "x-example-case",
            "spec_version": "2.1",
            "id": stix_id("x-example-case", "r"),
            "created": "2026-01-01T00:00:00Z",
            "modified": "2026-01-01T00:00:00Z",
            "x_custom": {"a": 1},
        }
    )


def test_tlp_of_objects() -> None:
    assert tlp_of(indicator("a"), TLP.AMBER) is TLP.AMBER
    assert tlp_of(indicator("a", tlp=TLP.CLEAR), TLP.RED) is TLP.CLEAR
    mixed = indicator(
        "a",
        object_marking_refs=[
            "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",  # TLP 1.0 GREEN
            "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",  # TLP 2.0 AMBER+STRICT
        ],
    )
    assert tlp_of(mixed, TLP.CLEAR) is TLP.AMBER_STRICT
    other_marking = indicator(
        "a", object_marking_refs=["marking-definition--" + "1" * 8 + "-1111-4111-8111-" + "1" * 12]
    )
    assert tlp_of(other_marking, TLP.GREEN) is TLP.GREEN
    assert TLP.parse("amber+strict") is TLP.AMBER_STRICT and TLP.parse("WHITE") is TLP.CLEAR
    assert TLP.AMBER_STRICT.label == "TLP:AMBER+STRICT"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2016-01-01T00:00:00Z", "2016-01-01T00:00:00.000000Z"),
        ("2016-01-01T00:00:00.1Z", "2016-01-01T00:00:00.100000Z"),
        ("2016-01-01T00:00:00.123456789Z", "2016-01-01T00:00:00.123456Z"),
        ("2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999000Z"),
    ],
)
def test_timestamps_round_trip_to_microseconds(text: str, expected: str) -> None:
    assert format_us(parse_us(text)) == expected


@pytest.mark.parametrize(
    "text", ["2023-02-29T00:00:00Z", "2016-01-01 00:00:00Z", "2016-01-01T00:00:00+01:00", ""]
)
def test_malformed_timestamps(text: str) -> None:
    with pytest.raises(ValueError):
        parse_us(text)


_TOKENS = [
    "[",
    "]",
    "ipv4-addr",
    "file",
    "x-y",
    "true",
    "false",
    "t",
    ":",
    "value",
    "hashes",
    ".",
    "'SHA-256'",
    "'a\\'b'",
    "'1.2.3.4'",
    "'",
    "\\",
    " ",
    "=",
    "!=",
    "AND",
    "OR",
    "and",
    "[*]",
    "[0]",
    "[-1]",
    "a",
    "_x",
    "9",
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=14))
def test_fast_pattern_check_never_accepts_what_the_grammar_refuses(tokens: list[str]) -> None:
    from stix2patterns.v21.pattern import Pattern

    pattern = "".join(tokens)
    if is_simple_valid_pattern(pattern):
        Pattern(pattern)  # raises if the full grammar disagrees


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "ipv4-addr:value",
                    "domain-name:value",
                    "file:hashes.'SHA-256'",
                    "url:value",
                    "network-traffic:dst_ref.value",
                    "x-custom:a[*].b_c",
                ]
            ),
            st.sampled_from(["=", "!="]),
            st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from([" AND ", " OR "]),
)
def test_fast_pattern_check_agrees_with_the_grammar_on_simple_patterns(parts, joiner: str) -> None:
    from stix2patterns.v21.pattern import Pattern

    body = joiner.join(
        f"{path} {op} '{value.replace(chr(92), chr(92) * 2).replace(chr(39), chr(92) + chr(39))}'"
        for path, op, value in parts
    )
    pattern = f"[{body}]"
    assert is_simple_valid_pattern(pattern)
    Pattern(pattern)


@settings(max_examples=2000, deadline=None)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999)))
def test_timestamp_arithmetic_agrees_with_datetime(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    expected = (aware - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    text = f"{aware.year:04d}" + aware.strftime("-%m-%dT%H:%M:%S") + f".{aware.microsecond:06d}Z"
    assert parse_us(text) == expected
    assert format_us(expected) == text


def test_remembered_identifiers_still_checked_against_the_expected_type() -> None:
    creator = stix_id("identity", "creator")
    validate(indicator("first", created_by_ref=creator))  # the identifier is now remembered
    with pytest.raises(InvalidObject, match="must reference a marking-definition"):
        validate(indicator("second", object_marking_refs=[creator]))
    with pytest.raises(InvalidObject, match="must reference a identity"):
        validate(indicator("third", created_by_ref=stix_id("indicator", "first")))


def test_timestamps_equal_to_created_are_not_trusted_without_created() -> None:
    observed = {"type": "ipv4-addr", "id": stix_id("ipv4-addr", "x"), "value": "192.0.2.1"}
    with pytest.raises(InvalidObject, match="first_seen"):
        validate({**observed, "first_seen": None})
    with pytest.raises(InvalidObject, match="valid_from"):
        validate(indicator("late", valid_from="2026-13-01T00:00:00Z"))


@pytest.mark.parametrize(
    ("pattern", "spec_version", "error"),
    [
        # messy 2.1 spellings the regex fast check leaves to the parser: valid
        ("[  url:value =\n 'HTTP://A.EXAMPLE:80/x' ] OR [domain-name:value = 'a.example']", "2.1", None),
        ("[ipv4-addr:value ISSUBSET '10.0.0.0/8' AND ipv4-addr:value != '10.1.1.1']", "2.1", None),
        ("[file:size > 10] REPEATS 2 TIMES WITHIN 60 SECONDS", "2.1", None),
        # keywords are upper case; the error names line and column
        ("[ipv4-addr:value = '1.2.3.4']\n and [url:value = 'x']", "2.1", "2:1: unexpected 'and'"),
        ("[x:a = 007]", "2.1", "1:8: unexpected '0'"),
        # 2.0 objects are checked by stix2-patterns' parser of the 2.0 grammar
        ("[file:name = 'a'] REPEATS 2 TIMES", "2.0", None),
        ("[file:name = 'a'] and [x:a = 1]", "2.0", "invalid STIX pattern"),
    ],
)
def test_patterns_are_checked_against_their_spec_versions_grammar(
    pattern: str, spec_version: str, error: str | None
) -> None:
    from stix2patterns.v20.pattern import Pattern as Pattern20
    from stix2patterns.v21.pattern import Pattern as Pattern21

    obj = {**indicator("grammar"), "pattern": pattern}
    if spec_version == "2.0":
        obj.pop("spec_version")
        obj.pop("pattern_type", None)
    antlr = Pattern20 if spec_version == "2.0" else Pattern21
    if error is None:
        validate(obj)
        antlr(pattern)  # the reference agrees
        return
    with pytest.raises(InvalidObject, match=error):
        validate(obj)
    with pytest.raises(Exception):  # noqa: B017 - the reference refuses it too, whatever it raises
        antlr(pattern)
