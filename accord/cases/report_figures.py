"""Figures of the RFA review report (issue #5), computed from request timelines without a database.

Kept apart from rendering so the arithmetic can be checked on its own; docs/report.md defines every
figure. Plain Python only: a few hundred requests a year do not need a dataframe library.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from accord.cases.clock_escalation import ROLES
from accord.cases.timeline import RequestTimeline

OPEN = "open"
# Every outcome column, in a fixed order so CSV and JSON keep the same shape from one run to the next.
OUTCOME_KEYS: tuple[str, ...] = RequestTimeline.CLOSED + (OPEN,)
PERCENTILE = 90


def nearest_rank(values: Sequence[timedelta], percent: int) -> timedelta | None:
    """The value at rank ceil(percent/100 * n) of the sorted values (1-based): always an observed time."""
    if not values:
        return None
    rank = max(1, -(-percent * len(values) // 100))  # integer ceiling, no float rounding surprises
    return sorted(values)[rank - 1]


def median(values: Sequence[timedelta]) -> timedelta | None:
    """The middle value; the mean of the two middle values when their number is even."""
    if not values:
        return None
    ordered, half = sorted(values), len(values) // 2
    return ordered[half] if len(values) % 2 else (ordered[half - 1] + ordered[half]) / 2


@dataclass(frozen=True)
class Clock:
    """One deadline (acknowledgement or response) over a group of requests."""

    done: int  # requests where the awaited event happened
    median: timedelta | None  # time from submission to the event, over the requests where it happened
    p90: timedelta | None
    on_time: int  # the event happened at or before its deadline
    late: int  # it happened after its deadline, or has not happened and the deadline passed

    @property
    def judged(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


@dataclass(frozen=True)
class Figures:
    """One row of the report: a requested party (None: all parties) and a request type (None: all)."""

    party: str | None
    type: str | None
    requests: int
    acknowledgement: Clock
    response: Clock
    outcomes: dict[str, int]  # keys: OUTCOME_KEYS
    escalations: dict[str, int]  # escalation events per ladder step; keys: Report.steps
    escalated: int  # requests with at least one escalation


@dataclass(frozen=True)
class Report:
    since: datetime | None
    now: datetime
    steps: tuple[str, ...]  # escalation steps, ladder order first
    rows: tuple[Figures, ...]  # per party: all types, then each type; the grand total last

    @property
    def parties(self) -> list[str]:
        return [row.party for row in self.rows if row.party is not None and row.type is None]

    @property
    def total(self) -> Figures:
        return self.rows[-1]

    def row(self, party: str | None, type: str | None = None) -> Figures:
        for row in self.rows:
            if row.party == party and row.type == type:
                return row
        raise KeyError((party, type))


def as_of(timeline: RequestTimeline, now: datetime) -> RequestTimeline:
    """The timeline as it stood at ``now``: later events have not happened yet for this report."""
    return replace(
        timeline,
        transitions=[t for t in timeline.transitions if t.at <= now],
        escalations=[e for e in timeline.escalations if e.at <= now],
    )


def _closed_at(timeline: RequestTimeline) -> datetime | None:
    closing = timeline.first(*RequestTimeline.CLOSED)
    return closing.at if closing else None


def _clock(
    timelines: Sequence[RequestTimeline],
    event: Callable[[RequestTimeline], datetime | None],
    due: Callable[[RequestTimeline], datetime | None],
    now: datetime,
) -> Clock:
    """Times and deadline keeping for one event; the rules are spelled out in docs/report.md."""
    durations: list[timedelta] = []
    on_time = late = 0
    for timeline in timelines:
        happened, deadline = event(timeline), due(timeline)
        if happened is not None and timeline.submitted_at is not None:
            durations.append(happened - timeline.submitted_at)
        if deadline is None:
            continue  # no deadline running (clock paused, or none agreed): cannot be late
        if happened is not None and happened <= deadline:
            on_time += 1
        elif happened is not None:
            late += 1
        elif deadline < (_closed_at(timeline) or now):
            late += 1  # still owed when the deadline passed
        # otherwise not yet due (or withdrawn before it was): left out of the share
    return Clock(len(durations), median(durations), nearest_rank(durations, PERCENTILE), on_time, late)


def _figures(
    party: str | None, type: str | None, group: Sequence[RequestTimeline], steps: Sequence[str], now: datetime
) -> Figures:
    outcomes = Counter(t.outcome or OPEN for t in group)
    escalations = Counter(e.step for t in group for e in t.escalations)
    return Figures(
        party=party,
        type=type,
        requests=len(group),
        acknowledgement=_clock(group, lambda t: t.acknowledged_at, lambda t: t.acknowledgement_due, now),
        response=_clock(group, lambda t: t.responded_at, lambda t: t.response_due, now),
        outcomes={key: outcomes[key] for key in OUTCOME_KEYS},
        escalations={step: escalations[step] for step in steps},
        escalated=sum(1 for t in group if t.escalations),
    )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (timelines are)")
    return value


def build_report(
    timelines: Iterable[RequestTimeline], *, since: datetime | None = None, now: datetime
) -> Report:
    """Group the requests submitted at or after ``since`` (drafts never count) as they stood at ``now``."""
    now = _aware(now, "now")
    if since is not None:
        since = _aware(since, "since")
    kept = [
        as_of(t, now)
        for t in timelines
        if t.submitted_at is not None and (since is None or t.submitted_at >= since)
    ]
    seen = {e.step for t in kept for e in t.escalations}
    steps = ROLES + tuple(sorted(seen - set(ROLES)))  # every ladder step, so columns stay fixed
    rows: list[Figures] = []
    for party in sorted({t.requested for t in kept}, key=lambda p: (p.casefold(), p)):
        mine = [t for t in kept if t.requested == party]
        rows.append(_figures(party, None, mine, steps, now))
        for type in sorted({t.type for t in mine}):
            rows.append(_figures(party, type, [t for t in mine if t.type == type], steps, now))
    rows.append(_figures(None, None, kept, steps, now))
    return Report(since=since, now=now, steps=steps, rows=tuple(rows))
