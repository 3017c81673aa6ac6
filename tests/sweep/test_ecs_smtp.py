"""ECS JSON lines with dotted, nested or mixed keys; Suricata SMTP/email records and other EVE fields."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, read_log, sweep


def _ind(n: int, pattern: str) -> dict:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "pattern": pattern,
        "pattern_type": "stix",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "valid_from": "2024-01-01T00:00:00Z",
    }


def _sweep(path: Path, patterns: list[str], **opts) -> dict[str, list[tuple[int, str, str]]]:  # type: ignore[no-untyped-def]
    comp = compile_indicators([_ind(i, p) for i, p in enumerate(patterns)], FalsePositives.empty())
    out = io.BytesIO()
    res = sweep([str(path)], comp, SweepOptions(**opts), hits_out=out)
    assert res.problems == []
    got: dict[str, list[tuple[int, str, str]]] = {}
    for h in map(json.loads, out.getvalue().splitlines()):
        pat = patterns[comp.ids.index(h["indicator"])]
        got.setdefault(pat, []).append((h["line"], h["field"], h["value"]))
    return got


ECS_LINES = [
    {"@timestamp": "2024-03-01T10:00:00Z", "source.ip": "203.0.113.7", "url.full": "http://Evil.example/a"},
    {
        "@timestamp": "2024-03-01T10:00:01Z",
        "source": {"ip": "203.0.113.7"},
        "url": {"full": "http://evil.example/a"},
    },
    {"@timestamp": "2024-03-01T10:00:02Z", "source": {"ip": "198.51.100.1"}, "url.domain": "b.evil.example"},
    {"@timestamp": "2024-03-01T10:00:03Z", "file": {"hash.md5": "D41D8CD98F00B204E9800998ECF8427E"}},
    {"@timestamp": "2024-03-01T10:00:04Z", "dns.question": {"name": "evil.example."}, "source.port": 5},
    {
        "@timestamp": "2024-03-01T10:00:05Z",
        "email.from.address": ["Boss@Evil.example"],
        "user.email": "x@y.z",
    },
]
ECS_PATTERNS = [
    "[ipv4-addr:value = '203.0.113.7']",
    "[url:value = 'http://evil.example/a']",
    "[domain-name:value = 'evil.example']",
    "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
    "[email-addr:value = 'boss@evil.example']",
]


@pytest.mark.parametrize("bad", [False, True], ids=["whole-file", "line-by-line"])
def test_ecs_dotted_nested_and_mixed_keys(tmp_path: Path, bad: bool) -> None:
    lines = [json.dumps(e) for e in ECS_LINES]
    if bad:  # a malformed line sends its chunk through the line-by-line reader, which must agree
        lines.insert(0, "{oops")
    p = tmp_path / "ecs.ndjson"
    p.write_text("\n".join(lines) + "\n")
    shift = 1 if bad else 0
    got = _sweep(p, ECS_PATTERNS)
    assert got == {
        ECS_PATTERNS[0]: [(1 + shift, "source.ip", "203.0.113.7"), (2 + shift, "source.ip", "203.0.113.7")],
        ECS_PATTERNS[1]: [
            (1 + shift, "url.full", "http://evil.example/a"),
            (2 + shift, "url.full", "http://evil.example/a"),
        ],
        ECS_PATTERNS[2]: [
            (1 + shift, "url.full", "evil.example"),
            (2 + shift, "url.full", "evil.example"),
            (3 + shift, "url.domain", "b.evil.example"),
            (5 + shift, "dns.question.name", "evil.example"),
        ],
        ECS_PATTERNS[3]: [(4 + shift, "file.hash.md5", "d41d8cd98f00b204e9800998ecf8427e")],
        ECS_PATTERNS[4]: [(6 + shift, "email.from.address", "boss@evil.example")],
    }


def test_ecs_auto_detected_and_read_with_both_spellings(tmp_path: Path) -> None:
    p = tmp_path / "ecs.ndjson"
    p.write_text("\n".join(json.dumps(e) for e in ECS_LINES[:3]) + "\n")
    (batch,) = list(read_log(str(p)))
    assert batch.frame["source.ip"].to_list() == ["203.0.113.7", "203.0.113.7", "198.51.100.1"]
    assert batch.frame["url.full"].to_list() == ["http://Evil.example/a", "http://evil.example/a", None]


SMTP = {
    "timestamp": "2024-03-01T10:00:00.000001+0000",
    "event_type": "smtp",
    "src_ip": "192.0.2.10",
    "dest_ip": "192.0.2.25",
    "smtp": {
        "helo": "mx",
        "mail_from": "<Phish@Evil.example>",
        "rcpt_to": ["<a@corp.example>", "<b@corp.example>"],
    },
    "email": {"status": "PARSE_DONE", "from": '"Evil, Inc." <ceo@evil.example>', "to": ["<a@corp.example>"]},
}
OTHER = [
    {
        "timestamp": "2024-03-01T10:00:01+0000",
        "event_type": "http",
        "http": {"hostname": "corp.example", "url": "/", "http_refer": "http://evil.example/landing"},
    },
    {"timestamp": "2024-03-01T10:00:02+0000", "event_type": "quic", "quic": {"sni": "c2.evil.example"}},
]


def test_eve_smtp_and_email_records_give_email_addresses(tmp_path: Path) -> None:
    p = tmp_path / "eve.json"
    p.write_text("\n".join(json.dumps(e) for e in [SMTP, *OTHER]) + "\n")
    pats = [
        "[email-addr:value = 'phish@evil.example']",
        "[email-addr:value = 'b@corp.example']",
        "[email-addr:value = 'ceo@evil.example']",
        # two recipients are two objects: AND on one object cannot take one from each
        "[email-addr:value = 'a@corp.example' AND email-addr:value = 'b@corp.example']",
        "[email-addr:value LIKE '%@corp.example']",
        "[url:value = 'http://evil.example/landing']",
        "[domain-name:value = 'evil.example']",
    ]
    got = _sweep(p, pats)
    assert got == {
        pats[0]: [(1, "smtp.mail_from", "phish@evil.example")],
        pats[1]: [(1, "smtp.rcpt_to", "b@corp.example")],
        pats[2]: [(1, "email.from", "ceo@evil.example")],
        pats[4]: [(1, "email.to", "a@corp.example")],
        pats[5]: [(2, "http.http_refer", "http://evil.example/landing")],
        pats[6]: [(2, "http.http_refer", "evil.example"), (3, "quic.sni", "c2.evil.example")],
    }
