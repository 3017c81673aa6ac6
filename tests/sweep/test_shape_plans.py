"""Shape plans: a pattern compiled through the plan of another pattern of its shape gets what the walk gives.

Pairs of one shape are made from the fuzzed corpus of test_pattern_parser: a pattern, then the same text
with each constant replaced by another of its kind (strings that are addresses, CIDRs of both versions,
domains, URLs, LIKE/MATCHES texts, bad regexes; ports out of range; valid and invalid timestamps; empty
and full hex), spacing kept. The plan is built from the first, then applied to the second.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.stix import pattern_parser
from accord.sweep import patterns
from accord.sweep.patterns import Compiled

from .test_pattern_parser import messy_pattern

_STRINGS = [
    "''",
    "'1.2.3.4'",
    "'10.0.0.0/8'",
    "'10.0.0.1/32'",
    "'2001:db8::/32'",
    "'::1'",
    "'Example.COM.'",
    "'.'",
    "'http://A.b:80/%7e/../x'",
    "'o\\'neil@x.org'",
    "'%.com'",
    "'a_c'",
    "'[a-z'",
    "'(unclosed'",
    "'SHA-256'",
    "'D41D8CD98F00B204E9800998ECF8427E'",
    "'\\\\'",
]
_NUMBERS = {"INT": ["0", "1", "80", "65536", "99999999999"], "INT-": ["-1", "-80"]}
_NUMBERS |= {"FLOAT": ["1.5", "0.0", ".5"], "FLOAT-": ["-1.5"]}
_OTHERS = {
    "TS": ["t'2024-03-01T00:00:00Z'", "t'2024-02-30T00:00:00Z'", "t'2024-03-01T12:00:00.5Z'"],
    "HEX": ["h''", "h'ab'", "h'00ff'"],
    "BIN": ["b'AAAA'", "b'AA=='"],
    "BOOL": ["true", "false"],
}


def respelled(pattern: str, rng: random.Random) -> str | None:
    """The pattern with each constant replaced by another of its kind (and sign), or None (no constant)."""
    kinds, texts, starts = pattern_parser.tokenize(pattern)
    out, last, changed = [], 0, False
    for i, (kind, text, start) in enumerate(zip(kinds, texts, starts, strict=True)):
        prev = kinds[i - 1] if i else None
        if kind == "STR" and prev not in (":", "."):
            new = rng.choice(_STRINGS)
        elif kind in ("INT", "FLOAT") and prev != "[":
            new = rng.choice(_NUMBERS[kind + ("-" if text[0] == "-" else "")])
        elif kind in _OTHERS:
            new = rng.choice(_OTHERS[kind])
        else:
            continue
        out += [pattern[last:start], new]
        last, changed = start + len(text), True
    return "".join(out) + pattern[last:] if changed else None


def _by_walk(pattern: str) -> Compiled:
    try:
        tree = pattern_parser.parse(pattern)
    except pattern_parser.PatternSyntaxError as exc:
        return Compiled("invalid", reason=f"pattern does not parse: {exc}")
    return patterns._compile_walk(tree)


def _plan_of(pattern: str) -> patterns._Plan | None:
    """The plan compile_pattern builds for the pattern's shape (it builds one at the second pattern)."""
    patterns.clear_shape_plans()
    for _ in range(2):
        patterns.compile_pattern(pattern)
    shaped = pattern_parser.shape(pattern)
    plan = patterns._PLANS.get(shaped[0]) if shaped else None
    return plan if type(plan) is patterns._Plan else None


def check_pair(pattern: str, rng: random.Random) -> str:
    """Compile a respelling of the pattern through the pattern's plan; returns what was exercised."""
    other = respelled(pattern, rng)
    if other is None:
        return "no constant"
    first, second = pattern_parser.shape(pattern), pattern_parser.shape(other)
    if first is None or second is None or first[0] != second[0]:
        return "other shape"
    want = _by_walk(other)
    # one shape, one grammar answer: a plan is never used for a pattern that would not parse
    assert (want.reason.startswith("pattern does not parse")) == (
        _by_walk(pattern).reason.startswith("pattern does not parse")
    ), (pattern, other)
    plan = _plan_of(pattern)
    if plan is None:
        return "no plan"
    assert patterns._run_plan(plan, second[1]) == want, (pattern, other)
    assert patterns.compile_pattern(other) == want, (pattern, other)  # the fast paths agree, too
    return f"plan-{want.mode}"


