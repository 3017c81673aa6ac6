"""The hot path: exact, subdomain and IPv4-range lookups of one batch, straight from its columns.

Each source column gives one row per value (not one per STIX kind it may stand for), keyed by a 64-bit
hash; one hash join against all exact and domain values of the indicators finds the candidates, the
values themselves confirm them, and a small (source, kind) table says which kinds each source may
satisfy and which object it is. IPv4 ranges are located with one binary search over disjoint segments.
Only atoms that can start a match (whole single-atom indicators and the driver of each conjunction)
are looked up here; the rest of a conjunction is checked on its few candidate events (see `engine`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from accord.sweep import normalize, observations
from accord.sweep.indicators import HASH_SEED, Compiled
from accord.sweep.patterns import IP_KINDS, PORT_KINDS

KINDS = (
    *IP_KINDS,
    *PORT_KINDS,
    "domain-name:value",
    "url:value",
    "email-addr:value",
    *(f"file:hashes.{a}" for a in normalize.HASH_ALGOS),
)
KCODE = {k: i for i, k in enumerate(KINDS)}
HIT_SCHEMA = {"line": pl.Int64, "obj": pl.Utf8, "field": pl.Utf8, "value": pl.Utf8, "atom": pl.Int64}


@dataclass
class Tables:
    """Lookup tables of the atoms that can start a match, built once per process from `Compiled`."""

    keys: pl.DataFrame  # h, tvalue, atom, kcode, sfx (subdomains allowed)
    labels: list[int]  # label counts of the subdomain-matching values, ascending
    kinds: frozenset[str]
    segs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]  # kind -> start, end, seg (sorted)
    seg_atoms: pl.DataFrame  # seg, atom (starting atoms only)
    blocks: dict[str, np.ndarray]  # kind -> bool per /24 block: does any segment touch it
    hashes: np.ndarray  # bool per top 24 bits of a key hash: the join then builds on the few candidates


_SHIFT = np.uint64(40)


def _blocks(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Which /24 blocks some segment touches: most addresses fall in none, so the binary search (random
    access over all segments) only runs for the few that do."""
    diff = np.zeros((1 << 24) + 1, np.int32)
    np.add.at(diff, start >> 8, 1)
    np.add.at(diff, (end >> 8) + 1, -1)
    return np.cumsum(diff[:-1], dtype=np.int32) > 0


def _possible_ips(eq: pl.DataFrame) -> pl.DataFrame:
    """Address atoms an address can equal: the columns are not validated first, so an indicator value
    that is no canonical address of its kind (it could never match) must not meet arbitrary text."""
    is_ip = pl.col("kind").is_in(list(IP_KINDS))
    ip = eq.filter(is_ip)
    has_colon = pl.col("value").str.contains(":", literal=True)
    six = ip.filter(has_colon)
    six_ok = six.filter(
        (_scalar(six["value"], normalize.ip) == six["value"]) & ~pl.col("kind").str.starts_with("ipv4")
    )
    four_ok = ip.filter(
        ~has_colon & pl.col("value").str.contains(observations.V4) & ~pl.col("kind").str.starts_with("ipv6")
    )
    return pl.concat([eq.filter(~is_ip), four_ok, six_ok])


