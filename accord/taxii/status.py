"""Status resources: the per-object outcome of a POST, readable only by the organization that posted."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.stix.timestamps import format_us, now_us
from accord.store.admin import Org, Root
from accord.store.objects import Outcome
from accord.store.schema import status


def _detail(outcome: Outcome) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": outcome.id or "", "version": outcome.version or ""}
    if outcome.message:
        entry["message"] = outcome.message
    return entry


def record(conn: Connection, root: Root, poster: Org, outcomes: list[Outcome]) -> dict[str, Any]:
    """Store the status of one POST (in the POST's transaction) and return it as TAXII JSON."""
    successes = [
        {"id": o.id or "", "version": o.version or ""} if o.message is None else _detail(o)
        for o in outcomes
        if o.ok
    ]
    failures = [_detail(o) for o in outcomes if not o.ok]
    row = {
        "id": str(uuid.uuid4()),
        "root_id": root.id,
        "org_id": poster.id,
        "request_us": now_us(),
        "total_count": len(outcomes),
        "success_count": len(successes),
        "failure_count": len(failures),
        "pending_count": 0,
        "detail": orjson.dumps({"successes": successes, "failures": failures, "pendings": []}).decode(),
    }
    conn.execute(status.insert(), row)
    return as_taxii(row, {"successes": successes, "failures": failures, "pendings": []})


def as_taxii(row: Any, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """The TAXII status resource of a stored row (``detail``: its parsed lists, when at hand)."""
    get = row.get if isinstance(row, dict) else row._mapping.get
    detail = detail if detail is not None else orjson.loads(get("detail"))
    body: dict[str, Any] = {
        "id": get("id"),
        "status": "complete",
        "request_timestamp": format_us(get("request_us")),
        "total_count": get("total_count"),
        "success_count": get("success_count"),
        "failure_count": get("failure_count"),
        "pending_count": get("pending_count"),
    }
    for key in ("successes", "failures", "pendings"):
        if detail[key]:
            body[key] = detail[key]
    return body


def find(conn: Connection, root: Root, reader: Org, status_id: str) -> dict[str, Any] | None:
    """The status, if it exists in ``root`` and ``reader`` posted it (others get None: a 404)."""
    row = conn.execute(
        sa.select(status).where(
            status.c.id == status_id,
            status.c.root_id == root.id,
            sa.or_(status.c.org_id == reader.id, status.c.org_id.is_(None)),
        )
    ).first()
    return as_taxii(row) if row else None
