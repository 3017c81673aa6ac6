"""URL rules of docs/sweep.md: RFC 3986 normalization (6.2.2-6.2.3) and the URL of an HTTP event.

The table is the one of docs/sweep.md. The property test sweeps generated messy spellings of the same
URLs, on the indicator side and the event side, and compares every hit with a brute-force loop whose
normalization is written here again, plainly, from the RFC rules (it does not call `normalize.url`).
"""

from __future__ import annotations

import io
import json
import string
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, normalize, observations, sweep

# (spelling, canonical form or None for "not a URL the sweep matches"), one row per rule
RFC_CASES = [
    # 6.2.2.1 case: scheme and host lowercase
    ("HTTP://evil.example/a", "http://evil.example/a"),
    ("hTtPs://evil.example/a", "https://evil.example/a"),
    ("http://EVIL.Example/a", "http://evil.example/a"),
    ("http://evil.example/A/B", "http://evil.example/A/B"),  # the path keeps its case
    # 6.2.2.1 case: the hex digits of an escape uppercase
    ("http://evil.example/a%2fb", "http://evil.example/a%2Fb"),
    ("http://evil.example/%c3%a9", "http://evil.example/%C3%A9"),
    ("http://evil.example/x?q=%3d%3D", "http://evil.example/x?q=%3D%3D"),
    # 6.2.2.2 escapes of unreserved characters (ALPHA DIGIT - . _ ~) decoded, in every component
    ("http://evil.example/%7Euser", "http://evil.example/~user"),
    ("http://evil.example/%7euser", "http://evil.example/~user"),
    ("http://evil.example/%41%62%30%2D%2E%5F", "http://evil.example/Ab0-._"),
    ("http://evil.example/x?%41=%7e", "http://evil.example/x?A=~"),
    ("http://%65vil.example/", "http://evil.example/"),
    ("http://evil.example/a%2Fb", "http://evil.example/a%2Fb"),  # / is reserved: kept escaped
    ("http://evil.example/a%20b", "http://evil.example/a%20b"),
    ("http://evil.example/100%", "http://evil.example/100%"),  # not an escape: as written
    # 6.2.2.3 dot segments removed (RFC 3986 5.2.4, the 5.4 examples)
    ("http://a/b/c/./../../g", "http://a/g"),
    ("http://a/b/c/./g", "http://a/b/c/g"),
    ("http://a/b/c/../g", "http://a/b/g"),
    ("http://a/b/c/g/..", "http://a/b/c/"),
    ("http://a/b/c/g/.", "http://a/b/c/g/"),
    ("http://a/../../g", "http://a/g"),
    ("http://a/b/c/g.", "http://a/b/c/g."),  # not a dot segment
    ("http://a/b/c/..g", "http://a/b/c/..g"),
    ("http://a/b/%2E%2e/g", "http://a/g"),  # decoded first (6.2.2.2), then removed
    ("http://a/b/?x=/../y", "http://a/b/?x=/../y"),  # the query is no path
    # 6.2.3 scheme-based: default port dropped, any other kept
    ("http://evil.example:80/a", "http://evil.example/a"),
    ("https://evil.example:443/a", "https://evil.example/a"),
    ("ftp://evil.example:21/a", "ftp://evil.example/a"),
    ("ws://evil.example:80/a", "ws://evil.example/a"),
    ("wss://evil.example:443/a", "wss://evil.example/a"),
    ("http://evil.example:8888/a", "http://evil.example:8888/a"),
    ("https://evil.example:80/a", "https://evil.example:80/a"),  # 80 is not https's default
    ("http://evil.example:443/a", "http://evil.example:443/a"),
    ("http://evil.example:0080/a", "http://evil.example/a"),  # a port is a number
    ("http://evil.example:/a", "http://evil.example/a"),  # empty port: ":" dropped
    # 6.2.3 empty path is "/" for http(s) (and the other schemes with a default port)
    ("http://evil.example", "http://evil.example/"),
    ("https://evil.example?q=1", "https://evil.example/?q=1"),
    ("HTTP://Evil.Example:80", "http://evil.example/"),
    ("ftp://evil.example", "ftp://evil.example/"),
    ("foo://evil.example", "foo://evil.example"),
    # 6.2.3: an empty query keeps its "?"; the fragment is dropped (it never reaches the server)
    ("http://evil.example/x?", "http://evil.example/x?"),
    ("http://evil.example/x#frag", "http://evil.example/x"),
    ("http://evil.example/x?q#frag", "http://evil.example/x?q"),
    # hosts: a canonical domain (punycode, no trailing dot) or IP literal; userinfo kept
    ("http://Bücher.example/x", "http://xn--bcher-kva.example/x"),
    ("http://evil.example./x", "http://evil.example/x"),
    ("http://[2001:DB8:0::1]:80/x", "http://[2001:db8::1]/x"),
    ("http://198.51.100.7:8080/x", "http://198.51.100.7:8080/x"),
    ("http://User%7e@evil.example/x", "http://User~@evil.example/x"),
    # not a URL the sweep can match
    ("/relative/path", None),
    ("evil.example/x", None),
    ("http:///x", None),
    ("http://evil.example:99999/x", None),
    ("http://evil.example:8o/x", None),
    ("1http://evil.example/x", None),
]


