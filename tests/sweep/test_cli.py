"""The `sweep` command through typer's CliRunner, registered on a tiny app as the main app does."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from accord.sweep.command import sweep_command

from .conftest import write_bundle

app = typer.Typer()
app.command("sweep")(sweep_command)


@app.command("version")
def _version() -> None:
    """A second command, so that `sweep` is addressed by name as in the real app."""


EVENTS = [
    {
        "timestamp": "2024-03-01T10:00:00.250000+0000",
        "event_type": "dns",
        "src_ip": "10.0.0.5",
        "dest_ip": "203.0.113.9",
        "dns": {"rrname": "a.evil.com"},
    },
    {
        "timestamp": "2024-03-01T09:00:00.000001+0000",
        "event_type": "http",
        "src_ip": "10.0.0.6",
        "dest_ip": "203.0.113.9",
        "http": {"hostname": "evil.com", "url": "/x"},
    },
    {
        "timestamp": "2024-03-01T11:00:00.000000+0000",
        "event_type": "flow",
        "src_ip": "10.0.0.7",
        "dest_ip": "198.51.100.1",
    },
]
INDICATORS = [
    {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--11111111-1111-4111-8111-111111111111",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "pattern_type": "stix",
        "pattern": "[domain-name:value = 'evil.com']",
        "valid_from": "2024-01-01T00:00:00Z",
    },
    {
        "type": "indicator",
        "spec_version": "2.1",
        "id": "indicator--22222222-2222-4222-8222-222222222222",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "pattern_type": "stix",
        "pattern": "[ipv4-addr:value = '203.0.113.0/24'",
        "valid_from": "2024-01-01T00:00:00Z",
    },
]


def invoke(*args: str, stdin: bytes | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["sweep", *args], input=stdin)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "eve.json.gz"
    log.write_bytes(gzip.compress(("\n".join(json.dumps(e) for e in EVENTS) + "\n{oops\n").encode()))
    return log, write_bundle(tmp_path / "ind.json", INDICATORS)


def test_sweep_writes_sightings_hits_and_summary(files: tuple[Path, Path], tmp_path: Path) -> None:
    log, bundle = files
    out, hits = tmp_path / "s.json", tmp_path / "h.ndjson"
    r = invoke(
        str(log),
        "--indicators",
        str(bundle),
        "--out",
        str(out),
        "--hits",
        str(hits),
        "--identity-name",
        "CERT-X",
    )
    assert r.exit_code == 0, r.output
    assert "Sweep summary" in r.stdout and "events" in r.stdout
    assert "indicator--22222222-2222-4222-8222-222222222222" in r.stderr  # invalid pattern listed by id
    assert "malformed" in r.stderr and ":4:" in r.stderr  # file and line number of the bad line
    objs = json.loads(out.read_text())["objects"]
    ident = [o for o in objs if o["type"] == "identity"]
    assert len(ident) == 1 and ident[0]["name"] == "CERT-X"
    (s,) = [o for o in objs if o["type"] == "sighting"]
    assert s["sighting_of_ref"] == "indicator--11111111-1111-4111-8111-111111111111"
    assert s["count"] == 2 and s["where_sighted_refs"] == [ident[0]["id"]]
    assert (s["first_seen"], s["last_seen"]) == (
        "2024-03-01T09:00:00.000001Z",
        "2024-03-01T10:00:00.25Z",
    ) or (
        s["first_seen"],
        s["last_seen"],
    ) == ("2024-03-01T09:00:00.000001Z", "2024-03-01T10:00:00.250000Z")
    lines = [json.loads(x) for x in hits.read_text().splitlines()]
    assert [(h["line"], h["field"], h["value"]) for h in lines] == [
        (1, "dns.rrname", "a.evil.com"),
        (2, "http.hostname", "evil.com"),
    ]
    assert lines[0]["time"] == "2024-03-01T10:00:00.250000Z" and lines[0]["file"] == str(log)


def test_the_same_sweep_again_gives_the_same_sightings(files: tuple[Path, Path], tmp_path: Path) -> None:
    """Posted twice, a sweep of one log must not make duplicates at the producer: same ids."""
    log, bundle = files
    ids = []
    for n in range(2):
        out = tmp_path / f"s{n}.json"
        r = invoke(str(log), "--indicators", str(bundle), "--out", str(out), "--identity-name", "CERT-X")
        assert r.exit_code == 0, r.output
        ids.append(sorted(o["id"] for o in json.loads(out.read_text())["objects"]))
    assert ids[0] == ids[1] and any(i.startswith("sighting--") for i in ids[0])


def test_stdin_and_explicit_format(files: tuple[Path, Path]) -> None:
    log, bundle = files
    r = invoke("-", "--indicators", str(bundle), "--format", "eve", stdin=gzip.decompress(log.read_bytes()))
    assert r.exit_code == 0, r.output
    assert "indicators sighted" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.json", "--indicators", "{bundle}"], "no such file"),
        (["{log}", "--indicators", "{bundle}", "--format", "syslog"], "unknown format"),
        (["{log}", "--indicators", "{tmp}/none.json"], "cannot read indicators"),
        (["{log}", "--indicators", "{tmp}/notjson.json"], "not valid JSON"),
        (["{log}", "--indicators", "{tmp}/noobjects.json"], "no 'objects' list"),
        (["{log}"], "--indicators"),
        (["{log}", "--indicators", "{bundle}", "--map", "x=process:name"], "unsupported object path"),
        (["{log}", "--indicators", "{bundle}", "--post"], "--node and --collection"),
        (["{tmp}/words.txt", "--indicators", "{bundle}"], "cannot detect"),
    ],
)
def test_errors_are_one_line_with_nonzero_exit(files, tmp_path: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    log, bundle = files
    (tmp_path / "notjson.json").write_text("{")
    (tmp_path / "noobjects.json").write_text('{"type": "bundle"}')
    (tmp_path / "words.txt").write_text("hello world\n")
    subst = [a.format(log=log, bundle=bundle, tmp=tmp_path) for a in args]
    r = invoke(*subst)
    assert r.exit_code != 0
    assert message in r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and r.stderr.strip().splitlines()[-1] == errors[0]


def test_threads_caps_both_pools_and_changes_no_result(files: tuple[Path, Path], tmp_path: Path) -> None:
    """Polars sizes its pool when first imported, so this runs the real CLI in a fresh process."""
    log, bundle = files
    plain = tmp_path / "plain.ndjson"
    one = tmp_path / "one.ndjson"
    for hits, extra in ((plain, []), (one, ["--threads", "1"])):
        r = subprocess.run(
            [sys.executable, "-m", "accord.cli", "sweep", str(log), "-i", str(bundle), "--hits", str(hits)]
            + extra,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": "200"},
            check=False,
        )
        assert r.returncode == 0, r.stderr
        row = next(line for line in r.stdout.splitlines() if "matching threads (polars)" in line)
        threads = int(row.split("│")[-2])
        assert threads == 1 if extra else threads >= 1
    assert one.read_text() == plain.read_text() != ""


def test_reader_threads_reach_duckdb(tmp_path: Path) -> None:
    from accord.sweep.readers import _JsonReader

    reader = _JsonReader(str(tmp_path / "x.json"), {"src_ip": "src_ip"}, None, dotted=False, threads=1)
    assert reader.con.execute("SELECT current_setting('threads')").fetchone() == (1,)
