"""Property test: ``due_instant`` against a deliberately naive oracle that walks UTC in fixed steps and
asks zoneinfo about each step. Every modern zone's offsets and transitions sit on quarter hours, so
when all generated boundaries (start, pauses, working hours) do too, 15-minute steps are uniform and
the oracle is exact; a smaller run puts boundaries on arbitrary minutes and walks minute by minute."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.cases.calendar import WorkingCalendar
from accord.cases.clock import DurationSpec, Unit, due_instant

ZONES = [
    "Europe/Paris", "Europe/London", "Europe/Dublin", "America/New_York", "America/Santiago",
    "America/St_Johns", "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham", "Asia/Kathmandu",
    "Asia/Tokyo", "Africa/Lagos", "UTC",
]  # fmt: skip
# Sundays near the 2026 daylight-saving changes of the northern and southern hemispheres.
ANCHORS = [
    date(2026, m, d) for m, d in [(3, 8), (3, 29), (4, 5), (9, 6), (9, 27), (10, 4), (10, 25), (11, 1)]
]
QUARTER_LIMITS = {
    Unit.MINUTES: 900,
    Unit.HOURS: 120,
    Unit.WORKING_HOURS: 20,
    Unit.DAYS: 10,
    Unit.WORKING_DAYS: 5,
}
MINUTE_LIMITS = {Unit.MINUTES: 600, Unit.HOURS: 30, Unit.WORKING_HOURS: 6, Unit.DAYS: 2, Unit.WORKING_DAYS: 2}


def _oracle_day_length(tz: ZoneInfo, day: date) -> int:
    """Count the quarter hours whose local date is ``day`` (by brute force over a wide window)."""
    step = timedelta(minutes=15)
    t = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=16)
    count = 0
    for _ in range(int(timedelta(hours=56) / step)):
        count += t.astimezone(tz).date() == day
        t += step
    return count * 900


def oracle(start, spec, calendar, pauses, step_minutes=15):
    step = timedelta(minutes=step_minutes)
    tz = ZoneInfo(calendar.timezone)
    first_day = start.astimezone(tz).date()
    remaining = Fraction(spec.target)
    lengths: dict[date, int] = {}
    t = start
    while True:
        paused = [(a, b) for a, b in pauses if a <= t and (b is None or t < b)]
        if any(b is None for _, b in paused):
            return None  # paused until the requester answers: no deadline
        local = t.astimezone(tz)
        day = local.date()
        working_date = local.weekday() in calendar.working_days and day not in calendar.holidays
        minute = local.hour * 60 + local.minute
        if paused:
            weight = Fraction(0)
        elif spec.unit in (Unit.MINUTES, Unit.HOURS):
            weight = Fraction(1)
        elif spec.unit is Unit.WORKING_HOURS:
            in_hours = any(a <= minute < b for a, b in calendar.working_hours)
            weight = Fraction(int(working_date and in_hours))
        elif day > first_day and (spec.unit is Unit.DAYS or working_date):
            if day not in lengths:
                lengths[day] = _oracle_day_length(tz, day)
            weight = Fraction(86400, lengths[day])
        else:
            weight = Fraction(0)
        gained = 60 * step_minutes * weight
        if weight and gained >= remaining:
            return t + timedelta(microseconds=math.ceil(remaining / weight * 10**6))
        remaining -= gained
        t += step


@st.composite
def calendars(draw, m):
    """A random calendar whose working hours start and end on multiples of ``m`` minutes."""
    days = draw(st.sets(st.integers(0, 6), min_size=3))
    begin = draw(st.integers(0, 720 // m)) * m
    end = begin + draw(st.integers(120 // m, 600 // m)) * m
    spans = [(begin, end)]
    if draw(st.booleans()) and end < 23 * 60:
        later = end + draw(st.integers(1, 120 // m)) * m
        spans.append((later, min(24 * 60, later + draw(st.integers(1, 360 // m)) * m)))
    anchor = draw(st.sampled_from(ANCHORS))
    holidays = draw(st.sets(st.integers(-10, 40).map(lambda d: anchor + timedelta(days=d)), max_size=6))
    calendar = WorkingCalendar(
        draw(st.sampled_from(ZONES)), frozenset(days), tuple(spans), frozenset(holidays)
    )
    return calendar, anchor


@st.composite
def cases(draw, m=15, limits=QUARTER_LIMITS):
    """Start, duration, calendar and pauses, every boundary on a multiple of ``m`` minutes."""
    calendar, anchor = draw(calendars(m))

    def minutes(low, high):
        return timedelta(minutes=draw(st.integers(low // m, high // m)) * m)

    start = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC) + minutes(-14400, 14400)
    unit = draw(st.sampled_from(list(Unit)))
    spec = DurationSpec(draw(st.integers(1, limits[unit])), unit)
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        a = start + minutes(-2880, 14400)
        pauses.append((a, a + minutes(m, 4320)))
    if draw(st.integers(0, 9)) == 0:  # sometimes the requester still owes information
        pauses.append((start + minutes(0, 14400), None))
    return start, spec, calendar, pauses


@settings(max_examples=2000, deadline=None)
@given(cases())
def test_due_instant_matches_quarter_hour_oracle(case):
    start, spec, calendar, pauses = case
    assert due_instant(start, spec, calendar, pauses) == oracle(start, spec, calendar, pauses)


@settings(max_examples=200, deadline=None)
@given(cases(m=1, limits=MINUTE_LIMITS))
def test_due_instant_matches_minute_by_minute_oracle(case):
    start, spec, calendar, pauses = case
    assert due_instant(start, spec, calendar, pauses) == oracle(start, spec, calendar, pauses, step_minutes=1)


@settings(max_examples=300, deadline=None)
@given(cases())
def test_pausing_never_brings_a_deadline_forward(case):
    start, spec, calendar, pauses = case
    closed = [(a, b) for a, b in pauses if b is not None]
    unpaused = due_instant(start, spec, calendar)
    paused = due_instant(start, spec, calendar, closed)
    assert unpaused is not None and paused is not None and paused >= unpaused
    assert due_instant(start, spec, calendar, closed[:1]) <= paused
