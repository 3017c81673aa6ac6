"""Escalation on the node: find the steps due, notify, and record them — now, or every minute.

The notification targets come from ``notify.toml`` in the data directory (docs/escalation.md);
the ladders from the agreements stored with `accord rfa agreement add`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from accord.cases.escalate import EscalationRecord, run_escalations
from accord.cases.index import agreement_for
from accord.cases.notify import Notifier, NotifyConfig, load_notify_config
from accord.cases.service import timelines
from accord.periodic import Periodic
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import rfa_escalation

log = logging.getLogger("accord.cases")
NOTIFY_FILE = "notify.toml"


def notifier_for(data_dir: Path) -> Notifier:
    path = data_dir / NOTIFY_FILE
    return Notifier(load_notify_config(path) if path.exists() else NotifyConfig({}, None))


def escalate_now(engine: Engine, data_dir: Path, now: datetime | None = None) -> list[EscalationRecord]:
    """Send every escalation step due now and record it (each step once per deadline)."""
    now = now or datetime.now(UTC)
    with read_transaction(engine) as conn:
        cases = timelines(conn)
        ladders = {}
        for t in cases:
            key = (t.requester, t.requested)
            if key not in ladders:
                agreement = agreement_for(conn, *key)
                ladders[key] = agreement.ladder if agreement else ()
    records = run_escalations(
        cases, lambda t: ladders[(t.requester, t.requested)], now, notifier_for(data_dir)
    )
    if records:
        with write_transaction(engine) as conn:
            conn.execute(
                rfa_escalation.insert(),
                [
                    {
                        "request_id": r.request_id,
                        "step": r.escalation.step,
                        "deadline": r.deadline_kind,
                        "at_us": int(r.escalation.at.timestamp() * 1_000_000),
                    }
                    for r in records
                ],
            )
    for r in records:
        failed = [d for d in r.deliveries if not d.ok]
        log.warning(
            "request %s escalated to %s (%s deadline); %d deliveries failed",
            r.request_id,
            r.escalation.step,
            r.deadline_kind,
            len(failed),
        )
    return records


def escalation_loop(engine: Engine, data_dir: Path, interval_s: float = 60.0) -> Periodic:
    """Runs ``escalate_now`` every ``interval_s`` in the background of `accord serve`."""
    return Periodic("escalation", interval_s, lambda: escalate_now(engine, data_dir), log)