@pytest.mark.parametrize(("raw", "canon"), RFC_CASES)
def test_rfc3986_normalization_table(raw: str, canon: str | None) -> None:
    assert normalize.url(raw) == canon
    if canon is not None:
        assert normalize.url(canon) == canon  # canonical forms are fixed points


def test_vectorized_url_rows_agree_with_the_table() -> None:
    """The polars fast path (URLs already in canonical shape) must give `normalize.url`'s answer."""
    extra = ["http://evil.example:80", "https://evil.example:443?q", "https://evil.example:80/x:80"]
    extra += [
        "http://evil.example:8080/x:80",
        "http://198.51.100.7:80/",
        "http://h:65535/",
        "http://h:99999/",
    ]
    extra += ["http://evil.example/a/./b", "http://evil.example/a/../b"]
    raws = [raw for raw, _ in RFC_CASES] + extra
    df = pl.DataFrame({"line": list(range(len(raws))), "u": raws})
    urls, _ = observations.url_rows(df, "u")
    got = dict(urls.select("line", "value").iter_rows())
    want = {i: normalize.url(r) for i, r in enumerate(raws)}
    assert got == {i: v for i, v in want.items() if v is not None}
    assert got[len(raws) - 1] == "http://evil.example/b" and got[len(raws) - 2] == "http://evil.example/a/b"


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("HTTP://Evil.Example:8080/x", "evil.example"),
        ("http://u@%65vil.example./", "evil.example"),
        ("http://198.51.100.7/x", None),
        ("http://[2001:db8::1]/x", None),
        ("/x", None),
    ],
)
def test_url_host(raw: str, host: str | None) -> None:
    assert normalize.url_host(raw) == host


# ---- the URL of an HTTP event: http_port, else dest_port unless 80 ----

T0 = "2024-03-01T10:00:00.000000+0000"


def _http(ts: str, dest_port: int, url: str, hostname: str | None, http_port: int | None = None) -> dict:
    """An EVE http record with the fields Suricata documents for it (eve-json-format, event type http)."""
    http: dict = {
        "hostname": hostname,
        "url": url,
        "http_user_agent": "curl/8.5.0",
        "http_content_type": "text/html",
        "http_method": "GET",
        "protocol": "HTTP/1.1",
        "status": 200,
        "length": 612,
    }
    if hostname is None:
        del http["hostname"]
    if http_port is not None:
        http["http_port"] = http_port
    return {
        "timestamp": ts,
        "flow_id": 1234567890123456,
        "in_iface": "eth0",
        "event_type": "http",
        "src_ip": "10.0.0.5",
        "src_port": 49152,
        "dest_ip": "198.51.100.7",
        "dest_port": dest_port,
        "proto": "TCP",
        "tx_id": 0,
        "http": http,
    }


