"""The partner's side: canonical values of its logs (the sweep's readers and observations), blinded,
evaluated by the holder, finalized, matched against the published tags, and turned into the same
per-indicator counts as the plain sweep, so ``accord.sweep.sightings.build_sightings`` makes the
sightings.

Only distinct values are evaluated (a value seen in a million events costs one unit of quota), and
with the node's cache (``cache``) only those not evaluated under the same key before. A
domain is asked with each of its parent names unless ``exact_domains``, since a domain indicator also
matches its subdomains in the sweep. The partner never receives a protected value: it learns, for
each value of its own, whether the holder protects it and then which indicators (ids and validity).
"""

from __future__ import annotations

import multiprocessing
import secrets
import sys
import types
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import polars as pl

from accord.private_sweep import oprf, published
from accord.private_sweep.cache import Cache
from accord.private_sweep.cache import digest as cache_digest
from accord.private_sweep.client import Client, PublishedSet
from accord.private_sweep.protected import Ref
from accord.sweep import observations, readers
from accord.sweep.runner import COUNTS_SCHEMA, SweepOptions

DOMAIN = "domain-name:value"


@dataclass
class Result:
    """What a private sweep found: counts per indicator (as the plain sweep's), and its costs."""

    counts: pl.DataFrame
    ids: list[str]
    events: int = 0
    values: int = 0  # distinct values asked (the quota spent)
    matched_values: int = 0
    malformed: list[readers.Malformed] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    cached: int = 0  # distinct values matched from the partner's cache (not asked, no quota spent)
    cache_error: str | None = None  # the cache could not be written (the sweep's result stands)

    @property
    def comp(self) -> Any:
        """What ``build_sightings`` reads of a compiled feed (the indicator ids)."""
        return SimpleNamespace(ids=self.ids)


def _us(ts: str | None) -> int | None:
    if not ts:
        return None
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1_000_000)


def event_keys(logs: list[str], opts: SweepOptions, kinds: set[str]) -> tuple[pl.DataFrame, int, list]:
    """(file, line, ts, key) for every value of every event of the logs whose kind the holder protects;
    ``key`` is the PRF input (``protected.value_key``). Also the number of events and malformed lines."""
    wanted = frozenset(kinds)
    parts: list[pl.DataFrame] = []
    events = 0
    malformed: list[readers.Malformed] = []
    for path in logs:
        batches = readers.read_log(
            path, opts.fmt, opts.mapping, opts.time_field, opts.chunk_size, kinds=wanted, threads=opts.threads
        )
        for batch in batches:
            malformed.extend(batch.malformed)
            events += batch.frame.height
            obs = observations.build(batch.frame, batch.roles, wanted, need_ip4=False)
            obs = obs.filter(pl.col("kind").is_in(list(wanted))).select("line", "kind", "value")
            if not opts.exact_domains and DOMAIN in wanted:
                doms = obs.filter(pl.col("kind") == DOMAIN)
                labels = doms["value"].str.split(".")
                parents = (
                    doms.with_columns(labels=labels, n=labels.list.len())
                    .with_columns(start=pl.int_ranges(1, pl.col("n")))
                    .explode("start")
                    .drop_nulls("start")
                    .select(
                        "line",
                        "kind",
                        pl.col("labels").list.slice(pl.col("start")).list.join(".").alias("value"),
                    )
                )
                obs = pl.concat([obs, parents])
            ts = batch.frame.select(
                "line", pl.col("ts") if "ts" in batch.frame.columns else pl.lit(None, pl.Int64)
            )
            frame = obs.select(
                pl.lit(path).alias("file"), "line", (pl.col("kind") + "\0" + pl.col("value")).alias("key")
            ).join(ts.rename({ts.columns[1]: "ts"}), on="line", how="left")
            parts.append(frame.unique())
    if not parts:
        empty = pl.DataFrame(schema={"file": pl.Utf8, "line": pl.Int64, "key": pl.Utf8, "ts": pl.Int64})
        return empty, events, malformed
    return pl.concat(parts), events, malformed


