"""General evaluator: patterns the lookups cannot express are decided by stix2-matcher.

Events that carry an object of one of the pattern's root types are converted to observed-data and
handed to the matcher: one event at a time for single-observation patterns, all candidates together for
patterns with FOLLOWEDBY / observation AND / WITHIN / REPEATS / START-STOP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

import orjson
import polars as pl
from stix2matcher.matcher import MatchListener, Pattern

from accord.sweep.indicators import General

MAX_CANDIDATES = 50_000
MAX_BINDINGS = 100_000


@lru_cache(maxsize=4096)
def parsed(pattern: str) -> Pattern:
    """stix2-matcher's parse of a general pattern (ANTLR, ~1-4 ms), once per sweep rather than once per
    batch: its tree is only read by the matching, each match walking it with a listener of its own."""
    return Pattern(pattern, "2.1")


def stix_time(us: int | None) -> str:
    """STIX timestamp: whole seconds when the log has no fraction, else microseconds (EVE, Zeek)."""
    if us is None:
        return "1970-01-01T00:00:00Z"
    dt = datetime.fromtimestamp(us // 1_000_000, tz=UTC)
    frac = us % 1_000_000
    base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if not frac:
        return base + "Z"
    return base + "." + f"{frac:06d}" + "Z"


def observed_data(rows: list[tuple[str, str, str, str]], ts: int | None, ref: str) -> dict:
    """One event as a STIX 2.1 bundle: observed-data referring to one SCO per source field (obj) and to a
    network-traffic object whose src_ref/dst_ref point at the address objects of the same fields."""
    scos: dict[str, dict] = {}
    nt: dict = {}
    for obj, kind, value, _ in rows:
        otype, _, path = kind.partition(":")
        if otype == "network-traffic":
            if path.endswith("_port"):
                nt[path] = int(value)
            continue
        if obj not in scos:
            scos[obj] = {"type": otype, "id": f"{otype}--{ref}-{len(scos)}"}
        target = scos[obj]
        if path.startswith("hashes."):
            target.setdefault("hashes", {})[path[7:]] = value
        else:
            target[path] = value
    for _, kind, _, field in rows:
        if kind.startswith("network-traffic:") and kind.endswith("_ref.value") and field in scos:
            nt[kind[16:19] + "_ref"] = scos[field]["id"]
    objects = list(scos.values())
    if nt:
        objects.append({"type": "network-traffic", "id": f"network-traffic--{ref}", **nt})
    t = stix_time(ts)
    od = {
        "type": "observed-data",
        "id": f"observed-data--{ref}",
        "first_observed": t,
        "last_observed": t,
        "number_observed": 1,
        "object_refs": [o["id"] for o in objects],
    }
    return {"type": "bundle", "id": f"bundle--{ref}", "objects": [od, *objects]}


def candidate_events(obs: pl.DataFrame, times: pl.DataFrame, gen: General) -> pl.DataFrame:
    """Events carrying an object of a root type of the pattern: line, first such field and value, ts."""
    prefixes = [t + ":" for t in gen.root_types]
    has = (
        pl.any_horizontal([pl.col("kind").str.starts_with(p) for p in prefixes])
        if prefixes
        else pl.lit(False)
    )
    first = (
        obs.filter(has)
        .sort("line", "field", "value")
        .group_by("line")
        .agg(pl.col("field").first(), pl.col("value").first())
    )
    return first.join(times, on="line").sort("line")


def event_sdos(obs: pl.DataFrame, events: pl.DataFrame, file: str) -> list[tuple[int, int | None, dict]]:
    """(line, ts, observed-data) for the given events; objects are rebuilt from the observation table."""
    # a total order: which row of an object comes first decides its type and ids, and a join followed
    # by a sort on the line alone leaves that to thread scheduling
    sub = obs.join(events.select("line"), on="line").sort("line", "obj", "kind", "field", "value")
    ts = dict(events.select("line", "ts").iter_rows())
    out = []
    for (line,), grp in sub.group_by("line", maintain_order=True):
        rows = list(grp.select("obj", "kind", "value", "field").iter_rows())
        out.append((line, ts.get(line), observed_data(rows, ts.get(line), str(line))))
    return out


def match_each(gen: General, sdos: list[tuple[int, int | None, dict]]) -> list[int]:
    """Lines of the events that match a single-observation pattern on their own."""
    pattern = parsed(gen.pattern)
    return [line for line, _, sdo in sdos if pattern.match([sdo])]


def match_together(gen: General, sdos: list[dict]) -> set[str]:
    """Ids of the observed-data taking part in any binding of a multi-observation pattern."""
    pattern = parsed(gen.pattern)
    listener = MatchListener(sdos, False, stix_version="2.1")
    pattern.walk(listener)
    found: set[str] = set()
    for n, binding in enumerate(listener.matched()):
        if n >= MAX_BINDINGS:  # reported by the caller with the indicator id, never a silent cut
            raise RuntimeError(f"more than {MAX_BINDINGS:,} bindings")
        for bundle in listener.get_sdos_from_binding(binding):
            found.update(o["id"] for o in bundle["objects"] if o["type"] == "observed-data")
    return found


def renumber(bundle: dict, n: int) -> dict:
    """Give an event bundle ids unique across files (ids carry the number n) before matching together."""
    text = orjson.dumps(bundle).decode()
    old = bundle["objects"][0]["id"].partition("--")[2]
    return orjson.loads(text.replace(f"--{old}", f"--{n}"))
