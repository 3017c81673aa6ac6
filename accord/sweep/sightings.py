"""Aggregates -> STIX 2.1 sightings bundle, and hits -> NDJSON lines.

One sighting per matched indicator, sighted by the sweeping organization, whose identity is in the same
bundle so the producer can tell who saw what.
"""

from __future__ import annotations

import os
from typing import IO

import polars as pl
import stix2

from accord.sweep.evaluator import stix_time
from accord.sweep.indicators import Compiled

DEFAULT_IDENTITY = "Accord node"


def identity(name: str | None = None) -> stix2.Identity:
    """The sweeping organization (name from the option, ACCORD_IDENTITY_NAME, or a default)."""
    return stix2.Identity(
        name=name or os.environ.get("ACCORD_IDENTITY_NAME") or DEFAULT_IDENTITY, identity_class="organization"
    )


def build_sightings(counts: pl.DataFrame, comp: Compiled, who: stix2.Identity) -> list[stix2.Sighting]:
    out = []
    for idx, count, first, last in counts.sort("idx").iter_rows():
        extra = {"first_seen": stix_time(first), "last_seen": stix_time(last)} if first is not None else {}
        out.append(
            stix2.Sighting(
                sighting_of_ref=comp.ids[idx],
                count=int(count),
                where_sighted_refs=[who.id],
                created_by_ref=who.id,
                **extra,
            )
        )
    return out


def bundle(sightings: list[stix2.Sighting], who: stix2.Identity) -> stix2.Bundle:
    return stix2.Bundle(objects=[who, *sightings])


def write_hits(hits: pl.DataFrame, comp: Compiled, out: IO[bytes]) -> None:
    """One JSON line per (event, indicator): file, line, time, field, value, indicator (vectorized)."""
    if comp.id_series is None:
        comp.id_series = pl.Series("indicator", comp.ids, dtype=pl.Utf8)
    # formatted once, the fraction cut for whole seconds (a when/then would format every time twice)
    full = pl.from_epoch("ts", "us").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f")
    time = pl.when(pl.col("ts") % 1_000_000 == 0).then(full.str.slice(0, 19)).otherwise(full) + "Z"
    frame = hits.select(
        "file",
        "line",
        time.alias("time"),
        "field",
        "value",
        comp.id_series.gather(hits["idx"]).alias("indicator"),
    )
    frame.write_ndjson(out)