def _sweep_lines(path: Path, patterns: list[str], fmt: str = "eve") -> dict[str, list[int]]:
    inds = [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--00000000-0000-4000-8000-{i:012d}",
            "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z",
            "pattern": p,
            "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        }
        for i, p in enumerate(patterns)
    ]
    comp = compile_indicators(inds, FalsePositives.empty())
    assert comp.problems == []
    out = io.BytesIO()
    sweep([str(path)], comp, SweepOptions(fmt=fmt), hits_out=out)
    got: dict[str, list[int]] = {p: [] for p in patterns}
    for raw in out.getvalue().splitlines():
        h = json.loads(raw)
        got[patterns[int(h["indicator"][-12:])]].append(h["line"])
    return got


EVE_PORT_EVENTS = [
    _http(T0, 8888, "/x", "host.example"),  # 1: no http_port: the request went to dest_port
    _http(T0, 80, "/x", "host.example"),  # 2: dest_port 80 is http's default
    _http(T0, 8080, "/x", "host.example", http_port=8888),  # 3: the Host header's port wins
    _http(T0, 8080, "/x", "host.example", http_port=80),  # 4: ... also when it is the default
    _http(T0, 8888, "http://host.example/x", "host.example"),  # 5: an absolute target is the URL
    _http(T0, 8888, "/x", "2001:db8::7"),  # 6: an IPv6 host gets brackets
    _http(T0, 8888, "/x", None),  # 7: no Host: no URL
]


@pytest.mark.parametrize("kinds_too", [False, True])
def test_eve_http_url_takes_the_port_of_the_request(tmp_path: Path, kinds_too: bool) -> None:
    p = tmp_path / "eve.json"
    p.write_text("\n".join(json.dumps(e) for e in EVE_PORT_EVENTS) + "\n")
    patterns = [
        "[url:value = 'http://host.example:8888/x']",
        "[url:value = 'http://host.example/x']",
        "[url:value = 'HTTP://Host.Example:80/./x']",
        "[url:value = 'http://[2001:db8::7]:8888/x']",
    ]
    if kinds_too:  # ports looked up too: dest_port is then read with its own role as well
        patterns.append("[network-traffic:dst_port = 8888]")
    got = _sweep_lines(p, patterns)
    assert got[patterns[0]] == [1, 3]
    assert got[patterns[1]] == [2, 4, 5]
    assert got[patterns[2]] == [2, 4, 5]
    assert got[patterns[3]] == [6]
    if kinds_too:
        assert got[patterns[4]] == [1, 5, 6, 7]


def test_zeek_http_url_takes_the_server_port(tmp_path: Path) -> None:
    p = tmp_path / "http.log"
    p.write_text(
        "#separator \\x09\n"
        "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\thost\turi\n"
        "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\n"
        "1709287200.250000\tC1\t10.0.0.5\t49152\t198.51.100.7\t8888\thost.example\t/x\n"
        "1709287201.5\tC2\t10.0.0.6\t49153\t198.51.100.7\t80\thost.example\t/x\n"
    )
    with_port, without = "[url:value = 'http://host.example:8888/x']", "[url:value = 'http://host.example/x']"
    assert _sweep_lines(p, [with_port, without], fmt="zeek") == {with_port: [4], without: [5]}  # file lines


def _ecs_http(dest_port: int | None, **url: object) -> dict:
    """An ECS event of a web request as Filebeat's nginx/apache modules write it (url.* nested)."""
    event: dict = {
        "@timestamp": T0,
        "event": {"category": ["web"], "kind": "event"},
        "source": {"ip": "10.0.0.5"},
        "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
        "url": url,
    }
    if dest_port is not None:
        event["destination"] = {"port": dest_port}
    return event


