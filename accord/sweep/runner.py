"""Sweep orchestration: files -> batches -> hits -> per-indicator aggregates.

`sweep_file` is the unit of work for both engines (the Dask runner calls it once per file), so the two
produce the same output by construction; `merge` combines per-file results and finishes the patterns
that need events from several files together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from accord.sweep import engine, evaluator, observations, readers
from accord.sweep.indicators import Compiled, Problem

MAX_REPORTED = 10
COUNTS_SCHEMA = {"idx": pl.Int64, "count": pl.Int64, "first": pl.Int64, "last": pl.Int64}
FILE_HITS_SCHEMA = {"file": pl.Utf8, **engine.HITS_SCHEMA}


@dataclass
class SweepOptions:
    fmt: str = "auto"
    mapping: dict[str, str] | None = None
    time_field: str | None = None
    exact_domains: bool = False
    chunk_size: int = readers.CHUNK
    max_candidates: int = evaluator.MAX_CANDIDATES  # per multi-event pattern; beyond it: reported
    split_bytes: int = 64 << 20  # Dask engine: byte-range size for uncompressed JSON lines/access logs
    # DuckDB's parser threads (None: all cores). Polars' pool is fixed when polars is first imported:
    # `accord sweep --threads` sets POLARS_MAX_THREADS before that; library users set it themselves.
    threads: int | None = None


@dataclass
class FileResult:
    file: str
    counts: pl.DataFrame
    hits: pl.DataFrame | None
    events: int = 0
    nbytes: int = 0
    malformed_count: int = 0
    malformed: list[readers.Malformed] = field(default_factory=list)
    candidates: dict[int, list[tuple[int, int | None, str | None, str | None, dict]]] = field(
        default_factory=dict
    )
    overflow: set[int] = field(default_factory=set)
    failed: dict[int, str] = field(default_factory=dict)  # general patterns the matcher could not evaluate
    lines: int = 0  # lines read, so byte ranges of one file can be renumbered after the fact


@dataclass
class SweepResult:
    counts: pl.DataFrame  # idx, count, first, last
    files: list[str]
    events: int
    nbytes: int
    malformed_count: int
    malformed: list[readers.Malformed]
    problems: list[Problem]
    late_hits: pl.DataFrame  # hits of multi-observation patterns, known only at the end


def aggregate(hits: pl.DataFrame) -> pl.DataFrame:
    return hits.group_by("idx").agg(
        pl.len().cast(pl.Int64).alias("count"),
        pl.col("ts").min().alias("first"),
        pl.col("ts").max().alias("last"),
    )


def _merge_counts(frames: list[pl.DataFrame]) -> pl.DataFrame:
    if not frames:
        return pl.DataFrame(schema=COUNTS_SCHEMA)
    return (
        pl.concat([f.cast(COUNTS_SCHEMA) for f in frames])  # type: ignore[arg-type]
        .group_by("idx")
        .agg(pl.col("count").sum(), pl.col("first").min(), pl.col("last").max())
        .sort("idx")
    )


def _general_hits(
    obs: pl.DataFrame, times: pl.DataFrame, comp: Compiled, path: str, res: FileResult, opts: SweepOptions
) -> list[pl.DataFrame]:
    out = []
    for gen in comp.general:
        if gen.idx in res.failed:
            continue
        cands = evaluator.candidate_events(obs, times, gen).with_columns(idx=pl.lit(gen.idx, pl.Int64))
        cands = cands.join(comp.validity, on="idx")
        ts = pl.col("ts")
        cands = cands.filter(
            ts.is_null()
            | (
                (pl.col("vf").is_null() | (ts >= pl.col("vf")))
                & (pl.col("vu").is_null() | (ts < pl.col("vu")))
            )
        )
        if cands.is_empty():
            continue
        sdos = evaluator.event_sdos(obs, cands, path)
        if gen.mode == "event":
            try:
                lines = evaluator.match_each(gen, sdos)
            except Exception as exc:  # stix2-matcher raises many kinds on patterns it cannot run
                res.failed[gen.idx] = f"evaluator failed: {exc}"
                continue
            if lines:
                out.append(
                    cands.filter(pl.col("line").is_in(lines)).select(
                        "line", "idx", pl.col("field"), pl.col("value"), "ts"
                    )
                )
        elif gen.idx not in res.overflow:
            store = res.candidates.setdefault(gen.idx, [])
            first = {r[0]: (r[1], r[2]) for r in cands.select("line", "field", "value").iter_rows()}
            store.extend((line, t, *first[line], sdo) for line, t, sdo in sdos)
            if len(store) > opts.max_candidates:
                res.overflow.add(gen.idx)
                store.clear()
    return out


def sweep_file(
    path: str,
    comp: Compiled,
    opts: SweepOptions,
    on_batch: Callable[[int, int, int], None] | None = None,
    on_hits: Callable[[pl.DataFrame], None] | None = None,
    keep_hits: bool = False,
    byte_range: tuple[int, int] | None = None,
) -> FileResult:
    """Sweep one log (or the lines starting in a byte range of it, numbered from 1). Hits go to `on_hits`
    batch by batch (or are kept, for remote workers)."""
    res = FileResult(path, pl.DataFrame(schema=COUNTS_SCHEMA), None)
    counts: list[pl.DataFrame] = []
    kept: list[pl.DataFrame] = []
    general = bool(comp.general)
    batches = readers.read_log(
        path,
        opts.fmt,
        opts.mapping,
        opts.time_field,
        opts.chunk_size,
        general,
        byte_range,
        comp.kinds,
        threads=opts.threads,
    )
    for batch in batches:
        res.malformed_count += len(batch.malformed)
        res.malformed.extend(batch.malformed[: MAX_REPORTED - len(res.malformed)])
        frame = batch.frame
        times = frame.select("line", "ts" if general else "ts_raw")
        obs = None
        if general:  # the evaluator needs every object of the candidate events
            obs = observations.build(frame, batch.roles, None, need_ip4=not comp.segs4.is_empty())
        hits = engine.match(frame, batch.roles, times, comp, opts.exact_domains, obs)
        if obs is not None:
            extra = _general_hits(obs, times, comp, path, res, opts)
            if extra:
                hits = pl.concat([hits, *extra]).sort("line", "idx")
        res.events += frame.height
        res.lines += batch.lines
        res.nbytes += batch.nbytes
        if hits.height:
            counts.append(aggregate(hits))
            fh = hits.select(pl.lit(path).alias("file"), *engine.HITS_SCHEMA)
            if on_hits is not None:
                on_hits(fh)
            if keep_hits:
                kept.append(fh)
        if on_batch is not None:
            on_batch(batch.nbytes, frame.height, hits.height)
    res.counts = _merge_counts(counts)
    if keep_hits:
        res.hits = pl.concat(kept) if kept else pl.DataFrame(schema=FILE_HITS_SCHEMA)
    return res


def combine(parts: list[FileResult]) -> FileResult:
    """The results of consecutive byte ranges of one file as one, with line numbers made file-wide."""
    if len(parts) == 1:
        return parts[0]
    out = FileResult(parts[0].file, _merge_counts([p.counts for p in parts]), None)
    hits = []
    offset = 0
    for p in parts:
        if p.hits is not None:
            hits.append(p.hits.with_columns(pl.col("line") + offset))
        for m in p.malformed:
            if len(out.malformed) < MAX_REPORTED:
                out.malformed.append(readers.Malformed(m.file, m.line + offset, m.reason))
        for idx, cands in p.candidates.items():
            if idx not in out.overflow:
                out.candidates.setdefault(idx, []).extend((c[0] + offset, *c[1:]) for c in cands)
        out.overflow |= p.overflow
        out.failed.update(p.failed)
        out.events += p.events
        out.nbytes += p.nbytes
        out.malformed_count += p.malformed_count
        offset += p.lines
    for idx in out.overflow:
        out.candidates.pop(idx, None)
    out.lines = offset
    out.hits = pl.concat(hits) if hits else None
    return out


def _too_many(limit: int) -> str:
    return (
        f"more than {limit:,} candidate events for a pattern spanning events: not evaluated "
        "(raise SweepOptions.max_candidates)"
    )


def merge(
    results: list[FileResult], comp: Compiled, max_candidates: int = evaluator.MAX_CANDIDATES
) -> SweepResult:
    """Combine per-file results (in file order) and evaluate multi-observation patterns over all files."""
    problems = list(comp.problems)
    late: list[dict] = []
    overflow = set().union(*(r.overflow for r in results)) if results else set()
    failed = {k: v for r in results for k, v in r.failed.items()}
    for idx, reason in sorted(failed.items()):
        problems.append(Problem(comp.ids[idx], reason))
    for gen in comp.general:
        if gen.mode != "multi" or gen.idx in failed:
            continue
        if gen.idx in overflow:
            problems.append(Problem(comp.ids[gen.idx], _too_many(max_candidates)))
            continue
        pool = [(r.file, *c) for r in results for c in r.candidates.get(gen.idx, [])]
        if len(pool) > max_candidates:  # the limit holds for all files together, and is reported
            problems.append(Problem(comp.ids[gen.idx], _too_many(max_candidates)))
            continue
        sdos = [evaluator.renumber(sdo, n) for n, (_, _, _, _, _, sdo) in enumerate(pool)]
        if not sdos:
            continue
        try:
            matched = evaluator.match_together(gen, sdos)
        except Exception as exc:  # as above: report, never crash the sweep
            problems.append(Problem(comp.ids[gen.idx], f"evaluator failed: {exc}"))
            continue
        for n, (file, line, ts, fld, val, _) in enumerate(pool):
            if f"observed-data--{n}" in matched:
                late.append(
                    {"file": file, "line": line, "idx": gen.idx, "field": fld, "value": val, "ts": ts}
                )
    late_hits = pl.DataFrame(late, schema=FILE_HITS_SCHEMA)
    counts = [r.counts for r in results] + ([aggregate(late_hits)] if late else [])
    malformed = [m for r in results for m in r.malformed][:MAX_REPORTED]
    return SweepResult(
        counts=_merge_counts(counts),
        files=[r.file for r in results],
        events=sum(r.events for r in results),
        nbytes=sum(r.nbytes for r in results),
        malformed_count=sum(r.malformed_count for r in results),
        malformed=malformed,
        problems=problems,
        late_hits=late_hits,
    )
