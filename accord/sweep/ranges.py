"""CIDR ranges -> disjoint segments, so an address is located with one as-of join.

CIDRs are nested or disjoint, never partly overlapping; cutting them at every boundary gives segments
each covered by a fixed set of ranges. An address falls in at most one segment (per kind), and that
segment's set lists every CIDR containing it, so nested and overlapping indicators all match.
"""

from __future__ import annotations

from collections import defaultdict

import polars as pl

SEG_SCHEMA = {"kind": pl.Utf8, "start": pl.Int64, "end": pl.Int64, "seg": pl.Int64}


def segments(ranges: list[tuple[str, int, int, int]]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kind, first, last, atom) ranges -> (segments sorted by kind/start, seg -> atom)."""
    by_kind: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for kind, lo, hi, atom in ranges:
        by_kind[kind].append((lo, hi, atom))
    segs: dict[str, list] = {k: [] for k in SEG_SCHEMA}
    seg_atoms: dict[str, list] = {"seg": [], "atom": []}
    for kind in sorted(by_kind):
        opens: dict[int, list[int]] = defaultdict(list)
        closes: dict[int, list[int]] = defaultdict(list)
        for lo, hi, atom in by_kind[kind]:
            opens[lo].append(atom)
            closes[hi + 1].append(atom)
        points = sorted(set(opens) | set(closes))
        active: set[int] = set()
        for here, nxt in zip(points, points[1:] + [None], strict=True):
            active.difference_update(closes.get(here, ()))
            active.update(opens.get(here, ()))
            if active and nxt is not None:
                seg = len(segs["seg"])
                for name, v in zip(SEG_SCHEMA, (kind, here, nxt - 1, seg), strict=True):
                    segs[name].append(v)
                seg_atoms["seg"].extend([seg] * len(active))
                seg_atoms["atom"].extend(sorted(active))
    return (
        pl.DataFrame(segs, schema=SEG_SCHEMA),
        pl.DataFrame(seg_atoms, schema={"seg": pl.Int64, "atom": pl.Int64}),
    )


def locate(values: pl.DataFrame, segs: pl.DataFrame, seg_atoms: pl.DataFrame) -> pl.DataFrame:
    """Rows of `values` (with kind and ip4) joined to every atom whose range contains ip4."""
    if segs.is_empty():
        return values.head(0).with_columns(atom=pl.lit(None, pl.Int64))
    kinds = segs["kind"].unique().to_list()
    v = values.filter(pl.col("kind").is_in(kinds)).sort("ip4")
    found = v.join_asof(
        segs, left_on="ip4", right_on="start", by="kind", strategy="backward", check_sortedness=False
    )
    found = found.filter(pl.col("ip4") <= pl.col("end"))
    return found.join(seg_atoms, on="seg").drop("start", "end", "seg")
