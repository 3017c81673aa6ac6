"""Randomized agreement: the vectorized engine and the brute-force evaluator agree event for event."""

from __future__ import annotations

import io
import json

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, sweep
from accord.sweep.evaluator import stix_time

from . import sweep_bruteforce

_CACHE: dict[tuple[str, bool], dict[str, set[int]]] = {}


def _expected(log, inds, exact=False):  # type: ignore[no-untyped-def]
    """Brute force is slow by design; compute it once per case."""
    key = (str(log), exact)
    if key not in _CACHE:
        _CACHE[key] = sweep_bruteforce.evaluate(str(log), inds, exact_domains=exact)
    return _CACHE[key]


def _engine(log, inds, exact=False, chunk=1 << 16):  # type: ignore[no-untyped-def]
    comp = compile_indicators(inds, FalsePositives.empty())
    out = io.BytesIO()
    res = sweep([str(log)], comp, SweepOptions(exact_domains=exact, chunk_size=chunk), hits_out=out)
    hits: dict[str, set[int]] = {}
    for line in out.getvalue().splitlines():
        h = json.loads(line)
        hits.setdefault(h["indicator"], set()).add(h["line"])
    return comp, res, hits


def test_engine_agrees_with_bruteforce_event_for_event(random_case) -> None:  # type: ignore[no-untyped-def]
    log, inds, _ = random_case
    comp, res, hits = _engine(log, inds)
    expected = _expected(log, inds)
    assert len(expected) > 50  # the random case exercises many indicators
    assert hits == expected
    assert res.problems == []
    assert res.malformed_count == 2


def test_counts_and_first_last_seen_agree(random_case) -> None:  # type: ignore[no-untyped-def]
    log, inds, _ = random_case
    comp, res, _ = _engine(log, inds, chunk=1 << 14)
    expected = _expected(log, inds)
    times = {}
    with open(log, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                ev = json.loads(line)
                times[n] = sweep_bruteforce._us(ev["timestamp"].replace("+0000", "+00:00"))
            except (ValueError, TypeError, KeyError):
                pass
    got = {comp.ids[i]: (c, f, last) for i, c, f, last in res.counts.iter_rows()}
    want = {
        iid: (len(lines), min(times[n] for n in lines), max(times[n] for n in lines))
        for iid, lines in expected.items()
    }
    assert got == want
    assert all(stix_time(v[1]).endswith("Z") for v in got.values())


def test_exact_domains_agree(random_case) -> None:  # type: ignore[no-untyped-def]
    log, inds, _ = random_case
    _, _, hits = _engine(log, inds, exact=True)
    assert hits == _expected(log, inds, True)
    _, _, loose = _engine(log, inds)
    assert hits != loose  # subdomain matching makes a difference on this data