ECS_EVENTS = [
    _ecs_http(8888, domain="host.example", path="/x"),  # 1: only the parts, server port 8888
    _ecs_http(80, domain="host.example", original="/x"),  # 2: a relative original, port 80
    _ecs_http(8080, domain="host.example", port=8888, path="/x"),  # 3: the URL's port wins
    _ecs_http(443, domain="host.example", scheme="https", path="/x"),  # 4: 443 is https's default
    _ecs_http(None, domain="host.example", scheme="HTTPS", port=8443, path="/x"),  # 5: https on 8443
    _ecs_http(8888, domain="host.example", path="/x", query="a=1"),  # 6: path + ?query
    _ecs_http(8888, domain="host.example", original="http://host.example/x"),  # 7: absolute original
    _ecs_http(80, domain="2001:db8::7", path="/x"),  # 8: an IPv6 host gets brackets
    _ecs_http(80, path="/x"),  # 9: no host: no URL
    _ecs_http(80, full="http://host.example/x", domain="host.example", path="/x"),  # 10: url.full too
]


def test_ecs_url_is_built_from_its_parts(tmp_path: Path) -> None:
    """ECS logs the URL whole (`url.full`, an absolute `url.original`) or in parts: scheme, domain,
    port (else the destination's), path and query, or a relative `url.original`."""
    p = tmp_path / "ecs.ndjson"
    p.write_text("\n".join(json.dumps(e) for e in ECS_EVENTS) + "\n")
    patterns = [
        "[url:value = 'http://host.example:8888/x']",
        "[url:value = 'http://host.example/x']",
        "[url:value = 'https://host.example/x']",
        "[url:value = 'https://host.example:8443/x']",
        "[url:value = 'http://host.example:8888/x?a=1']",
        "[url:value = 'http://[2001:db8::7]/x']",
    ]
    got = _sweep_lines(p, patterns, fmt="ndjson")
    assert got == {
        patterns[0]: [1, 3],
        patterns[1]: [2, 7, 10],
        patterns[2]: [4],
        patterns[3]: [5],
        patterns[4]: [6],
        patterns[5]: [8],
    }


def test_csv_url_is_built_from_its_parts(tmp_path: Path) -> None:
    """A CSV export with the ECS names, or with the common names (`host`, a relative `url`, `dst_port`)."""
    ecs = tmp_path / "ecs.csv"
    ecs.write_text(
        "timestamp,url.scheme,url.domain,url.port,url.path,url.query,destination.port\n"
        f"{T0},,host.example,,/x,,8888\n"
        f"{T0},https,host.example,,/x,a=1,443\n"
    )
    plain = tmp_path / "plain.csv"
    plain.write_text(f"timestamp,host,url,dst_port\n{T0},host.example,/x,8888\n{T0},host.example,/x,80\n")
    patterns = [
        "[url:value = 'http://host.example:8888/x']",
        "[url:value = 'https://host.example/x?a=1']",
        "[url:value = 'http://host.example/x']",
    ]
    assert _sweep_lines(ecs, patterns, fmt="csv") == {patterns[0]: [2], patterns[1]: [3], patterns[2]: []}
    assert _sweep_lines(plain, patterns, fmt="csv") == {patterns[0]: [2], patterns[1]: [], patterns[2]: [3]}


# ---- property: messy spellings, sweep vs a brute-force loop with its own RFC normalization ----

UNRESERVED = set(string.ascii_letters + string.digits + "-._~")
DEFAULT_PORT = {"http": "80", "https": "443"}


def ref_escapes(text: str) -> str:
    """6.2.2.1-6.2.2.2, character by character: %XX of an unreserved character decoded, else upper hex."""
    out, i = [], 0
    while i < len(text):
        triple = text[i : i + 3]
        if len(triple) == 3 and triple[0] == "%" and all(c in string.hexdigits for c in triple[1:]):
            ch = chr(int(triple[1:], 16))
            out.append(ch if ch in UNRESERVED else triple.upper())
            i += 3
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def ref_dots(path: str) -> str:
    """6.2.2.3 with a segment stack: `.` dropped, `..` drops its parent; a final one leaves a `/`."""
    segs = path.split("/")[1:]
    out: list[str] = []
    for n, seg in enumerate(segs):
        if seg in (".", ".."):
            if seg == ".." and out:
                out.pop()
            if n == len(segs) - 1:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


