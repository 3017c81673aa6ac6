"""Patterns spanning events: the candidate limit is an option, counted over all files, and reported."""

from __future__ import annotations

import io
import json
from pathlib import Path

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, sweep

PATTERN = "[domain-name:value = 'evil.com'] FOLLOWEDBY [domain-name:value = 'evil.com']"


def _logs(tmp_path: Path) -> list[str]:
    out = []
    for k in range(2):
        p = tmp_path / f"eve{k}.json"
        events = [
            {
                "timestamp": f"2024-03-01T10:00:{n:02d}+0000",
                "event_type": "dns",
                "dns": {"rrname": "evil.com"},
            }
            for n in range(30)
        ]
        p.write_text("\n".join(json.dumps(e) for e in events) + "\n")
        out.append(str(p))
    return out


def _ind() -> dict:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "pattern": PATTERN,
        "pattern_type": "stix",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "valid_from": "2024-01-01T00:00:00Z",
    }


def test_over_the_limit_is_reported_never_dropped_silently(tmp_path: Path) -> None:
    comp = compile_indicators([_ind()], FalsePositives.empty())
    logs = _logs(tmp_path)
    # 30 candidates per file: under the limit in each file, over it together
    res = sweep(logs, comp, SweepOptions(fmt="eve", max_candidates=50))
    assert res.counts.is_empty()
    assert [(p.indicator_id, p.reason.split(":")[0]) for p in res.problems] == [
        (comp.ids[0], "more than 50 candidate events for a pattern spanning events")
    ]
    res = sweep(logs[:1], comp, SweepOptions(fmt="eve", max_candidates=20))  # over it in one file
    assert len(res.problems) == 1 and "more than 20" in res.problems[0].reason


def test_raising_the_limit_evaluates_the_pattern(tmp_path: Path) -> None:
    comp = compile_indicators([_ind()], FalsePositives.empty())
    out = io.BytesIO()
    res = sweep(_logs(tmp_path), comp, SweepOptions(fmt="eve", max_candidates=60), hits_out=out)
    assert res.problems == []
    assert res.counts["count"].to_list() == [60]
    assert out.getvalue().count(b"\n") == 60
