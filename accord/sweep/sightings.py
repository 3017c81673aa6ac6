"""Aggregates -> STIX 2.1 sightings bundle, and hits -> NDJSON lines.

One sighting per matched indicator, sighted by the sweeping organization, whose identity is in the same
bundle so the producer can tell who saw what. A sighting of a timestamped log is named by what it says
(``sighting_id``), so sweeping the same log again yields the very same objects and sends no duplicates.
Objects are plain dicts, in the property order stix2 serializes (building stix2 objects cost ~1.5 ms per
sighting); tests/sweep/test_sightings_dicts.py holds them to stix2-validator and to stix2's output.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import IO, Any

import polars as pl

from accord.sweep.evaluator import stix_time
from accord.sweep.indicators import Compiled

DEFAULT_IDENTITY = "Accord node"
# the namespace of sighting ids (fixed: changing it would re-send every sighting ever made)
SIGHTING_NAMESPACE = uuid.UUID("6b3f2c1e-8d4a-5f0b-9e7c-2a1d4c5b6e70")

StixObject = dict[str, Any]


def now_stamp() -> str:
    """The current time as a STIX timestamp with millisecond precision (YYYY-MM-DDTHH:MM:SS.sssZ)."""
    ns = time.time_ns()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 1_000_000_000)) + (
        f".{ns // 1_000_000 % 1000:03d}Z"
    )


def version_stamp(stamp: str) -> str:
    """`created`/`modified` of the same instant as `stamp`: at least millisecond digits, as STIX 2.1
    requires of them (and as stix2 wrote them: trailing zeros beyond the third digit dropped)."""
    base, dot, frac = stamp[:-1].partition(".")
    return f"{base}.{frac.rstrip('0').ljust(3, '0')}Z"


class IdentityError(ValueError):
    """The sweeping organization's id cannot be had (a bad ACCORD_IDENTITY_ID, a config file that
    cannot be read or written); the message names the fix."""


def identities_file() -> Path:
    """Where the ids of the sweeping organizations of this machine are kept."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "accord" / "identities.json"


def _identity_id(name: str) -> str:
    """ACCORD_IDENTITY_ID, else the id made for `name` on this machine the first time (random: two
    organizations of one name stay two), kept in `identities_file()`."""
    given = os.environ.get("ACCORD_IDENTITY_ID")
    if given:
        try:
            uuid.UUID(given.removeprefix("identity--"))
        except ValueError:
            raise IdentityError(
                f"ACCORD_IDENTITY_ID {given!r} is not identity--<uuid>: set it to your organization's id"
            ) from None
        return given if given.startswith("identity--") else f"identity--{given}"
    path = identities_file()
    fix = (
        f"make {path.parent} writable, or set ACCORD_IDENTITY_ID=identity--<uuid> (XDG_CONFIG_HOME moves it)"
    )
    try:
        known = json.loads(path.read_text()) if path.exists() else {}
        if not isinstance(known, dict):
            raise ValueError("not a JSON object")
        if name in known:
            return str(known[name])
        known[name] = f"identity--{uuid.uuid4()}"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=1, sort_keys=True))
        os.replace(tmp, path)
    except (OSError, ValueError) as exc:
        raise IdentityError(f"cannot keep the sweeping organization's id in {path} ({exc}): {fix}") from None
    return str(known[name])


def identity(name: str | None = None) -> StixObject:
    """The sweeping organization (name from the option, ACCORD_IDENTITY_NAME, or a default). Its id is
    the same from run to run (`_identity_id`), so a sweep of the same log names its sightings alike."""
    stamp = now_stamp()
    name = name or os.environ.get("ACCORD_IDENTITY_NAME") or DEFAULT_IDENTITY
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": _identity_id(name),
        "created": stamp,
        "modified": stamp,
        "name": name,
        "identity_class": "organization",
    }


def sighting_id(indicator_id: str, sighter_id: str, first_seen: str, last_seen: str, count: int) -> str:
    """The id of the sighting that says exactly this: the same sweep of the same log gives the same id."""
    key = "|".join((indicator_id, sighter_id, first_seen, last_seen, str(count)))
    return f"sighting--{uuid.uuid5(SIGHTING_NAMESPACE, key)}"


def _checked_ref(indicator_id: str) -> str:
    """The id as `sighting_of_ref` takes it (indicator--<RFC 4122 UUID>), as stix2 insisted; the compiler
    only checks the prefix, and a sighting with a malformed reference would be refused by any node."""
    try:
        ok = uuid.UUID(indicator_id.removeprefix("indicator--")).variant == uuid.RFC_4122
    except ValueError:
        ok = False
    if not ok or not indicator_id.startswith("indicator--"):
        raise ValueError(f"{indicator_id!r} is not a STIX indicator id (indicator--<RFC 4122 UUID>)")
    return indicator_id


def build_sightings(counts: pl.DataFrame, comp: Compiled, who: StixObject) -> list[StixObject]:
    """One sighting per sighted indicator; deterministic (id and timestamps) when the log has times.

    created and modified are the last time seen, not the time of the sweep, so a second sweep of the
    same log is the same version of the same object ("already stored"), never a new one. Without times
    nothing tells two logs apart, so such sightings keep a random id and the sweep's time.
    """
    who_id = who["id"]
    refs = [who_id]
    out: list[StixObject] = []
    swept = None
    for idx, count, first, last in counts.sort("idx").iter_rows():
        n = int(count)
        ref = _checked_ref(comp.ids[idx])
        if first is not None:
            first_seen, last_seen = stix_time(first), stix_time(last)
            version = version_stamp(last_seen)
            out.append(
                {
                    "type": "sighting",
                    "spec_version": "2.1",
                    "id": sighting_id(ref, who_id, first_seen, last_seen, n),
                    "created_by_ref": who_id,
                    "created": version,
                    "modified": version,
                    "first_seen": first_seen,
                    "last_seen": last_seen,
                    "count": n,
                    "sighting_of_ref": ref,
                    "where_sighted_refs": list(refs),
                }
            )
        else:
            swept = swept or now_stamp()
            out.append(
                {
                    "type": "sighting",
                    "spec_version": "2.1",
                    "id": f"sighting--{uuid.uuid4()}",
                    "created_by_ref": who_id,
                    "created": swept,
                    "modified": swept,
                    "count": n,
                    "sighting_of_ref": ref,
                    "where_sighted_refs": list(refs),
                }
            )
    return out


def bundle(sightings: list[StixObject], who: StixObject) -> StixObject:
    """A STIX 2.1 bundle of the identity and the sightings (a random id, as bundles are transient)."""
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [who, *sightings]}


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
