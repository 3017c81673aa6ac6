"""Export the log to a self-contained JSON Lines file and verify such a file offline with only a key."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from accord.audit.heads import (
    Countersignature,
    SignedTreeHead,
    stored_countersignatures,
    stored_heads,
    verify_countersignature,
)
from accord.audit.log import current_head
from accord.audit.tables import audit_leaf
from accord.audit.verify import TreeChecker, VerifyReport

FORMAT = "accord-audit-export/1"


def _line(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def export(conn: sa.Connection, path: str | os.PathLike[str], chunk: int = 20_000) -> int:
    """Write header, signed heads, countersignatures, then every record in order; returns the count.

    Exports the log as of its size when called (later appends and heads are left out), so it can run
    while the node keeps appending.
    """
    size = current_head(conn).tree_size
    heads = [head for head in stored_heads(conn) if head.tree_size <= size]
    log_id = heads[-1].log_id if heads else None
    with open(path, "w", encoding="utf-8") as out:
        out.write(_line({"type": "header", "format": FORMAT, "tree_size": size}))
        for head in heads:
            out.write(_line({"type": "tree_head", **head.to_json()}))
        for head, cs, signer_key in stored_countersignatures(conn):
            if head.log_id == log_id and head.tree_size > size:
                continue
            cs_json = {**head.to_json(), **cs.to_json(), "signer_key": base64.b64encode(signer_key).decode()}
            out.write(_line({"type": "countersignature", **cs_json}))
        last, written = -1, 0
        while True:
            rows = conn.execute(
                sa.select(audit_leaf)
                .where(audit_leaf.c.idx > last, audit_leaf.c.idx < size)
                .order_by(audit_leaf.c.idx)
                .limit(chunk)
            ).all()
            if not rows:
                break
            for row in rows:
                out.write(
                    _line(
                        {
                            "type": "record",
                            "idx": row.idx,
                            "at": row.at,
                            "kind": row.kind,
                            "record": row.record,
                        }
                    )
                )
            written += len(rows)
            last = rows[-1].idx
    return written


def _read(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as source:
        for line in source:
            if line.strip():
                yield json.loads(line)


def verify_export(
    path: str | os.PathLike[str],
    public_key: Ed25519PublicKey,
    trusted_heads: Iterable[SignedTreeHead] = (),
) -> VerifyReport:
    """Check an exported log offline: every record hashes into the roots the node signed.

    Countersignatures in the file are checked against the signer keys they carry (so they only show
    who claims to have witnessed a head; whether that signer is trusted is the reader's call).
    """
    lines = _read(path)
    header = next(lines, None)
    if not header or header.get("type") != "header" or header.get("format") != FORMAT:
        report = VerifyReport()
        report.problem(f"{path} is not an {FORMAT} file")
        return report
    heads: list[SignedTreeHead] = list(trusted_heads)
    checker: TreeChecker | None = None
    bad_countersignatures = 0
    for item in lines:
        kind = item.get("type")
        if kind == "tree_head" and checker is None:
            heads.append(SignedTreeHead.from_json(item))
        elif kind == "countersignature" and checker is None:
            head = SignedTreeHead.from_json({**item, "signature": ""})
            signer = Ed25519PublicKey.from_public_bytes(base64.b64decode(item["signer_key"]))
            if not verify_countersignature(head, Countersignature.from_json(item), signer):
                bad_countersignatures += 1
        elif kind == "record":
            if checker is None:
                checker = TreeChecker(heads, public_key)
            try:
                checker.leaf(item["idx"], item["at"], item["kind"], item["record"])
            except IndexError:
                checker.report.problem(f"record {checker.size} is missing or out of order")
                break
        else:
            checker = checker or TreeChecker(heads, public_key)
            checker.report.problem(f"unexpected line of type {kind!r}")
    checker = checker or TreeChecker(heads, public_key)
    report = checker.finish()
    if report.tree_size != header.get("tree_size"):
        report.problem(f"header announces {header.get('tree_size')} records, file holds {report.tree_size}")
    if bad_countersignatures:
        report.problem(f"{bad_countersignatures} countersignatures do not verify")
    return report