def ref_url(text: str) -> str | None:
    """RFC 3986 6.2.2-6.2.3 for the URLs generated here (http/https, a reg-name or IPv4 host, no
    userinfo): returns the canonical text."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        return None
    scheme = scheme.lower()
    rest = rest.split("#", 1)[0]
    cut = min([i for i in (rest.find("/"), rest.find("?")) if i >= 0] or [len(rest)])
    authority, rest = rest[:cut], rest[cut:]
    path, q, query = rest.partition("?")
    host, _, port = authority.partition(":")
    host = ref_escapes(host).lower()
    port = port.lstrip("0") if port else ""
    netloc = host if port in ("", DEFAULT_PORT[scheme]) else f"{host}:{port}"
    return f"{scheme}://{netloc}{ref_dots(ref_escapes(path)) if path else '/'}{q}{ref_escapes(query)}"


def test_reference_normalization_agrees_on_the_table() -> None:
    """The brute force's own normalization is held to the same table (on the shapes it covers)."""
    for raw, canon in RFC_CASES:
        simple = raw.startswith(("http://", "https://", "HTTP://", "hTtPs://")) and canon is not None
        if simple and "@" not in raw and "[" not in raw and raw.isascii() and "./x" not in raw:
            assert ref_url(raw) == canon, raw


HOSTS = ["evil.example", "cdn.evil.example", "a-b.test", "198.51.100.7"]
SEGMENT = st.text(alphabet="abXY09-._~!$&()*+,;=:@", min_size=1, max_size=4)


@st.composite
def base_url(draw: st.DrawFn) -> tuple[str, str, str | None, list[str], str | None]:
    scheme = draw(st.sampled_from(["http", "https"]))
    port = draw(st.sampled_from([None, None, "8888", "8080", "443", "80"]))
    query = draw(st.one_of(st.none(), st.text(alphabet="abc=&/?09~%", max_size=6)))
    if query is not None and "%" in query:
        query = query.replace("%", "%7e")
    return scheme, draw(st.sampled_from(HOSTS)), port, draw(st.lists(SEGMENT, max_size=3)), query


def _recase(draw: st.DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.swapcase() if f else c for c, f in zip(text, flips, strict=True))


def _escape(draw: st.DrawFn, text: str, reserved_too: bool) -> str:
    """Escape some characters (unreserved ones, which normalize back; rarely reserved ones, which do not)
    with hex digits of either case."""
    out = []
    for c in text:
        if (c in UNRESERVED or reserved_too) and draw(st.integers(0, 3)) == 0:
            out.append(_recase(draw, f"%{ord(c):02x}"))
        else:
            out.append(c)
    return "".join(out)


def _messy_path(draw: st.DrawFn, segs: list[str]) -> str:
    parts: list[str] = []
    for seg in segs:
        if draw(st.integers(0, 3)) == 0:
            parts.append(draw(st.sampled_from([".", "zz/..", "%2e", "q/%2E%2e", "./."])))
        parts.append(_escape(draw, seg, reserved_too=draw(st.integers(0, 9)) == 0))
    return "/" + "/".join(parts) if parts or draw(st.booleans()) else ""


@st.composite
def spelling(draw: st.DrawFn, base: tuple) -> str:  # type: ignore[type-arg]
    """One absolute spelling of a base URL: case, explicit default or empty port, escapes, dot
    segments, a fragment."""
    scheme, host, port, segs, query = base
    if port is None:
        port_text = draw(st.sampled_from(["", "", ":", ":" + DEFAULT_PORT[scheme]]))
    else:
        port_text = ":" + port
    host_text = _escape(draw, _recase(draw, host), reserved_too=False) if draw(st.booleans()) else host
    path = _messy_path(draw, segs)
    text = f"{_recase(draw, scheme)}://{host_text}{port_text}{path}"
    if query is not None:
        text += ("" if path else "/") + "?" + _escape(draw, query, reserved_too=False)
    if draw(st.integers(0, 4)) == 0:
        text += "#Frag"
    return text


