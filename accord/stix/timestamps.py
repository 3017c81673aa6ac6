"""STIX/TAXII timestamps <-> integer microseconds since the epoch.

Versions and ``date_added`` are compared as integers in SQL: STIX timestamps with different
fractional precision ("…00Z" vs "…00.000Z") do not sort correctly as strings.
"""

from __future__ import annotations

import re
import time
from functools import lru_cache

_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$")
_EPOCH_ORDINAL = 719_162  # days from 0001-01-01 to 1970-01-01


_DAYS_BEFORE_MONTH = (0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334)
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def parse_us(text: str) -> int:
    """Parse an RFC 3339 UTC timestamp ending in Z into microseconds; ValueError if malformed.

    Pure arithmetic after one regular expression: it runs for every timestamp of every object
    written, where building a ``datetime`` would cost several times more.
    """
    if not isinstance(text, str):
        raise ValueError(f"timestamp must be a string, got {type(text).__name__}")
    m = _TIMESTAMP.match(text)
    if not m:
        raise ValueError(f"malformed timestamp {text!r} (expected YYYY-MM-DDTHH:MM:SS[.s+]Z)")
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute, second = int(m[4]), int(m[5]), int(m[6])
    if not (1 <= month <= 12 and 1 <= day and hour < 24 and minute < 60 and second < 60 and year >= 1):
        raise ValueError(f"invalid timestamp {text!r}: a field is out of range")
    if day > _MONTH_DAYS[month - 1] + (month == 2 and _leap(year)):
        raise ValueError(f"invalid timestamp {text!r}: day is out of range for month")
    y = year - 1
    days = y * 365 + y // 4 - y // 100 + y // 400 + _DAYS_BEFORE_MONTH[month - 1]
    days += (month > 2 and _leap(year)) + day - 1 - _EPOCH_ORDINAL
    frac = m[7]
    micros = int(frac[:6].ljust(6, "0")) if frac else 0
    return ((days * 24 + hour) * 60 + minute) * 60_000_000 + second * 1_000_000 + micros


@lru_cache(maxsize=4096)
def _date_prefix(days: int) -> str:
    t = time.gmtime(days * 86400)
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"


def format_us(us: int) -> str:
    """Format microseconds as a TAXII timestamp with microsecond precision (dates cached: listings
    format thousands of timestamps that share a handful of days)."""
    seconds, micros = divmod(us, 1_000_000)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{_date_prefix(days)}{hours:02d}:{minutes:02d}:{secs:02d}.{micros:06d}Z"


def now_us() -> int:
    return time.time_ns() // 1000
