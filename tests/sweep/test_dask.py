"""The Dask engine on a two-worker LocalCluster produces exactly the local engine's output."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from distributed import Client, LocalCluster

from accord.sweep import FalsePositives, SweepOptions, compile_indicators, sweep

from . import sweep_gen

GENERAL = [
    "[ipv4-addr:value = '203.0.113.1'] FOLLOWEDBY [domain-name:value = 'evil.com']",
    "[network-traffic:dst_port > 1000]",
]


@pytest.fixture(scope="module")
def client():  # type: ignore[no-untyped-def]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as c:
            yield c


def test_dask_engine_equals_local_engine(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(99)
    logs = []
    for k in range(3):
        p = tmp_path / f"eve{k}.json"
        p.write_text("\n".join(json.dumps(sweep_gen.eve_event(rng)) for _ in range(600)) + "\n{bad\n")
        logs.append(str(p))
    comp = compile_indicators(sweep_gen.indicators(rng, 150, GENERAL), FalsePositives.empty())
    opts = SweepOptions(fmt="eve", chunk_size=1 << 15)
    local_hits, dask_hits = io.BytesIO(), io.BytesIO()
    local = sweep(logs, comp, opts, hits_out=local_hits)
    remote = sweep(logs, comp, opts, hits_out=dask_hits, engine="dask", scheduler=client)
    assert local_hits.getvalue().count(b"\n") > 100
    assert dask_hits.getvalue() == local_hits.getvalue()
    assert remote.counts.equals(local.counts)
    assert (remote.events, remote.malformed_count) == (local.events, local.malformed_count) == (1800, 3)
    assert len(client.scheduler_info()["workers"]) == 2


def test_cli_dask_engine_with_scheduler_address(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from .test_cli import EVENTS, INDICATORS, invoke

    log = tmp_path / "eve.json"
    log.write_text("\n".join(json.dumps(e) for e in EVENTS) + "\n")
    bundle = tmp_path / "ind.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": INDICATORS}))
    outs = {}
    for engine in ("local", "dask"):
        out = tmp_path / f"{engine}.ndjson"
        args = ["--engine", engine] + (["--scheduler", client.scheduler.address] if engine == "dask" else [])
        r = invoke(str(log), "--indicators", str(bundle), "--hits", str(out), *args)
        assert r.exit_code == 0, r.output
        outs[engine] = out.read_bytes()
    assert outs["dask"] == outs["local"] and outs["local"].count(b"\n") == 2
    r = invoke("-", "--indicators", str(bundle), "--engine", "dask")
    assert r.exit_code != 0 and "standard input" in r.stderr


def test_byte_ranges_start_at_line_starts_and_cover_the_file(tmp_path: Path) -> None:
    from accord.sweep.dask_runner import ranges

    p = tmp_path / "x.json"
    data = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 37)) for i in range(500))
    p.write_bytes(data)
    for size in (1, 50, 333, 4096, len(data) - 1, len(data) + 10):
        rs = ranges(str(p), size)
        assert rs[0][0] == 0 and rs[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(rs, rs[1:], strict=False))
        assert all(start == 0 or data[start - 1 : start] == b"\n" for start, _ in rs)
        assert sum(data[a:b].count(b"\n") for a, b in rs) == 500


def test_dask_byte_ranges_equal_local_engine(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import gzip

    from accord.sweep.dask_runner import plan

    rng = random.Random(5)
    lines = [json.dumps(sweep_gen.eve_event(rng)) for _ in range(2400)]
    for pos in (5, 700, 1999):
        lines.insert(pos, "{bad")
    lines.insert(1200, "")
    big = tmp_path / "big.json"
    big.write_text("\n".join(lines) + "\n")
    gz = tmp_path / "small.json.gz"
    gz.write_bytes(gzip.compress(("\n".join(lines[:300]) + "\n").encode()))
    logs = [str(big), str(gz)]
    general = [*GENERAL, "[domain-name:value = 'evil.com'] REPEATS 2 TIMES"]
    comp = compile_indicators(sweep_gen.indicators(rng, 200, general), FalsePositives.empty())
    opts = SweepOptions(chunk_size=1 << 14, split_bytes=40_000)
    tasks = plan(logs, opts)
    assert sum(1 for p, _, _ in tasks if p == str(big)) > 5  # the big file is cut into ranges
    assert [r for p, _, r in tasks if p == str(gz)] == [None]  # compressed: one task
    local_hits, dask_hits = io.BytesIO(), io.BytesIO()
    local = sweep(logs, comp, opts, hits_out=local_hits)
    remote = sweep(logs, comp, opts, hits_out=dask_hits, engine="dask", scheduler=client)
    assert local_hits.getvalue().count(b"\n") > 300
    assert dask_hits.getvalue() == local_hits.getvalue()
    assert remote.counts.equals(local.counts)
    assert [(m.file, m.line) for m in remote.malformed] == [(m.file, m.line) for m in local.malformed]
    assert [m.line for m in local.malformed][:3] == [6, 701, 2001]  # the blank line moved the last one
    assert (remote.events, remote.malformed_count, remote.nbytes) == (
        local.events,
        local.malformed_count,
        local.nbytes,
    )
    assert remote.problems == local.problems
