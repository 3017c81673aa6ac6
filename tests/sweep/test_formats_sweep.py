"""Each log format end to end: an indicator on each kind of field is sighted with the right line and time."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, sweep
from accord.sweep.formats import parse_map

from .test_readers import ZEEK_HTTP

PATTERNS = [
    "[domain-name:value = 'evil.com']",
    "[url:value = 'http://evil.com/payload.bin']",
    "[network-traffic:dst_ref.value = '203.0.113.0/24' AND network-traffic:dst_port = 80]",
    "[ipv4-addr:value = '198.51.100.7']",
    "[email-addr:value = 'mallory@evil.com']",
]
COMBINED = (
    '198.51.100.7 - - [01/Mar/2024:11:00:00 +0100] "GET http://evil.com/payload.bin HTTP/1.1" 200 5 "-" "x"\n'
    '192.0.2.1 - - [01/Mar/2024:11:00:01 +0100] "GET / HTTP/1.1" 200 5 "http://a.evil.com/" "x"\n'
)
CSV = (
    "time,src_ip,dst_ip,dst_port,query,mail\n"
    "2024-03-01T10:00:00Z,10.0.0.1,203.0.113.4,80,x.evil.com,Mallory@Evil.com\n"
)
NDJSON = json.dumps(
    {
        "@timestamp": "2024-03-01T10:00:00.5Z",
        "source": {"ip": "198.51.100.7"},
        "url": {"full": "http://EVIL.com/payload.bin"},
    }
)


def _sweep(path: Path, **opts) -> dict[str, list[tuple[int, str]]]:  # type: ignore[no-untyped-def]
    inds = [
        {"type": "indicator", "id": f"indicator--00000000-0000-4000-8000-{i:012d}", "pattern": p,
         "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"}
        for i, p in enumerate(PATTERNS)
    ]  # fmt: skip
    comp = compile_indicators(inds, FalsePositives.empty())
    out = io.BytesIO()
    sweep([str(path)], comp, SweepOptions(**opts), hits_out=out)
    got: dict[str, list[tuple[int, str]]] = {}
    for raw in out.getvalue().splitlines():
        h = json.loads(raw)
        got.setdefault(PATTERNS[int(h["indicator"][-12:])], []).append((h["line"], h["time"]))
    return got


Z = "2024-03-01T10:00:00.250000Z"
C0, C1 = "2024-03-01T10:00:00Z", "2024-03-01T10:00:01Z"
H = "2024-03-01T10:00:00.500000Z"
CASES = [
    ("http.log", ZEEK_HTTP, {}, {0: [(8, Z)], 1: [(8, Z)], 2: [(8, Z)]}),
    ("access.log", COMBINED, {}, {0: [(1, C0), (2, C1)], 1: [(1, C0)], 3: [(1, C0)]}),
    (
        "fw.csv",
        CSV,
        {"mapping": parse_map(["mail=email-addr:value"])},
        {0: [(2, C0)], 2: [(2, C0)], 4: [(2, C0)]},
    ),
    ("app.ndjson", NDJSON + "\n", {}, {0: [(1, H)], 1: [(1, H)], 3: [(1, H)]}),
]


@pytest.mark.parametrize(("name", "text", "opts", "expected"), CASES)
def test_format_end_to_end(tmp_path: Path, name: str, text: str, opts: dict, expected: dict) -> None:
    p = tmp_path / name
    p.write_text(text)
    assert _sweep(p, **opts) == {PATTERNS[k]: v for k, v in expected.items()}
