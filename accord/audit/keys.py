"""The node's Ed25519 signing key: created on first use, kept as a 0600 PEM file in the data directory."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "node-ed25519.pem"
PUBLIC_KEY_FILE = "node-ed25519.pub.pem"


class InsecureKeyFile(PermissionError):
    """The private key file is readable by other users; we refuse to sign with a possibly leaked key."""


def load_or_create_key(data_dir: str | os.PathLike[str], name: str = KEY_FILE) -> Ed25519PrivateKey:
    """Load the node key, or create it atomically (O_EXCL, mode 0600) if this is the first use."""
    path = Path(data_dir) / name
    if path.exists():
        return load_private_key(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first
        return load_private_key(path)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    (path.parent / PUBLIC_KEY_FILE).write_bytes(public_key_pem(key.public_key()))
    return key


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    mode = os.stat(path).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureKeyFile(f"{path} is open to group/others ({stat.filemode(mode)}); chmod 600 it")
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError(f"{path} does not hold an Ed25519 private key")
    return key


def public_key_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise TypeError("not an Ed25519 public key")
    return key


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """Base64 SHA-256 of the raw public key, as RFC 9162 derives a log ID from the log's key."""
    return base64.b64encode(hashlib.sha256(raw_public_key(key)).digest()).decode("ascii")
