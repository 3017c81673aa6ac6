"""Peer tokens sealed at rest: AES-256-GCM under a node key kept outside the database.

A dump, backup or replica of the database then holds no usable credential for a peer. The key is
a file in the node's data directory (``peer-token.key``, mode 0600), created the first time a token
is sealed. Every process using the database (several ``accord serve`` on one PostgreSQL database,
the CLI) must read the same file: the key's id is recorded in ``node_setting``, so a process with
another key or none stops with a one-line error instead of sealing with a second key. Each token
is bound to its peer's name and URL (associated data): a URL changed in the database alone makes the
token undecryptable, so it cannot be redirected to another server.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection

from accord.store.admin import get_setting, set_setting
from accord.store.schema import peer

KEY_FILE = "peer-token.key"
PENDING_KEY_FILE = "peer-token.key.new"  # a rotation's new key until its transaction has committed
KEY_ID_SETTING = "peer_token_key_id"
# The engine option naming the node's data directory, set by ``accord.node.open_node``.
DATA_DIR_OPTION = "accord_data_dir"
_VERSION = "v1."


class PeerKeyError(ValueError):
    """The peer-token key is missing, wrong or unsafe, or a sealed token does not open: one line."""


@dataclass(frozen=True)
class NodeKey:
    path: Path
    secret: bytes = field(repr=False)

    @property
    def id(self) -> str:
        """A fingerprint to compare keys by (reveals nothing of a 256-bit random key)."""
        return hashlib.sha256(b"accord peer-token key\0" + self.secret).hexdigest()[:16]


def data_dir_of(conn: Connection) -> Path | None:
    value = conn.get_execution_options().get(DATA_DIR_OPTION)
    return Path(value) if value else None


def _read_key(path: Path) -> NodeKey:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PeerKeyError(f"{path} is open to group/others ({stat.filemode(mode)}): chmod 600 it")
    try:
        secret = base64.urlsafe_b64decode(path.read_bytes().strip())
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != 32:
        raise PeerKeyError(f"{path} is not a peer-token key (expected 32 bytes, base64)")
    return NodeKey(path, secret)


def _create_key(path: Path) -> NodeKey:
    """Write a new key atomically (O_EXCL, 0600); a process that lost the race reads the winner's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = AESGCM.generate_key(bit_length=256)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "wb") as out:
        out.write(base64.urlsafe_b64encode(secret) + b"\n")
    return NodeKey(path, secret)


def load_key(data_dir: Path | None, recorded: str | None) -> NodeKey:
    """The key in ``data_dir``, checked against the id the database recorded (never created here)."""
    if data_dir is None:
        raise PeerKeyError("the node's data directory is unknown: open the node with accord.node.open_node")
    path = data_dir / KEY_FILE
    if not path.exists():
        raise PeerKeyError(
            f"peer-token key {path} is missing; the peer tokens in this database were sealed with key"
            f" {recorded}: copy {KEY_FILE} from the data directory that created it"
        )
    key = _read_key(path)
    if recorded is not None and key.id != recorded:
        pending = path.with_name(PENDING_KEY_FILE)
        if pending.exists() and _read_key(pending).id == recorded:
            raise PeerKeyError(
                f"an interrupted 'accord peer rotate-key' left the key the database expects in {pending}:"
                f" move it to {path} (mv {pending} {path})"
            )
        raise PeerKeyError(
            f"{path} holds key {key.id}, but the peer tokens in this database were sealed with key"
            f" {recorded}: use that key file (every process sharing the database needs the same one)"
        )
    return key


def sealing_key(conn: Connection) -> NodeKey:
    """The key to seal with, created (and its id recorded) on first use; ``conn`` must be writable."""
    data_dir, recorded = data_dir_of(conn), get_setting(conn, KEY_ID_SETTING)
    if recorded is None and data_dir is not None:
        path = data_dir / KEY_FILE
        key = _read_key(path) if path.exists() else _create_key(path)
        set_setting(conn, KEY_ID_SETTING, key.id)
        return key
    return load_key(data_dir, recorded)


