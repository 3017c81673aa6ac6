"""Tables of the private sweep: one key and quota per peer, the day's usage, the day's request ids (the
holder's side); the PRF outputs a partner already obtained (the partner's side)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, String, Table, Text

from accord.store.schema import metadata

# One row per peer allowed to sweep privately: which collection it sweeps against, its daily quota,
# and its current key (the VOPRF seed, sealed with the node key, see ``keys``).
private_sweep_peer = Table(
    "private_sweep_peer",
    metadata,
    Column("peer_id", Integer, ForeignKey("peer.id"), primary_key=True),
    Column("collection_id", Integer, ForeignKey("collection.id"), nullable=False),
    Column("daily_quota", BigInteger, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("key_sealed", Text, nullable=False),
    Column("key_created_us", BigInteger, nullable=False),
)

# Values evaluated per peer and UTC day: checked and raised in the evaluating transaction.
private_sweep_usage = Table(
    "private_sweep_usage",
    metadata,
    Column("peer_id", Integer, ForeignKey("peer.id"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("used", BigInteger, nullable=False),
)

# Request ids seen per peer and day: a replayed request is refused (and costs nothing).
private_sweep_request = Table(
    "private_sweep_request",
    metadata,
    Column("peer_id", Integer, ForeignKey("peer.id"), primary_key=True),
    Column("request_id", String(64), primary_key=True),
    Column("day", String(10), nullable=False),
    Column("values", BigInteger, nullable=False),
)

# On the partner: PRF outputs of its own values under one holder's key (peer = that holder), so a
# daily sweep asks again only values it has not seen; keyed by a hash of the input, not the value.
# Rows of another key id (the holder rotated) are deleted when the new key is first seen.
private_sweep_cache = Table(
    "private_sweep_cache",
    metadata,
    Column("peer_id", Integer, ForeignKey("peer.id"), primary_key=True),
    Column("key_id", String(32), primary_key=True),
    Column("digest", LargeBinary(32), primary_key=True),
    Column("output", LargeBinary(64), nullable=False),
    Column("asked_us", BigInteger, nullable=False),
    sqlite_with_rowid=False,  # the key is the row: one B-tree, not a table and an index
)
