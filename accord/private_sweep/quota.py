"""The daily quota and replay refusal, checked and recorded in the evaluating transaction.

Every accepted evaluation raises the peer's counter for the UTC day and stores the request id, in the
same transaction, with an audit record (values asked, quota left). A refused request (over quota,
replayed) is recorded too, in a transaction of its own: refused by ``check`` before the evaluation,
it evaluates nothing; refused by ``charge`` after it (a concurrent request took the remainder, or
the same id raced), its evaluation is discarded unsent.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.audit.log import record_write
from accord.private_sweep.keys import PrivateSweep
from accord.private_sweep.tables import private_sweep_request, private_sweep_usage


class Refused(Exception):
    """A request the quota or the replay check refuses: HTTP status and one-line reason."""

    def __init__(self, status: int, title: str, description: str) -> None:
        super().__init__(description)
        self.status, self.title, self.description = status, title, description


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


def used(conn: Connection, peer_id: int, day: str | None = None) -> int:
    row = conn.execute(
        sa.select(private_sweep_usage.c.used).where(
            private_sweep_usage.c.peer_id == peer_id, private_sweep_usage.c.day == (day or today())
        )
    ).scalar()
    return int(row or 0)


def left(conn: Connection, ps: PrivateSweep) -> int:
    return max(0, ps.daily_quota - used(conn, ps.peer_id))


def check(conn: Connection, ps: PrivateSweep, request_id: str, n: int) -> None:
    """The refusals ``charge`` would make, read only: the endpoint asks before evaluating, so a replayed
    or over-quota batch costs no evaluation (``charge`` asks again, atomically, after it)."""
    seen = conn.execute(
        sa.select(private_sweep_request.c.day).where(
            private_sweep_request.c.peer_id == ps.peer_id, private_sweep_request.c.request_id == request_id
        )
    ).first()
    if seen is not None:
        raise Refused(409, "Replayed request", f"request id {request_id} was already evaluated ({seen.day})")
    if n > ps.daily_quota:
        raise Refused(429, "Quota exceeded", f"{n} values asked, the daily quota is {ps.daily_quota}")
    current = used(conn, ps.peer_id)
    if current + n > ps.daily_quota:
        raise Refused(
            429,
            "Quota exceeded",
            f"{n} values asked, {max(0, ps.daily_quota - current)} of the daily quota of"
            f" {ps.daily_quota} left today (UTC)",
        )


def charge(conn: Connection, ps: PrivateSweep, request_id: str, n: int) -> int:
    """Take ``n`` values off today's quota for ``request_id``; returns what is left, or raises ``Refused``.

    The counter is raised by one conditional UPDATE (``used + n <= quota``), so two concurrent requests
    cannot both pass on the same remainder; the request id's primary key refuses a replay even when
    two copies race."""
    day = today()
    check(conn, ps, request_id, n)
    updated = conn.execute(
        private_sweep_usage.update()
        .where(
            private_sweep_usage.c.peer_id == ps.peer_id,
            private_sweep_usage.c.day == day,
            private_sweep_usage.c.used + n <= ps.daily_quota,
        )
        .values(used=private_sweep_usage.c.used + n)
    ).rowcount
    if not updated:
        current = used(conn, ps.peer_id, day)
        exists = conn.execute(
            sa.select(private_sweep_usage.c.day).where(
                private_sweep_usage.c.peer_id == ps.peer_id, private_sweep_usage.c.day == day
            )
        ).first()
        if exists is not None:
            raise Refused(
                429,
                "Quota exceeded",
                f"{n} values asked, {max(0, ps.daily_quota - current)} of the daily quota of"
                f" {ps.daily_quota} left today (UTC)",
            )
        conn.execute(private_sweep_usage.insert().values(peer_id=ps.peer_id, day=day, used=n))
    conn.execute(
        private_sweep_request.insert().values(peer_id=ps.peer_id, request_id=request_id, day=day, values=n)
    )
    remaining = ps.daily_quota - used(conn, ps.peer_id, day)
    record_write(
        conn,
        "private_sweep.evaluate",
        {"peer": ps.peer_name, "request": request_id, "asked": n, "quota_left": remaining, "key": ps.key_id},
    )
    return remaining


def record_refusal(conn: Connection, ps: PrivateSweep, request_id: str, n: int, refusal: Refused) -> None:
    record_write(
        conn,
        "private_sweep.refused",
        {
            "peer": ps.peer_name,
            "request": request_id,
            "asked": n,
            "status": refusal.status,
            "reason": refusal.description,
        },
    )
