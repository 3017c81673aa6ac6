"""The overdue list with 10,000 open requests in the store (goal: under 100 ms).

Requests are filed through the real write path (objects, audit, case index) on SQLite or
PostgreSQL; then `list_cases(overdue=True)` runs for the requested party at several instants.

    python bench/rfa_overdue_bench.py [--n 10000] [--db postgres]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from accord.cases import service
from accord.config import Settings
from accord.node import open_node
from accord.stix.timestamps import now_us
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction

AGREEMENT = """
id = "bench"
[parties.requester]
name = "R"
timezone = "Europe/Paris"
working_days = ["mon", "tue", "wed", "thu", "fri"]
working_hours = ["09:00-18:00"]
[parties.answerer]
name = "A"
timezone = "Asia/Shanghai"
working_days = ["mon", "tue", "wed", "thu", "fri"]
working_hours = ["09:00-18:00"]
[deadlines]
acknowledgement = "4 hours"
[deadlines.response.information]
normal = "5 working_days"
urgent = "8 working_hours"
[preservation]
period = "90 days"
[escalation]
ladder = [{ role = "case_officer", after = "0 hours" }]
"""

FIELDS = {
    "request_type": "information",
    "legal_basis": {"kind": "bilateral"},
    "summary_of_facts": "bench",
    "data": [{"kind": "domain", "value": "example.org"}],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="accord-rfa-bench-"))
    name = f"accord_rfabench_{uuid.uuid4().hex[:8]}"
    url = (
        f"sqlite:///{base / 'a.db'}"
        if args.db == "sqlite"
        else f"postgresql://postgres@127.0.0.1:5432/{name}"
    )
    node, _ = open_node(Settings(base, url))
    try:
        with write_transaction(node.engine) as conn:
            requester, answerer = admin.add_org(conn, "requester"), admin.add_org(conn, "answerer")
            service.add_agreement(conn, AGREEMENT)
        t = time.perf_counter()
        for start in range(0, args.n, 500):
            with write_transaction(node.engine) as conn:
                for i in range(start, min(start + 500, args.n)):
                    urgency = "urgent" if i % 3 == 0 else "normal"
                    service.file_request(conn, requester, "answerer", dict(FIELDS, urgency=urgency))
        filing = time.perf_counter() - t
        times = []
        for days in (0, 1, 3, 7, 30):
            at = now_us() + days * 86_400 * 1_000_000
            t = time.perf_counter()
            with read_transaction(node.engine) as conn:
                overdue = service.list_cases(conn, answerer, overdue=True, now=at)
            times.append(time.perf_counter() - t)
            print(f"  at now+{days:>2}d: {len(overdue):>6} overdue listed in {times[-1] * 1000:7.1f} ms")
        print(
            f"{args.n} open requests on {args.db}: filed at {args.n / filing:.0f}/s; "
            f"overdue list median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
            "(goal < 100 ms)"
        )
    finally:
        node.close()
        if args.db == "postgres":
            engine = sa.create_engine(
                "postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT"
            )
            with engine.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            engine.dispose()


if __name__ == "__main__":
    datetime.now(UTC) + timedelta(0)
    main()
