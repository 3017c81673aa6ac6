"""What the console shows, read through ``select_page`` so the sharing policy decides every row.

Value search filters the rows the policy already let through. Searches page by keyset (date added,
collection) newest first; one page reads a bounded number of rows and, when that runs out, hands
back the position it reached so the next page goes on from there: every visible result is
reachable, and a hidden one can never be, since no row arrives but through the policy.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.stix.markings import TLP
from accord.stix.timestamps import now_us
from accord.store import admin, values
from accord.store.admin import Collection, Principal
from accord.store.queries import Filters, select_page
from accord.store.schema import org

COLUMNS = (
    "stix_id",
    "type",
    "version",
    "version_us",
    "date_added_us",
    "producer_org_id",
    "source",
    "tlp",
    "body",
)
PAGE = 1000
SCAN_LIMIT = 20_000  # relationships shown on an object's page
SCAN_BUDGET = 5_000  # rows one search page may read before it offers to search further back
_ESCAPED = frozenset('"\\')  # what orjson escapes (with control characters)
SCAN_PAGE = 200  # rows per read when a search walks a collection newest first
LABEL_FIELDS = ("name", "value", "pattern", "x_accord_title", "summary_of_facts", "summary")
SEARCHED_FIELDS = ("id", "name", "value", "pattern", "description", "x_accord_title", "aliases")


@dataclass
class Item:
    """One stored object version as the console lists it."""

    collection: Collection
    stix_id: str
    type: str
    version: str
    date_added_us: int
    producer: str
    source: str | None
    tlp: TLP
    body: dict[str, Any]

    @property
    def label(self) -> str:
        return label_of(self.body, self.stix_id)


def label_of(body: dict[str, Any], default: str = "") -> str:
    """What a person calls an object: its name, value, pattern or title, else its id."""
    for key in LABEL_FIELDS:
        if isinstance(body.get(key), str) and body[key]:
            return body[key]
    return default or str(body.get("id", ""))


def readable(conn: Connection, principal: Principal) -> list[Collection]:
    return [c for c in admin.list_collections(conn) if admin.rights(conn, c, principal.org)[0]]


def _org_names(conn: Connection) -> dict[int, str]:
    return {r.id: r.name for r in conn.execute(sa.select(org.c.id, org.c.name))}


def every_row(conn: Connection, coll: Collection, principal: Principal, kind: str) -> Iterator[Any]:
    """Every visible object of one type in a collection (latest versions), oldest first, unbounded."""
    after: int | None = None
    f = Filters(types=(kind,))
    while True:
        page = select_page(conn, coll.id, principal.reader, f, after_us=after, limit=PAGE, columns=COLUMNS)
        yield from page.rows
        if not page.more or not page.rows:
            return
        after = page.rows[-1].date_added_us


def _rows(conn: Connection, coll: Collection, principal: Principal, f: Filters) -> Any:
    """Visible rows of one collection, oldest first, at most SCAN_LIMIT of them."""
    after: int | None = None
    seen = 0
    while seen < SCAN_LIMIT:
        page = select_page(conn, coll.id, principal.reader, f, after_us=after, limit=PAGE, columns=COLUMNS)
        yield from page.rows
        seen += len(page.rows)
        if not page.more or not page.rows:
            return
        after = page.rows[-1].date_added_us


def _item(coll: Collection, row: Any, names: dict[int, str]) -> Item:
    return Item(
        coll,
        row.stix_id,
        row.type,
        row.version,
        row.date_added_us,
        names.get(row.producer_org_id, "?"),
        row.source,
        TLP(row.tlp),
        orjson.loads(row.body),
    )


def _matches(body: dict[str, Any], needle: str) -> bool:
    for key in SEARCHED_FIELDS:
        value = body.get(key)
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and needle in v.lower() for v in values):
            return True
    return False


@dataclass(frozen=True)
class Cursor:
    """A keyset position: the next page holds results older than (date added, collection id).

    Rows of one collection may share a date_added (the visibility classes of one write tie), so a
    page never ends inside such a group: every result at the cursor's key is on the pages before.
    """

    date_us: int
    collection_id: int

    def encode(self) -> str:
        return f"{self.date_us}.{self.collection_id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        date, _, coll = (text or "").partition(".")
        if not (date.isdigit() and coll.isdigit()):
            return None
        return cls(int(date), int(coll))

    def above(self, date_us: int, collection_id: int) -> bool:
        """Is (date_us, collection_id) at or past this position, i.e. not on the pages after it?"""
        return (date_us, collection_id) >= (self.date_us, self.collection_id)


@dataclass
class ResultPage:
    items: list[Item]
    next: Cursor | None  # where the next page starts; None when nothing older matches
    searched_back_to_us: int | None = None  # set when the scan budget ran out before the page filled
    exact: bool = False  # answered from the value index: objects carrying exactly the searched value


@dataclass
class _Query:
    """A search as the window scan applies it: the policy is in select_page, the rest filters rows."""

    principal: Principal
    collections: list[Collection]
    filters: Filters
    needle: str
    tlp: TLP | None
    source: str
    names: dict[int, str]

    def accept(self, coll: Collection, row: Any) -> Item | None:
        if self.tlp is not None and row.tlp != int(self.tlp):
            return None
        if self.source and (row.source or "local") != self.source:
            return None
        # Cheap test on the stored JSON first: a value that contains the text has it in the JSON,
        # unless JSON escaped a character of it (quotes, backslashes, control characters).
        if self.needle and self.needle.isprintable() and not _ESCAPED & set(self.needle):
            if self.needle not in row.body.lower():
                return None
        item = _item(coll, row, self.names)
        return item if not self.needle or _matches(item.body, self.needle) else None


def _newest_first(conn: Connection, q: _Query, coll: Collection, below: Cursor | None) -> Iterator[Any]:
    """Visible rows of one collection below the keyset position ``below``, newest first."""
    before: int | None = None
    if below is not None:  # (date, collection) < below: this collection's rows at below's date count
        before = below.date_us + 1 if coll.id < below.collection_id else below.date_us
    while True:
        page = select_page(
            conn,
            coll.id,
            q.principal.reader,
            q.filters,
            after_us=None,
            limit=SCAN_PAGE,
            columns=COLUMNS,
            before_us=before,
            descending=True,
        )
        yield from page.rows
        if not page.more or not page.rows:
            return
        before = page.rows[-1].date_added_us


def _keyed(coll: Collection, rows: Iterator[Any]) -> Iterator[tuple[int, int, Collection, Any]]:
    for row in rows:
        yield row.date_added_us, coll.id, coll, row


def _scan(conn: Connection, q: _Query, below: Cursor | None, limit: int, budget: int) -> ResultPage:
    """Read newest first across the collections (merged by date), filter, stop at a full page or
    when ``budget`` rows were read (then the page says how far back it searched)."""
    streams = [_keyed(coll, _newest_first(conn, q, coll, below)) for coll in q.collections]
    found: list[Item] = []
    read = 0
    previous: tuple[int, int] | None = None
    for date_us, coll_id, coll, row in heapq.merge(*streams, key=lambda t: (t[0], t[1]), reverse=True):
        if read >= budget and (date_us, coll_id) != previous:  # never stop inside a tie group
            return ResultPage(found, Cursor(date_us, coll_id + 1), searched_back_to_us=date_us)
        previous = (date_us, coll_id)
        read += 1
        item = q.accept(coll, row)
        if item is None:
            continue
        if len(found) >= limit and previous != (found[-1].date_added_us, found[-1].collection.id):
            last = found[-1]
            return ResultPage(found, Cursor(last.date_added_us, last.collection.id))
        found.append(item)
    return ResultPage(found, None)


def _exact(conn: Connection, q: _Query, below: Cursor | None, limit: int) -> ResultPage | None:
    """Objects carrying exactly the searched value, from the value index; None when there are none
    or when the index is still catching up (the scan then answers, complete but slower)."""
    if values.pending(conn):
        return None
    by_collection = values.ids_with_value(conn, q.needle, [c.id for c in q.collections])
    if not by_collection:
        return None
    found: list[Item] = []
    for coll in q.collections:
        ids = by_collection.get(coll.id)
        if not ids:
            continue
        f = Filters(ids=tuple(ids), types=q.filters.types, added_after_us=q.filters.added_after_us)
        page = select_page(conn, coll.id, q.principal.reader, f, after_us=None, limit=None, columns=COLUMNS)
        for row in page.rows:
            if below is not None and below.above(row.date_added_us, coll.id):
                continue
            item = q.accept(coll, row)
            if item is not None:
                found.append(item)
    if not found and below is None:
        return None
    found.sort(key=lambda i: (i.date_added_us, i.collection.id), reverse=True)
    if len(found) > limit:
        last = found[limit - 1]
        end = limit  # the page takes the whole group of results tied with its last one
        while end < len(found) and (found[end].date_added_us, found[end].collection.id) == (
            last.date_added_us,
            last.collection.id,
        ):
            end += 1
        if end < len(found):
            return ResultPage(found[:end], Cursor(last.date_added_us, last.collection.id), exact=True)
    return ResultPage(found, None, exact=True)


def search_page(
    conn: Connection,
    principal: Principal,
    *,
    text: str = "",
    types: tuple[str, ...] = (),
    tlp: TLP | None = None,
    source: str = "",
    since_us: int | None = None,
    before: Cursor | None = None,
    limit: int = 50,
    budget: int | None = None,
    contains: bool = False,
) -> ResultPage:
    """The newest matching objects (latest versions) below ``before``, across the organization's
    readable collections.

    A value that some objects carry exactly is answered from the value index (``contains`` asks
    for every object whose fields contain the text instead). Otherwise the collections are read
    newest first through ``select_page`` with the organization's policy, and the other criteria
    filter what it returned, a bounded number of rows per page.
    """
    q = _Query(
        principal,
        readable(conn, principal),
        Filters(types=types, added_after_us=since_us),
        text.strip().lower(),
        tlp,
        source,
        _org_names(conn),
    )
    if q.needle and not contains:
        exact = _exact(conn, q, before, limit)
        if exact is not None:
            return exact
    return _scan(conn, q, before, limit, budget or SCAN_BUDGET)


def search(conn: Connection, principal: Principal, *, limit: int = 50, **criteria: Any) -> list[Item]:
    """The first page of a search (see ``search_page``)."""
    return search_page(conn, principal, limit=limit, **criteria).items


def recent(conn: Connection, principal: Principal, days: int = 7, limit: int = 15) -> list[Item]:
    return search(conn, principal, since_us=now_us() - days * 86_400_000_000, limit=limit)


@dataclass
class ObjectView:
    versions: list[Item]
    relationships: list[Item]

    @property
    def latest(self) -> Item:
        return self.versions[-1]


def find_object(
    conn: Connection, principal: Principal, collection_uuid: str, stix_id: str
) -> ObjectView | None:
    """Every visible version of one object, and the relationships that reference it, or None."""
    coll = admin.collection_by_uuid(conn, collection_uuid)
    if coll is None or not admin.rights(conn, coll, principal.org)[0]:
        return None
    names = _org_names(conn)
    f = Filters(ids=(stix_id,), versions=("all",))
    page = select_page(conn, coll.id, principal.reader, f, after_us=None, limit=500, columns=COLUMNS)
    if not page.rows:
        return None
    versions = [_item(coll, r, names) for r in sorted(page.rows, key=lambda r: r.version_us)]
    return ObjectView(versions, _relationships(conn, coll, principal, stix_id, names))


def _relationships(
    conn: Connection, coll: Collection, principal: Principal, stix_id: str, names: dict[int, str]
) -> list[Item]:
    """The visible relationships of ``coll`` that refer to ``stix_id``: from the value index (which
    holds references), else, while it catches up, from a bounded scan of the collection."""
    rels = Filters(types=("relationship",))
    if not values.pending(conn):
        ids = values.ids_with_value(conn, stix_id, [coll.id]).get(coll.id, [])
        if not ids:
            return []
        rels = Filters(ids=tuple(ids), types=("relationship",))
        page = select_page(conn, coll.id, principal.reader, rels, after_us=None, limit=None, columns=COLUMNS)
        return [_item(coll, row, names) for row in page.rows]
    found = []
    for row in _rows(conn, coll, principal, rels):
        body = orjson.loads(row.body)
        if stix_id in (body.get("source_ref"), body.get("target_ref")):
            found.append(_item(coll, row, names))
    return found


@dataclass
class SightingSummary:
    """How often one partner saw one of my organization's indicators, lately."""

    indicator: Item
    partner: str
    sightings: int
    times_seen: int
    last_us: int