def tables(comp: Compiled) -> Tables:
    cache = comp.__dict__.setdefault("_hashed", {})
    if "lookup" in cache:
        return cache["lookup"]
    starting = pl.concat([comp.single.select("atom"), comp.conj.filter(pl.col("driver")).select("atom")])
    eq = _possible_ips(comp.eq.join(starting, on="atom", how="semi")).with_columns(sfx=pl.lit(False))
    dom = comp.dom.join(starting, on="atom", how="semi").with_columns(sfx=pl.lit(True))
    both = pl.concat([eq, dom])
    kcode = pl.col("kind").replace_strict(KCODE, return_dtype=pl.Int16)
    keys = both.select(
        pl.col("value").hash(HASH_SEED).alias("h"),
        pl.col("value").alias("tvalue"),
        "atom",
        kcode.alias("kcode"),
        "sfx",
    )
    labels = sorted(set((dom["value"].str.count_matches(".", literal=True) + 1).to_list()))
    seg_atoms = comp.seg_atoms.join(starting, on="atom", how="semi")
    segs4 = comp.segs4.join(seg_atoms.select("seg").unique(), on="seg", how="semi")
    segs = {
        kind: (g["start"].to_numpy(), g["end"].to_numpy(), g["seg"].to_numpy())
        for (kind,), g in segs4.sort("kind", "start").group_by("kind", maintain_order=True)
    }
    out = Tables(
        keys=keys,
        labels=labels,
        kinds=frozenset(both["kind"].unique().to_list()) | frozenset(segs),
        segs=segs,
        seg_atoms=seg_atoms,
        blocks={kind: _blocks(start, end) for kind, (start, end, _) in segs.items()},
        hashes=np.zeros(1 << 24, np.bool_),
    )
    out.hashes[keys["h"].to_numpy() >> _SHIFT] = True
    cache["lookup"] = out
    return out


@dataclass
class _Src:
    field: str
    role: str
    obj: str


def _scalar(values: pl.Series, fn) -> pl.Series:  # type: ignore[no-untyped-def]
    uniq = values.drop_nulls().unique()
    mapping = {v: fn(v) for v in uniq.to_list()}
    return values.replace_strict(mapping, default=None, return_dtype=pl.Utf8)


