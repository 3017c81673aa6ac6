"""Library entry point: compile indicators once, sweep logs, get aggregates, sightings and hits."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

import polars as pl

from accord.sweep import dask_runner, runner, sightings
from accord.sweep.falsepositives import FalsePositives
from accord.sweep.indicators import Compiled, compile_indicators, load_objects
from accord.sweep.runner import SweepOptions, SweepResult


def load_indicators(path: str, false_positives: FalsePositives | None = None) -> Compiled:
    """Read and compile a bundle/envelope; the shipped false-positive list applies unless one is given."""
    return compile_indicators(
        load_objects(path), FalsePositives.load() if false_positives is None else false_positives
    )


def sweep(
    logs: list[str],
    comp: Compiled,
    opts: SweepOptions | None = None,
    hits_out: IO[bytes] | None = None,
    engine: str = "local",
    scheduler: object = None,
    on_batch: Callable[[int, int, int], None] | None = None,
) -> SweepResult:
    """Sweep logs with the local or the Dask engine; hits are written to `hits_out` as NDJSON if given."""
    opts = opts or SweepOptions()

    def emit(hits: pl.DataFrame) -> None:
        if hits_out is not None and hits.height:
            sightings.write_hits(hits, comp, hits_out)

    if engine == "dask":
        results = dask_runner.run(logs, comp, opts, scheduler)
        for r in results:
            if r.hits is not None:
                emit(r.hits)
            if on_batch is not None:
                on_batch(r.nbytes, r.events, 0 if r.hits is None else r.hits.height)
    elif engine == "local":
        results = [runner.sweep_file(p, comp, opts, on_batch=on_batch, on_hits=emit) for p in logs]
    else:
        raise ValueError(f"unknown engine {engine!r} (local or dask)")
    result = runner.merge(results, comp, opts.max_candidates)
    emit(result.late_hits)
    return result


def sightings_bundle(
    result: SweepResult, comp: Compiled, who: sightings.StixObject | None = None
) -> sightings.StixObject:
    """STIX 2.1 bundle (a dict) with the sweeping identity and one sighting per matched indicator."""
    who = who or sightings.identity()
    return sightings.bundle(sightings.build_sightings(result.counts, comp, who), who)
