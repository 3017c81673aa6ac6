"""Deadline clock benchmark (pure computation, no store): deadlines and escalation steps for N open
requests under the documented example agreement, then the overdue list.

    python bench/cases_bench.py --n 10000
"""

from __future__ import annotations

import argparse
import random
import re
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from accord.cases.agreement import NotCovered, RequestType, Urgency, parse_agreement
from accord.cases.clock_escalation import escalation_steps_due

DOC = Path(__file__).resolve().parents[1] / "docs" / "agreements.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    agreement = parse_agreement(tomllib.loads(re.search(r"```toml\n(.*?)```", DOC.read_text(), re.S)[1]))
    rng = random.Random(5)
    now = datetime(2026, 11, 29, 12, tzinfo=UTC)
    requests = []
    while len(requests) < args.n:
        received = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
        kind, urgency = rng.choice(list(RequestType)), rng.choice(list(Urgency))
        try:
            agreement.response_spec(kind, urgency)
        except NotCovered:
            continue
        pauses = []
        if rng.random() < 0.3:
            begin = received + timedelta(hours=rng.randrange(1, 200))
            pauses.append(
                (begin, None if rng.random() < 0.2 else begin + timedelta(hours=rng.randrange(1, 100)))
            )
        answering = rng.choice(list(agreement.parties))
        requests.append((answering, kind, urgency, received, pauses))

    started = time.perf_counter()
    deadlines = [agreement.response_due(*request) for request in requests]
    computed = time.perf_counter() - started
    started = time.perf_counter()
    overdue = [
        (due, escalation_steps_due(due, agreement.ladder, now)) for due in deadlines if due and due <= now
    ]
    listed = time.perf_counter() - started
    print(
        f"{args.n:,} open requests: deadlines computed in {computed * 1000:.0f} ms "
        f"({computed / args.n * 1e6:.0f} us each)"
    )
    print(
        f"overdue list with escalation steps from stored deadlines: {len(overdue):,} overdue in "
        f"{listed * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
