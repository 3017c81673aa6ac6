"""Vectorized matching of one batch of observations against compiled indicators.

Exact values are hash joins, IPv4 CIDRs one as-of join on disjoint segments (so nested and
overlapping ranges each match), subdomains are joins on the successive parent names, and
AND-on-one-object is a group-by over (event, object, conjunction). No per-event Python code runs here.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re

import polars as pl

from accord.sweep import lookup, observations, ranges, readers
from accord.sweep.indicators import HASH_SEED, Compiled
from accord.sweep.patterns import IP_KINDS

HIT_COLS = ["line", "obj", "field", "value", "atom"]
HITS_SCHEMA = {"line": pl.Int64, "idx": pl.Int64, "field": pl.Utf8, "value": pl.Utf8, "ts": pl.Int64}


def hash_join(left: pl.DataFrame, table: pl.DataFrame, on: str = "value", kind: bool = True) -> pl.DataFrame:
    """Join on a 64-bit hash of the value (3x cheaper than hashing strings in the join), then confirm
    the value itself (and the kind), so collisions cannot produce a false hit."""
    keyed = left.with_columns(h=pl.col(on).hash(HASH_SEED))
    right = table.select("h", pl.col("value").alias("_v"), pl.col("kind").alias("_k"), "atom")
    joined = keyed.join(right, on="h")
    ok = pl.col(on) == pl.col("_v")
    if kind:
        ok = ok & (pl.col("kind") == pl.col("_k"))
    return joined.filter(ok).drop("h", "_v", "_k")


def _domain_hits(obs: pl.DataFrame, comp: Compiled, exact: bool) -> list[pl.DataFrame]:
    """Exact names by one join; subdomains by joining, for each label count k that indicator domains
    have, the last k labels of every longer observed name (so cost follows the indicators' shapes)."""
    if comp.dom.is_empty():
        return []
    cur = obs.filter(pl.col("kind") == "domain-name:value").select("line", "obj", "field", "value")
    dom = comp.hashed("dom")
    out = [hash_join(cur, dom, kind=False).select(HIT_COLS)]
    if exact:
        return out
    labels = (
        comp.dom.select(pl.col("value").str.count_matches(".", literal=True) + 1)["value"].unique().to_list()
    )
    cur = cur.with_columns(n=pl.col("value").str.count_matches(".", literal=True) + 1)
    for k in sorted(labels):
        longer = cur.filter(pl.col("n") > k)
        if longer.is_empty():
            continue
        parent = pl.col("value").str.split(".").list.slice(-k).list.join(".").alias("parent")
        longer = longer.with_columns(parent)
        out.append(hash_join(longer, dom, on="parent", kind=False).select(HIT_COLS))
    return out


def _cidr4_hits(obs: pl.DataFrame, comp: Compiled) -> list[pl.DataFrame]:
    if comp.segs4.is_empty():
        return []
    v4 = obs.filter(pl.col("ip4").is_not_null()).select("line", "obj", "kind", "field", "value", "ip4")
    return [ranges.locate(v4, comp.segs4, comp.seg_atoms).select(HIT_COLS)]


def _cidr6_hits(obs: pl.DataFrame, comp: Compiled) -> list[pl.DataFrame]:
    if not comp.cidr6:
        return []
    v6 = obs.filter(pl.col("kind").is_in(list(IP_KINDS)) & pl.col("value").str.contains(":", literal=True))
    pairs = v6.select("kind", "value").unique()
    rows: dict[str, list] = {"kind": [], "value": [], "atom": []}
    for kind, value in pairs.iter_rows():
        n = int(ipaddress.IPv6Address(value))
        for p, table in comp.cidr6.items():
            for aid in table.get((kind, n >> (128 - p)), ()):
                rows["kind"].append(kind)
                rows["value"].append(value)
                rows["atom"].append(aid)
    if not rows["atom"]:
        return []
    found = pl.DataFrame(rows, schema={"kind": pl.Utf8, "value": pl.Utf8, "atom": pl.Int64})
    return [v6.join(found, on=["kind", "value"]).select(HIT_COLS)]


def _regex_hits(obs: pl.DataFrame, comp: Compiled) -> list[pl.DataFrame]:
    """LIKE/MATCHES use Python's re (as STIX and stix2-matcher do), once per distinct value of the kind."""
    out = []
    uniques: dict[str, list[str]] = {}
    for kind, rx, aid in comp.regex:
        if kind not in uniques:
            uniques[kind] = obs.filter(pl.col("kind") == kind)["value"].unique().to_list()
        search = re.compile(rx).search
        matched = [v for v in uniques[kind] if search(v)]
        if matched:
            found = pl.DataFrame(
                {"kind": kind, "value": matched, "atom": aid},
                schema={"kind": pl.Utf8, "value": pl.Utf8, "atom": pl.Int64},
            )
            out.append(obs.join(found, on=["kind", "value"]).select(HIT_COLS))
    return out


def atom_hits(obs: pl.DataFrame, comp: Compiled, exact_domains: bool = False) -> pl.DataFrame:
    """Every (event, object, atom) whose comparison is true."""
    parts = [hash_join(obs, comp.hashed("eq")).select(HIT_COLS)]
    parts += _domain_hits(obs, comp, exact_domains)
    parts += _cidr4_hits(obs, comp)
    parts += _cidr6_hits(obs, comp)
    parts += _regex_hits(obs, comp)
    return pl.concat([p.cast({"atom": pl.Int64}) for p in parts])


def _slow_kinds(comp: Compiled) -> frozenset[str]:
    """Kinds of the atoms the hash and range lookups do not serve (LIKE/MATCHES, IPv6 ranges)."""
    kinds = {k for k, _, _ in comp.regex} | {k for table in comp.cidr6.values() for k, _ in table}
    return frozenset(kinds)


def match(
    frame: pl.DataFrame,
    roles: dict[str, str],
    times: pl.DataFrame,
    comp: Compiled,
    exact_domains: bool = False,
    obs: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """(event, indicator) hits inside the indicator's validity, with the first matched field and value.

    `times` is (line, ts) or (line, ts_raw), the text then being parsed for the matched events only;
    `obs` is the batch's full observation table when the caller has built it anyway."""
    parts = [lookup.atom_hits(frame, roles, comp, exact_domains)]
    slow = _slow_kinds(comp)
    if slow:
        o = obs if obs is not None else observations.build(frame, roles, slow, need_ip4=False)
        parts += [p.cast({"atom": pl.Int64}) for p in _cidr6_hits(o, comp) + _regex_hits(o, comp)]
    hits = pl.concat([p.select(HIT_COLS) for p in parts])
    found = [hits.join(comp.single, on="atom").select("line", "idx", "field", "value")]
    if not comp.conj.is_empty():
        found.append(_conjunctions_of_candidates(hits, frame, roles, comp, exact_domains, obs))
    first = (
        pl.concat(found)
        .sort("line", "idx", "field", "value")
        .unique(subset=["line", "idx"], keep="first", maintain_order=True)
    )
    return within_validity(with_times(first, times), comp)


def with_times(hits: pl.DataFrame, times: pl.DataFrame) -> pl.DataFrame:
    """Attach event times, parsing the text of the matched events only."""
    if "ts" in times.columns:
        return hits.join(times.select("line", "ts"), on="line")
    matched = times.filter(pl.col("line").is_in(hits["line"].unique().implode()))
    parsed = matched.select("line", readers.parse_time(matched["ts_raw"]).alias("ts"))
    return hits.join(parsed, on="line")


def _conjunctions_of_candidates(
    hits: pl.DataFrame,
    frame: pl.DataFrame,
    roles: dict[str, str],
    comp: Compiled,
    exact_domains: bool,
    obs: pl.DataFrame | None,
) -> pl.DataFrame:
    """A conjunction can only hold in an event where its driver atom holds: every atom is checked on
    those few events, so common atoms (ports) are never looked up across the whole batch."""
    drivers = comp.conj.filter(pl.col("driver")).select("atom").unique()
    lines = hits.filter(pl.col("atom").is_in(drivers["atom"].implode())).select("line").unique()
    if lines.is_empty():
        return pl.DataFrame(schema={"line": pl.Int64, "idx": pl.Int64, "field": pl.Utf8, "value": pl.Utf8})
    if obs is not None:
        sub_obs = obs.join(lines, on="line", how="semi")
    else:
        sub = frame.filter(pl.col("line").is_in(lines["line"].implode()))
        tables = _conj_tables(comp)
        sub_obs = observations.build(sub, roles, tables.kinds, need_ip4=not tables.segs4.is_empty())
    return _conjunctions(atom_hits(sub_obs, _conj_tables(comp), exact_domains), comp)


def _conj_tables(comp: Compiled) -> Compiled:
    """The lookup tables cut down to the atoms of conjunctions, so checking candidates stays cheap."""
    cache = comp.__dict__.setdefault("_hashed", {})
    if "conj" not in cache:
        atoms = comp.conj.select("atom").unique()
        keep = set(atoms["atom"].to_list())
        seg_atoms = comp.seg_atoms.join(atoms, on="atom", how="semi")
        cache["conj"] = dataclasses.replace(
            comp,
            eq=comp.eq.join(atoms, on="atom", how="semi"),
            dom=comp.dom.join(atoms, on="atom", how="semi"),
            segs4=comp.segs4.join(seg_atoms.select("seg").unique(), on="seg", how="semi"),
            seg_atoms=seg_atoms,
            cidr6={
                p: {k: [a for a in v if a in keep] for k, v in t.items() if keep.intersection(v)}
                for p, t in comp.cidr6.items()
            },
            regex=[r for r in comp.regex if r[2] in keep],
            general=[],
            kinds=None,  # recomputed: the object paths of conjunctions only
        )
    return cache["conj"]


def _conjunctions(hits: pl.DataFrame, comp: Compiled) -> pl.DataFrame:
    """AND on one object: start from each conjunction's rarest atom, then check the others on the same
    (event, object). Starting from every atom would multiply common ones (ports) by every conjunction."""
    drivers = comp.conj.filter(pl.col("driver")).select("atom", "conj", "size")
    rest = comp.conj.filter(~pl.col("driver")).select("conj", "atom")
    cand = (
        hits.join(drivers, on="atom")
        .sort("field", "value")
        .unique(subset=["line", "obj", "conj"], keep="first", maintain_order=True)
    )
    have = hits.select("line", "obj", "atom").unique()
    found = (
        cand.select("line", "obj", "conj")
        .join(rest, on="conj")
        .join(have, on=["line", "obj", "atom"])
        .group_by("line", "obj", "conj")
        .agg(pl.len().alias("n"))
    )
    ok = cand.join(found, on=["line", "obj", "conj"]).filter(pl.col("n") == pl.col("size") - 1)
    return ok.join(comp.conj_idx, on="conj").select("line", "idx", "field", "value")


def within_validity(hits: pl.DataFrame, comp: Compiled) -> pl.DataFrame:
    """valid_from <= event time < valid_until; events without a time are not filtered."""
    ts = pl.col("ts")
    ok = ts.is_null() | (
        (pl.col("vf").is_null() | (ts >= pl.col("vf"))) & (pl.col("vu").is_null() | (ts < pl.col("vu")))
    )
    return hits.join(comp.validity, on="idx").filter(ok).select(list(HITS_SCHEMA))
