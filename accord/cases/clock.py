"""Deadline clocks: when is a request due, given when it started, the agreed duration, the answering
party's calendar and the intervals during which the clock was paused (requester owes information)?

Units (``DurationSpec.unit``):

* ``minutes`` / ``hours`` - elapsed real time.
* ``working_hours`` - real time inside the answering party's working hours on its working dates.
* ``days`` / ``working_days`` - whole local days, counted as in EU Regulation 1182/71: the day the
  clock starts does not count, and the period ends when the last day ends (local midnight). Each
  counted day weighs 1/(its real length), so a pause of half a day moves the deadline by half a day,
  also across 23- and 25-hour daylight-saving days.

Paused time never counts. The due instant is the first instant at which the counted time reaches the
duration, rounded up to the microsecond; ``None`` while an open-ended pause is running.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from accord.cases.calendar import WorkingCalendar, day_pieces, working_intervals

HORIZON = timedelta(days=3660)  # give up (a calendar without working time) rather than loop for ever

Pause = tuple[datetime, datetime | None]


class Unit(StrEnum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"


_SECONDS = {
    Unit.MINUTES: 60,
    Unit.HOURS: 3600,
    Unit.WORKING_HOURS: 3600,
    Unit.DAYS: 86400,
    Unit.WORKING_DAYS: 86400,
}
_SPEC = re.compile(r"^\s*(\d+)\s*([a-z_]+?)\s*$")


def parse_quantity(text: str) -> tuple[int, Unit]:
    """``"2 working_days"`` -> ``(2, Unit.WORKING_DAYS)``; singular unit names are accepted too."""
    match = _SPEC.match(text)
    if not match:
        raise ValueError(f"durations look like '24 hours' or '2 working_days', not {text!r}")
    amount, unit = int(match[1]), match[2]
    singular = {u.value.removesuffix("s"): u.value for u in Unit}
    try:
        return amount, Unit(singular.get(unit, unit))
    except ValueError as error:
        raise ValueError(f"unknown unit {unit!r}; use one of {', '.join(Unit)}") from error


@dataclass(frozen=True)
class DurationSpec:
    """An agreed duration such as ``3 working_days``; written that way in agreement files."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 1:
            raise ValueError("durations are at least 1 unit")

    @classmethod
    def parse(cls, text: str) -> DurationSpec:
        return cls(*parse_quantity(text))

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value}"

    @property
    def target(self) -> int:
        """The duration in counted seconds (a day counts as 86 400 whatever its real length)."""
        return self.amount * _SECONDS[self.unit]


def _aware(instant: datetime, name: str) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return instant.astimezone(UTC)


def running_intervals(start: datetime, pauses: Iterable[Pause]) -> Iterator[tuple[datetime, datetime | None]]:
    """The stretches from ``start`` on during which the clock runs (``None`` end: runs for ever)."""
    spans = sorted(
        ((_aware(a, "pause start"), None if b is None else _aware(b, "pause end")) for a, b in pauses),
        key=lambda span: span[0],
    )
    if any(b is not None and b < a for a, b in spans):
        raise ValueError("a pause cannot end before it starts")
    cursor: datetime | None = start
    for a, b in spans:
        if cursor is None:
            return
        if b is not None and b <= cursor:
            continue
        if a > cursor:
            yield cursor, a
        cursor = None if b is None else max(cursor, b)
    if cursor is not None:
        yield cursor, None


def _counting(
    start: datetime, unit: Unit, calendar: WorkingCalendar
) -> Iterator[tuple[datetime, datetime, Fraction]]:
    """Ordered UTC pieces that count, with their weight (counted seconds per real second)."""
    if unit in (Unit.MINUTES, Unit.HOURS):
        yield start, start + HORIZON, Fraction(1)
    elif unit is Unit.WORKING_HOURS:
        for a, b in working_intervals(calendar, start, HORIZON):
            yield a, b, Fraction(1)
    else:
        for a, b, day in day_pieces(calendar, start, HORIZON, working_only=unit is Unit.WORKING_DAYS):
            yield a, b, Fraction(86400, calendar.day_length(day))


def _micros(delta: timedelta) -> int:
    return (delta.days * 86400 + delta.seconds) * 10**6 + delta.microseconds


def due_instant(
    start: datetime,
    spec: DurationSpec,
    calendar: WorkingCalendar,
    pauses: Iterable[Pause] = (),
) -> datetime | None:
    """When the clock started at ``start`` runs out (UTC), or ``None`` while it is paused for good."""
    start = _aware(start, "start")
    running = running_intervals(start, pauses)
    run = next(running, None)
    remaining = Fraction(spec.target)
    for a, b, weight in _counting(start, spec.unit, calendar):
        while run is not None:
            x, y = max(a, run[0]), b if run[1] is None else min(b, run[1])
            if x < y:
                gained = Fraction(_micros(y - x), 10**6) * weight
                if gained >= remaining:
                    return x + timedelta(microseconds=math.ceil(remaining / weight * 10**6))
                remaining -= gained
            if run[1] is not None and run[1] <= b:
                run = next(running, None)  # this running stretch is used up; look at the next one
            else:
                break  # the counting piece is used up
        if run is None:
            return None
    if run is None:
        return None
    raise ValueError(f"the clock does not run out within {HORIZON.days} days: check the calendar and pauses")
