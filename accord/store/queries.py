"""The read path: one keyset query per page, TAXII filters and the policy condition inside it.

Statements are built once per shape of query (which filters are present) with bound parameters,
and cached: building SQL expressions costs more than SQLite takes to run them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.expression import FromClause

from accord.policy import Reader, reader_params, visible
from accord.store.schema import stix_object

_NEWER_SPEC = stix_object.alias("newer_spec")
_OTHER = {"last": stix_object.alias("other_last"), "first": stix_object.alias("other_first")}


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


def absent(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """NOT EXISTS that stays a per-row index probe.

    The OFFSET keeps PostgreSQL from turning the subquery into an anti-join, which with stale
    statistics (right after a bulk load) becomes a quadratic nested loop; SQLite probes anyway.
    """
    return ~sa.select(sa.literal(1)).where(*conditions).offset(0).exists()


def _same_object(a: FromClause, b: FromClause) -> ColumnElement[bool]:
    """Versions of one history: an id in a collection, as one organization published it (another
    organization's object with the same id is a history of its own; see ``store.objects``)."""
    return sa.and_(
        a.c.collection_id == b.c.collection_id,
        a.c.stix_id == b.c.stix_id,
        a.c.producer_org_id == b.c.producer_org_id,
    )


def _spec_condition(obj: FromClause, explicit: bool, peer: bool) -> ColumnElement[bool]:
    if explicit:
        return obj.c.spec_version.in_(sa.bindparam("spec_versions", expanding=True))
    return absent(
        _same_object(_NEWER_SPEC, obj),
        visible(_NEWER_SPEC, peer),
        _NEWER_SPEC.c.spec_version > obj.c.spec_version,
    )


def _version_condition(
    obj: FromClause, keywords: frozenset[str], exact: bool, explicit_spec: bool, peer: bool
) -> ColumnElement[bool]:
    if "all" in keywords:
        return sa.true()
    parts: list[ColumnElement[bool]] = []
    if exact:
        parts.append(obj.c.version_us.in_(sa.bindparam("exact_versions", expanding=True)))
    for keyword in ("last", "first"):
        if keyword in keywords:
            other = _OTHER[keyword]
            beyond = (
                other.c.version_us > obj.c.version_us
                if keyword == "last"
                else other.c.version_us < obj.c.version_us
            )
            parts.append(
                absent(
                    _same_object(other, obj),
                    visible(other, peer),
                    _spec_condition(other, explicit_spec, peer),
                    beyond,
                )
            )
    return sa.or_(*parts)


@lru_cache(maxsize=512)
def _statement(
    columns: tuple[str, ...],
    keywords: frozenset[str],
    exact: bool,
    explicit_spec: bool,
    by_ids: bool,
    by_types: bool,
    after: bool,
    limited: bool,
    peer: bool,
    before: bool = False,
    descending: bool = False,
    by_seq: bool = False,
) -> Select:
    obj = stix_object
    conditions = [
        obj.c.collection_id == sa.bindparam("collection_id"),
        visible(obj, peer),
        _spec_condition(obj, explicit_spec, peer),
        _version_condition(obj, keywords, exact, explicit_spec, peer),
    ]
    if by_ids:
        conditions.append(obj.c.stix_id.in_(sa.bindparam("ids", expanding=True)))
    if by_types:
        conditions.append(obj.c.type.in_(sa.bindparam("types", expanding=True)))
    if after:
        conditions.append(obj.c.date_added_us > sa.bindparam("after"))
    if before:
        conditions.append(obj.c.date_added_us < sa.bindparam("before"))
    # With ids given, the rows are few: sort them rather than let the planner walk the whole
    # collection in date_added order (which SQLite, without statistics, would otherwise choose).
    # seq orders the rows of one date_added (the visibility classes of a write share times).
    order = [obj.c.date_added_us + 0 if by_ids else obj.c.date_added_us, obj.c.seq]
    if by_seq:  # storage order: every row stored after the cursor, whatever date_added it kept
        conditions.append(obj.c.seq > sa.bindparam("after_seq"))
        order = [obj.c.seq]
    if descending:
        order = [o.desc() for o in order]
    query = sa.select(*(obj.c[name] for name in columns)).where(*conditions).order_by(*order)
    if limited:
        query = query.limit(sa.bindparam("limit_plus_one"))
    return query


def select_page(
    conn: Connection,
    collection_id: int,
    reader: Reader,
    f: Filters,
    *,
    after_us: int | None,
    limit: int | None,
    columns: Sequence[str],
    before_us: int | None = None,
    descending: bool = False,
    after_seq: int | None = None,
) -> Page:
    """Rows of ``collection_id`` visible to ``reader`` that match ``f``, after ``after_us`` (and
    before ``before_us``), in ascending date_added order, or newest first with ``descending`` (the
    console lists what arrived last); ``limit`` None means all (used by DELETE and export).

    A limited page never ends inside a group of rows sharing a date_added (see ``_whole_ties``), so
    the next page continues after the last row's date_added. ``after_seq`` instead reads in storage
    order after that ``seq`` (the push cursor: an import that kept an old date_added still comes
    after it)."""
    by_seq = after_seq is not None
    if by_seq and (f.ids or f.types or f.added_after_us is not None or after_us is not None):
        raise ValueError("pages in storage order take only version keywords and spec versions")
    end_column = "seq" if by_seq else "date_added_us"  # where a limited page ends
    if limit is not None and end_column not in columns:
        columns = (*columns, end_column)
    keywords = frozenset(v for v in f.versions if isinstance(v, str))
    exact = [v for v in f.versions if isinstance(v, int)]
    bounds = [v for v in (f.added_after_us, after_us) if v is not None]
    statement = _statement(
        tuple(columns),
        keywords,
        bool(exact),
        f.spec_versions is not None,
        bool(f.ids),
        bool(f.types),
        bool(bounds),
        limit is not None,
        reader.peer is not None,
        before_us is not None,
        descending,
        by_seq,
    )
    params: dict[str, Any] = {"collection_id": collection_id, **reader_params(reader)}
    if exact:
        params["exact_versions"] = exact
    if f.spec_versions is not None:
        params["spec_versions"] = list(f.spec_versions)
    if f.ids:
        params["ids"] = list(f.ids)
    if f.types:
        params["types"] = list(f.types)
    if bounds:
        params["after"] = max(bounds)
    if before_us is not None:
        params["before"] = before_us
    if by_seq:
        params["after_seq"] = after_seq
    if limit is None:
        return Page(list(conn.execute(statement, params)), False)
    params["limit_plus_one"] = limit + 1
    rows = list(conn.execute(statement, params))
    if len(rows) <= limit:
        return Page(rows, False)
    if by_seq:  # seq is unique: no ties to keep together
        return Page(rows[:limit], True)
    return Page(_whole_ties(conn, statement, params, rows, limit), True)


def _whole_ties(
    conn: Connection, statement: Select, params: dict[str, Any], rows: list[Any], limit: int
) -> list[Any]:
    """The page of ``limit`` rows out of ``rows`` (one more was read), never ending inside a group of
    rows that share a date_added (one write hands each visibility class its own run of times, so
    classes of one write tie). Every caller, and every TAXII client using ``added_after`` with the
    last date of a page, continues after the page's last date_added: a split group would lose rows.
    The trailing group is left for the next page; when the page is that one group, it is returned
    whole, a few rows over ``limit`` (at most one per visibility class of a write)."""
    last = rows[limit - 1].date_added_us
    if rows[limit].date_added_us != last:
        return rows[:limit]
    kept = [r for r in rows[:limit] if r.date_added_us != last]
    if kept:
        return kept
    size = limit + 1
    while True:  # rare: the whole page is one group; read until the group ends
        size *= 2
        rows = list(conn.execute(statement, {**params, "limit_plus_one": size}))
        group = [r for r in rows if r.date_added_us == last]
        if len(group) < len(rows) or len(rows) < size:
            return group
