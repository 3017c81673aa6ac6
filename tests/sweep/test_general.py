"""Patterns outside the compiled subset: the engine (candidates + evaluator) agrees with stix2-matcher
run on every event, including patterns that span events and files."""

from __future__ import annotations

import io
import json
import random

import pytest
from stix2matcher.matcher import MatchListener, Pattern

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, evaluator, sweep

from . import sweep_bruteforce, sweep_gen

MULTI = [
    "[domain-name:value = 'evil.com'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.1']",
    "[domain-name:value = 'good.org'] AND [file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[ipv4-addr:value = '203.0.113.2'] REPEATS 3 TIMES",
    "[ipv4-addr:value = '198.51.100.3'] AND [network-traffic:dst_port = 53] WITHIN 600 SECONDS",
    "[ipv4-addr:value = '45.33.32.1'] START t'2024-03-01T00:00:00Z' STOP t'2024-03-02T00:00:00Z'",
    "[url:value = 'http://other.net/x'] FOLLOWEDBY [url:value = 'http://evil.com/a'] WITHIN 3600 SECONDS",
]
EVENT = [
    "[ipv4-addr:value != '203.0.113.1' AND ipv4-addr:value LIKE '203.0.113.%']",
    "[network-traffic:dst_port >= 8080]",
    "[domain-name:value = 'evil.com' AND url:value = 'http://evil.com/a']",
]


def _events(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    return [sweep_gen.eve_event(rng) for _ in range(n)]


def _expected(files: list[tuple[str, list[dict]]], patterns: list[str]) -> dict[str, set[tuple[str, int]]]:
    bundles, where = [], []
    for name, events in files:
        for line, ev in enumerate(events, 1):
            b = sweep_bruteforce._bundle(
                sweep_bruteforce.eve_objects(ev),
                sweep_bruteforce.stix_time(sweep_bruteforce._us(ev["timestamp"].replace("+0000", "+00:00"))),
            )
            n = len(bundles)
            text = json.dumps(b).replace('--1"', f'--e{n}"')
            text = text.replace('--0"', f'--e{n}x0"')
            for k in range(1, 12):
                text = text.replace(f'--{k}"', f'--e{n}x{k}"')
            bundles.append(json.loads(text))
            where.append((name, line))
    out: dict[str, set[tuple[str, int]]] = {}
    for p in patterns:
        listener = MatchListener(bundles, False, stix_version="2.1")
        Pattern(p, "2.1").walk(listener)
        ids = set()
        for binding in listener.matched():
            for b in listener.get_sdos_from_binding(binding):
                ids.update(o["id"] for o in b["objects"] if o["type"] == "observed-data")
        out[p] = {where[int(i.split("--e")[1])] for i in ids}
    return out


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    d = tmp_path_factory.mktemp("general")
    files = []
    for k, seed in enumerate((7, 8)):
        events = _events(seed, 150)
        p = d / f"eve{k}.json"
        p.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n")
        files.append((str(p), events))
    return files


def test_general_patterns_agree_with_stix2_matcher(case) -> None:  # type: ignore[no-untyped-def]
    patterns = MULTI + EVENT
    inds = [
        {
            "type": "indicator",
            "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
            "pattern": p,
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        }
        for i, p in enumerate(patterns)
    ]
    comp = compile_indicators(inds, FalsePositives.empty())
    assert {g.mode for g in comp.general} == {"multi", "event"} and len(comp.general) == len(patterns)
    out = io.BytesIO()
    evaluator.parsed.cache_clear()
    res = sweep([f for f, _ in case], comp, SweepOptions(fmt="eve"), hits_out=out)
    # stix2-matcher parses each general pattern once per sweep, not once per file or batch
    info = evaluator.parsed.cache_info()
    assert info.misses <= len(patterns) and info.hits > 0, info
    got: dict[str, set[tuple[str, int]]] = {p: set() for p in patterns}
    for raw in out.getvalue().splitlines():
        h = json.loads(raw)
        got[patterns[int(h["indicator"][-12:])]].add((h["file"], h["line"]))
    want = _expected(case, patterns)
    assert sum(1 for p in patterns if want[p]) >= 6  # the data exercises most patterns
    assert got == want
    counts = {comp.ids[i]: c for i, c, _, _ in res.counts.iter_rows()}
    assert counts == {inds[i]["id"]: len(want[p]) for i, p in enumerate(patterns) if want[p]}
