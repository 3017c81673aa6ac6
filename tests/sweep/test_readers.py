"""Readers: every format, compression, auto-detection, stdin, malformed lines, errors."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import polars as pl
import pytest
import zstandard

from accord.sweep import LogError, read_log
from accord.sweep.formats import detect, parse_map

EVE = [
    {
        "timestamp": "2024-03-01T10:00:00.123456+0000",
        "event_type": "dns",
        "src_ip": "10.0.0.5",
        "src_port": 5353,
        "dest_ip": "8.8.8.8",
        "dest_port": 53,
        "dns": {"rrname": "Evil.com."},
    },
    {
        "timestamp": "2024-03-01T10:00:01.000001+0100",
        "event_type": "http",
        "src_ip": "10.0.0.5",
        "dest_ip": "203.0.113.9",
        "dest_port": 80,
        "http": {"hostname": "evil.com", "url": "/x?y=1"},
    },
]

ZEEK_HTTP = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\thttp\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\thost\turi\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\n"
    "1709287200.250000\tC1\t10.0.0.5\t49152\t203.0.113.9\t80\tevil.com\t/payload.bin\n"
    "1709287201.5\tC2\t10.0.0.6\t49153\t198.51.100.1\t8080\t-\t-\n"
    "#close\t2024-03-01-11-00-00\n"
)


def _frames(path: str, **kw) -> tuple[pl.DataFrame, list]:  # type: ignore[no-untyped-def]
    batches = list(read_log(path, **kw))
    bad = [m for b in batches for m in b.malformed]
    return pl.concat([b.frame for b in batches], how="diagonal"), bad


def _eve_text() -> str:
    return "\n".join(json.dumps(e) for e in EVE) + "\n"


def test_eve_fields_time_and_absolute_url(tmp_path: Path) -> None:
    p = tmp_path / "eve.json"
    p.write_text(_eve_text())
    df, bad = _frames(str(p))
    assert bad == []
    assert df["line"].to_list() == [1, 2]
    assert df["ts"].to_list() == [1709287200123456, 1709287201000001 - 3600 * 1_000_000]
    assert df["dns.rrname"].to_list() == ["Evil.com.", None]
    assert df["http.url"].to_list() == [None, "http://evil.com/x?y=1"]
    assert df["dest_port"].to_list() == ["53", "80"]


@pytest.mark.parametrize("suffix", ["gz", "zst"])
def test_compressed_logs_are_read_transparently(tmp_path: Path, suffix: str) -> None:
    raw = _eve_text().encode()
    p = tmp_path / f"eve.json.{suffix}"
    p.write_bytes(gzip.compress(raw) if suffix == "gz" else zstandard.ZstdCompressor().compress(raw))
    df, _ = _frames(str(p))
    assert df["src_ip"].to_list() == ["10.0.0.5", "10.0.0.5"]


def test_zeek_header_fields_and_unset_values(tmp_path: Path) -> None:
    p = tmp_path / "http.log"
    p.write_text(ZEEK_HTTP)
    df, bad = _frames(str(p))
    assert bad == []
    assert df["line"].to_list() == [8, 9]
    assert df["ts"].to_list() == [1709287200250000, 1709287201500000]
    assert df["uri"].to_list() == ["http://evil.com/payload.bin", None]
    assert df["id.resp_p"].to_list() == ["80", "8080"]


@pytest.mark.parametrize(
    ("path", "fields", "row", "column", "value"),
    [
        (
            "conn",
            ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"],
            ["1709287200.0", "C1", "10.0.0.1", "1", "203.0.113.1", "443", "tcp"],
            "id.resp_h",
            "203.0.113.1",
        ),
        (
            "dns",
            ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "query"],
            ["1709287200.0", "C1", "10.0.0.1", "1", "8.8.8.8", "53", "evil.com"],
            "query",
            "evil.com",
        ),
        (
            "ssl",
            ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "server_name"],
            ["1709287200.0", "C1", "10.0.0.1", "1", "203.0.113.1", "443", "evil.com"],
            "server_name",
            "evil.com",
        ),
        (
            "files",
            ["ts", "fuid", "md5", "sha1", "sha256"],
            ["1709287200.0", "F1", "D41D8CD98F00B204E9800998ECF8427E", "-", "-"],
            "md5",
            "D41D8CD98F00B204E9800998ECF8427E",
        ),
    ],
)
def test_zeek_logs_of_each_kind(tmp_path: Path, path, fields, row, column, value) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / f"{path}.log"
    p.write_text(
        f"#separator \\x09\n#path\t{path}\n#fields\t" + "\t".join(fields) + "\n" + "\t".join(row) + "\n"
    )
    df, bad = _frames(str(p))
    assert bad == []
    assert df[column].to_list() == [value]
    assert df["ts"].to_list() == [1709287200000000]


def test_ndjson_uses_ecs_names_and_map(tmp_path: Path) -> None:
    p = tmp_path / "ecs.ndjson"
    rows = [
        {
            "@timestamp": "2024-03-01T10:00:00Z",
            "source": {"ip": "10.0.0.1"},
            "destination": {"ip": "203.0.113.7"},
            "url": {"full": "http://evil.com/a"},
            "client_addr": "198.51.100.4",
        },
    ]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    batches = list(read_log(str(p), fmt="ndjson", mapping=parse_map(["client_addr=ipv4-addr:value"])))
    b = batches[0]
    assert b.roles["destination.ip"] == "dst_ip" and b.roles["client_addr"] == "ip"
    assert b.frame["client_addr"].to_list() == ["198.51.100.4"]
    assert b.frame["url.full"].to_list() == ["http://evil.com/a"]
    assert b.frame["ts"].to_list() == [1709287200000000]


def test_csv_with_header_and_time_field(tmp_path: Path) -> None:
    p = tmp_path / "fw.csv"
    p.write_text('when,src_ip,dst_ip,url\n2024-03-01 10:00:00,10.0.0.1,203.0.113.5,"http://evil.com/a,b"\n')
    df, bad = _frames(str(p), time_field="when")
    assert bad == []
    assert df["line"].to_list() == [2]
    assert df["url"].to_list() == ["http://evil.com/a,b"]
    assert df["ts"].to_list() == [1709287200000000]


def test_combined_access_log(tmp_path: Path) -> None:
    p = tmp_path / "access.log"
    p.write_text(
        '203.0.113.9 - - [01/Mar/2024:11:00:00 +0100] "GET /index.html HTTP/1.1" 200 512 '
        '"http://evil.com/landing" "Mozilla/5.0"\n'
        "198.51.100.7 - bob [01/Mar/2024:10:00:01 +0000] "
        '"CONNECT http://proxy.evil.com:8080/ HTTP/1.1" 200 -\n'
    )
    df, bad = _frames(str(p))
    assert bad == []
    assert df["remote"].to_list() == ["203.0.113.9", "198.51.100.7"]
    assert df["referer"].to_list() == ["http://evil.com/landing", None]
    assert df["request_url"].to_list() == ["/index.html", "http://proxy.evil.com:8080/"]
    assert df["ts"].to_list() == [1709287200000000, 1709287201000000]


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (_eve_text().encode(), "eve"),
        (b'{"@timestamp": "2024-03-01T10:00:00Z", "source": {"ip": "1.2.3.4"}}\n', "ndjson"),
        (ZEEK_HTTP.encode(), "zeek"),
        (b"ts,src_ip\n1,2\n", "csv"),
        (b'1.2.3.4 - - [01/Mar/2024:11:00:00 +0100] "GET / HTTP/1.1" 200 5 "-" "x"\n', "combined"),
        (b"just some words\n", None),
    ],
)
def test_auto_detection(head: bytes, fmt: str | None) -> None:
    assert detect(head) == fmt


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO(gzip.compress(_eve_text().encode())))
    monkeypatch.setattr(sys, "stdin", fake)
    df, _ = _frames("-")
    assert df["line"].to_list() == [1, 2]


def test_malformed_lines_are_reported_with_line_numbers_and_the_rest_is_kept(tmp_path: Path) -> None:
    lines = _eve_text().splitlines()
    p = tmp_path / "eve.json"
    p.write_text(
        "\n".join([lines[0], "{not json", "", "[1, 2]", lines[1], '{"src_ip": 5, "timestamp": 1}']) + "\n"
    )
    df, bad = _frames(str(p), fmt="eve")
    assert [(m.line, m.reason.split(":")[0]) for m in bad] == [(2, "invalid JSON"), (4, "not a JSON object")]
    assert df["line"].to_list() == [1, 5, 6]
    assert df["src_ip"].to_list() == ["10.0.0.5", "10.0.0.5", "5"]


def test_malformed_across_chunks_keeps_line_numbers(tmp_path: Path) -> None:
    ev = json.dumps(EVE[0])
    lines = [ev if i % 97 else "garbage" for i in range(1, 2001)]
    p = tmp_path / "big.json"
    p.write_text("\n".join(lines) + "\n")
    batches = list(read_log(str(p), fmt="eve", chunk_size=4096))
    assert len(batches) > 10
    bad = [m.line for b in batches for m in b.malformed]
    assert bad == [i for i in range(1, 2001) if i % 97 == 0]
    assert sum(b.frame.height for b in batches) == 2000 - len(bad)


def test_errors_for_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="no such file"):
        list(read_log(str(tmp_path / "nope.json")))
    p = tmp_path / "words.txt"
    p.write_text("just some words\n")
    with pytest.raises(LogError, match="cannot detect"):
        list(read_log(str(p)))
    with pytest.raises(LogError, match="unknown format"):
        list(read_log(str(p), fmt="syslog"))


def test_map_option_is_validated() -> None:
    assert parse_map(["c=file:hashes.'SHA-256'"]) == {"c": "hash:SHA-256"}
    with pytest.raises(ValueError, match="unsupported object path"):
        parse_map(["c=process:name"])
    with pytest.raises(ValueError, match="FIELD=OBJECT_PATH"):
        parse_map(["nothing"])


def test_non_scalar_json_values_are_absent_on_both_paths(tmp_path: Path) -> None:
    row = {
        "timestamp": "2024-03-01T10:00:00Z",
        "src_ip": ["1.2.3.4"],
        "dest_ip": "5.6.7.8",
        "dns": {"rrname": {"x": 1}},
    }
    fast = tmp_path / "fast.json"
    fast.write_text(json.dumps(row) + "\n")
    slow = tmp_path / "slow.json"
    slow.write_text(json.dumps(row) + "\n{broken\n")
    for p in (fast, slow):
        df, _ = _frames(str(p), fmt="eve")
        assert df.select("src_ip", "dest_ip", "dns.rrname").row(0) == (None, "5.6.7.8", None)


def test_string_values_starting_with_a_bracket_are_kept_on_every_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB renders arrays and objects as JSON text, which looks like a string starting with `[` or
    `{`; such strings are values all the same, on the whole-file, chunked and line-by-line paths."""
    monkeypatch.setattr("accord.sweep.readers.BATCH_ROWS", 3)  # the lines to decide span batches
    plain = {"timestamp": "2024-03-01T10:00:00Z", "src_ip": "10.0.0.1", "dest_ip": "10.0.0.2"}
    odd = {
        "timestamp": "2024-03-01T10:00:00Z",
        "src_ip": "[10.0.0.1",
        "dest_ip": ["10.0.0.2"],
        "dns": {"rrname": "{odd}.example"},
        "http": {"hostname": {"a": 1}, "url": "[/x]"},
    }
    rows = [plain, odd, plain, plain, odd, plain, odd]
    text = "\n".join(json.dumps(r) for r in rows) + "\n"
    whole = tmp_path / "whole.json"
    whole.write_text(text)
    gz = tmp_path / "chunked.json.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    slow = tmp_path / "slow.json"
    slow.write_text(text + "{broken\n")
    want = ("[10.0.0.1", None, "{odd}.example", None, "[/x]")
    for p in (whole, gz, slow):
        df, _ = _frames(str(p), fmt="eve")
        got = df.filter(pl.col("line").is_in([2, 5, 7])).select(
            "src_ip", "dest_ip", "dns.rrname", "http.hostname", "http.url"
        )
        assert got.rows() == [want] * 3, p
        assert df.filter(pl.col("line") == 3)["src_ip"].to_list() == ["10.0.0.1"]


