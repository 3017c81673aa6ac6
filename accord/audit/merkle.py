"""RFC 9162 Merkle tree hashing, proof construction and hash-only proof verification.

Proof construction is written against a ``fetch`` callback returning the hashes of complete
(power-of-two, aligned) subtrees, so the same code serves the database and in-memory trees. The
verifiers take only hashes, so a peer can check proofs offline.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[int, int]
"""``(level, index)``: the complete subtree covering leaves ``[index << level, (index + 1) << level)``."""

Fetch = Callable[[Iterable[NodeKey]], dict[NodeKey, bytes]]


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """Largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- Building: a frontier of complete-subtree hashes ("peaks") makes appends O(log n). -------------


def peak_levels(size: int) -> list[int]:
    """Levels of the complete subtrees that make up a tree of ``size`` leaves, largest first."""
    return [level for level in range(size.bit_length() - 1, -1, -1) if size >> level & 1]


def push_leaf(frontier: list[bytes], size: int, leaf: bytes) -> list[tuple[NodeKey, bytes]]:
    """Add a leaf hash to ``frontier`` (peaks of a ``size``-leaf tree) in place.

    Returns the complete subtrees of level >= 1 that the new leaf completes, so they can be stored.
    """
    created: list[tuple[NodeKey, bytes]] = []
    current, level, position = leaf, 0, size
    while position & 1:
        current = node_hash(frontier.pop(), current)
        level += 1
        position >>= 1
        created.append(((level, position), current))
    frontier.append(current)
    return created


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """MTH of the whole tree: the peaks folded from the right, as RFC 9162's split rule implies."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for peak in reversed(frontier[:-1]):
        root = node_hash(peak, root)
    return root


def root_of_leaves(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference MTH straight from the RFC definition (used to cross-check, O(n) memory)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    k = _split(len(leaf_hashes))
    return node_hash(root_of_leaves(leaf_hashes[:k]), root_of_leaves(leaf_hashes[k:]))


# --- Proof construction ------------------------------------------------------------------------------


def _range_plan(start: int, end: int) -> object:
    """Describe MTH(D[start:end]) as a tree of stored complete subtrees (``NodeKey``) and pairs."""
    n = end - start
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return (level, start >> level)
    k = _split(n)
    return [_range_plan(start, start + k), _range_plan(start + k, end)]


def _keys(plan: object, into: set[NodeKey]) -> None:
    if isinstance(plan, tuple):
        into.add(plan)
    else:
        for part in plan:  # type: ignore[attr-defined]
            _keys(part, into)


def _evaluate(plan: object, hashes: dict[NodeKey, bytes]) -> bytes:
    if isinstance(plan, tuple):
        return hashes[plan]
    left, right = plan  # type: ignore[misc]
    return node_hash(_evaluate(left, hashes), _evaluate(right, hashes))


def _resolve(plans: list[object], fetch: Fetch) -> list[bytes]:
    keys: set[NodeKey] = set()
    for plan in plans:
        _keys(plan, keys)
    hashes = fetch(keys)
    missing = keys - hashes.keys()
    if missing:
        raise LookupError(f"subtree hashes missing from the log: {sorted(missing)[:5]}")
    return [_evaluate(plan, hashes) for plan in plans]


def _inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    return ranges[::-1]  # RFC 9162 lists the path from the leaf upwards


def inclusion_path(index: int, size: int, fetch: Fetch) -> list[bytes]:
    """RFC 9162 section 2.1.3.1 PATH(index, D[size])."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges = _inclusion_ranges(index, 0, size)
    return _resolve([_range_plan(a, b) for a, b in ranges], fetch)


def _consistency_ranges(m: int, start: int, end: int, complete: bool) -> list[tuple[int, int]]:
    n = end - start
    if m == n:
        return [] if complete else [(start, end)]
    k = _split(n)
    if m <= k:
        return _consistency_ranges(m, start, start + k, complete) + [(start + k, end)]
    return _consistency_ranges(m - k, start + k, end, False) + [(start, start + k)]


def consistency_path(first: int, second: int, fetch: Fetch) -> list[bytes]:
    """RFC 9162 section 2.1.4.1 PROOF(first, D[second]); empty when either bound makes it trivial."""
    if not 0 <= first <= second:
        raise ValueError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    ranges = _consistency_ranges(first, 0, second, True)
    return _resolve([_range_plan(a, b) for a, b in ranges], fetch)


def range_hash(start: int, end: int, fetch: Fetch) -> bytes:
    """MTH(D[start:end]) from stored subtrees; ``range_hash(0, n)`` is the root of a past tree."""
    if end <= start:
        return EMPTY_ROOT
    return _resolve([_range_plan(start, end)], fetch)[0]


# --- Verification (hashes only) ------------------------------------------------------------------


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does ``leaf`` (a leaf hash) sit at ``index`` in the tree with ``root``?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree of size ``second`` an append-only extension of ``first``?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if first == 0:
        return not path and first_root == EMPTY_ROOT
    path = list(path)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


@dataclass
class MemoryTree:
    """A whole tree in memory; the reference for tests and the builder for offline verification."""

    leaves: list[bytes]
    nodes: dict[NodeKey, bytes]
    frontier: list[bytes]

    @classmethod
    def of(cls, leaf_hashes: Iterable[bytes]) -> MemoryTree:
        tree = cls([], {}, [])
        for leaf in leaf_hashes:
            tree.push(leaf)
        return tree

    def push(self, leaf: bytes) -> None:
        self.nodes.update(push_leaf(self.frontier, len(self.leaves), leaf))
        self.nodes[(0, len(self.leaves))] = leaf
        self.leaves.append(leaf)

    def fetch(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        return {key: self.nodes[key] for key in keys if key in self.nodes}

    def root(self, size: int | None = None) -> bytes:
        return range_hash(0, len(self.leaves) if size is None else size, self.fetch)
