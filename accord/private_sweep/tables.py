"""Tables of the private sweep: one key and quota per peer, the day's usage, the day's request ids."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text

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
