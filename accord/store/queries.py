"""The read path: one keyset query per page, TAXII filters and the policy condition inside it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import FromClause

from accord.policy import Reader, visible
from accord.store.schema import stix_object


@dataclass(frozen=True)
class Filters:
    """The TAXII match[...] filters, already parsed.

    ``versions``: the keywords 'first', 'last', 'all' and/or exact versions in microseconds (OR).
    ``spec_versions``: None means "only the latest spec version of each object" (the TAXII default).
    """

    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str | int, ...] = ("last",)
    spec_versions: tuple[str, ...] | None = None
    added_after_us: int | None = None


@dataclass
class Page:
    rows: list[sa.Row] = field(default_factory=list)
    more: bool = False


def _same_object(a: FromClause, b: FromClause) -> ColumnElement[bool]:
    return sa.and_(a.c.collection_id == b.c.collection_id, a.c.stix_id == b.c.stix_id)


def _spec_condition(
    obj: FromClause, reader: Reader, spec_versions: tuple[str, ...] | None
) -> ColumnElement[bool]:
    if spec_versions is not None:
        return obj.c.spec_version.in_(spec_versions)
    newer = stix_object.alias("newer_spec")
    return ~sa.exists().where(
        _same_object(newer, obj), visible(newer, reader), newer.c.spec_version > obj.c.spec_version
    )


def _version_condition(obj: FromClause, reader: Reader, f: Filters) -> ColumnElement[bool]:
    if "all" in f.versions:
        return sa.true()
    parts: list[ColumnElement[bool]] = []
    exact = [v for v in f.versions if isinstance(v, int)]
    if exact:
        parts.append(obj.c.version_us.in_(exact))
    for keyword, later in (("last", True), ("first", False)):
        if keyword in f.versions:
            other = stix_object.alias(f"other_{keyword}")
            beyond = other.c.version_us > obj.c.version_us if later else other.c.version_us < obj.c.version_us
            parts.append(
                ~sa.exists().where(
                    _same_object(other, obj),
                    visible(other, reader),
                    _spec_condition(other, reader, f.spec_versions),
                    beyond,
                )
            )
    return sa.or_(*parts)


def select_page(
    conn: Connection,
    collection_id: int,
    reader: Reader,
    f: Filters,
    *,
    after_us: int | None,
    limit: int | None,
    columns: Sequence[str],
) -> Page:
    """Rows of ``collection_id`` visible to ``reader`` that match ``f``, after ``after_us``, in
    ascending date_added order; ``limit`` None means all (used by DELETE and export)."""
    obj = stix_object
    conditions: list[ColumnElement[bool]] = [
        obj.c.collection_id == collection_id,
        visible(obj, reader),
        _spec_condition(obj, reader, f.spec_versions),
        _version_condition(obj, reader, f),
    ]
    if f.ids:
        conditions.append(obj.c.stix_id.in_(f.ids))
    if f.types:
        conditions.append(obj.c.type.in_(f.types))
    bounds = [v for v in (f.added_after_us, after_us) if v is not None]
    if bounds:
        conditions.append(obj.c.date_added_us > max(bounds))
    query = sa.select(*(obj.c[name] for name in columns)).where(*conditions).order_by(obj.c.date_added_us)
    if limit is not None:
        query = query.limit(limit + 1)
    rows = list(conn.execute(query))
    if limit is not None and len(rows) > limit:
        return Page(rows[:limit], True)
    return Page(rows, False)
