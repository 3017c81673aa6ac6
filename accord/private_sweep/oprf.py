"""RFC 9497 OPRF mode (modeOPRF = 0x00), ristretto255-SHA512, on libsodium's group operations.

libsodium (through ``pysodium``, a ctypes binding) does all the group arithmetic: hash-to-point
(``crypto_core_ristretto255_from_hash``, the RFC 9380 one-way map), scalar multiplication, scalar
inversion and reduction, point validation. This module is only the RFC's thin protocol layer over
it: the context string, ``expand_message_xmd`` (RFC 9380 §5.3.1, SHA-512), HashToGroup,
HashToScalar, DeriveKeyPair (§3.2.1), Blind, BlindEvaluate and Finalize (§3.3.1), and the input
validation of DeserializeElement (§4.1: canonical encoding, not the identity). The RFC's test
vectors (Appendix A.1.1) are checked in ``tests/private_sweep``. It is the one place crypto is done.

Speed: per value the partner pays a hash-to-group and two scalar multiplications and the holder one,
all in libsodium (~95% of the CPU time), so the Python around them is kept thin: the functions are
looked up once, buffers are reused, expand_message_xmd for HashToGroup is two SHA-512 calls from a
precomputed state, and an element is validated by the multiplication's own decoding (which refuses
exactly what DeserializeElement refuses) rather than decoded twice. libsodium's calls release the
GIL (ctypes), so threads spread batches over the cores.

libsodium is loaded on first use, not at import: a node without it starts, and a private sweep
attempted there fails with ``LibraryMissing`` naming the fix (``apt-get install libsodium23``).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

SUITE = "ristretto255-SHA512"
MODE = "oprf"  # RFC 9497 modeOPRF = 0x00
MODE_OPRF = 0x00
CONTEXT = b"OPRFV1-" + bytes([MODE_OPRF]) + b"-" + SUITE.encode()
ELEMENT_BYTES = 32  # Ne
SCALAR_BYTES = 32  # Ns
OUTPUT_BYTES = 64  # Nh
MAX_BATCH = 65_535
_IDENTITY = bytes(ELEMENT_BYTES)  # the ristretto255 encoding of the identity: all zeros


class LibraryMissing(ValueError):
    """libsodium (or its binding) is not installed: one line naming the fix."""


class BadElement(ValueError):
    """An element that is not the canonical encoding of a non-identity ristretto255 point."""


class BadEvaluation(ValueError):
    """The holder's answer is not one valid evaluated element per blinded element."""


class InvalidInput(ValueError):
    """An input that hashes to the identity (RFC 9497 InvalidInputError; probability ~2^-252)."""


_lib: Any = None


def library() -> Any:
    """libsodium's ctypes handle (loaded once); ``LibraryMissing`` when it is not installed."""
    global _lib
    if _lib is None:
        try:
            import pysodium
        except Exception as exc:  # ImportError, or pysodium failing to load libsodium (OSError, ...)
            raise LibraryMissing(
                f"the private sweep needs libsodium ({type(exc).__name__}: {exc}):"
                " apt-get install libsodium23 (and pip install pysodium)"
            ) from None
        if pysodium.sodium.sodium_init() < 0:
            raise LibraryMissing("libsodium failed to initialize (sodium_init)")
        _lib = pysodium.sodium
    return _lib


def require() -> None:
    """Raise ``LibraryMissing`` now rather than in the middle of an exchange."""
    library()


@dataclass(frozen=True)
class _Fns:
    """libsodium's functions looked up once: the per-value loops call them with no attribute lookup."""

    from_hash: Any
    mult: Any
    is_valid: Any
    random: Any
    scalar_mul: Any
    invert: Any


_fns: _Fns | None = None


def _functions() -> _Fns:
    global _fns
    if _fns is None:
        lib = library()
        _fns = _Fns(
            lib.crypto_core_ristretto255_from_hash,
            lib.crypto_scalarmult_ristretto255,
            lib.crypto_core_ristretto255_is_valid_point,
            lib.crypto_core_ristretto255_scalar_random,
            lib.crypto_core_ristretto255_scalar_mul,
            lib.crypto_core_ristretto255_scalar_invert,
        )
    return _fns


# -- RFC 9380 §5.3.1 and the RFC 9497 §4.1 group functions ---------------------------------------