def _aad(name: str, url: str) -> bytes:
    return f"accord peer token\0{name}\0{url}".encode()


def seal(conn: Connection, name: str, url: str, token: str) -> str:
    """The sealed form of the token this node uses to call peer ``name`` at ``url``."""
    return _seal(sealing_key(conn), name, url, token)


def _seal(key: NodeKey, name: str, url: str, token: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key.secret).encrypt(nonce, token.encode(), _aad(name, url))
    return _VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(key: NodeKey, name: str, url: str, sealed: str) -> str:
    if not sealed.startswith(_VERSION):
        raise PeerKeyError(f"peer {name!r}: the stored token is not sealed; set it again with --token")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_VERSION) :])
        return AESGCM(key.secret).decrypt(raw[:12], raw[12:], _aad(name, url)).decode()
    except (binascii.Error, ValueError, InvalidTag):
        raise PeerKeyError(
            f"peer {name!r}: the stored token does not open with key {key.id} (altered in the database,"
            " or its URL changed outside accord); set it again with 'accord peer set --token'"
        ) from None


@dataclass(frozen=True)
class SealedToken:
    """A peer's token as stored, opened only when a call to the peer needs it."""

    name: str
    url: str
    sealed: str = field(repr=False)
    data_dir: Path | None
    key_id: str | None

    @classmethod
    def of(cls, conn: Connection, name: str, url: str, sealed: str) -> SealedToken:
        return cls(name, url, sealed, data_dir_of(conn), get_setting(conn, KEY_ID_SETTING))

    def reveal(self) -> str:
        return unseal(load_key(self.data_dir, self.key_id), self.name, self.url, self.sealed)


@dataclass(frozen=True)
class Rotation:
    """A key rotation whose tokens are re-sealed in the open transaction; ``install`` after commit."""

    old_id: str
    new_id: str
    peers: int
    pending: Path = field(repr=False)
    final: Path = field(repr=False)

    def install(self) -> None:
        """Put the new key in place (atomic rename); the old key is gone from the data directory."""
        os.replace(self.pending, self.final)


def rotate_key(conn: Connection) -> Rotation:
    """Re-seal every peer token under a new key, in ``conn``'s (write) transaction.

    Order: every token is opened with the old key first (one that does not open stops the rotation
    with nothing changed); the new key is written beside the old one (``peer-token.key.new``); the
    tokens and the recorded key id change in the transaction; after the commit, ``install`` renames
    the new key over the old. A crash between the commit and the rename leaves the database
    expecting the pending key, and ``load_key`` names the one ``mv`` that recovers.
    """
    data_dir, recorded = data_dir_of(conn), get_setting(conn, KEY_ID_SETTING)
    if recorded is None:
        raise PeerKeyError("no peer token has been sealed yet: there is no key to rotate")
    old = load_key(data_dir, recorded)
    rows = conn.execute(sa.select(peer.c.id, peer.c.name, peer.c.url, peer.c.token_sealed)).all()
    tokens = [(r.id, r.name, r.url, unseal(old, r.name, r.url, r.token_sealed)) for r in rows]
    pending = old.path.with_name(PENDING_KEY_FILE)
    if pending.exists():
        pending.unlink()  # left by a rotation that never committed: the database does not expect it
    new = _create_key(pending)
    for pid, name, url, token in tokens:
        conn.execute(peer.update().where(peer.c.id == pid).values(token_sealed=_seal(new, name, url, token)))
    from accord.private_sweep.keys import reseal_all  # private-sweep seeds are sealed with this key too

    reseal_all(conn, old, new)
    set_setting(conn, KEY_ID_SETTING, new.id)
    return Rotation(old.id, new.id, len(tokens), pending, old.path)
