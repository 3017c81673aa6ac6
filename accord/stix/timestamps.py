"""STIX/TAXII timestamps <-> integer microseconds since the epoch.

Versions and ``date_added`` are compared as integers in SQL: STIX timestamps with different
fractional precision ("…00Z" vs "…00.000Z") do not sort correctly as strings.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

# ASCII digits only: \d would take any script's digits.
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?Z")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)


def parse_us(text: str) -> int:
    """Parse an RFC 3339 UTC timestamp ending in Z into microseconds; ValueError if malformed.

    The regular expression holds the format to RFC 3339 with Z (``fromisoformat`` alone would take
    dates without times, offsets and spaces); the C parser then checks the ranges. This runs for
    every timestamp of every object written. Digits past the sixth of a fraction are truncated.
    """
    if not isinstance(text, str):
        raise ValueError(f"timestamp must be a string, got {type(text).__name__}")
    if not _TIMESTAMP.fullmatch(text):
        raise ValueError(f"malformed timestamp {text!r} (expected YYYY-MM-DDTHH:MM:SS[.s+]Z)")
    try:
        return (datetime.fromisoformat(text) - _EPOCH) // _ONE_US
    except ValueError as exc:
        raise ValueError(f"invalid timestamp {text!r}: {exc}") from None


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