class _Batch:
    """Observation rows of one batch: line, src (index into `srcs`), value; integer IPv4 forms aside."""

    def __init__(self, frame: pl.DataFrame, roles: dict[str, str], kinds: frozenset[str], cidr: bool) -> None:
        self.srcs: list[_Src] = []
        self.parts: list[pl.DataFrame] = []
        self.domain_srcs: list[int] = []
        self.ip4: list[tuple[int, int, np.ndarray]] = []  # part, src, integer IPv4 (-1: none)
        self.bases: list[int] = []  # first row of each part in `frame()`
        for field, role in roles.items():
            if field not in frame.columns or frame[field].null_count() == frame.height:
                continue
            if role in ("src_ip", "dst_ip", "ip"):
                if kinds.isdisjoint(_ROLE_KINDS[role]):
                    continue
                self._ips(frame, field, role, cidr)
            elif role in ("src_port", "dst_port"):
                if f"network-traffic:{role}" not in kinds:
                    continue
                port = pl.col(field).str.strip_chars().cast(pl.Int64, strict=False).cast(pl.Utf8)
                self._add(frame, field, role, "nt", port)
            elif role == "domain":
                if "domain-name:value" in kinds:
                    present = frame.select("line", field).drop_nulls(field)
                    self._domains(present.select("line", _domain(pl.col(field)).alias("value")), field, field)
            elif role == "url":
                if "url:value" in kinds or "domain-name:value" in kinds:
                    self._urls(frame, field, kinds)
            elif role.startswith("hash:"):
                if f"file:hashes.{role[5:]}" in kinds:
                    self._add(frame, field, role, "file", pl.col(field).str.strip_chars().str.to_lowercase())
            elif role == "email" and "email-addr:value" in kinds:
                self._emails(frame, field)

    def _src(self, field: str, role: str, obj: str) -> int:
        self.srcs.append(_Src(field, role, obj))
        return len(self.srcs) - 1

    def _push(self, df: pl.DataFrame, src: int, nonempty: bool = False) -> None:
        if not nonempty:
            df = df.filter(pl.col("value").str.len_bytes() > 0)
        if "ip4" in df.columns:
            self.ip4.append((len(self.parts), src, df["ip4"].fill_null(-1).to_numpy()))
        self.parts.append(df.select(pl.col("line"), pl.lit(src, pl.UInt16).alias("src"), pl.col("value")))

    def _add(self, frame: pl.DataFrame, field: str, role: str, obj: str, expr: pl.Expr) -> None:
        present = frame.select("line", field).drop_nulls(field)  # most fields are absent from most events
        df = present.select("line", expr.alias("value")).drop_nulls("value")
        self._push(df, self._src(field, role, obj))

    def _ips(self, frame: pl.DataFrame, field: str, role: str, cidr: bool) -> None:
        """Addresses as text (IPv6 in canonical form) and, when ranges are looked up, as integers. Only a
        canonical dotted quad has an integer form (`ip4_int` is strict), so an address found in a range
        needs no further check, and only the values without one are stripped and checked for IPv6."""
        if not cidr:
            col = frame.select("line", pl.col(field).str.strip_chars().alias("value")).drop_nulls("value")
            other = col["value"].str.contains(":", literal=True)
            if other.any():
                col = pl.concat([col.filter(~other), _ip6(col.filter(other))])
            self._push(col, self._src(field, role, field))
            return
        col = frame.select("line", pl.col(field).alias("value")).drop_nulls("value")
        col = col.with_columns(ip4=observations.ip4_int(pl.col("value")))
        other = col["ip4"].is_null()
        if other.any():
            rest = col.filter(other).with_columns(pl.col("value").str.strip_chars())
            rest = rest.with_columns(ip4=observations.ip4_int(pl.col("value")))
            v6 = rest["value"].str.contains(":", literal=True)
            col = pl.concat([col.filter(~other), rest.filter(~v6), _ip6(rest.filter(v6))])
        self._push(col, self._src(field, role, field), nonempty=not other.any())

    def _domains(self, df: pl.DataFrame, field: str, obj: str) -> None:
        df = df.drop_nulls("value").filter(pl.col("value").str.len_bytes() > 0)
        ascii_ = df["value"].str.len_bytes() == df["value"].str.len_chars()
        if not ascii_.all():
            df = df.with_columns(
                value=pl.when(ascii_).then(pl.col("value")).otherwise(_scalar(df["value"], normalize.domain))
            ).drop_nulls("value")
        src = self._src(field, "domain", obj)
        self.domain_srcs.append(src)
        self._push(df, src)

    def _urls(self, frame: pl.DataFrame, field: str, kinds: frozenset[str]) -> None:
        urls, hosts = observations.url_rows(frame, field)
        if "url:value" in kinds:
            self._push(urls, self._src(field, "url", field))
        if "domain-name:value" in kinds:
            self._domains(hosts.select("line", "value"), field, field + "#host")

    def _emails(self, frame: pl.DataFrame, field: str) -> None:
        df = observations.email_rows(frame, field)
        for obj in df["obj"].unique().sort().to_list():
            self._push(df.filter(pl.col("obj") == obj), self._src(field, "email", obj))

    def frame(self) -> pl.DataFrame:
        if not self.parts:
            schema = {"r": pl.UInt32, "line": pl.Int64, "src": pl.UInt16, "value": pl.Utf8}
            return pl.DataFrame(schema=schema)
        self.bases = np.cumsum([0] + [p.height for p in self.parts]).tolist()
        return pl.concat(self.parts).with_row_index("r")

    def compat(self) -> pl.DataFrame:
        """(src, kcode) -> obj, field for every kind a source may satisfy."""
        rows: dict[str, list] = {"src": [], "kcode": [], "obj": [], "field": []}
        for i, s in enumerate(self.srcs):
            for kind in _ROLE_KINDS[s.role]:
                obj = "nt" if kind.startswith("network-traffic:") else s.obj
                for name, v in zip(rows, (i, KCODE[kind], obj, s.field), strict=True):
                    rows[name].append(v)
        return pl.DataFrame(
            rows, schema={"src": pl.UInt16, "kcode": pl.Int16, "obj": pl.Utf8, "field": pl.Utf8}
        )


_ROLE_KINDS = observations.ROLE_KINDS


def _ip6(six: pl.DataFrame) -> pl.DataFrame:
    """IPv6 text in canonical form (no integer form); what is no address is dropped."""
    return six.with_columns(value=_scalar(six["value"], normalize.ip)).drop_nulls("value")


def _domain(values: pl.Expr) -> pl.Expr:
    return values.str.strip_chars().str.strip_chars_end(".").str.to_lowercase()


