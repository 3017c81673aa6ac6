"""Messy feeds (issue #12): the sweep against the brute-force reference on the shapes real feeds and
logs have, as `python bench/sweep_bench.py --messy` generates them at scale.

Patterns: upper/mixed-case schemes and hosts, non-default ports, escapes and dot segments, `ISSUBSET`,
`AND` inside one observation, `OR` inside one and across observations (a domain OR a URL on it: the
first/last-seen case), extra spaces, tabs and newlines, quoted and unquoted hash keys, upper-case hex,
a missing `valid_from`. Events: mixed-case and `www.` hostnames, requests to port 8888 with `dest_port`
8888 and no `http_port` (or with one), missing fields (no hostname, rrname or ports), times out of order.
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, sweep

from . import sweep_bruteforce

HOSTS = ["evil.example", "a.evil.example", "other.test"]
PATHS = ["/a", "/p3/index.html", "/~u/x"]
IPS = [f"203.0.113.{i}" for i in range(6)] + ["198.51.100.1", "198.51.100.9"]
CIDRS = ["203.0.113.0/29", "203.0.113.4/30", "203.0.113.1/30", "198.51.100.0/24", "203.0.113.5/32"]
MD5 = ["d41d8cd98f00b204e9800998ecf8427e", "0123456789abcdef0123456789abcdef"]
SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
WS = st.sampled_from(["", " ", "  ", "\t", "\n", " \r\n\t "])
WS1 = st.sampled_from([" ", "  ", "\t", "\n", " \r\n\t "])  # around AND/OR, which need one
T0 = datetime(2024, 3, 1, tzinfo=UTC).timestamp()


def _ind(i: int, pattern: str, **extra: object) -> dict:
    ind = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    ind.update(extra)
    return {k: v for k, v in ind.items() if v is not None}


@st.composite
def recase(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c for c, f in zip(text, flips, strict=True))


@st.composite
def url_spelling(draw: st.DrawFn, host: str, port: int | None, path: str) -> str:
    """One spelling of http://host[:port]path: case, an explicit default or empty port, escapes of
    unreserved characters, dot segments, a fragment."""
    port_text = f":{port}" if port else draw(st.sampled_from(["", "", ":80", ":"]))
    p = draw(st.sampled_from([path, path.replace("~", "%7E"), path.replace("a", "%61"), "/zz/.." + path]))
    if draw(st.booleans()):
        head, _, tail = p.rpartition("/")
        p = f"{head}/./{tail}"
    frag = draw(st.sampled_from(["", "", "#top"]))
    return f"{draw(recase('http'))}://{draw(recase(host))}{port_text}{p}{frag}"


@st.composite
def pattern(draw: st.DrawFn) -> str:
    host, path = draw(st.sampled_from(HOSTS)), draw(st.sampled_from(PATHS))
    port = draw(st.sampled_from([None, None, 8888]))
    ip, cidr = draw(st.sampled_from(IPS)), draw(st.sampled_from(CIDRS))
    w = [draw(WS) for _ in range(6)]
    k = [draw(WS1) for _ in range(2)]
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return f"[url:value{w[0]}={w[1]}'{draw(url_spelling(host, port, path))}']"
    if kind == 1:
        path_ = draw(st.sampled_from(["ipv4-addr:value", "network-traffic:dst_ref.value"]))
        return f"[{w[0]}{path_} ISSUBSET '{cidr}'{w[1]}]"
    if kind == 2:
        p = draw(st.sampled_from([80, 8888, 53]))
        return (
            f"[network-traffic:dst_ref.value ISSUBSET '{cidr}'{k[0]}AND{k[1]}"
            f"(network-traffic:dst_port = {p} OR network-traffic:dst_port = 443)]"
        )
    if kind == 3:
        other = draw(st.sampled_from(IPS))
        src, dst = "network-traffic:src_ref.value", "network-traffic:dst_ref.value"
        return f"[{src} = '{ip}'{k[0]}AND{k[1]}{dst} = '{other}']"
    if kind == 4:
        return f"[ipv4-addr:value = '{ip}' AND ipv4-addr:value ISSUBSET '{cidr}']"
    if kind in (5, 6):  # a domain OR a URL on it, across observations, in either order
        dom = draw(recase(host)) + draw(st.sampled_from(["", "."]))
        url = draw(url_spelling(host, port, path))
        first, second = f"[domain-name:value = '{dom}']", f"[url:value = '{url}']"
        if kind == 6:
            first, second = second, first
        return f"{w[0]}{first}{k[0]}OR{k[1]}{second}{w[3]}"
    if kind == 7:
        a, b = draw(st.sampled_from(HOSTS)), draw(recase(draw(st.sampled_from(HOSTS))))
        return f"[{w[0]}domain-name:value = '{a}'{k[0]}OR{k[1]}domain-name:value{w[3]}={w[4]}'{b}'{w[5]}]"
    if kind == 8:
        key = draw(st.sampled_from(["MD5", "'MD5'", "'md5'"]))
        value = draw(st.sampled_from(MD5))
        value = value.upper() if draw(st.booleans()) else value
        if draw(st.booleans()):
            key, value = draw(st.sampled_from(["'SHA-256'", "SHA256"])), SHA256.upper()
        return f"[file:hashes.{key}{w[0]}={w[1]}'{value}']"
    other = draw(st.sampled_from(IPS))
    return f"[ipv4-addr:value IN ('{ip}',{w[0]}'{other}')] OR [domain-name:value = '{host}']"


@st.composite
def event(draw: st.DrawFn) -> dict:
    t = T0 + draw(st.integers(0, 86_400_000)) / 1000
    ev: dict = {
        "timestamp": datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000"),
        "flow_id": 1,
        "event_type": "flow",
        "src_ip": draw(st.sampled_from(IPS)),
        "dest_ip": draw(st.sampled_from(IPS)),
        "proto": "TCP",
    }
    if draw(st.integers(0, 4)):  # some flows have no ports
        ev["src_port"], ev["dest_port"] = 49152, draw(st.sampled_from([53, 80, 443, 8888, 8080]))
    host = draw(st.sampled_from(["", "", "www.", "WWW."])) + draw(recase(draw(st.sampled_from(HOSTS))))
    kind = draw(st.integers(0, 4))
    if kind == 0:
        ev["event_type"] = "http"
        http: dict = {"url": draw(st.sampled_from(PATHS)), "http_method": "GET"}
        if draw(st.integers(0, 5)):
            http["hostname"] = host  # else no Host: no URL
        how = draw(st.integers(0, 3))
        if how == 0:
            ev["dest_port"] = 8888  # port 8888 and no http_port
        elif how == 1:
            http["http_port"] = draw(st.sampled_from([80, 8888]))
        elif how == 2:
            http["url"] = draw(
                url_spelling(
                    host.lower().removeprefix("www."), draw(st.sampled_from([None, 8888])), http["url"]
                )
            ).split("#")[0]
        ev["http"] = http
    elif kind == 1:
        ev["event_type"] = "dns"
        ev["dns"] = {"type": "query", "rrname": host} if draw(st.integers(0, 5)) else {"type": "answer"}
    elif kind == 2:
        ev["event_type"] = "tls"
        ev["tls"] = {"sni": host}
    elif kind == 3:
        ev["event_type"] = "fileinfo"
        md5 = draw(st.sampled_from(MD5))
        ev["fileinfo"] = {"md5": md5.upper() if draw(st.booleans()) else md5, "sha256": SHA256}
    return ev


def _compare(patterns: list[str], events: list[dict], validity: list[dict]) -> None:
    inds = [_ind(i, p, **v) for i, (p, v) in enumerate(zip(patterns, validity, strict=True))]
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "eve.json"
        log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
        comp = compile_indicators(inds, FalsePositives.empty())
        assert comp.problems == []
        out = io.BytesIO()
        res = sweep([str(log)], comp, SweepOptions(fmt="eve"), hits_out=out)
        want = sweep_bruteforce.evaluate(str(log), inds)
    got: dict[str, set[int]] = {}
    for raw in out.getvalue().splitlines():
        h = json.loads(raw)
        got.setdefault(h["indicator"], set()).add(h["line"])
    assert got == want
    times = [sweep_bruteforce._us(e["timestamp"].replace("+0000", "+00:00")) for e in events]
    counts = {comp.ids[i]: (c, f, last) for i, c, f, last in res.counts.iter_rows()}
    expect = {
        iid: (len(ls), min(times[n - 1] for n in ls), max(times[n - 1] for n in ls))
        for iid, ls in want.items()
    }
    assert counts == expect


VALIDITY = st.sampled_from(
    [
        {},
        {},
        {},
        {"valid_from": None},  # missing: no lower bound
        {"valid_until": "2024-03-01T12:00:00Z"},
        {"valid_from": "2024-03-01T06:00:00.5Z"},
        {"revoked": True},
    ]
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(pattern(), VALIDITY), min_size=1, max_size=12),
    st.lists(event(), min_size=1, max_size=25),
)
def test_messy_feed_agrees_with_the_brute_force(inds: list[tuple[str, dict]], events: list[dict]) -> None:
    _compare([p for p, _ in inds], events, [v for _, v in inds])


def _http(t: str, host: str, url: str, dest_port: int, **http: object) -> dict:
    return {
        "timestamp": f"2024-03-01T{t}.000000+0000",
        "event_type": "http",
        "src_ip": "198.51.100.9",
        "dest_ip": "203.0.113.5",
        "src_port": 49152,
        "dest_port": dest_port,
        "http": {"hostname": host, "url": url, **http},
    }


def test_domain_or_url_across_observations_first_and_last_seen() -> None:
    """Issue #12: an OR of a domain and a URL counts each event once, first/last over both branches."""
    events = [
        _http("10:00:05", "Evil.Example", "/x", 80),  # 1: domain only (the URL is on port 8888)
        _http("10:00:01", "EVIL.example", "/x", 8888),  # 2: both: port 8888 without http_port
        {
            "timestamp": "2024-03-01T10:00:09.000000+0000",
            "event_type": "dns",
            "dns": {"rrname": "www.evil.example"},
        },
        _http("10:00:03", "other.test", "HTTP://EVIL.EXAMPLE:8888/./x", 3128),  # 4: both, proxy form
        _http("10:00:00", "other.test", "/x", 8888),  # 5: neither
        _http("10:00:07", "evil.example", "/x", 8080, http_port=8888),  # 6: both, Host header port
    ]
    patterns = [
        "[domain-name:value = 'EVIL.example.'] OR [url:value = 'http://evil.example:8888/x']",
        "[url:value = 'HTTP://Evil.Example:8888/%78']\n OR\t[domain-name:value = 'evil.example']",
        "[url:value = 'http://evil.example:8888/x']",
    ]
    _compare(patterns, events, [{}, {}, {}])
    inds = [_ind(i, p) for i, p in enumerate(patterns)]
    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "eve.json"
        log.write_text("\n".join(json.dumps(e) for e in events) + "\n")
        comp = compile_indicators(inds, FalsePositives.empty())
        res = sweep([str(log)], comp, SweepOptions(fmt="eve"))
    us = {t: sweep_bruteforce._us(f"2024-03-01T10:00:0{t}+00:00") for t in (1, 3, 5, 7, 9)}
    got = {i: (c, f, last) for i, c, f, last in res.counts.iter_rows()}
    assert got[0] == (5, us[1], us[9])
    assert got[1] == (5, us[1], us[9])
    assert got[2] == (3, us[1], us[7])
