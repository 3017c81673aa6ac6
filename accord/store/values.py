"""The value index: which objects carry an observable value, for "search by value" in the console.

Analysts paste a domain, an address or a hash and expect every object that names it, from millions.
The index maps each lowercased value (pattern literals of indicators, the values, names and hashes of
observables, names and aliases of other objects, and the ids relationships and sightings refer to)
to the objects that carry it. It is built behind the write path, not inside it: `accord serve`
indexes new rows once writes pause (``index_new``), so a POST pays nothing for it; while the index
is behind, searches scan instead (complete, slower). The index holds no policy: every hit is read
back through the store's read path, which applies the reader's policy.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from accord.periodic import Periodic
from accord.store import objects
from accord.store.admin import get_setting, set_setting
from accord.store.engine import write_transaction
from accord.store.schema import metadata, node_setting, stix_object

log = logging.getLogger("accord.values")
MAX_VALUE = 400  # longer values are indexed (and looked up) by their first 400 characters
CURSOR_KEY = "value_index.seq"

stix_value = Table(
    "stix_value",
    metadata,
    Column("value", String(MAX_VALUE), nullable=False),
    Column("collection_id", Integer, nullable=False),
    Column("stix_id", String(300), nullable=False),
    PrimaryKeyConstraint("value", "collection_id", "stix_id"),
    sqlite_with_rowid=False,
)

# A quoted literal of a STIX pattern; \' and \\ are its only escapes.
_LITERAL = re.compile(r"'((?:[^'\\]|\\.)*)'")
_NAMED = ("value", "name")
# References indexed too, so an object's page finds what points at it (relationships, sightings).
_REFS = ("source_ref", "target_ref", "sighting_of_ref")


def normalize(value: str) -> str:
    """The form values are indexed and looked up in."""
    return value.strip().lower()[:MAX_VALUE]


def values_of(obj: dict[str, Any]) -> set[str]:
    """The searchable values an object carries (lowercased, de-duplicated)."""
    found: list[str] = []
    pattern = obj.get("pattern")
    if isinstance(pattern, str) and obj.get("pattern_type", "stix") == "stix":
        found.extend(m.replace("\\'", "'").replace("\\\\", "\\") for m in _LITERAL.findall(pattern))
    for prop in (*_NAMED, *_REFS):
        if isinstance(obj.get(prop), str):
            found.append(obj[prop])
    hashes = obj.get("hashes")
    if isinstance(hashes, dict):
        found.extend(v for v in hashes.values() if isinstance(v, str))
    aliases = obj.get("aliases")
    if isinstance(aliases, list):
        found.extend(a for a in aliases if isinstance(a, str))
    return {v for v in map(normalize, found) if v}


def _rows(batch: Iterable[sa.Row]) -> Iterator[dict[str, Any]]:
    for row in batch:
        for value in values_of(orjson.loads(row.body)):
            yield {"value": value, "collection_id": row.collection_id, "stix_id": row.stix_id}


def index_new(conn: Connection, limit: int = 5000) -> int:
    """Index up to ``limit`` object versions stored since the last call; returns how many were read.

    The cursor is the store's insertion sequence, so every row is indexed once whatever its
    date_added (imports keep other servers' dates).
    """
    # Locked: two server processes on one PostgreSQL database index in turn, never both at once.
    cursor = sa.select(node_setting.c.value).where(node_setting.c.key == CURSOR_KEY).with_for_update()
    last = int(conn.execute(cursor).scalar() or 0)
    o = stix_object.c
    query = sa.select(o.seq, o.collection_id, o.stix_id, o.body).where(o.seq > last).order_by(o.seq)
    batch = list(conn.execute(query.limit(limit)))
    if not batch:
        return 0
    rows = list(_rows(batch))
    if rows:
        insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[conn.dialect.name](stix_value)
        conn.execute(insert.on_conflict_do_nothing(), rows)
    set_setting(conn, CURSOR_KEY, str(batch[-1].seq))
    return len(batch)


def pending(conn: Connection) -> int:
    """Object versions stored but not indexed yet (a search says so rather than look complete)."""
    last = int(get_setting(conn, CURSOR_KEY) or 0)
    return conn.execute(sa.select(sa.func.count()).where(stix_object.c.seq > last)).scalar_one()


def ids_with_value(conn: Connection, value: str, collection_ids: Sequence[int]) -> dict[int, list[str]]:
    """The ids of objects carrying exactly ``value`` (case-insensitive), per collection.

    No policy here: callers read the objects back through ``select_page`` with the reader's policy.
    """
    if not collection_ids:
        return {}
    found: dict[int, list[str]] = {}
    rows = conn.execute(
        sa.select(stix_value.c.collection_id, stix_value.c.stix_id).where(
            stix_value.c.value == normalize(value), stix_value.c.collection_id.in_(list(collection_ids))
        )
    )
    for collection_id, stix_id in rows:
        found.setdefault(collection_id, []).append(stix_id)
    return found


def catch_up(engine: Engine, budget_s: float = 0.5) -> int:
    """Index what is new, a batch per transaction, for at most ``budget_s``; returns rows read.

    Short transactions: writers wait for the SQLite write lock while a batch is indexed.
    """
    deadline = time.monotonic() + budget_s
    total = 0
    while time.monotonic() < deadline:
        with write_transaction(engine) as conn:
            read = index_new(conn)
        total += read
        if read == 0:
            break
    return total


class _WhenQuiet:
    """Index when this process has not stored objects for ``quiet_s``, or after ``max_wait_s``.

    A burst of POSTs runs at full speed (indexing would take the GIL and the SQLite write lock from
    it); searches meanwhile fall back to scanning, and a steady trickle of writes still gets
    indexed at least every ``max_wait_s``.
    """

    def __init__(self, engine: Engine, quiet_s: float = 0.5, max_wait_s: float = 10.0) -> None:
        self.engine, self.quiet_s, self.max_wait_s = engine, quiet_s, max_wait_s
        self.waiting_since: float | None = None

    def __call__(self) -> int:
        now = time.monotonic()
        busy = now - objects.last_write_at < self.quiet_s
        if busy and (self.waiting_since is None or now - self.waiting_since < self.max_wait_s):
            self.waiting_since = self.waiting_since or now
            return 0
        self.waiting_since = None
        return catch_up(self.engine)


def value_indexer(engine: Engine, interval_s: float = 1.0) -> Periodic:
    """The background job of `accord serve` that keeps the value index current once writes pause."""
    return Periodic("value index", interval_s, _WhenQuiet(engine), log)