def _suffixes(obs: pl.DataFrame, srcs: list[int], labels: list[int]) -> pl.DataFrame:
    """(r, key) for every parent name of an observed domain whose label count some indicator has."""
    if not labels or not srcs:
        return pl.DataFrame(schema={"r": pl.UInt32, "key": pl.Utf8})
    cur = obs.filter(pl.col("src").is_in(srcs)).select(
        "r", pl.col("value").alias("key"), n=pl.col("value").str.count_matches(".", literal=True) + 1
    )
    want = pl.Series(labels, dtype=pl.UInt32).implode()
    out = []
    low, high = labels[0], labels[-1]
    step = 0
    while True:
        step += 1
        cur = cur.filter(pl.col("n") - step >= low)
        if cur.is_empty():
            break
        cur = cur.with_columns(key=pl.col("key").str.slice(pl.col("key").str.find(".", literal=True) + 1))
        left = pl.col("n") - step
        take = cur.filter((left <= high) & left.cast(pl.UInt32).is_in(want))
        if take.height:
            out.append(take.select("r", "key"))
    if not out:
        return pl.DataFrame(schema={"r": pl.UInt32, "key": pl.Utf8})
    return pl.concat(out)


def _ranges(obs: pl.DataFrame, batch: _Batch, t: Tables) -> list[pl.DataFrame]:
    """IPv4 addresses located among each kind's disjoint CIDR segments by binary search, for those whose
    /24 block some segment touches."""
    out = []
    for kind, (start, end, segno) in t.segs.items():
        parts = [(p, ip) for p, src, ip in batch.ip4 if kind in _ROLE_KINDS[batch.srcs[src].role]]
        if not parts:
            continue
        ip = np.concatenate([ip for _, ip in parts])
        r = np.concatenate(
            [np.arange(batch.bases[p], batch.bases[p] + len(a), dtype=np.uint32) for p, a in parts]
        )
        blocks = t.blocks[kind]
        keep = ip >= 0
        keep[keep] = blocks[ip[keep] >> 8]
        ip, r = ip[keep], r[keep]
        pos = np.searchsorted(start, ip, side="right") - 1
        ok = (pos >= 0) & (ip <= end[np.maximum(pos, 0)])
        located = pl.DataFrame({"r": r[ok], "seg": segno[pos[ok]]}, schema={"r": pl.UInt32, "seg": pl.Int64})
        found = located.join(t.seg_atoms, on="seg").select("r", "atom")
        out.append(found.with_columns(kcode=pl.lit(KCODE[kind], pl.Int16)))
    return out


def atom_hits(
    frame: pl.DataFrame, roles: dict[str, str], comp: Compiled, exact_domains: bool
) -> pl.DataFrame:
    """(line, obj, field, value, atom) for every true comparison of a starting atom in the batch."""
    t = tables(comp)
    cidr = bool(t.segs)
    batch = _Batch(frame, roles, t.kinds, cidr)
    obs = batch.frame()
    if obs.is_empty():
        return pl.DataFrame(schema=HIT_SCHEMA)
    keys = [obs.select("r", pl.col("value").alias("key"), sfx=pl.lit(False))]
    if not exact_domains:
        keys.append(_suffixes(obs, batch.domain_srcs, t.labels).with_columns(sfx=pl.lit(True)))
    # each key table filtered by its hashes on its own: only the few candidates are concatenated
    candidates = []
    for k in keys:
        h = k["key"].hash(HASH_SEED)
        maybe = pl.Series(t.hashes[h.to_numpy() >> _SHIFT])
        candidates.append(k.filter(maybe).with_columns(h=h.filter(maybe)))
    found = (
        pl.concat(candidates)
        .join(t.keys, on="h")
        .filter((pl.col("key") == pl.col("tvalue")) & (~pl.col("sfx") | pl.col("sfx_right")))
        .select("r", "atom", "kcode")
    )
    parts = [found]
    if cidr:
        parts += _ranges(obs, batch, t)
    hits = pl.concat(parts)
    if hits.is_empty():
        return pl.DataFrame(schema=HIT_SCHEMA)
    rows = obs.select("line", "src", "value").gather(hits["r"])
    return (
        pl.concat([hits.select("atom", "kcode"), rows], how="horizontal")
        .join(batch.compat(), on=["src", "kcode"])
        .select(list(HIT_SCHEMA))
    )
