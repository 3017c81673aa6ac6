"""The partner's cache of PRF outputs: a daily sweep asks the holder only values it has not asked before.

Each row is y = PRF(k, v) for one of the partner's own values v under one holder's key (the peer and
the key id of the published set), named by SHA-256 of the PRF input, not by the value. Nothing in it
is the holder's: the partner got each y by asking, paid for it in quota, and could ask again. A new
key id (the holder rotated) makes every row of the old one useless, so they are deleted when the new
key is first seen; rows older than ``MAX_AGE_DAYS`` are deleted too (the value is asked again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from accord.private_sweep.tables import private_sweep_cache
from accord.stix.timestamps import now_us
from accord.store.engine import read_transaction, write_transaction

MAX_AGE_DAYS = 90
_INSERT_ROWS = 5000


def digest(key: bytes) -> bytes:
    """The row name of a PRF input: the cache does not keep the partner's log values in clear."""
    return hashlib.sha256(b"accord private-sweep cache\0" + key).digest()


class Cache:
    """The outputs already obtained from one holder (``peer_id``: the partner's peer row for it)."""

    def __init__(self, engine: Engine, peer_id: int) -> None:
        self.engine, self.peer_id = engine, peer_id

    def load(self, key_id: str) -> dict[bytes, bytes]:
        """digest -> output under ``key_id``, after deleting the rows of other keys and the too old."""
        where = private_sweep_cache.c.peer_id == self.peer_id
        oldest = now_us() - MAX_AGE_DAYS * 86_400_000_000
        stale = where & ((private_sweep_cache.c.key_id != key_id) | (private_sweep_cache.c.asked_us < oldest))
        with read_transaction(self.engine) as conn:
            any_stale = conn.execute(sa.select(sa.literal(1)).where(stale).limit(1)).first() is not None
        if any_stale:
            with write_transaction(self.engine) as conn:
                conn.execute(private_sweep_cache.delete().where(stale))
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                sa.select(private_sweep_cache.c.digest, private_sweep_cache.c.output).where(
                    where, private_sweep_cache.c.key_id == key_id
                )
            )
            return {bytes(d): bytes(o) for d, o in rows}

    def store(self, key_id: str, outputs: Iterable[tuple[bytes, bytes]]) -> int:
        """Keep (digest, output) pairs obtained under ``key_id``; returns how many."""
        at = now_us()
        rows = [(self.peer_id, key_id, d, o, at) for d, o in outputs]
        with write_transaction(self.engine) as conn:
            # the driver's executemany, not Core's: a first sweep stores ~10^6 rows, and Core's per-row
            # processing doubles the time. A concurrent sweep may have stored the same value: keep one.
            mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            sql = (
                f"INSERT INTO {private_sweep_cache.name} (peer_id, key_id, digest, output, asked_us)"
                f" VALUES ({', '.join([mark] * 5)}) ON CONFLICT DO NOTHING"
            )
            for i in range(0, len(rows), _INSERT_ROWS):
                conn.exec_driver_sql(sql, rows[i : i + _INSERT_ROWS])
        return len(rows)