PROCESSES_FROM = 16_384  # fewer values: not worth starting worker processes


def _processes(n: int) -> ProcessPoolExecutor:
    """``n`` worker processes, started now. Spawned, not forked (this process runs polars' and
    httpx's threads, which a fork would copy in whatever state they are), and spawned without the
    caller's main module: a spawned worker imports it by default (1.8 s for ``accord.cli``, and a
    script without a main guard would run again), while these need only ``oprf``."""
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")  # what the workers are told to import
    try:
        # each submit starts a worker while none is idle; the workers import only oprf (not this module)
        started = [pool.submit(oprf.require) for _ in range(n)]
    finally:
        sys.modules["__main__"] = main
    for f in started:
        f.result()
    return pool


def _open(pset: PublishedSet, key: str, y: bytes, hits: dict[str, list[Ref]]) -> None:
    sealed = pset.entries.get(published.tag_of(y))
    if sealed is not None:
        hits[key] = published.open_refs(y, sealed)


def evaluate_all(
    keys: list[str],
    pset: PublishedSet,
    call: Callable[[list[bytes]], bytes],
    batch: int | None = None,
    threads: int | None = None,
    on_outputs: Callable[[list[str], list[bytes]], None] | None = None,
) -> dict[str, list[Ref]]:
    """The indicators behind each key the holder protects: batches blinded, evaluated by ``call``
    (one HTTP request each), finalized, matched and opened, ``threads`` batches at a time (blinded and
    finalized in as many worker processes when there are many keys) plus one, so a request is in
    flight meanwhile and the holder's evaluation overlaps the partner's work. The
    first failure stops the exchange: no batch is sent after it. ``on_outputs`` is given the keys and
    PRF outputs of every batch evaluated, also of those beside a failed one (their quota was spent)."""
    size = min(batch or pset.max_batch, pset.max_batch, oprf.MAX_BATCH)
    found: dict[str, list[Ref]] = {}
    cores = threads or oprf.workers()
    # blind and finalize in worker processes, not threads: two threads calling libsodium at once pay
    # 15-50% more CPU per call for handing the GIL over (measured here), processes nothing
    crunch = _processes(cores) if cores > 1 and len(keys) >= PROCESSES_FROM else None

    def one(part: list[str]) -> tuple[dict[str, list[Ref]], list[bytes]]:
        inputs = [k.encode() for k in part]
        if crunch is None:
            blinded = oprf.blind(inputs, threads=1)
            ys = oprf.finalize(blinded, call(blinded.elements), threads=1)
        else:
            blinded = crunch.submit(oprf.blind, inputs, 1).result()
            ys = crunch.submit(oprf.finalize, blinded, call(blinded.elements), 1).result()
        hits: dict[str, list[Ref]] = {}
        for key, y in zip(part, ys, strict=True):
            _open(pset, key, y, hits)
        return hits, ys

    def done(part: list[str], future: Future[tuple[dict[str, list[Ref]], list[bytes]]]) -> None:
        hits, ys = future.result()
        found.update(hits)
        if on_outputs is not None:
            on_outputs(part, ys)

    chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
    window = (threads or oprf.workers()) + 1
    pool = ThreadPoolExecutor(max_workers=window)
    pending: deque[tuple[list[str], Future[tuple[dict[str, list[Ref]], list[bytes]]]]] = deque()
    try:
        for part in chunks:
            if len(pending) >= window:
                done(*pending.popleft())
            pending.append((part, pool.submit(one, part)))
        while pending:
            done(*pending.popleft())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if crunch is not None:
            crunch.shutdown(wait=True, cancel_futures=True)
        # after a failure, the batches that were in flight beside it were evaluated and paid for
        if on_outputs is not None:
            for part, future in pending:
                if not future.cancelled() and future.exception() is None:
                    on_outputs(part, future.result()[1])
    return found


