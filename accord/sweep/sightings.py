"""Aggregates -> STIX 2.1 sightings bundle, and hits -> NDJSON lines.

One sighting per matched indicator, sighted by the sweeping organization, whose identity is in the same
bundle so the producer can tell who saw what. A sighting of a timestamped log is named by what it says
(``sighting_id``), so sweeping the same log again yields the very same objects and sends no duplicates.
"""

from __future__ import annotations

import os
import uuid
from typing import IO

import polars as pl
import stix2

from accord.sweep.evaluator import stix_time
from accord.sweep.indicators import Compiled

DEFAULT_IDENTITY = "Accord node"
# the namespace of sighting ids (fixed: changing it would re-send every sighting ever made)
SIGHTING_NAMESPACE = uuid.UUID("6b3f2c1e-8d4a-5f0b-9e7c-2a1d4c5b6e70")


def identity(name: str | None = None) -> stix2.Identity:
    """The sweeping organization (name from the option, ACCORD_IDENTITY_NAME, or a default)."""
    return stix2.Identity(
        name=name or os.environ.get("ACCORD_IDENTITY_NAME") or DEFAULT_IDENTITY, identity_class="organization"
    )


def sighting_id(indicator_id: str, sighter_id: str, first_seen: str, last_seen: str, count: int) -> str:
    """The id of the sighting that says exactly this: the same sweep of the same log gives the same id."""
    key = "|".join((indicator_id, sighter_id, first_seen, last_seen, str(count)))
    return f"sighting--{uuid.uuid5(SIGHTING_NAMESPACE, key)}"


def build_sightings(counts: pl.DataFrame, comp: Compiled, who: stix2.Identity) -> list[stix2.Sighting]:
    """One sighting per sighted indicator; deterministic (id and timestamps) when the log has times.

    created and modified are the last time seen, not the time of the sweep, so a second sweep of the
    same log is the same version of the same object ("already stored"), never a new one. Without times
    nothing tells two logs apart, so such sightings keep a random id and the sweep's time.
    """
    out = []
    for idx, count, first, last in counts.sort("idx").iter_rows():
        extra: dict[str, str] = {}
        if first is not None:
            first_seen, last_seen = stix_time(first), stix_time(last)
            extra = {
                "id": sighting_id(comp.ids[idx], who.id, first_seen, last_seen, int(count)),
                "first_seen": first_seen,
                "last_seen": last_seen,
                "created": last_seen,
                "modified": last_seen,
            }
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
