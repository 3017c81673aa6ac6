"""Query parameters of the TAXII endpoints, parsed strictly: a malformed value is a 400."""

from __future__ import annotations

import re

from starlette.datastructures import QueryParams

from accord.stix.timestamps import parse_us
from accord.store.queries import Filters
from accord.taxii.media import TaxiiError

_SPEC_VERSION = re.compile(r"^\d+\.\d+$")


MAX_VALUES = 1000  # per match[...] field: enough for any client, bounded for the database


def _values(params: QueryParams, name: str) -> tuple[str, ...]:
    """Comma-separated values (OR), also accepted as a repeated parameter."""
    values: list[str] = []
    for raw in params.getlist(name):
        values.extend(v.strip() for v in raw.split(",") if v.strip())
    if len(values) > MAX_VALUES:
        raise TaxiiError(400, f"Too many values in {name}", f"at most {MAX_VALUES} values per filter")
    return tuple(dict.fromkeys(values))


def _timestamp(value: str, name: str) -> int:
    try:
        return parse_us(value)
    except ValueError as exc:
        raise TaxiiError(400, f"Invalid {name}", str(exc)) from None


def limit(params: QueryParams, server_max: int) -> int:
    """The page size asked for, capped at the server maximum (capping is not an error)."""
    raw = params.get("limit")
    if raw is None:
        return server_max
    try:
        value = int(raw)
    except ValueError:
        raise TaxiiError(400, "Invalid limit", f"limit must be a positive integer, got {raw!r}") from None
    if value <= 0:
        raise TaxiiError(400, "Invalid limit", f"limit must be a positive integer, got {raw!r}")
    return min(value, server_max)


def filters(params: QueryParams, *, by_id: str | None = None, versions_endpoint: bool = False) -> Filters:
    """The filters an endpoint allows (others are ignored, as TAXII says)."""
    added_after = params.get("added_after")
    spec_versions = _values(params, "match[spec_version]") or None
    for value in spec_versions or ():
        if not _SPEC_VERSION.match(value):
            raise TaxiiError(400, "Invalid match[spec_version]", f"{value!r} is not a STIX version like 2.1")
    versions: tuple[str | int, ...] = ("all",) if versions_endpoint else ("last",)
    if not versions_endpoint and "match[version]" in params:
        raw_versions = _values(params, "match[version]")
        if not raw_versions:
            raise TaxiiError(400, "Invalid match[version]", "match[version] is empty")
        versions = tuple(
            v if v in ("first", "last", "all") else _timestamp(v, "match[version]") for v in raw_versions
        )
    return Filters(
        ids=(by_id,) if by_id else (() if versions_endpoint else _values(params, "match[id]")),
        types=() if by_id or versions_endpoint else _values(params, "match[type]"),
        versions=versions,
        spec_versions=spec_versions,
        added_after_us=_timestamp(added_after, "added_after") if added_after is not None else None,
    )
