"""The set a holder publishes to one partner, and how the partner opens what it matched.

For each protected value v, with y = PRF(k, v) (64 bytes, RFC 9497 Evaluate/Finalize):
tag = SHA-256("accord tag" || y)[:16] and sealed = ChaCha20-Poly1305 under SHA-256("accord seal" || y)
of the indicators holding v (id, valid_from, valid_until). Without y, a tag is a random string and
the sealed ids are ciphertext: the partner gets y only for values of its own that it had evaluated.
Entries are sorted by tag, so their order says nothing about the indicators.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from accord.private_sweep.oprf import Holder
from accord.private_sweep.protected import Ref

TAG_BYTES = 16  # 2^-128 per pair of a false tag match: none in 10^6 x 10^5
_NONCE = b"\0" * 12  # every key is used once (one key per PRF output)


def tag_of(output: bytes) -> bytes:
    return hashlib.sha256(b"accord tag\0" + output).digest()[:TAG_BYTES]


def _key(output: bytes) -> bytes:
    return hashlib.sha256(b"accord seal\0" + output).digest()


def seal_refs(output: bytes, refs: list[Ref]) -> bytes:
    return ChaCha20Poly1305(_key(output)).encrypt(_NONCE, orjson.dumps(refs), None)


def open_refs(output: bytes, sealed: bytes) -> list[Ref]:
    """The indicators behind a matched tag; ``ValueError`` when the entry does not open (forged)."""
    try:
        refs = orjson.loads(ChaCha20Poly1305(_key(output)).decrypt(_NONCE, sealed, None))
    except (InvalidTag, orjson.JSONDecodeError):
        raise ValueError("a matched entry of the holder's set does not open") from None
    return [(str(i), vf, vu) for i, vf, vu in refs]


def build(holder: Holder, values: dict[bytes, list[Ref]]) -> list[tuple[bytes, bytes]]:
    """(tag, sealed) for every protected value, sorted by tag."""
    keys = list(values)
    out = [(tag_of(y), seal_refs(y, values[k])) for k, y in zip(keys, holder.prf_many(keys), strict=True)]
    out.sort()
    return out


def index(entries: Iterable[tuple[bytes, bytes]]) -> dict[bytes, bytes]:
    return dict(entries)