def sightings_of_mine(
    conn: Connection, principal: Principal, days: int = 7, limit: int = 15, budget: int = SCAN_BUDGET
) -> list[SightingSummary]:
    """Sightings that arrived in the last ``days`` of indicators my organization produced, per
    (indicator, partner), newest first: what the dashboard shows. Sightings and indicators are both
    read through ``select_page`` (the policy decides); at most ``budget`` sightings are read."""
    since = now_us() - days * 86_400_000_000
    sightings = _scan(
        conn,
        _Query(
            principal,
            readable(conn, principal),
            Filters(types=("sighting",), added_after_us=since),
            "",
            None,
            "",
            _org_names(conn),
        ),
        None,
        budget,
        budget,
    ).items
    refs = {s.body.get("sighting_of_ref") for s in sightings} - {None}
    mine: dict[str, Item] = {}
    names = _org_names(conn)
    for coll in readable(conn, principal):
        f = Filters(ids=tuple(sorted(refs)), types=("indicator",))
        if not refs:
            break
        page = select_page(conn, coll.id, principal.reader, f, after_us=None, limit=None, columns=COLUMNS)
        for row in page.rows:
            if row.producer_org_id == principal.org.id:
                mine.setdefault(row.stix_id, _item(coll, row, names))
    groups: dict[tuple[str, str], SightingSummary] = {}
    for s in sightings:
        indicator = mine.get(s.body.get("sighting_of_ref", ""))
        if indicator is None or s.producer == principal.org.name:
            continue  # not my indicator, or my own sighting of it
        partner = s.producer if s.source in (None, "local") else f"{s.producer} ({s.source})"
        count = s.body.get("count")
        key = (indicator.stix_id, partner)
        summary = groups.setdefault(key, SightingSummary(indicator, partner, 0, 0, s.date_added_us))
        summary.sightings += 1
        summary.times_seen += count if isinstance(count, int) else 1
        summary.last_us = max(summary.last_us, s.date_added_us)
    return sorted(groups.values(), key=lambda g: g.last_us, reverse=True)[:limit]
