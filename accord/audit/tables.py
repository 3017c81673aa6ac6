"""Audit tables on the node's shared metadata, so they are created and migrated with the store."""

from __future__ import annotations

import sqlalchemy as sa

from accord.store.schema import metadata

# SQLite only makes a column the rowid alias (fast, no extra index) when it is declared INTEGER.
_Index = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

audit_leaf = sa.Table(
    "audit_leaf",
    metadata,
    sa.Column("idx", _Index, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(27), nullable=False),  # RFC 3339 UTC, microseconds: exact on every backend
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # canonical JSON of the record
    sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
)

# Hashes of complete subtrees of level >= 1 (level 0 is audit_leaf.leaf_hash): proofs read O(log n) rows.
audit_node = sa.Table(
    "audit_node",
    metadata,
    sa.Column("level", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

# One row: the size and the frontier (peaks) of the tree. Appends lock it, which serialises writers.
audit_state = sa.Table(
    "audit_state",
    metadata,
    sa.Column("id", sa.SmallInteger, primary_key=True, autoincrement=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("frontier", sa.LargeBinary, nullable=False),
)

audit_tree_head = sa.Table(
    "audit_tree_head",
    metadata,
    sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("timestamp", sa.BigInteger, primary_key=True, autoincrement=False),  # ms since the epoch
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("log_id", sa.String(44), nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
)

# Countersignatures received from other parties over a log's tree head (ours or a peer's).
audit_countersignature = sa.Table(
    "audit_countersignature",
    metadata,
    sa.Column("log_id", sa.String(44), primary_key=True),
    sa.Column("tree_size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("timestamp", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("signer_id", sa.String(44), primary_key=True),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("signer_key", sa.LargeBinary(32), nullable=False),
    sa.Column("signature", sa.LargeBinary(64), nullable=False),
    sa.Column("received_at", sa.String(27), nullable=False),
)

AUDIT_TABLES = (audit_leaf, audit_node, audit_state, audit_tree_head, audit_countersignature)


def create_audit_tables(bind: sa.Engine | sa.Connection) -> None:
    """Create only the audit tables (tests, benchmarks); the node itself migrates the whole metadata."""
    metadata.create_all(bind, tables=list(AUDIT_TABLES))
