"""Per-peer private-sweep settings and keys: configure, rotate, read; seeds sealed with the node key.

The OPRF seed is sealed (AES-256-GCM) under the node's peer-token key (``accord.sync.sealing``),
bound to the peer's name and the key id, so a database dump holds no usable key and a row copied to
another peer does not open. A rotation makes a new seed: every tag published before it stops
matching, so a partner that kept old outputs learns nothing more from them.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection

from accord.audit.log import record_write
from accord.private_sweep import oprf
from accord.private_sweep.tables import private_sweep_peer
from accord.stix.timestamps import now_us
from accord.store import admin
from accord.store.schema import collection, peer
from accord.sync.sealing import KEY_ID_SETTING, NodeKey, PeerKeyError, data_dir_of, load_key, sealing_key

# 2^32 IPv4 addresses / 1,000,000 a day = 4,295 days: 11.8 years to enumerate IPv4 with one key.
DEFAULT_DAILY_QUOTA = 1_000_000
_VERSION = "v1."


@dataclass(frozen=True)
class PrivateSweep:
    """What one peer may do: sweep ``collection_uuid`` with ``daily_quota`` values a day, key ``key_id``."""

    peer_id: int
    peer_name: str
    collection_id: int
    collection_uuid: str
    daily_quota: int
    key_id: str
    key_created_us: int
    sealed: str = field(repr=False)

    def holder(self, conn: Connection) -> oprf.Holder:
        """The evaluator of this peer's key (opens the sealed seed)."""
        key = load_key(data_dir_of(conn), admin.get_setting(conn, KEY_ID_SETTING))
        return oprf.Holder.from_seed(_unseal(key, self.peer_name, self.key_id, self.sealed))


def _aad(peer_name: str, key_id: str) -> bytes:
    return f"accord private-sweep key\0{peer_name}\0{key_id}".encode()


def _seal(key: NodeKey, peer_name: str, key_id: str, seed: bytes) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key.secret).encrypt(nonce, seed, _aad(peer_name, key_id))
    return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _unseal(key: NodeKey, peer_name: str, key_id: str, sealed: str) -> bytes:
    try:
        if not sealed.startswith(_VERSION):
            raise ValueError
        raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :])
        return AESGCM(key.secret).decrypt(raw[:12], raw[12:], _aad(peer_name, key_id))
    except (binascii.Error, ValueError, InvalidTag):
        raise PeerKeyError(
            f"peer {peer_name!r}: the private-sweep key does not open with node key {key.id}"
            f" (altered in the database?); make a new one with 'accord peer rotate-oprf-key {peer_name}'"
        ) from None


def _new_key(conn: Connection, peer_name: str) -> tuple[str, str]:
    seed = oprf.new_seed()
    kid = oprf.key_id(oprf.Holder.from_seed(seed).public_key)
    return kid, _seal(sealing_key(conn), peer_name, kid, seed)


def _peer_id(conn: Connection, name: str) -> int:
    pid = conn.execute(sa.select(peer.c.id).where(peer.c.name == name)).scalar()
    if pid is None:
        raise admin.AdminError(f"no peer named {name!r}")
    return int(pid)


def configure(
    conn: Connection, name: str, collection_uuid: str | None = None, daily_quota: int | None = None
) -> PrivateSweep:
    """Let peer ``name`` sweep a collection privately (a key is made the first time), or change its quota."""
    pid = _peer_id(conn, name)
    if daily_quota is not None and daily_quota < 0:
        raise admin.AdminError(f"--private-sweep-quota must be 0 or more, not {daily_quota}")
    current = get(conn, name)
    values: dict[str, object] = {}
    if collection_uuid is not None:
        coll = admin.collection_by_uuid(conn, collection_uuid)
        if coll is None:
            raise admin.AdminError(f"--private-sweep: no local collection {collection_uuid}")
        values["collection_id"] = coll.id
    if daily_quota is not None:
        values["daily_quota"] = daily_quota
    if current is None:
        if collection_uuid is None:
            raise admin.AdminError(f"peer {name!r} has no private sweep: give --private-sweep COLLECTION")
        kid, sealed = _new_key(conn, name)
        values.setdefault("daily_quota", DEFAULT_DAILY_QUOTA)
        conn.execute(
            private_sweep_peer.insert().values(
                peer_id=pid, key_id=kid, key_sealed=sealed, key_created_us=now_us(), **values
            )
        )
    elif values:
        conn.execute(private_sweep_peer.update().where(private_sweep_peer.c.peer_id == pid).values(**values))
    found = get(conn, name)
    assert found is not None
    if values:
        record_write(
            conn,
            "peer.private_sweep",
            {"name": name, "collection": found.collection_uuid, "daily_quota": found.daily_quota},
        )
    return found


def rotate(conn: Connection, name: str) -> tuple[str, str]:
    """A new key for the peer: (old id, new id). Outputs of the old key match nothing from now on."""
    current = get(conn, name)
    if current is None:
        raise admin.AdminError(f"peer {name!r} has no private sweep to rotate a key of")
    kid, sealed = _new_key(conn, name)
    conn.execute(
        private_sweep_peer.update()
        .where(private_sweep_peer.c.peer_id == current.peer_id)
        .values(key_id=kid, key_sealed=sealed, key_created_us=now_us())
    )
    record_write(conn, "peer.private_sweep_rotate", {"name": name, "old_key": current.key_id, "new_key": kid})
    return current.key_id, kid


def reseal_all(conn: Connection, old: NodeKey, new: NodeKey) -> int:
    """Re-seal every private-sweep seed under a new node key (called by ``sealing.rotate_key``)."""
    rows = conn.execute(
        sa.select(
            private_sweep_peer.c.peer_id,
            peer.c.name,
            private_sweep_peer.c.key_id,
            private_sweep_peer.c.key_sealed,
        ).join(peer, peer.c.id == private_sweep_peer.c.peer_id)
    ).all()
    for r in rows:
        seed = _unseal(old, r.name, r.key_id, r.key_sealed)
        conn.execute(
            private_sweep_peer.update()
            .where(private_sweep_peer.c.peer_id == r.peer_id)
            .values(key_sealed=_seal(new, r.name, r.key_id, seed))
        )
    return len(rows)


def _select() -> sa.Select:
    return (
        sa.select(private_sweep_peer, peer.c.name, collection.c.uuid)
        .join(peer, peer.c.id == private_sweep_peer.c.peer_id)
        .join(collection, collection.c.id == private_sweep_peer.c.collection_id)
    )


def _of(row: sa.Row) -> PrivateSweep:
    return PrivateSweep(
        row.peer_id,
        row.name,
        row.collection_id,
        row.uuid,
        row.daily_quota,
        row.key_id,
        row.key_created_us,
        row.key_sealed,
    )


def get(conn: Connection, name: str) -> PrivateSweep | None:
    row = conn.execute(_select().where(peer.c.name == name)).first()
    return _of(row) if row else None


def for_org(conn: Connection, org_id: int) -> PrivateSweep | None:
    """The private sweep of the peer an organization stands for (None: not a peer, or not configured)."""
    row = conn.execute(_select().where(peer.c.org_id == org_id)).first()
    return _of(row) if row else None


def all_by_peer(conn: Connection) -> dict[str, PrivateSweep]:
    return {r.name: _of(r) for r in conn.execute(_select())}
