"""STIX/TAXII timestamps <-> integer microseconds since the epoch.

Versions and ``date_added`` are compared as integers in SQL: STIX timestamps with different
fractional precision ("…00Z" vs "…00.000Z") do not sort correctly as strings.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

_TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_us(text: str) -> int:
    """Parse an RFC 3339 UTC timestamp ending in Z into microseconds; ValueError if malformed."""
    if not isinstance(text, str):
        raise ValueError(f"timestamp must be a string, got {type(text).__name__}")
    m = _TIMESTAMP.match(text)
    if not m:
        raise ValueError(f"malformed timestamp {text!r} (expected YYYY-MM-DDTHH:MM:SS[.s+]Z)")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac = (m.group(7) or "")[:6].ljust(6, "0")
    try:
        dt = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"invalid timestamp {text!r}: {exc}") from None
    delta = dt - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + int(frac)


def format_us(us: int) -> str:
    """Format microseconds as a TAXII timestamp with microsecond precision."""
    seconds, micros = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micros:06d}Z"


def now_us() -> int:
    return time.time_ns() // 1000
