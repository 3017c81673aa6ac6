"""Signed tree heads and countersignatures: the published commitments that make rewriting detectable."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from accord.audit import merkle
from accord.audit.canonical import canonical_bytes
from accord.audit.keys import key_id, raw_public_key
from accord.audit.log import current_head, format_at
from accord.audit.tables import audit_countersignature, audit_tree_head

HEAD_TYPE = "accord/tree-head/v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


@dataclass(frozen=True)
class SignedTreeHead:
    log_id: str
    tree_size: int
    root_hash: bytes
    timestamp: int  # milliseconds since the Unix epoch, as in RFC 9162
    signature: bytes

    def signed_bytes(self) -> bytes:
        return tree_head_bytes(self.log_id, self.tree_size, self.root_hash, self.timestamp)

    def to_json(self) -> dict[str, Any]:
        return {
            "log_id": self.log_id,
            "tree_size": self.tree_size,
            "root_hash": _b64(self.root_hash),
            "timestamp": self.timestamp,
            "signature": _b64(self.signature),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SignedTreeHead:
        return cls(
            data["log_id"],
            int(data["tree_size"]),
            _unb64(data["root_hash"]),
            int(data["timestamp"]),
            _unb64(data["signature"]),
        )


def tree_head_bytes(log_id: str, tree_size: int, root_hash: bytes, timestamp: int) -> bytes:
    """What the log signs and countersigners sign: canonical JSON, type-tagged for domain separation."""
    return canonical_bytes(
        {
            "log_id": log_id,
            "root_hash": _b64(root_hash),
            "timestamp": timestamp,
            "tree_size": tree_size,
            "type": HEAD_TYPE,
        }
    )


def to_millis(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return (at - _EPOCH) // timedelta(milliseconds=1)


def sign_head(key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, at: datetime) -> SignedTreeHead:
    log_id = key_id(key.public_key())
    timestamp = to_millis(at)
    signature = key.sign(tree_head_bytes(log_id, tree_size, root_hash, timestamp))
    return SignedTreeHead(log_id, tree_size, root_hash, timestamp, signature)


def verify_head(head: SignedTreeHead, public_key: Ed25519PublicKey) -> bool:
    if head.log_id != key_id(public_key):
        return False
    try:
        public_key.verify(head.signature, head.signed_bytes())
    except InvalidSignature:
        return False
    return True


def sign_tree_head(conn: sa.Connection, key: Ed25519PrivateKey, at: datetime) -> SignedTreeHead:
    """Sign the log's current head and keep it; call after commits (or periodically) and publish it."""
    head = current_head(conn)
    sth = sign_head(key, head.tree_size, head.root_hash, at)
    conn.execute(
        audit_tree_head.insert().values(
            tree_size=sth.tree_size,
            timestamp=sth.timestamp,
            root_hash=sth.root_hash,
            log_id=sth.log_id,
            signature=sth.signature,
        )
    )
    return sth


def stored_heads(conn: sa.Connection) -> list[SignedTreeHead]:
    """Every signed head the node has issued, oldest first."""
    rows = conn.execute(
        sa.select(audit_tree_head).order_by(audit_tree_head.c.tree_size, audit_tree_head.c.timestamp)
    )
    return [SignedTreeHead(r.log_id, r.tree_size, r.root_hash, r.timestamp, r.signature) for r in rows]


def latest_head(conn: sa.Connection) -> SignedTreeHead | None:
    heads = stored_heads(conn)
    return heads[-1] if heads else None


def verify_heads_consistent(
    old: SignedTreeHead, new: SignedTreeHead, path: Sequence[bytes], public_key: Ed25519PublicKey
) -> bool:
    """Peer-side check before accepting (or countersigning) ``new``: both heads are the log's own and
    ``new`` extends ``old`` without rewriting it (``path`` from ``consistency_proof``)."""
    return (
        verify_head(old, public_key)
        and verify_head(new, public_key)
        and merkle.verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, path)
    )


# --- Countersigning ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Countersignature:
    """A party's signature over another log's tree head: "I have seen this head" (witnessing)."""

    signer_id: str
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {"signer_id": self.signer_id, "signature": _b64(self.signature)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Countersignature:
        return cls(data["signer_id"], _unb64(data["signature"]))


def countersign(
    head: SignedTreeHead, origin_key: Ed25519PublicKey, key: Ed25519PrivateKey
) -> Countersignature:
    """Countersign a peer's head, after checking the peer really signed it (never vouch blindly)."""
    if not verify_head(head, origin_key):
        raise ValueError("the tree head's own signature does not verify; refusing to countersign")
    return Countersignature(key_id(key.public_key()), key.sign(head.signed_bytes()))


def verify_countersignature(head: SignedTreeHead, cs: Countersignature, signer_key: Ed25519PublicKey) -> bool:
    if cs.signer_id != key_id(signer_key):
        return False
    try:
        signer_key.verify(cs.signature, head.signed_bytes())
    except InvalidSignature:
        return False
    return True


def record_countersignature(
    conn: sa.Connection,
    head: SignedTreeHead,
    cs: Countersignature,
    signer_key: Ed25519PublicKey,
    received_at: datetime,
) -> None:
    """Verify and keep a countersignature received from another party."""
    if not verify_countersignature(head, cs, signer_key):
        raise ValueError("countersignature does not verify")
    conn.execute(
        audit_countersignature.insert().values(
            log_id=head.log_id,
            tree_size=head.tree_size,
            timestamp=head.timestamp,
            signer_id=cs.signer_id,
            root_hash=head.root_hash,
            signer_key=raw_public_key(signer_key),
            signature=cs.signature,
            received_at=format_at(received_at),
        )
    )


def stored_countersignatures(
    conn: sa.Connection, log_id: str | None = None
) -> list[tuple[SignedTreeHead, Countersignature, bytes]]:
    """Received countersignatures as (head without its own signature, countersignature, raw signer key)."""
    query = sa.select(audit_countersignature)
    if log_id is not None:
        query = query.where(audit_countersignature.c.log_id == log_id)
    out = []
    for r in conn.execute(query.order_by(audit_countersignature.c.tree_size)):
        head = SignedTreeHead(r.log_id, r.tree_size, r.root_hash, r.timestamp, b"")
        out.append((head, Countersignature(r.signer_id, r.signature), r.signer_key))
    return out
