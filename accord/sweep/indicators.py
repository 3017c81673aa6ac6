"""Load indicators (STIX bundle, TAXII envelope or list) and compile them into lookup tables.

The tables are plain polars frames so they can be built once, pickled to Dask workers once, and joined
against every batch of observations.
"""

from __future__ import annotations

import gc
import ipaddress
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import orjson
import polars as pl

from accord.sweep import patterns, ranges
from accord.sweep.falsepositives import FalsePositives

HASH_SEED = 20240301


class IndicatorError(Exception):
    """The indicator input as a whole is unusable: the sweep stops."""


@dataclass
class Problem:
    indicator_id: str
    reason: str


@dataclass
class General:
    idx: int
    pattern: str
    mode: str  # event | multi
    root_types: frozenset[str]


@dataclass
class Compiled:
    """Lookup tables for a set of indicators. `ids[idx]` is the STIX id of indicator number idx."""

    ids: list[str]
    validity: pl.DataFrame  # idx, vf, vu (µs; vu null = open)
    eq: pl.DataFrame  # kind, value, atom
    dom: pl.DataFrame  # kind, value, atom
    segs4: pl.DataFrame  # IPv4 CIDRs as disjoint segments: kind, start, end, seg (see ranges)
    seg_atoms: pl.DataFrame  # seg, atom
    cidr6: dict[int, dict[tuple[str, int], list[int]]]  # prefix -> (kind, net) -> atoms
    regex: list[tuple[str, str, int]]  # kind, regex, atom
    single: pl.DataFrame  # atom, idx
    conj: pl.DataFrame  # atom, conj, size, driver (the most selective atom of the conjunction)
    conj_idx: pl.DataFrame  # conj, idx
    general: list[General] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    kinds: frozenset[str] | None = None  # object paths the lookups use; None = all (general patterns)
    id_series: pl.Series | None = None  # ids as a column, built on first use for writing hits

    def hashed(self, name: str) -> pl.DataFrame:
        """`eq` or `dom` with a 64-bit hash of the value, computed once per process (polars' hash is
        only guaranteed stable within one polars version, so it is never pickled to workers)."""
        cache = self.__dict__.setdefault("_hashed", {})
        if name not in cache:
            table = getattr(self, name)
            cache[name] = table.with_columns(h=pl.col("value").hash(HASH_SEED))
        return cache[name]

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_hashed"}

    def __post_init__(self) -> None:
        if self.kinds is None and not self.general:
            used = {k for t in (self.eq, self.dom, self.segs4) for k in t["kind"].unique().to_list()}
            used |= {k for k, _, _ in self.regex} | {k for _, table in self.cidr6.items() for k, _ in table}
            self.kinds = frozenset(used)


def _us(ts: str | None) -> int | None:
    if not ts:
        return None
    if isinstance(ts, str):
        return _us_text(ts)
    dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return int(dt.timestamp()) * 1_000_000 + dt.microsecond


@lru_cache(maxsize=65536)
def _us_text(ts: str) -> int:
    """Cached: feeds repeat timestamps (a bundle often shares one valid_from)."""
    dt = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return int(dt.timestamp()) * 1_000_000 + dt.microsecond


