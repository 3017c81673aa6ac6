"""A party's working calendar and the time-zone arithmetic deadlines need.

Everything is defined instant by instant: an instant is working time iff its local wall-clock time (in
the party's IANA zone) falls in the working hours of a working, non-holiday local date. Daylight-saving
gaps and repeated hours therefore need no special cases: we walk UTC in stretches of constant offset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_PROBE = timedelta(hours=6)  # no zone changes offset twice within 6 hours
_CHUNK = 28  # probes per segment at most, so fixed-offset zones still yield


def parse_hours(text: str) -> tuple[int, int]:
    """``"09:00-17:30"`` -> minutes since local midnight ``(540, 1050)``; the end may be ``24:00``."""
    try:
        start, end = (part.strip() for part in text.split("-"))
        minutes = [int(h) * 60 + int(m) for h, m in (part.split(":") for part in (start, end))]
    except ValueError as error:
        raise ValueError(f"working hours must look like 09:00-17:30, not {text!r}") from error
    if not 0 <= minutes[0] < minutes[1] <= 24 * 60:
        raise ValueError(f"working hours {text!r} must lie within one day and not be empty")
    return minutes[0], minutes[1]


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days, hours and holidays of one party, in its own time zone."""

    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset(range(5))  # 0 = Monday
    working_hours: tuple[tuple[int, int], ...] = ((9 * 60, 17 * 60),)
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)  # fail early on an unknown zone
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown IANA time zone {self.timezone!r}") from error
        spans = sorted(self.working_hours)
        if any(a[1] > b[0] for a, b in zip(spans, spans[1:], strict=False)):
            raise ValueError("working hours overlap")
        object.__setattr__(self, "working_hours", tuple(spans))
        if not self.working_days <= set(range(7)):
            raise ValueError("working days are numbered 0 (Monday) to 6 (Sunday)")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WorkingCalendar:
        """Build from a TOML table: ``timezone``, ``working_days``, ``working_hours``, ``holidays``."""
        days = config.get("working_days", list(WEEKDAYS[:5]))
        unknown = set(days) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"unknown working days {sorted(unknown)}; use {', '.join(WEEKDAYS)}")
        holidays = config.get("holidays", [])
        if not all(isinstance(day, date) and not isinstance(day, datetime) for day in holidays):
            raise ValueError("holidays must be TOML dates such as 2026-12-25")
        return cls(
            timezone=config.get("timezone", "UTC"),
            working_days=frozenset(WEEKDAYS.index(day) for day in days),
            working_hours=tuple(parse_hours(text) for text in config.get("working_hours", ["09:00-17:00"])),
            holidays=frozenset(holidays),
        )

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_date(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()

    def day_length(self, day: date) -> int:
        """Seconds of real time whose local date is ``day`` (82 800 or 90 000 on a DST change day)."""
        return _day_length(self.tz, day)


def offset_segments(tz: ZoneInfo, start: datetime) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Consecutive UTC stretches ``[a, b)`` from ``start`` over which ``tz`` keeps one UTC offset."""
    a = start.astimezone(UTC)
    offset = a.astimezone(tz).utcoffset()
    while True:
        t = a
        for _ in range(_CHUNK):
            probe = t + _PROBE
            if probe.astimezone(tz).utcoffset() != offset:
                # The transition lies in (t, probe] and falls on a whole second: bisect whole seconds.
                lo = t.replace(microsecond=0)
                low, high = 0, int((probe - lo).total_seconds()) + 1
                while high - low > 1:
                    mid = (low + high) // 2
                    if (lo + timedelta(seconds=mid)).astimezone(tz).utcoffset() == offset:
                        low = mid
                    else:
                        high = mid
                hi = lo + timedelta(seconds=high)
                yield a, hi, offset
                a, offset = hi, hi.astimezone(tz).utcoffset()
                break
            t = probe
        else:
            yield a, t, offset
            a = t


def _local(instant: datetime, offset: timedelta) -> datetime:
    return (instant + offset).replace(tzinfo=None)


def _utc(local: datetime, offset: timedelta) -> datetime:
    return (local - offset).replace(tzinfo=UTC)


def _dates(first: datetime, last: datetime) -> Iterable[date]:
    """Local dates touched by the local half-open range ``[first, last)``."""
    day = first.date()
    while datetime.combine(day, time()) < last:
        yield day
        day += timedelta(days=1)


@cache
def _day_length(tz: ZoneInfo, day: date) -> int:
    midnight = datetime.combine(day, time())
    lo, hi = midnight, midnight + timedelta(days=1)
    total = timedelta()
    for a, b, offset in offset_segments(tz, _utc(lo, timedelta(hours=26))):
        if a >= _utc(hi, timedelta(hours=-26)):
            break
        la, lb = _local(a, offset), _local(b, offset)
        total += max(timedelta(), min(lb, hi) - max(la, lo))
    return int(total.total_seconds())


def working_intervals(
    calendar: WorkingCalendar, start: datetime, horizon: timedelta
) -> Iterator[tuple[datetime, datetime]]:
    """Working time from ``start`` to about ``start + horizon``, as ordered UTC intervals."""
    for a, b, offset in offset_segments(calendar.tz, start):
        if a - start > horizon:
            return
        la, lb = _local(a, offset), _local(b, offset)
        for day in _dates(la, lb):
            if not calendar.is_working_date(day):
                continue
            midnight = datetime.combine(day, time())
            for begin, end in calendar.working_hours:
                x = max(la, midnight + timedelta(minutes=begin))
                y = min(lb, midnight + timedelta(minutes=end))
                if x < y:
                    yield _utc(x, offset), _utc(y, offset)


def day_pieces(
    calendar: WorkingCalendar, start: datetime, horizon: timedelta, working_only: bool
) -> Iterator[tuple[datetime, datetime, date]]:
    """Real-time pieces of the local dates after ``start``'s local date (only working dates if asked)."""
    first = calendar.local_date(start)
    for a, b, offset in offset_segments(calendar.tz, start):
        if a - start > horizon:
            return
        la, lb = _local(a, offset), _local(b, offset)
        for day in _dates(la, lb):
            if day <= first or (working_only and not calendar.is_working_date(day)):
                continue
            midnight = datetime.combine(day, time())
            x, y = max(la, midnight), min(lb, midnight + timedelta(days=1))
            if x < y:
                yield _utc(x, offset), _utc(y, offset), day
