"""Appending to the audit log inside the caller's transaction, and reading proofs back out of it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accord.audit import merkle
from accord.audit.canonical import canonical_json
from accord.audit.tables import audit_leaf, audit_node, audit_state

_STATE_ID = 1


def format_at(at: datetime) -> str:
    """RFC 3339 UTC with microseconds; fixed width so it sorts and round-trips exactly."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def leaf_bytes(index: int, at: str, kind: str, record_json: str) -> bytes:
    """The leaf is the canonical JSON of {at, idx, kind, record}: index and time are hashed too,
    so reordering or re-dating a record changes its leaf hash."""
    head = f'{{"at":{json.dumps(at)},"idx":{index},"kind":{json.dumps(kind, ensure_ascii=False)},"record":'
    return (head + record_json + "}").encode("utf-8")


def compute_leaf_hash(index: int, at: str, kind: str, record_json: str) -> bytes:
    return merkle.leaf_hash(leaf_bytes(index, at, kind, record_json))


def split_frontier(blob: bytes) -> list[bytes]:
    return [blob[i : i + merkle.HASH_SIZE] for i in range(0, len(blob), merkle.HASH_SIZE)]


_STATE_READ = (
    sa.select(audit_state.c.size, audit_state.c.frontier)
    .where(audit_state.c.id == _STATE_ID)
    .with_for_update()
)
# SQLite ignores FOR UPDATE and the driver does not BEGIN before a SELECT: a no-op write takes the
# database write lock first, so the size read cannot go stale before our insert.
_STATE_TOUCH = audit_state.update().where(audit_state.c.id == _STATE_ID).values(size=audit_state.c.size)
_STATE_SET = (
    audit_state.update()
    .where(audit_state.c.id == _STATE_ID)
    .values(size=sa.bindparam("new_size"), frontier=sa.bindparam("new_frontier"))
)


def _lock_state(conn: sa.Connection) -> tuple[int, list[bytes]]:
    if conn.dialect.name == "sqlite":
        conn.execute(_STATE_TOUCH)
    row = conn.execute(_STATE_READ).first()
    if row is None:  # first append ever: create the row without racing another first appender
        insert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[conn.dialect.name](audit_state)
        conn.execute(insert.values(id=_STATE_ID, size=0, frontier=b"").on_conflict_do_nothing())
        row = conn.execute(_STATE_READ).one()
    return row.size, split_frontier(row.frontier)


def append_many(conn: sa.Connection, entries: Iterable[tuple[str, dict[str, Any], datetime]]) -> list[int]:
    """Append ``(kind, record, at)`` entries in order; returns their indexes.

    Runs in the caller's transaction: nothing is committed here, so the audit entry and the write it
    records commit or roll back together. The state row is locked first, which serialises appenders.
    """
    size, frontier = _lock_state(conn)
    start = size
    leaves: list[dict[str, Any]] = []
    nodes: list[dict[str, Any]] = []
    for kind, record, at in entries:
        if not kind or len(kind) > 64:
            raise ValueError("audit kind must be 1-64 characters")
        record_json, at_text = canonical_json(record), format_at(at)
        digest = compute_leaf_hash(size, at_text, kind, record_json)
        leaves.append({"idx": size, "at": at_text, "kind": kind, "record": record_json, "leaf_hash": digest})
        for (level, idx), digest_ in merkle.push_leaf(frontier, size, digest):
            nodes.append({"level": level, "idx": idx, "hash": digest_})
        size += 1
    if not leaves:
        return []
    conn.execute(audit_leaf.insert(), leaves)
    if nodes:
        conn.execute(audit_node.insert(), nodes)
    conn.execute(_STATE_SET, {"new_size": size, "new_frontier": b"".join(frontier)})
    return list(range(start, size))


def append(conn: sa.Connection, kind: str, record: dict[str, Any], at: datetime) -> int:
    """Append one record (see :func:`append_many`); returns its index in the log."""
    return append_many(conn, [(kind, record, at)])[0]


@dataclass(frozen=True)
class TreeHead:
    tree_size: int
    root_hash: bytes


def current_head(conn: sa.Connection) -> TreeHead:
    """Size and root of the log as this transaction sees it, from the stored frontier (no tree walk)."""
    row = conn.execute(sa.select(audit_state.c.size, audit_state.c.frontier)).first()
    if row is None:
        return TreeHead(0, merkle.EMPTY_ROOT)
    return TreeHead(row.size, merkle.root_from_frontier(split_frontier(row.frontier)))


def fetcher(conn: sa.Connection) -> merkle.Fetch:
    """A ``merkle.Fetch`` reading subtree hashes from the database: at most two indexed queries."""

    def fetch(keys: Iterable[merkle.NodeKey]) -> dict[merkle.NodeKey, bytes]:
        keys = list(keys)
        found: dict[merkle.NodeKey, bytes] = {}
        leaf_ids = [idx for level, idx in keys if level == 0]
        if leaf_ids:
            rows = conn.execute(
                sa.select(audit_leaf.c.idx, audit_leaf.c.leaf_hash).where(audit_leaf.c.idx.in_(leaf_ids))
            )
            found.update({(0, row.idx): row.leaf_hash for row in rows})
        inner = [key for key in keys if key[0] > 0]
        if inner:
            rows = conn.execute(
                # OR of key lookups, not a tuple IN: SQLite would scan the table for the latter.
                sa.select(audit_node.c.level, audit_node.c.idx, audit_node.c.hash).where(
                    sa.or_(*((audit_node.c.level == lv) & (audit_node.c.idx == ix) for lv, ix in inner))
                )
            )
            found.update({(row.level, row.idx): row.hash for row in rows})
        return found

    return fetch


@dataclass(frozen=True)
class Entry:
    index: int
    at: str
    kind: str
    record_json: str
    leaf_hash: bytes

    @property
    def record(self) -> dict[str, Any]:
        return json.loads(self.record_json)


def get_entry(conn: sa.Connection, index: int) -> Entry | None:
    row = conn.execute(sa.select(audit_leaf).where(audit_leaf.c.idx == index)).first()
    if row is None:
        return None
    return Entry(row.idx, row.at, row.kind, row.record, row.leaf_hash)


def root_at(conn: sa.Connection, size: int) -> bytes:
    """Root hash of the log as it was when it held ``size`` records."""
    return merkle.range_hash(0, size, fetcher(conn))


def inclusion_proof(conn: sa.Connection, index: int, tree_size: int) -> list[bytes]:
    return merkle.inclusion_path(index, tree_size, fetcher(conn))


def consistency_proof(conn: sa.Connection, first: int, second: int) -> list[bytes]:
    return merkle.consistency_path(first, second, fetcher(conn))


def record_write(conn: sa.Connection, kind: str, record: dict[str, Any]) -> int:
    """Log an accepted write of the node now, in the caller's transaction (the one audit entry point)."""
    return append(conn, kind, record, datetime.now(UTC))
