"""What the console shows, read through ``select_page`` so the sharing policy decides every row.

Value search filters the rows the policy already let through; it scans a bounded number of rows
per collection (newest kept), which is enough for a console and cannot reveal hidden objects.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.stix.markings import TLP
from accord.stix.timestamps import now_us
from accord.store import admin
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
SCAN_LIMIT = 20_000
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
        for key in ("name", "value", "pattern", "x_accord_title", "summary_of_facts", "summary"):
            if isinstance(self.body.get(key), str) and self.body[key]:
                return self.body[key]
        return self.stix_id


def readable(conn: Connection, principal: Principal) -> list[Collection]:
    return [c for c in admin.list_collections(conn) if admin.rights(conn, c, principal.org)[0]]


def _org_names(conn: Connection) -> dict[int, str]:
    return {r.id: r.name for r in conn.execute(sa.select(org.c.id, org.c.name))}


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


def search(
    conn: Connection,
    principal: Principal,
    *,
    text: str = "",
    types: tuple[str, ...] = (),
    tlp: TLP | None = None,
    source: str = "",
    since_us: int | None = None,
    limit: int = 50,
) -> list[Item]:
    """The newest matching objects (latest versions) across the organization's readable collections."""
    names = _org_names(conn)
    needle = text.strip().lower()
    found: deque[Item] = deque(maxlen=limit)
    for coll in readable(conn, principal):
        for row in _rows(conn, coll, principal, Filters(types=types, added_after_us=since_us)):
            if tlp is not None and row.tlp != int(tlp):
                continue
            if source and (row.source or "local") != source:
                continue
            item = _item(coll, row, names)
            if needle and not _matches(item.body, needle):
                continue
            found.append(item)
    return sorted(found, key=lambda i: i.date_added_us, reverse=True)[:limit]


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
    relationships = []
    for row in _rows(conn, coll, principal, Filters(types=("relationship",))):
        body = orjson.loads(row.body)
        if stix_id in (body.get("source_ref"), body.get("target_ref")):
            relationships.append(_item(coll, row, names))
    return ObjectView(versions, relationships)
