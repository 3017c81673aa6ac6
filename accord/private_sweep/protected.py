"""Which canonical values a collection protects: the sweep's own compiler decides, nothing else.

An indicator is protected when its pattern compiles (``accord.sweep.patterns.compile_pattern``) to
"simple" with every conjunction a single equality on a value the sweep canonicalizes (addresses,
domains, URLs, e-mail, file hashes): then "some event holds value v" is exactly "the pattern matches
that event", and a PRF of v says all a partner needs. Ranges (CIDR), LIKE/MATCHES, ports and
conjunctions of several values cannot be checked one value at a time and are counted as skipped.
Revoked indicators and values on the sweep's false-positive list are left out, as the sweep does.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.stix.extensions import TOMBSTONE_TYPE
from accord.store.schema import stix_object
from accord.sweep.falsepositives import FalsePositives
from accord.sweep.patterns import PORT_KINDS, compile_pattern

# The reference an evaluation yields for a matched value: indicator id, valid_from, valid_until.
Ref = tuple[str, str | None, str | None]


def value_key(kind: str, value: str) -> bytes:
    """The PRF input of a canonical value: its object path and the value (as the sweep compares them)."""
    return f"{kind}\0{value}".encode()


@dataclass
class Protected:
    """Protected values (PRF input -> indicators holding it) and what was left out, by reason."""

    values: dict[bytes, list[Ref]] = field(default_factory=dict)
    kinds: set[str] = field(default_factory=set)
    indicators: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def latest_indicators(conn: Connection, collection_id: int) -> list[dict]:
    """The newest version of every indicator of a collection, without those a tombstone deleted."""
    rows = conn.execute(
        sa.select(stix_object.c.stix_id, stix_object.c.version_us, stix_object.c.body)
        .where(stix_object.c.collection_id == collection_id, stix_object.c.type == "indicator")
        .order_by(stix_object.c.stix_id, stix_object.c.version_us)
    )
    newest: dict[str, str] = {}
    for r in rows:
        newest[r.stix_id] = r.body
    deleted = {
        r.about_ref
        for r in conn.execute(
            sa.select(stix_object.c.about_ref).where(
                stix_object.c.collection_id == collection_id, stix_object.c.type == TOMBSTONE_TYPE
            )
        )
    }
    return [orjson.loads(body) for sid, body in newest.items() if sid not in deleted]


def protect(indicators: list[dict], fp: FalsePositives | None = None) -> Protected:
    """The protected values of these indicators (``fp``: the sweep's false-positive list, shipped one)."""
    fp = FalsePositives.load() if fp is None else fp
    out = Protected()
    for obj in indicators:
        if obj.get("type") != "indicator" or not isinstance(obj.get("pattern"), str):
            continue
        if obj.get("revoked") is True:
            out.skipped["revoked"] += 1
            continue
        if obj.get("pattern_type", "stix") != "stix":
            out.skipped["not a STIX pattern"] += 1
            continue
        comp = compile_pattern(obj["pattern"])
        atoms = [c[0] for c in comp.dnf if len(c) == 1]
        if comp.mode != "simple" or len(atoms) != len(comp.dnf) or not atoms:
            out.skipped["not equalities on single values"] += 1
            continue
        if any(a.op not in ("eq", "dom") or a.kind in PORT_KINDS for a in atoms):
            out.skipped["ranges, ports or regular expressions"] += 1
            continue
        atoms = [a for a in atoms if not fp.covers(a)]
        if not atoms:
            out.skipped["false positive"] += 1
            continue
        ref: Ref = (obj["id"], obj.get("valid_from"), obj.get("valid_until"))
        out.indicators += 1
        for a in atoms:
            refs = out.values.setdefault(value_key(a.kind, str(a.value)), [])
            if ref not in refs:
                refs.append(ref)
            out.kinds.add(a.kind)
    return out
