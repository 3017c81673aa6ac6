"""Each matching rule of docs/sweep.md, on small hand-written logs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, sweep

T0 = "2024-03-01T10:00:00.000000+0000"


def ind(pattern: str, n: int = 0, **extra: object) -> dict:
    base = {
        "type": "indicator",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    return {**base, **extra}


def run(tmp_path: Path, events: list[dict], indicators: list[dict], fp=None, **opts):  # type: ignore[no-untyped-def]
    """Sweep and return ({pattern: sorted lines}, result, compiled)."""
    p = tmp_path / "eve.json"
    p.write_text("\n".join(json.dumps({"timestamp": T0, **e}) for e in events) + "\n")
    for i, x in enumerate(indicators):
        x.setdefault("id", f"indicator--00000000-0000-4000-8000-{i:012d}")
        x["id"] = f"indicator--00000000-0000-4000-8000-{i:012d}"
    comp = compile_indicators(indicators, fp or FalsePositives.empty())
    out = io.BytesIO()
    res = sweep([str(p)], comp, SweepOptions(**{"fmt": "eve", **opts}), hits_out=out)
    by_id = {x["id"]: x["pattern"] for x in indicators}
    lines: dict[str, list[int]] = {}
    for raw in out.getvalue().splitlines():
        h = json.loads(raw)
        lines.setdefault(by_id[h["indicator"]], []).append(h["line"])
    return {k: sorted(v) for k, v in lines.items()}, res, comp


def one(tmp_path: Path, events: list[dict], pattern: str, **opts) -> list[int]:  # type: ignore[no-untyped-def]
    got, _, _ = run(tmp_path, events, [ind(pattern)], **opts)
    return got.get(pattern, [])


IPS = [
    {"src_ip": "203.0.113.5", "dest_ip": "198.51.100.1"},
    {"src_ip": "198.51.100.2", "dest_ip": "203.0.113.200"},
    {"src_ip": "2001:db8::1", "dest_ip": "192.0.2.1"},
    {"src_ip": "192.0.2.1", "dest_ip": "2001:DB8:0::0:2"},
]


@pytest.mark.parametrize(
    ("pattern", "lines"),
    [
        ("[ipv4-addr:value = '203.0.113.5']", [1]),
        ("[ipv4-addr:value = '203.0.113.0/24']", [1, 2]),
        ("[ipv4-addr:value ISSUBSET '198.51.100.0/31']", [1]),
        ("[ipv4-addr:value IN ('192.0.2.1', '203.0.113.200')]", [2, 3, 4]),
        ("[ipv6-addr:value = '2001:0DB8::0001']", [3]),
        ("[ipv6-addr:value ISSUBSET '2001:db8::/126']", [3, 4]),
        ("[ipv4-addr:value = '2001:db8::1']", []),
        ("[network-traffic:src_ref.value = '203.0.113.0/24']", [1]),
        ("[network-traffic:dst_ref.value = '203.0.113.0/24']", [2]),
    ],
)
def test_addresses_match_as_source_or_destination(tmp_path: Path, pattern: str, lines: list[int]) -> None:
    assert one(tmp_path, IPS, pattern) == lines


def test_nested_and_overlapping_cidrs_each_count(tmp_path: Path) -> None:
    pats = [
        "[ipv4-addr:value = '203.0.113.0/24']",
        "[ipv4-addr:value = '203.0.113.0/25']",
        "[ipv4-addr:value = '203.0.0.0/16']",
        "[ipv4-addr:value = '203.0.113.4/30']",
    ]
    got, res, comp = run(tmp_path, IPS, [ind(p) for p in pats])
    assert got == {pats[0]: [1, 2], pats[1]: [1], pats[2]: [1, 2], pats[3]: [1]}
    assert res.counts["count"].to_list() == [2, 1, 2, 1]


DOMS = [
    {"dns": {"rrname": "evil.com"}},
    {"dns": {"rrname": "A.B.Evil.COM."}},
    {"tls": {"sni": "notevil.com"}},
    {"http": {"hostname": "cdn.bücher.de", "url": "/"}},
    {"http": {"hostname": "x", "url": "http://www.evil.com/p"}},
]


@pytest.mark.parametrize(
    ("pattern", "exact", "lines"),
    [
        ("[domain-name:value = 'evil.com']", False, [1, 2, 5]),
        ("[domain-name:value = 'EVIL.com.']", True, [1]),
        ("[domain-name:value = 'b.evil.com']", False, [2]),
        ("[domain-name:value = 'xn--bcher-kva.de']", False, [4]),
        ("[domain-name:value = 'cdn.Bücher.de']", True, [4]),
        ("[domain-name:value LIKE '%.evil.com']", False, [2, 5]),
        ("[domain-name:value MATCHES '^not']", False, [3]),
    ],
)
def test_domains(tmp_path: Path, pattern: str, exact: bool, lines: list[int]) -> None:
    assert one(tmp_path, DOMS, pattern, exact_domains=exact) == lines


URLS = [
    {"http": {"hostname": "Evil.com", "url": "/a/%7Euser"}},
    {"http": {"hostname": "x", "url": "HTTP://EVIL.COM:80/a/~user#top"}},
    {"http": {"hostname": "evil.com", "url": "/a/%7euser?x=1"}},
    {"http": {"hostname": "evil.com:8080", "url": "/"}},
]


@pytest.mark.parametrize(
    ("pattern", "lines"),
    [
        ("[url:value = 'http://evil.com/a/~user']", [1, 2]),
        ("[url:value = 'http://EVIL.com/a/%7Euser#x']", [1, 2]),
        ("[url:value = 'http://evil.com:8080']", [4]),
        ("[url:value LIKE 'http://evil.com/a/%']", [1, 2, 3]),
        ("[url:value MATCHES 'x=[0-9]$']", [3]),
    ],
)
def test_urls(tmp_path: Path, pattern: str, lines: list[int]) -> None:
    assert one(tmp_path, URLS, pattern) == lines


def test_hashes_are_case_insensitive(tmp_path: Path) -> None:
    events = [{"fileinfo": {"md5": "D41D8CD98F00B204E9800998ECF8427E"}}, {"fileinfo": {"sha256": "AB" * 32}}]
    assert one(tmp_path, events, "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']") == [1]
    assert one(tmp_path, events, f"[file:hashes.'SHA-256' = '{'ab' * 32}']") == [2]


def test_email_via_map(tmp_path: Path) -> None:
    p = tmp_path / "mail.ndjson"
    p.write_text('{"@timestamp": "2024-03-01T10:00:00Z", "sender": "Mallory@Evil.COM"}\n')
    comp = compile_indicators([ind("[email-addr:value = 'mallory@evil.com']")], FalsePositives.empty())
    res = sweep([str(p)], comp, SweepOptions(fmt="ndjson", mapping={"sender": "email"}))
    assert res.counts["count"].to_list() == [1]


NT = [
    {"src_ip": "10.1.1.1", "dest_ip": "203.0.113.9", "src_port": 40000, "dest_port": 443},
    {"src_ip": "203.0.113.9", "dest_ip": "10.1.1.1", "src_port": 443, "dest_port": 40000},
    {"src_ip": "10.1.1.1", "dest_ip": "203.0.113.9", "src_port": 40001, "dest_port": 80},
]


@pytest.mark.parametrize(
    ("pattern", "lines"),
    [
        ("[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]", [1]),
        ("[network-traffic:dst_port IN (80, 443)]", [1, 3]),
        ("[network-traffic:src_port = 443 OR network-traffic:dst_port = 80]", [2, 3]),
        # AND binds to one object: the source and destination are different ipv4-addr objects
        ("[ipv4-addr:value = '10.1.1.1' AND ipv4-addr:value = '203.0.113.9']", []),
        ("[ipv4-addr:value = '203.0.113.9' AND ipv4-addr:value ISSUBSET '203.0.113.0/24']", [1, 2, 3]),
        ("[ipv4-addr:value = '10.1.1.1'] OR [network-traffic:dst_port = 80]", [1, 2, 3]),
    ],
)
def test_network_traffic_and_boolean_operators(tmp_path: Path, pattern: str, lines: list[int]) -> None:
    assert one(tmp_path, NT, pattern) == lines


def test_validity_window_and_revocation(tmp_path: Path) -> None:
    events = [
        {"timestamp": f"2024-03-0{d}T00:00:00.000000+0000", "src_ip": "203.0.113.1"} for d in (1, 2, 3, 4)
    ]
    p = "[ipv4-addr:value = '203.0.113.1']"
    inds = [
        ind(p, valid_from="2024-03-02T00:00:00Z", valid_until="2024-03-04T00:00:00Z"),
        ind(p, revoked=True),
        ind(p, valid_from="2024-03-03T00:00:00.000001Z"),
    ]
    got, res, comp = run(tmp_path, events, inds)
    counts = {comp.ids[i]: (c, f, last) for i, c, f, last in res.counts.iter_rows()}
    assert counts == {
        inds[0]["id"]: (2, 1709337600000000, 1709424000000000),
        inds[2]["id"]: (1, 1709510400000000, 1709510400000000),
    }
    assert comp.skipped == {"revoked": 1}


def test_false_positive_list(tmp_path: Path) -> None:
    events = [{"src_ip": "10.0.0.1", "dest_ip": "8.8.8.8", "dns": {"rrname": "www.google.com"}}]
    pats = [
        "[ipv4-addr:value = '10.0.0.0/8']",
        "[ipv4-addr:value = '10.1.0.0/16']",
        "[ipv4-addr:value = '8.8.8.8']",
        "[domain-name:value = 'google.com']",
        "[ipv4-addr:value = '0.0.0.0/0']",
        "[network-traffic:src_ref.value = '10.0.0.1' AND network-traffic:dst_port = 53]",
        "[ipv4-addr:value = '8.8.8.8' OR domain-name:value = 'www.google.com']",
    ]
    events[0]["dest_port"] = 53
    got, _, comp = run(tmp_path, events, [ind(p) for p in pats], fp=FalsePositives.load())
    assert set(got) == {
        pats[4],
        pats[5],
    }  # 0.0.0.0/0 is not inside a listed range; an AND with a port still counts
    assert comp.skipped == {"false-positive": 5}
    custom = tmp_path / "fp.json"
    custom.write_text(json.dumps({"cidrs": ["0.0.0.0/0"], "domains": []}))
    got, _, _ = run(tmp_path, events, [ind(p) for p in pats], fp=FalsePositives.load(custom))
    assert set(got) == {pats[3], pats[5], pats[6]}


def test_invalid_and_unsupported_patterns_are_reported_by_id(tmp_path: Path) -> None:
    inds = [
        ind("[ipv4-addr:value = "),
        ind("[ipv4-addr:value = '1.2.3.4']", pattern_type="sigma"),
        ind("[ipv4-addr:value = '203.0.113.1']"),
    ]
    _, res, comp = run(tmp_path, [{"src_ip": "203.0.113.1"}], inds)
    reasons = {p.indicator_id: p.reason for p in res.problems}
    assert set(reasons) == {inds[0]["id"], inds[1]["id"]}
    assert "does not parse" in reasons[inds[0]["id"]] and "sigma" in reasons[inds[1]["id"]]
    assert res.counts["count"].to_list() == [1]


def test_padded_and_odd_address_text_with_ranges_and_exact_values(tmp_path: Path) -> None:
    """With CIDR indicators, addresses get an integer form; padded text is stripped first, text that is
    no canonical dotted quad never falls in a range, and IPv6 text is compared in canonical form."""
    events = [
        {"src_ip": " 203.0.113.7", "dest_ip": "203.0.113.7\t"},
        {"src_ip": "203.0.113.007"},
        {"src_ip": "203.0.113.300"},
        {"src_ip": "::ffff:203.0.113.7"},
        {"src_ip": "2001:DB8::7"},
        {"src_ip": ""},
        {"src_ip": "203.0.113.7"},
    ]
    got, _, _ = run(
        tmp_path,
        events,
        [
            ind("[ipv4-addr:value = '203.0.113.0/24']"),
            ind("[ipv4-addr:value = '203.0.113.7']"),
            ind("[ipv6-addr:value = '2001:db8::7']"),
        ],
    )
    assert got == {
        "[ipv4-addr:value = '203.0.113.0/24']": [1, 7],
        "[ipv4-addr:value = '203.0.113.7']": [1, 7],
        "[ipv6-addr:value = '2001:db8::7']": [5],
    }
