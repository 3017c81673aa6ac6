"""Audit page: the node's signed tree head, the partners' countersignatures of it, the partners' logs
this node witnessed, and a button that verifies the whole log (``accord.audit.verify_log``).

Everything shown is what ``/audit/head`` and ``/audit/countersignatures`` already give any
organization with a token; no record of the log is shown.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection, Engine
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from accord.audit import current_head, latest_head, load_or_create_key, verify_log
from accord.audit.heads import SignedTreeHead, stored_countersignatures, verify_countersignature
from accord.audit.keys import key_id, load_public_key
from accord.audit.verify import VerifyReport
from accord.store.admin import get_setting
from accord.sync.peers import list_peers
from accord.web.routes import Ctx

_verifying = threading.Lock()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class Countersigned:
    """A partner's signature over one of our heads."""

    signer: str  # the peer's name when its key is known from witnessing it, else the key id
    known: bool
    tree_size: int
    timestamp_ms: int
    valid: bool


@dataclass
class Witnessed:
    """A partner's log this node countersigned: the newest head it vouched for."""

    peer: str
    tree_size: int
    timestamp_ms: int
    at_us: int | None


def _iso_us(text: str | None) -> int | None:
    return int(datetime.fromisoformat(text).timestamp() * 1_000_000) if text else None


def _peer_keys(conn: Connection) -> tuple[dict[str, str], list[Witnessed]]:
    """Key id -> peer name of the peers this node witnessed, and what it witnessed of each."""
    names: dict[str, str] = {}
    witnessed = []
    for peer in list_peers(conn):
        pem = get_setting(conn, f"witness_key:{peer.name}")
        head = get_setting(conn, f"witness_head:{peer.name}")
        if pem:
            names[key_id(load_public_key(pem.encode()))] = peer.name
        if head:
            seen = SignedTreeHead.from_json(orjson.loads(head))
            witnessed.append(
                Witnessed(
                    peer.name,
                    seen.tree_size,
                    seen.timestamp,
                    _iso_us(get_setting(conn, f"witness_at:{peer.name}")),
                )
            )
    return names, witnessed


def overview(conn: Connection, data_dir: Path) -> dict[str, Any]:
    key = load_or_create_key(data_dir).public_key()
    log_id = key_id(key)
    names, witnessed = _peer_keys(conn)
    countersigned = []
    for head, cs, raw in stored_countersignatures(conn, log_id):
        signer_key = Ed25519PublicKey.from_public_bytes(raw)
        countersigned.append(
            Countersigned(
                names.get(cs.signer_id, cs.signer_id),
                cs.signer_id in names,
                head.tree_size,
                head.timestamp,
                verify_countersignature(head, cs, signer_key),
            )
        )
    countersigned.sort(key=lambda c: (-c.tree_size, not c.known, c.signer))
    return {
        "log_id": log_id,
        "head": latest_head(conn),
        "live": current_head(conn),
        "countersigned": countersigned,
        "witnessed": witnessed,
    }


def verify(engine: Engine, data_dir: Path) -> VerifyReport | None:
    """Verify the whole log from one snapshot; None when a verification is already running."""
    if not _verifying.acquire(blocking=False):
        return None
    try:
        key = load_or_create_key(data_dir).public_key()
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                return verify_log(conn, key)
    finally:
        _verifying.release()


async def _page(ctx: Ctx, status: int = 200, **extra: Any) -> Response:
    data_dir = ctx.node.settings.data_dir
    view = await ctx.read(lambda conn: overview(conn, data_dir))
    return ctx.render("audit.html", status, b64=b64, **view, **extra)


async def audit_page(ctx: Ctx) -> Response:
    return await _page(ctx)


async def audit_verify(ctx: Ctx) -> Response:
    report = await run_in_threadpool(verify, ctx.node.engine, ctx.node.settings.data_dir)
    if report is None:
        busy = ctx.lang.gettext("A verification is already running. Try again when it has finished.")
        return await _page(ctx, 503, error=busy)
    return await _page(ctx, 200 if report.ok else 409, report=report)
