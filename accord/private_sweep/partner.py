"""The partner's side: canonical values of its logs (the sweep's readers and observations), blinded,
evaluated by the holder, finalized, matched against the published tags, and turned into the same
per-indicator counts as the plain sweep, so ``accord.sweep.sightings.build_sightings`` makes the
sightings.

Only distinct values are evaluated (a value seen in a million events costs one unit of quota). A
domain is asked with each of its parent names unless ``exact_domains``, since a domain indicator also
matches its subdomains in the sweep. The partner never receives a protected value: it learns, for
each value of its own, whether the holder protects it and then which indicators (ids and validity).
"""

from __future__ import annotations

import secrets
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import polars as pl

from accord.private_sweep import oprf, published
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


def evaluate_all(
    keys: list[str],
    pset: PublishedSet,
    call: Callable[[list[bytes]], bytes],
    batch: int | None = None,
    threads: int | None = None,
) -> dict[str, list[Ref]]:
    """The indicators behind each key the holder protects: batches blinded, evaluated by ``call``
    (one HTTP request each), finalized, matched and opened, ``threads`` batches at a time (libsodium
    releases the GIL, so they use as many cores) plus one, so a request is in flight meanwhile. The
    first failure stops the exchange: no batch is sent after it."""
    size = min(batch or pset.max_batch, pset.max_batch, oprf.MAX_BATCH)
    found: dict[str, list[Ref]] = {}

    def one(part: list[str]) -> dict[str, list[Ref]]:
        blinded = oprf.blind([k.encode() for k in part], threads=1)
        outputs = oprf.finalize(blinded, call(blinded.elements), threads=1)
        hits = {}
        for key, y in zip(part, outputs, strict=True):
            sealed = pset.entries.get(published.tag_of(y))
            if sealed is not None:
                hits[key] = published.open_refs(y, sealed)
        return hits

    chunks = [keys[i : i + size] for i in range(0, len(keys), size)]
    window = (threads or oprf.workers()) + 1
    pool = ThreadPoolExecutor(max_workers=window)
    try:
        pending: deque[Future[dict[str, list[Ref]]]] = deque()
        for part in chunks:
            if len(pending) >= window:
                found.update(pending.popleft().result())
            pending.append(pool.submit(one, part))
        while pending:
            found.update(pending.popleft().result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
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


def private_sweep(logs: list[str], client: Client, opts: SweepOptions | None = None) -> Result:
    """The whole exchange with one holder; raises ``RemoteError``, ``BadEvaluation``, ``LogError`` or
    ``LibraryMissing``."""
    import time

    opts = opts or SweepOptions()
    oprf.require()
    t0 = time.perf_counter()
    pset = client.fetch_set()
    t1 = time.perf_counter()
    events, n_events, malformed = event_keys(logs, opts, pset.kinds)
    # in random order: which batch a value went in says nothing about it (OPRF mode has no proof
    # that every batch was evaluated under the published key; see docs/private-sweep.md)
    keys = events["key"].unique().to_list()
    secrets.SystemRandom().shuffle(keys)
    t2 = time.perf_counter()
    found = evaluate_all(
        keys, pset, lambda elements: client.evaluate(pset.key_id, elements), threads=opts.threads
    )
    t3 = time.perf_counter()
    counts, ids = counts_of(events, found)
    seconds = {"set": t1 - t0, "read": t2 - t1, "exchange": t3 - t2, "count": time.perf_counter() - t3}
    return Result(counts, ids, n_events, len(keys), len(found), malformed, seconds)
