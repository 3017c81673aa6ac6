import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.audit.canonical import canonical_bytes, canonical_json


def test_sorted_keys_no_whitespace_utf8():
    assert canonical_bytes({"b": [1, True, None], "a": "é\n"}) == '{"a":"é\\n","b":[1,true,null]}'.encode()


def test_keys_sort_by_utf16_code_units():
    # U+1F600 is the surrogate pair D83D DE00 in UTF-16: it sorts before U+FB01 despite its larger code point.
    assert canonical_json({"\ufb01": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ufb01":1}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "0"),
        (100.0, "100"),
        (123.456, "123.456"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
    ],
)
def test_numbers_follow_ecmascript(value, text):
    assert canonical_json(value) == text


@pytest.mark.parametrize("bad", [math.nan, math.inf, {1: "x"}, {"a": {1, 2}}, b"bytes"])
def test_rejects_values_without_a_canonical_form(bad):
    with pytest.raises((TypeError, ValueError)):
        canonical_json(bad)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_round_trip_is_stable_and_equal(value):
    text = canonical_json(value)
    parsed = json.loads(text)
    assert canonical_json(parsed) == text
    assert _numbers_as_floats(parsed) == _numbers_as_floats(value)


def _numbers_as_floats(value):
    """ECMAScript prints integral floats as integers, so compare numbers by value."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {key: _numbers_as_floats(item) for key, item in value.items()}
    return [_numbers_as_floats(item) for item in value]


def test_strings_escape_exactly_as_the_standard_library_does():
    # Every code point but the surrogates, inside a string and as a key: the fast encoder must not
    # change a single byte of what existing audit logs hashed.
    text = "".join(chr(cp) for cp in range(0xD800)) + "".join(chr(cp) for cp in range(0xE000, 0x110000, 97))
    expected = "{" + json.dumps(text, ensure_ascii=False) + ":" + json.dumps(text, ensure_ascii=False) + "}"
    assert canonical_json({text: text}) == expected


def test_lone_surrogates_keep_the_standard_encoding():
    assert canonical_json("a\ud800b") == json.dumps("a\ud800b", ensure_ascii=False)
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes("a\ud800b")