@contextmanager
def _no_gc() -> Iterator[None]:
    """Compiling allocates millions of small acyclic objects next to the loaded JSON; the cyclic
    collector would rescan them all again and again (40% of compile time) and free nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_objects(path: str) -> list[dict]:
    """Read a bundle/envelope/list of STIX objects from a file; raise IndicatorError if unusable."""
    try:
        data = orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise IndicatorError(f"{path}: cannot read indicators: {exc.strerror or exc}") from exc
    except orjson.JSONDecodeError as exc:
        raise IndicatorError(f"{path}: indicators are not valid JSON: {exc}") from exc
    return objects_of(data, path)


def objects_of(data: object, source: str = "indicators") -> list[dict]:
    if isinstance(data, dict) and isinstance(data.get("objects"), list):
        objs = data["objects"]
    elif isinstance(data, list):
        objs = data
    else:
        raise IndicatorError(f"{source}: not a STIX bundle or TAXII envelope (no 'objects' list)")
    if not all(isinstance(o, dict) for o in objs):
        raise IndicatorError(f"{source}: 'objects' must contain JSON objects only")
    return objs


def compile_indicators(objects: list[dict], fp: FalsePositives | None = None) -> Compiled:
    """Compile every indicator; unusable ones are recorded in `problems`, never silently dropped."""
    with _no_gc():
        return _compile(objects, fp if fp is not None and (fp.networks or fp.domains) else None)


def _compile(objects: list[dict], fp: FalsePositives | None) -> Compiled:
    ids: list[str] = []
    vf: list[int | None] = []
    vu: list[int | None] = []
    atoms: dict[patterns.Atom, int] = {}
    single: tuple[list[int], list[int]] = ([], [])  # atom, idx (columns: cheaper to frame than rows)
    conj_rows: list[tuple[int, int, int, bool]] = []
    conj_idx: list[tuple[int, int]] = []
    general: list[General] = []
    problems: list[Problem] = []
    skipped: dict[str, int] = defaultdict(int)
    cache: dict[str, _Entry] = {}
    for obj in objects:
        if obj.get("type") != "indicator":
            continue
        iid = obj.get("id")
        if not isinstance(iid, str) or not iid.startswith("indicator--"):
            raise IndicatorError(f"indicator without a valid id: {str(obj)[:80]}")
        if obj.get("revoked") is True:
            skipped["revoked"] += 1
            continue
        if obj.get("pattern_type", "stix") != "stix":
            problems.append(Problem(iid, f"pattern_type {obj.get('pattern_type')!r} is not evaluated"))
            continue
        pattern = obj.get("pattern")
        if not isinstance(pattern, str):
            problems.append(Problem(iid, "no pattern"))
            continue
        try:
            start, end = _us(obj.get("valid_from")), _us(obj.get("valid_until"))
        except (ValueError, TypeError):
            problems.append(Problem(iid, "invalid valid_from/valid_until"))
            continue
        entry = cache.get(pattern)
        if entry is None:
            entry = cache[pattern] = _entry(pattern, fp)
        comp, dnf, dropped = entry
        if comp.mode == "invalid":
            problems.append(Problem(iid, comp.reason))
            continue
        if dropped:
            skipped["false-positive"] += 1
        if not dnf and fp is not None and comp.mode == "simple":
            continue
        idx = len(ids)
        ids.append(iid)
        vf.append(start)
        vu.append(end)
        if comp.mode != "simple":
            general.append(General(idx, pattern, comp.mode, comp.root_types))
            continue
        for c in dnf:
            if len(c) == 1:  # the common case, without the set and sort below
                single[0].append(atoms.setdefault(c[0], len(atoms)))
                single[1].append(idx)
                continue
            ats = sorted({atoms.setdefault(a, len(atoms)) for a in c})
            if len(ats) == 1:
                single[0].append(ats[0])
                single[1].append(idx)
            else:
                cid = len(conj_idx)
                conj_idx.append((cid, idx))
                driver = atoms[min(c, key=_selectivity)]
                conj_rows.extend((a, cid, len(ats), a == driver) for a in ats)
    return _tables(ids, vf, vu, atoms, single, conj_rows, conj_idx, general, problems, dict(skipped))


# a compiled pattern, its conjunctions that can match, and whether false positives removed some
_Entry = tuple[patterns.Compiled, list[list[patterns.Atom]], bool]


def _entry(pattern: str, fp: FalsePositives | None) -> _Entry:
    """Compile once per distinct pattern, false-positive filtering included (feeds repeat patterns)."""
    comp = patterns.compile_pattern(pattern)
    if fp is None or comp.mode != "simple":
        return comp, comp.dnf, False
    if not any(fp.covers_all(c) for c in comp.dnf):
        return comp, comp.dnf, False  # the common case: no copy of the conjunctions
    kept = [c for c in comp.dnf if not fp.covers_all(c)]
    return comp, kept, True


def _selectivity(atom: patterns.Atom) -> float:
    """Lower is rarer in logs: a conjunction is evaluated from its rarest atom, never from a port."""
    if atom.kind in patterns.PORT_KINDS:
        return 9.0
    if atom.op == "eq":
        return 0.0
    if atom.op == "dom":
        return 1.0
    if atom.op == "cidr":
        return 3.0 - atom.prefix / (32 if atom.version == 4 else 128)
    return 5.0


def _tables(ids, vf, vu, atoms, single, conj_rows, conj_idx, general, problems, skipped) -> Compiled:  # type: ignore[no-untyped-def]
    eq: tuple[list, list, list] = ([], [], [])  # kind, value, atom
    dom: tuple[list, list, list] = ([], [], [])
    c4: list[tuple[str, int, int, int]] = []
    c6: dict[int, dict[tuple[str, int], list[int]]] = defaultdict(lambda: defaultdict(list))
    regex: list[tuple[str, str, int]] = []
    for (kind, op, value, prefix, version), aid in atoms.items():
        if op == "eq" or op == "dom":
            cols = eq if op == "eq" else dom
            cols[0].append(kind)
            cols[1].append(str(value))
            cols[2].append(aid)
        elif op == "regex":
            regex.append((kind, str(value), aid))
        elif version == 4:
            lo = int(value)
            c4.append((kind, lo, lo | ((1 << (32 - prefix)) - 1), aid))
        else:
            c6[prefix][(kind, int(value) >> (128 - prefix))].append(aid)
    ss = {"kind": pl.Utf8, "value": pl.Utf8, "atom": pl.Int64}
    segs4, seg_atoms = ranges.segments(c4)
    return Compiled(
        ids=ids,
        validity=pl.DataFrame(
            {"idx": range(len(ids)), "vf": vf, "vu": vu},
            schema={"idx": pl.Int64, "vf": pl.Int64, "vu": pl.Int64},
        ),
        eq=pl.DataFrame(dict(zip(ss, eq, strict=True)), schema=ss),
        dom=pl.DataFrame(dict(zip(ss, dom, strict=True)), schema=ss),
        segs4=segs4,
        seg_atoms=seg_atoms,
        cidr6={p: dict(t) for p, t in c6.items()},
        regex=regex,
        single=pl.DataFrame(
            dict(zip(("atom", "idx"), single, strict=True)), schema={"atom": pl.Int64, "idx": pl.Int64}
        ),
        conj=pl.DataFrame(
            conj_rows,
            schema={"atom": pl.Int64, "conj": pl.Int64, "size": pl.Int64, "driver": pl.Boolean},
            orient="row",
        ),
        conj_idx=pl.DataFrame(conj_idx, schema={"conj": pl.Int64, "idx": pl.Int64}, orient="row"),
        general=general,
        problems=problems,
        skipped=skipped,
    )


def ip6_int(value: str) -> int:
    return int(ipaddress.IPv6Address(value))