def counts_of(events: pl.DataFrame, found: dict[str, list[Ref]]) -> tuple[pl.DataFrame, list[str]]:
    """Events per indicator (count, first, last), validity applied as in the sweep."""
    ids: list[str] = sorted({ref[0] for refs in found.values() for ref in refs})
    if not ids:
        return pl.DataFrame(schema=COUNTS_SCHEMA), ids
    index = {iid: i for i, iid in enumerate(ids)}
    rows = [(key, index[iid], _us(vf), _us(vu)) for key, refs in found.items() for iid, vf, vu in refs]
    table = pl.DataFrame(
        rows, schema={"key": pl.Utf8, "idx": pl.Int64, "vf": pl.Int64, "vu": pl.Int64}, orient="row"
    )
    hits = events.join(table, on="key", how="inner")
    ts = pl.col("ts")
    valid = ts.is_null() | (
        (pl.col("vf").is_null() | (ts >= pl.col("vf"))) & (pl.col("vu").is_null() | (ts < pl.col("vu")))
    )
    hits = hits.filter(valid).unique(["file", "line", "idx"])
    counts = (
        hits.group_by("idx")
        .agg(pl.len().cast(pl.Int64).alias("count"), ts.min().alias("first"), ts.max().alias("last"))
        .sort("idx")
        .select([pl.col(c).cast(t) for c, t in COUNTS_SCHEMA.items()])
    )
    return counts, ids


def private_sweep(
    logs: list[str], client: Client, opts: SweepOptions | None = None, cache: Cache | None = None
) -> Result:
    """The whole exchange with one holder; raises ``RemoteError``, ``BadEvaluation``, ``LogError`` or
    ``LibraryMissing``. With a ``cache``, values whose output it holds under the set's key are matched
    from it, not asked (no quota spent), and the outputs of the values asked are added to it."""
    import time

    opts = opts or SweepOptions()
    oprf.require()
    t0 = time.perf_counter()
    pset = client.fetch_set()
    t1 = time.perf_counter()
    events, n_events, malformed = event_keys(logs, opts, pset.kinds)
    keys = events["key"].unique().to_list()
    t2 = time.perf_counter()
    found: dict[str, list[Ref]] = {}
    known = cache.load(pset.key_id) if cache is not None else {}
    ask = []
    for key in keys:
        y = known.get(cache_digest(key.encode())) if known else None
        if y is None:
            ask.append(key)
        else:
            _open(pset, key, y, found)
    del known
    # in random order: which batch a value went in says nothing about it (OPRF mode has no proof
    # that every batch was evaluated under the published key; see docs/private-sweep.md)
    secrets.SystemRandom().shuffle(ask)
    t3 = time.perf_counter()
    # the outputs go into the cache batch by batch on a thread of their own, while the exchange runs
    # (SQLite works without the GIL): a first sweep stores ~10^6 rows, seconds if done after it
    writer = ThreadPoolExecutor(max_workers=1) if cache is not None else None
    writes: list[Future[int]] = []

    def keep(part: list[str], ys: list[bytes]) -> None:
        assert writer is not None and cache is not None
        pairs = list(zip(part, ys, strict=True))
        writes.append(
            writer.submit(lambda: cache.store(pset.key_id, ((cache_digest(k.encode()), y) for k, y in pairs)))
        )

    try:
        found.update(
            evaluate_all(
                ask,
                pset,
                lambda elements: client.evaluate(pset.key_id, elements),
                threads=opts.threads,
                on_outputs=keep if cache is not None else None,
            )
        )
    finally:
        t4 = time.perf_counter()
        if writer is not None:
            writer.shutdown(wait=True)
    cache_error = next((str(w.exception()) for w in writes if w.exception() is not None), None)
    t5 = time.perf_counter()
    counts, ids = counts_of(events, found)
    seconds = {
        "set": t1 - t0,
        "read": t2 - t1,
        "cache": (t3 - t2) + (t5 - t4),  # loading and matching; then waiting for the last writes
        "exchange": t4 - t3,
        "count": time.perf_counter() - t5,
    }
    return Result(
        counts, ids, n_events, len(ask), len(found), malformed, seconds, len(keys) - len(ask), cache_error
    )