def i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def expand_message_xmd(msg: bytes, dst: bytes, len_in_bytes: int) -> bytes:
    """RFC 9380 §5.3.1 with H = SHA-512 (b_in_bytes 64, s_in_bytes 128)."""
    ell = -(-len_in_bytes // 64)
    if ell > 255 or len_in_bytes > 65535 or len(dst) > 255:
        raise ValueError("expand_message_xmd: output or DST too long")
    dst_prime = dst + i2osp(len(dst), 1)
    msg_prime = bytes(128) + msg + i2osp(len_in_bytes, 2) + i2osp(0, 1) + dst_prime
    b_0 = hashlib.sha512(msg_prime).digest()
    b_i = hashlib.sha512(b_0 + i2osp(1, 1) + dst_prime).digest()
    uniform = [b_i]
    for i in range(2, ell + 1):
        xored = bytes(x ^ y for x, y in zip(b_0, b_i, strict=True))
        b_i = hashlib.sha512(xored + i2osp(i, 1) + dst_prime).digest()
        uniform.append(b_i)
    return b"".join(uniform)[:len_in_bytes]


_H2G_DST = b"HashToGroup-" + CONTEXT
_H2S_DST = b"HashToScalar-" + CONTEXT
# expand_message_xmd(msg, HashToGroup DST, 64) in two SHA-512 calls (ell = 1): Z_pad is one whole
# SHA-512 block, so its state is computed once and copied; the DST suffixes are fixed.
_Z_PAD_STATE = hashlib.sha512(bytes(128))
_H2G_SUFFIX_0 = i2osp(64, 2) + i2osp(0, 1) + _H2G_DST + i2osp(len(_H2G_DST), 1)
_H2G_SUFFIX_1 = i2osp(1, 1) + _H2G_DST + i2osp(len(_H2G_DST), 1)


def _expand_h2g(data: bytes, sha512: Callable[[bytes], Any] = hashlib.sha512) -> bytes:
    """``expand_message_xmd(data, HashToGroup DST, 64)``, the same bytes with less Python per value."""
    h = _Z_PAD_STATE.copy()
    h.update(data + _H2G_SUFFIX_0)
    return sha512(h.digest() + _H2G_SUFFIX_1).digest()


def hash_to_group(data: bytes) -> bytes:
    """hash_to_ristretto255 (RFC 9380 Appendix B): the one-way map of 64 expanded bytes."""
    out = ctypes.create_string_buffer(ELEMENT_BYTES)
    _functions().from_hash(out, _expand_h2g(data))
    return out.raw


def hash_to_scalar(data: bytes, dst: bytes = _H2S_DST) -> bytes:
    """64 expanded bytes read little-endian and reduced modulo the group order."""
    out = ctypes.create_string_buffer(SCALAR_BYTES)
    library().crypto_core_ristretto255_scalar_reduce(out, expand_message_xmd(data, dst, 64))
    return out.raw


def deserialize_element(raw: bytes) -> bytes:
    """RFC 9497 §4.1 DeserializeElement: canonical ristretto255 encoding, and not the identity."""
    if len(raw) != ELEMENT_BYTES:
        raise BadElement(f"{len(raw)} bytes, not {ELEMENT_BYTES}")
    if raw == _IDENTITY:
        raise BadElement("the identity element")
    if _functions().is_valid(raw) != 1:
        raise BadElement("not a canonical ristretto255 encoding")
    return raw


_FINALIZE_MID = i2osp(ELEMENT_BYTES, 2)


def _finalize_hash(data: bytes, unblinded: bytes) -> bytes:
    return hashlib.sha512(
        len(data).to_bytes(2, "big") + data + _FINALIZE_MID + unblinded + b"Finalize"
    ).digest()


# -- keys ----------------------------------------------------------------------------------------


def new_seed() -> bytes:
    """Ns = 32 random bytes: the secret from which the holder's key pair is derived."""
    return os.urandom(SCALAR_BYTES)


def derive_key_pair(seed: bytes, info: bytes) -> tuple[bytes, bytes]:
    """RFC 9497 §3.2.1 DeriveKeyPair: (skS, pkS) serialized."""
    if len(seed) != SCALAR_BYTES:
        raise ValueError(f"the seed must be {SCALAR_BYTES} bytes")
    derive_input = seed + i2osp(len(info), 2) + info
    lib = library()
    for counter in range(256):
        sk = hash_to_scalar(derive_input + i2osp(counter, 1), b"DeriveKeyPair" + CONTEXT)
        if sk != bytes(SCALAR_BYTES):
            pk = ctypes.create_string_buffer(ELEMENT_BYTES)
            if lib.crypto_scalarmult_ristretto255_base(pk, sk) != 0:
                raise ValueError("DeriveKeyPair: the public key is the identity")
            return sk, pk.raw
    raise ValueError("DeriveKeyPairError")


def key_id(public_key: bytes) -> str:
    """A short public name of a key (its public part hashed): what a partner caches outputs under."""
    return hashlib.sha256(b"accord oprf key\0" + public_key).hexdigest()[:16]


# -- threads: libsodium's calls release the GIL (ctypes), so batches spread over the cores -------

T = TypeVar("T")
R = TypeVar("R")
_PARALLEL_MIN = 2048


def workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _map_chunks(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], threads: int | None) -> list[R]:
    n = threads or workers()
    if n <= 1 or len(items) < _PARALLEL_MIN:
        return fn(items)
    size = -(-len(items) // n)
    with ThreadPoolExecutor(max_workers=n) as pool:
        parts = pool.map(fn, [items[i : i + size] for i in range(0, len(items), size)])
        return [x for part in parts for x in part]


# -- the server (holder) -------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """The evaluating side, holding one partner's secret key skS."""

    secret_key: bytes
    public_key: bytes

    @classmethod
    def from_seed(cls, seed: bytes, info: bytes = b"accord private sweep") -> Holder:
        return cls(*derive_key_pair(seed, info))

    def __repr__(self) -> str:
        return f"Holder(key {key_id(self.public_key)})"

    def _prf(self, values: Sequence[bytes]) -> list[bytes]:
        f, sk, expand, fin = _functions(), self.secret_key, _expand_h2g, _finalize_hash
        from_hash, mult = f.from_hash, f.mult
        point, out = ctypes.create_string_buffer(ELEMENT_BYTES), ctypes.create_string_buffer(ELEMENT_BYTES)
        outputs = []
        for v in values:
            from_hash(point, expand(v))
            if mult(out, sk, point) != 0:  # skS is not zero: only an identity point fails
                raise InvalidInput("an input hashes to the identity")
            outputs.append(fin(v, out.raw))
        return outputs

    def prf(self, value: bytes) -> bytes:
        """RFC 9497 ``Evaluate``: the PRF output of a value the holder knows."""
        return self._prf([value])[0]

    def prf_many(self, values: Sequence[bytes], threads: int | None = None) -> list[bytes]:
        return _map_chunks(self._prf, values, threads)

    def _evaluate(self, elements: Sequence[bytes], start: int = 0) -> list[bytes]:
        # crypto_scalarmult_ristretto255 decodes the element as DeserializeElement does (a
        # non-canonical encoding fails) and refuses an identity product, which with a non-zero skS
        # means an identity element: the RFC's input validation and the evaluation in one decoding.
        mult, sk, out = _functions().mult, self.secret_key, ctypes.create_string_buffer(ELEMENT_BYTES)
        answers = []
        for i, e in enumerate(elements):
            if len(e) != ELEMENT_BYTES or mult(out, sk, e) != 0:
                raise BadElement(f"element {start + i} is not a valid ristretto255 point: {_why(e)}")
            answers.append(out.raw)
        return answers

    def evaluate(self, elements: Sequence[bytes], threads: int | None = None) -> bytes:
        """``BlindEvaluate`` of each element, validated as DeserializeElement does (``BadElement``
        names the first bad one, and nothing is returned): the evaluated elements concatenated."""
        n = threads or workers()
        if n <= 1 or len(elements) < _PARALLEL_MIN:
            return b"".join(self._evaluate(elements))
        size = -(-len(elements) // n)
        with ThreadPoolExecutor(max_workers=n) as pool:
            parts = pool.map(
                lambda s: self._evaluate(elements[s : s + size], s), range(0, len(elements), size)
            )
            return b"".join(b"".join(p) for p in parts)


def _why(raw: bytes) -> str:
    """Why an element is refused ("" when it is a valid non-identity point)."""
    try:
        deserialize_element(raw)
    except BadElement as exc:
        return str(exc)
    return ""


def parse(elements: Sequence[bytes]) -> list[bytes]:
    """The blinded elements after DeserializeElement; ``BadElement`` names the first bad one."""
    for i, raw in enumerate(elements):
        try:
            deserialize_element(raw)
        except BadElement as exc:
            raise BadElement(f"element {i} is not a valid ristretto255 point: {exc}") from None
    return list(elements)


# -- the client (partner) ------------------------------------------------------------------------


@dataclass
class Blinded:
    """A batch of blinded inputs and the client state to finalize them (never leaves the partner):
    the inputs, the inverses of their blinds, and the blinded elements sent to the holder."""

    inputs: list[bytes]
    inverses: list[bytes]
    elements: list[bytes]

    def __getitem__(self, part: slice) -> Blinded:
        return Blinded(self.inputs[part], self.inverses[part], self.elements[part])


def _invert_all(scalars: list[bytes]) -> list[bytes]:
    """The inverses of non-zero scalars with one inversion (Montgomery's trick), all in libsodium."""
    if not scalars:
        return []
    f = _functions()
    mul, buf = f.scalar_mul, ctypes.create_string_buffer(SCALAR_BYTES)
    prefix = [scalars[0]]
    for s in scalars[1:]:
        mul(buf, prefix[-1], s)
        prefix.append(buf.raw)
    if f.invert(buf, prefix[-1]) != 0:
        raise ValueError("a blind is zero")
    acc = buf.raw  # (s_0 ... s_i)^-1, from i = n - 1 down
    out = [b""] * len(scalars)
    for i in range(len(scalars) - 1, 0, -1):
        mul(buf, acc, prefix[i - 1])
        out[i] = buf.raw
        mul(buf, acc, scalars[i])
        acc = buf.raw
    out[0] = acc
    return out


def _blind(values: Sequence[bytes], blinds: Sequence[bytes] | None = None) -> Blinded:
    """Blind a chunk: fresh blinds (or the given ones), their inverses, the blinded elements."""
    f, expand = _functions(), _expand_h2g
    from_hash, mult, rand = f.from_hash, f.mult, f.random
    point, out = ctypes.create_string_buffer(ELEMENT_BYTES), ctypes.create_string_buffer(ELEMENT_BYTES)
    scalar = ctypes.create_string_buffer(SCALAR_BYTES)
    rs, elements = [], []
    for i, v in enumerate(values):
        if blinds is None:
            rand(scalar)  # uniform in [1, order - 1]
            r = scalar.raw
        else:
            r = blinds[i]
        from_hash(point, expand(v))
        if mult(out, r, point) != 0:  # a non-zero blind: only an identity point (or r = 0) fails
            if point.raw == _IDENTITY:
                raise InvalidInput("an input hashes to the identity")
            raise ValueError("a blind is zero")
        rs.append(r)
        elements.append(out.raw)
    return Blinded(list(values), _invert_all(rs), elements)


def _join(parts: Sequence[Blinded]) -> Blinded:
    if len(parts) == 1:
        return parts[0]
    return Blinded(
        [x for p in parts for x in p.inputs],
        [x for p in parts for x in p.inverses],
        [x for p in parts for x in p.elements],
    )


def blind(
    values: Sequence[bytes], threads: int | None = None, *, blinds: Sequence[bytes] | None = None
) -> Blinded:
    """RFC 9497 ``Blind`` of each value with a fresh random scalar (``blinds``: fixed ones, for the
    RFC's test vectors only); ``threads`` chunks at once (libsodium releases the GIL)."""
    values = list(values)
    if blinds is not None:
        return _blind(values, blinds)
    n = threads or workers()
    if n <= 1 or len(values) < _PARALLEL_MIN:
        return _blind(values)
    size = -(-len(values) // n)
    with ThreadPoolExecutor(max_workers=n) as pool:
        return _join(list(pool.map(_blind, [values[i : i + size] for i in range(0, len(values), size)])))


def _finalize(items: Sequence[tuple[bytes, bytes, bytes]]) -> list[bytes]:
    # As in Holder._evaluate: the multiplication's own decoding and identity check are the RFC's
    # DeserializeElement of the evaluated element (the inverse of a blind is never zero).
    mult, fin, out = _functions().mult, _finalize_hash, ctypes.create_string_buffer(ELEMENT_BYTES)
    outputs = []
    for v, inv, e in items:
        if mult(out, inv, e) != 0:
            raise BadElement("not a canonical ristretto255 encoding, or the identity")
        outputs.append(fin(v, out.raw))
    return outputs


def finalize(blinded: Blinded, evaluated: bytes, threads: int | None = None) -> list[bytes]:
    """RFC 9497 ``Finalize`` of a batch: unblind each evaluated element and hash it with its input.
    ``BadEvaluation`` when the answer is not one valid element per blinded element."""
    n = len(blinded.elements)
    if len(evaluated) != n * ELEMENT_BYTES:
        raise BadEvaluation(f"the holder sent {len(evaluated)} bytes for {n} elements")
    parts = [evaluated[i : i + ELEMENT_BYTES] for i in range(0, n * ELEMENT_BYTES, ELEMENT_BYTES)]
    try:
        return _map_chunks(
            _finalize, list(zip(blinded.inputs, blinded.inverses, parts, strict=True)), threads
        )
    except BadElement as exc:
        raise BadEvaluation(f"the holder sent an invalid evaluated element ({exc})") from None