@settings(
    max_examples=1500,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(messy_pattern(), st.randoms(use_true_random=False))
def test_a_plan_compiles_its_shape_as_the_walk_does(pattern: str, rng: random.Random) -> None:
    check_pair(pattern, rng)


def test_pairs_exercise_every_mode() -> None:
    """The pairs above reach plans of each mode that a fuzzed pattern reaches."""
    stats: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    rng = random.Random(5)

    @settings(max_examples=600, derandomize=True, deadline=None, database=None)
    @given(messy_pattern())
    def collect(pattern: str) -> None:
        outcome = check_pair(pattern, rng)
        stats[outcome] += 1
        if outcome.startswith("plan-"):
            reasons[_by_walk(pattern).reason.split(":")[0][:30]] += 1

    collect()
    for mode in (
        "simple",
        "event",
        "multi",
    ):  # invalid (a bad MATCHES regex): test_plan_follows_the_constants
        assert stats[f"plan-{mode}"] >= 20, (stats, reasons)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # a timestamp the grammar takes but stix2 refuses (30 February): the plan checks each value
        ("[x:a = t'2024-03-01T00:00:00Z']", "[x:a = t'2024-02-30T00:00:00Z']"),
        (
            "[ipv4-addr:value = '1.2.3.4'] START t'2024-03-01T00:00:00Z' STOP t'2024-03-02T00:00:00Z'",
            "[ipv4-addr:value = '1.2.3.4'] START t'2024-03-01T00:00:00Z' STOP t'2024-02-30T00:00:00Z'",
        ),
        ("[x:a = h'ab']", "[x:a = h'']"),
        # an empty domain empties the AND: the negated comparison after it is never looked at
        (
            "[domain-name:value = 'a.com' AND domain-name:value NOT LIKE 'x']",
            "[domain-name:value = '' AND domain-name:value NOT LIKE 'x']",
        ),
        # a bad regular expression makes the pattern invalid; a good one compiles
        (
            "[url:value MATCHES '^http' OR domain-name:value = 'a.com']",
            "[url:value MATCHES '(' OR domain-name:value = 'a.com']",
        ),
        # CIDRs of the other version give no atom for the kind, an IPv6 CIDR for ipv4-addr none either
        # (with MATCHES, or IN inside parentheses with AND: shapes no regex fast path takes)
        (
            "[(ipv4-addr:value ISSUBSET '10.0.0.0/8' OR ipv4-addr:value MATCHES '^1')]",
            "[(ipv4-addr:value ISSUBSET '2001:db8::/32' OR ipv4-addr:value MATCHES '^1')]",
        ),
        (
            "[(network-traffic:dst_port IN (80, 443) AND network-traffic:dst_ref.value = '1.2.3.4')]",
            "[(network-traffic:dst_port IN (8080, 8443) AND network-traffic:dst_ref.value = '10.0.0.0/30')]",
        ),
        ("[x:a = 1] WITHIN 1.5 SECONDS", "[x:a = 1] WITHIN 2.5 SECONDS"),
    ],
)
def test_plan_follows_the_constants(first: str, second: str) -> None:
    assert pattern_parser.shape(first)[0] == pattern_parser.shape(second)[0]  # type: ignore[index]
    assert _plan_of(first) is not None
    assert patterns.compile_pattern(second) == _by_walk(second)
    assert patterns.compile_pattern(second) != _by_walk(first) or first == second


_GAPS = ["", "", " ", "  ", "\n", "\t", "/* c */", "/**/", "// x\n", "\u3000", " /* a */ "]


def respaced(pattern: str, rng: random.Random) -> str:
    """The pattern's tokens (constants respelled as in `respelled`) joined by other gaps, often none: so
    that names, numbers and operators sometimes run into each other and read as other tokens."""
    text = respelled(pattern, rng) or pattern
    _, texts, _ = pattern_parser.tokenize(text)
    return "".join(tok + rng.choice(_GAPS) for tok in texts[:-1])


def _tokens_but_constants(pattern: str) -> list[tuple[str, str]]:
    kinds, texts, _ = pattern_parser.tokenize(pattern)
    out = []
    for i, (kind, text) in enumerate(zip(kinds, texts, strict=True)):
        prev = kinds[i - 1] if i else None
        constant = kind in ("INT", "FLOAT", "TS", "HEX", "BIN", "BOOL") or kind == "STR"
        if kind == "STR" and prev in (":", ".") or kind == "INT" and prev == "[":
            constant = False
        sign = text[:1] == "-" if kind in ("INT", "FLOAT") else False
        out.append((kind, f"sign {sign}" if constant else text))
    return out


