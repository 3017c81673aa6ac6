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