def test_ecs_spellings_skip_a_non_scalar_but_keep_a_bracketed_string(tmp_path: Path) -> None:
    rows = [
        {"@timestamp": "2024-03-01T10:00:00Z", "url": {"domain": ["a.example"]}, "url.domain": "[b.example"},
        {"@timestamp": "2024-03-01T10:00:00Z", "url": {"domain": "{c.example"}, "url.domain": "d.example"},
    ]
    p = tmp_path / "ecs.json"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    df, _ = _frames(str(p), fmt="ndjson")
    assert df["url.domain"].to_list() == ["[b.example", "{c.example"]


@pytest.mark.parametrize(
    ("kinds", "fields"),
    [
        ({"url:value"}, {"http.url", "http.http_refer", "http.hostname"}),  # Host: absolute URLs
        (
            {"domain-name:value"},
            {"dns.rrname", "http.hostname", "http.url", "http.http_refer", "tls.sni", "quic.sni"},
        ),
        ({"network-traffic:dst_port"}, {"dest_port"}),
        ({"ipv4-addr:value"}, {"src_ip", "dest_ip"}),
        ({"network-traffic:src_ref.value"}, {"src_ip"}),
    ],
)
def test_only_fields_some_lookup_uses_are_read(tmp_path: Path, kinds: set[str], fields: set[str]) -> None:
    p = tmp_path / "eve.json"
    p.write_text(_eve_text())
    df, _ = _frames(str(p), fmt="eve", kinds=frozenset(kinds))
    assert set(df.columns) - {"line", "ts"} == fields
    if "http.url" in fields:
        assert df["http.url"].to_list() == [None, "http://evil.com/x?y=1"]
    everything, _ = _frames(str(p), fmt="eve")
    assert fields < set(everything.columns)


@pytest.mark.parametrize("arrow_type", ["string", "large_string", "string_view"])
def test_values_starting_like_json_are_flagged_in_every_string_layout(arrow_type: str) -> None:
    """DuckDB hands strings as views (read straight by polars) or with offsets; the first-byte test reads
    either layout from its buffers, inline (<= 12 bytes) and out-of-line values, slices and nulls alike."""
    import pyarrow as pa

    from accord.sweep.readers import _starts_odd

    values = ["[1]", "{a}", "x", "", None, "[" + "y" * 40, "{" + "z" * 11, "plain" * 9, "1.2.3.4", "]", "["]
    arr = pa.array(values * 3, type=getattr(pa, arrow_type)())
    for part in (arr, arr.slice(5, 20)):
        got = _starts_odd(part).tolist()
        want = [bool(v) and v[0] in "[{" for v in part.to_pylist()]
        assert [g for g, v in zip(got, part.to_pylist(), strict=True) if v is not None] == [
            w for w, v in zip(want, part.to_pylist(), strict=True) if v is not None
        ]