@settings(
    max_examples=1500,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(messy_pattern(), st.randoms(use_true_random=False))
def test_a_shape_regex_matches_only_texts_of_its_shape(pattern: str, rng: random.Random) -> None:
    """What a shape's regex matches tokenizes as the shape's pattern but for the constants, and compiles
    through the plan as the walk compiles it."""
    found = pattern_parser.shape_matcher(pattern)
    if found is None:
        return
    rx, kinds = found
    m = rx.fullmatch(pattern)
    assert m is not None and len(m.groups()) == len(kinds), pattern
    for _ in range(3):
        other = respaced(pattern, rng)
        m = rx.fullmatch(other)
        if m is None:
            continue
        assert _tokens_but_constants(other) == _tokens_but_constants(pattern), (pattern, other)
        if _plan_of(pattern) is not None:
            assert patterns.compile_pattern(other) == _by_walk(other), (pattern, other)


def test_shape_regexes_take_most_respacings_and_refuse_merged_tokens() -> None:
    base = "[domain-name:value = 'a.com' AND x:n = 1] OR [ipv4-addr:value <= 'x'] WITHIN 5 SECONDS"
    rx, kinds = pattern_parser.shape_matcher(base)  # type: ignore[misc]
    assert kinds == ("STR", "INT", "STR", "INT")
    spaced = "[domain-name:value='b.org'AND x:n=22]OR/* c */[ipv4-addr:value<='y']\nWITHIN 6 SECONDS "
    assert rx.fullmatch(spaced).groups() == ("'b.org'", "22", "'y'", "6")  # type: ignore[union-attr]
    for merged in (
        "[domain-name:value = 'a.com' ANDx:n = 1] OR [ipv4-addr:value <= 'x'] WITHIN 5 SECONDS",  # a name
        "[domain-name:value = 'a.com' AND x:n = 1] OR [ipv4-addr:value < = 'x'] WITHIN 5 SECONDS",  # < =
        "[domain-name:value = 'a.com' AND x:n = 1.5] OR [ipv4-addr:value <= 'x'] WITHIN 5 SECONDS",  # float
        "[domain-name:value = 'a.com' AND x:n = -1] OR [ipv4-addr:value <= 'x'] WITHIN 5 SECONDS",  # sign
    ):
        assert rx.fullmatch(merged) is None, merged
    assert rx.fullmatch(base.replace("5 SECONDS", "5SECONDS"))  # a number then a keyword: the same tokens
    # the name `h` then a string: with no gap between them the lexer reads a hex constant
    rx, _ = pattern_parser.shape_matcher("[h 'ab']")  # type: ignore[misc]
    assert rx.fullmatch("[h  'cd']") is not None and rx.fullmatch("[h'cd']") is None
    assert rx.fullmatch("[h'c']") is not None  # not hex digits in pairs: a name and a string again


def _key(pattern: str) -> object:
    shaped = pattern_parser.shape(pattern)
    return None if shaped is None else shaped[0]


def test_spacing_and_comments_are_not_in_the_shape() -> None:
    a = pattern_parser.shape("[domain-name:value = 'a.com' AND domain-name:value LIKE '%.com']")
    b = pattern_parser.shape("[ domain-name:value='b.org'/* c */AND\n\tdomain-name:value  LIKE  '%.org' ]")
    assert a is not None and b is not None and a[0] == b[0]
    assert b[1] == ["b.org", "%.org"]
    # names, quoted property names, list indexes and signs are
    assert _key("[file:hashes.'SHA-256' = 'a']") != _key("[file:hashes.'MD5' = 'a']")
    assert _key("[x:a[0] = 1]") != _key("[x:a[1] = 1]")
    assert _key("[x:a = 1] WITHIN 5 SECONDS") != _key("[x:a = 1] WITHIN -5 SECONDS")
    assert _key("[x:a = 1] \x1c") is None  # no token starts with \x1c


def test_shapes_are_bounded() -> None:
    patterns.clear_shape_plans()
    for i in range(patterns.MAX_SHAPES + 50):
        patterns.compile_pattern(f"[x:a{i} = 1 AND x:b = 2]")
    assert len(patterns._PLANS) == patterns.MAX_SHAPES
    patterns.clear_shape_plans()