@st.composite
def event(draw: st.DrawFn, base: tuple) -> dict:  # type: ignore[type-arg]
    """An EVE http record for a base URL: the absolute URL as target (a proxy request), or Host + path
    with the port as http_port, as dest_port, or (for no/default port) left to dest_port 80."""
    scheme, host, port, segs, query = base
    ts = datetime(2024, 3, 1, tzinfo=UTC).timestamp() + draw(st.integers(0, 86400 * 1000)) / 1000
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    dest_port = draw(st.sampled_from([80, 8080, 8888, 443]))
    if draw(st.integers(0, 3)) == 0:
        return _http(stamp, dest_port, draw(spelling(base)), _recase(draw, host))
    target = _messy_path(draw, segs) or "/"
    if query is not None:
        target += "?" + _escape(draw, query, reserved_too=False)
    how = draw(st.sampled_from(["http_port", "dest_port", "random"]))
    if how == "http_port":
        return _http(stamp, dest_port, target, _recase(draw, host), int(port or 80))
    if how == "dest_port":
        return _http(stamp, int(port or 80), target, _recase(draw, host))
    return _http(stamp, dest_port, target, _recase(draw, host))


def event_url(ev: dict) -> str | None:
    """The URL of an EVE http event, by the rule of docs/sweep.md, in plain Python."""
    http = ev["http"]
    target, host = http.get("url"), http.get("hostname")
    if not target or not target.startswith("/") or not host:
        return target
    port = http.get("http_port", ev.get("dest_port"))
    return f"http://{host}{'' if port in (None, 80) else f':{port}'}{target}"


def _us(stamp: str) -> int:
    return int(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() * 1_000_000 + 0.5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_messy_spellings_match_as_the_brute_force_says(data: st.DataObject) -> None:
    bases = data.draw(st.lists(base_url(), min_size=1, max_size=3))
    spellings = [data.draw(spelling(b)) for b in bases for _ in range(data.draw(st.integers(1, 3)))]
    events = [
        data.draw(event(data.draw(st.sampled_from(bases)))) for _ in range(data.draw(st.integers(1, 8)))
    ]
    patterns = [f"[url:value = '{s}']" for s in spellings]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "eve.json"
        p.write_text("\n".join(json.dumps(e) for e in events) + "\n")
        got = _sweep_lines(p, patterns)
    want: dict[str, list[int]] = {pat: [] for pat in patterns}
    for n, ev in enumerate(events, 1):
        url = event_url(ev)
        canon = ref_url(url) if url else None
        for pat, s in zip(patterns, spellings, strict=True):
            if canon is not None and canon == ref_url(s):
                want[pat].append(n)
    assert got == want


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_counts_and_first_last_seen_of_messy_spellings(data: st.DataObject) -> None:
    base = data.draw(base_url())
    spell = data.draw(spelling(base))
    events = [data.draw(event(base)) for _ in range(data.draw(st.integers(1, 6)))]
    ind = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000000",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "pattern": f"[url:value = '{spell}']",
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "eve.json"
        p.write_text("\n".join(json.dumps(e) for e in events) + "\n")
        comp = compile_indicators([ind], FalsePositives.empty())
        res = sweep([str(p)], comp, SweepOptions(fmt="eve"))
    target = ref_url(spell)
    seen = [_us(e["timestamp"]) for e in events if (u := event_url(e)) and ref_url(u) == target]
    got = [(c, f, last) for _, c, f, last in res.counts.iter_rows()]
    assert got == ([(len(seen), min(seen), max(seen))] if seen else [])
