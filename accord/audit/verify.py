"""Whole-log verification: recompute every leaf from its stored record, rebuild the tree, and compare
with the stored subtree hashes, the stored frontier and every signed tree head."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.audit import merkle
from accord.audit.heads import SignedTreeHead, stored_heads, verify_head
from accord.audit.log import compute_leaf_hash, split_frontier
from accord.audit.tables import audit_leaf, audit_node, audit_state

MAX_PROBLEMS = 50


@dataclass
class VerifyReport:
    tree_size: int = 0
    root_hash: bytes = merkle.EMPTY_ROOT
    heads_checked: int = 0
    unsigned_tail: int = 0  # records after the newest signed head: only signing more often protects them
    grew: bool = False  # the log grew while being verified; the still-log checks were skipped
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


class TreeChecker:
    """Rebuilds the tree from records fed in index order and checks it against signed heads.

    Shared by the database verifier and the offline export verifier so both apply the same rules.
    """

    def __init__(self, heads: Iterable[SignedTreeHead], public_key: Ed25519PublicKey) -> None:
        self.report = VerifyReport()
        self.frontier: list[bytes] = []
        self.size = 0
        valid = []
        for head in heads:
            if verify_head(head, public_key):
                valid.append(head)
            else:
                self.report.problem(f"signed tree head at size {head.tree_size} has a bad signature")
        self.pending = deque(sorted(valid, key=lambda h: h.tree_size))
        self.last_signed = 0
        self._check_heads()

    def _check_heads(self) -> None:
        while self.pending and self.pending[0].tree_size == self.size:
            head = self.pending.popleft()
            self.report.heads_checked += 1
            self.last_signed = self.size
            if head.root_hash != merkle.root_from_frontier(self.frontier):
                self.report.problem(f"root at size {self.size} differs from the signed tree head")

    def leaf(
        self, index: int, at: str, kind: str, record_json: str
    ) -> tuple[bytes, list[tuple[merkle.NodeKey, bytes]]]:
        """Add the next record; returns its recomputed leaf hash and the subtrees it completes."""
        if index != self.size:
            raise IndexError(index)
        digest = compute_leaf_hash(index, at, kind, record_json)
        created = merkle.push_leaf(self.frontier, self.size, digest)
        self.size += 1
        self._check_heads()
        return digest, created

    def finish(self) -> VerifyReport:
        for head in self.pending:
            self.report.problem(
                f"a signed tree head covers {head.tree_size} records, the log has {self.size}"
            )
        self.pending.clear()
        self.report.tree_size = self.size
        self.report.root_hash = merkle.root_from_frontier(self.frontier)
        self.report.unsigned_tail = self.size - self.last_signed
        return self.report


def expected_node_count(size: int) -> int:
    return sum(size >> level for level in range(1, size.bit_length()))


def _check_nodes(conn: sa.Connection, expected: dict[merkle.NodeKey, bytes], report: VerifyReport) -> None:
    by_level: dict[int, list[int]] = {}
    for level, idx in expected:
        by_level.setdefault(level, []).append(idx)
    for level, ids in by_level.items():
        rows = conn.execute(
            sa.select(audit_node.c.idx, audit_node.c.hash).where(
                audit_node.c.level == level, audit_node.c.idx.between(min(ids), max(ids))
            )
        )
        stored = {row.idx: row.hash for row in rows}
        for idx in ids:
            if stored.get(idx) != expected[(level, idx)]:
                report.problem(f"stored subtree hash ({level}, {idx}) does not match the records")


def _state(conn: sa.Connection) -> list[sa.Row]:
    return conn.execute(sa.select(audit_state.c.size, audit_state.c.frontier)).all()


def verify_log(
    conn: sa.Connection,
    public_key: Ed25519PublicKey,
    trusted_heads: Iterable[SignedTreeHead] = (),
    chunk: int = 20_000,
) -> VerifyReport:
    """Verify the whole stored log; ``trusted_heads`` are heads of ours that peers hold (catch truncation
    even if the attacker also deleted our own copies of later heads).

    Verifies the log as of its size when called, so it may run while the node appends; run it in one
    REPEATABLE READ transaction (PostgreSQL) for the checks that need a still log (see ``grew``).
    """
    before = _state(conn)
    size = before[0].size if len(before) == 1 else None
    checker = TreeChecker([*stored_heads(conn), *trusted_heads], public_key)
    report = checker.report
    last = -1
    while True:
        query = sa.select(audit_leaf).where(audit_leaf.c.idx > last)
        if size is not None:
            query = query.where(audit_leaf.c.idx < size)
        rows = conn.execute(query.order_by(audit_leaf.c.idx).limit(chunk)).all()
        if not rows:
            break
        expected: dict[merkle.NodeKey, bytes] = {}
        for row in rows:
            try:
                digest, created = checker.leaf(row.idx, row.at, row.kind, row.record)
            except IndexError:
                report.problem(f"record {checker.size} is missing or out of order (found {row.idx})")
                return checker.finish()
            if digest != row.leaf_hash:
                report.problem(f"record {row.idx} does not match its stored leaf hash")
            expected.update(created)
        _check_nodes(conn, expected, report)
        last = rows[-1].idx
    checker.finish()
    if size is None:
        if checker.size:
            report.problem("log state row is missing or duplicated")
        return report
    if size != checker.size:
        report.problem(f"log state says {size} records, {checker.size} found")
    if _state(conn) != before:  # appended meanwhile: the checks below need a still log
        report.grew = True
        return report
    if split_frontier(before[0].frontier) != checker.frontier:
        report.problem("log state (frontier) does not match the records")
    beyond = conn.execute(sa.select(sa.func.count()).where(audit_leaf.c.idx >= size)).scalar_one()
    if beyond:
        report.problem(f"{beyond} records lie beyond the log's size {size}")
    node_count = conn.execute(sa.select(sa.func.count()).select_from(audit_node)).scalar_one()
    if node_count != expected_node_count(size):
        report.problem(f"{node_count} subtree hashes stored, {expected_node_count(size)} expected")
    return report
