"""A MISP feed into a collection, through the write path of ``accord import`` (``add_objects``:
validation, stamping, the policy columns, the audit record) — each event whole or not at all.

Events are stored a batch at a time in one transaction; when anything of a batch is refused the
transaction is rolled back and its events are stored again one transaction each, so a bad event
(malformed, an unknown attribute type, an object the write path refuses) is reported by uuid and
stores nothing, and the others are stored.

Deletions, as Accord tombstones (the same objects TAXII DELETE stores, so they travel to peers and
each node deletes the same versions): a new version of an event that no longer has an attribute,
object or sighting it had (``deleted: true`` or gone) tombstones every stored version of the STIX
objects made from it; an event that comes back unpublished tombstones all of it. Which objects an
event had is read from the last stored version of its grouping/report (``x_accord_misp_objects``).

An event whose manifest timestamp is the stored version of its grouping/report is not read again,
so pulling the same feed twice stores nothing (and converting an event twice gives the same objects).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from accord.misp.feed import Feed
from accord.misp.to_stix import (
    CONTAINER_TYPES,
    OWNED_PROPERTY,
    Converted,
    EventError,
    convert_event,
    stix_time,
)
from accord.stix.extensions import tombstone
from accord.stix.markings import TLP
from accord.stix.timestamps import parse_us
from accord.store.admin import Collection, Org
from accord.store.engine import read_transaction, write_transaction
from accord.store.objects import Outcome, add_objects
from accord.store.schema import stix_object

BATCH_OBJECTS = 5000  # objects per transaction, as ``accord import``
_CHUNK = 500


@dataclass
class PullReport:
    events: int = 0
    stored: int = 0  # object versions stored (tombstones included)
    already: int = 0
    unchanged: int = 0  # events whose stored version is the feed's: not read again
    unpublished: int = 0
    deleted: int = 0  # object versions deleted by tombstones
    failed: list[tuple[str, str]] = field(default_factory=list)  # (event uuid, one-line reason)


@dataclass
class _Stored:
    version_us: int
    owned: list[str]


@dataclass
class _Event:
    uuid: str
    objects: list[dict[str, Any]]
    deletes: int


def _stored_containers(conn: Connection, coll: Collection, producer: Org, uuids: Sequence[str]) -> dict:
    """Event uuid -> its last stored grouping/report version here (by this producer)."""
    found: dict[str, _Stored] = {}
    ids = [f"{t}--{u}" for u in uuids for t in CONTAINER_TYPES]
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            sa.select(stix_object.c.stix_id, stix_object.c.version_us, stix_object.c.body).where(
                stix_object.c.collection_id == coll.id,
                stix_object.c.producer_org_id == producer.id,
                stix_object.c.stix_id.in_(ids[start : start + _CHUNK]),
            )
        )
        for stix_id, version_us, body in rows:
            uid = stix_id.partition("--")[2]
            if uid not in found or version_us > found[uid].version_us:
                owned = orjson.loads(body).get(OWNED_PROPERTY) or []
                found[uid] = _Stored(version_us, [o for o in owned if isinstance(o, str)] + [stix_id])
    return found


def _tombstones(
    conn: Connection, coll: Collection, producer: Org, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """One tombstone per (object, visibility class) for every stored version of ``ids``."""
    classes: dict[tuple[str, int, str], list[str]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            sa.select(
                stix_object.c.stix_id, stix_object.c.tlp, stix_object.c.recipients, stix_object.c.version
            ).where(
                stix_object.c.collection_id == coll.id,
                stix_object.c.producer_org_id == producer.id,
                stix_object.c.stix_id.in_(list(ids[start : start + _CHUNK])),
            )
        )
        for stix_id, level, recipients, version in rows:
            classes.setdefault((stix_id, level, recipients or ""), []).append(version)
    return [
        tombstone(stix_id, versions, TLP(level), [n for n in recipients.split("|") if n])
        for (stix_id, level, recipients), versions in sorted(classes.items())
    ]


def pull_feed(
    engine: Engine,
    coll: Collection,
    producer: Org,
    feed: Feed,
    *,
    progress: Callable[[int], None] | None = None,
) -> PullReport:
    report = PullReport()
    uuids = feed.event_uuids()
    report.events = len(uuids)
    batch: list[_Event] = []
    size = 0
    for start in range(0, len(uuids), _CHUNK):
        chunk = uuids[start : start + _CHUNK]
        with read_transaction(engine) as conn:
            stored = _stored_containers(conn, coll, producer, chunk)
        for uid in chunk:
            event = _prepare(engine, coll, producer, feed, uid, stored.get(uid), report)
            if progress:
                progress(1)
            if event is None:
                continue
            batch.append(event)
            size += len(event.objects)
            if size >= BATCH_OBJECTS:
                _store(engine, coll, producer, batch, report)
                batch, size = [], 0
    if batch:
        _store(engine, coll, producer, batch, report)
    return report


def _prepare(
    engine: Engine,
    coll: Collection,
    producer: Org,
    feed: Feed,
    uid: str,
    stored: _Stored | None,
    report: PullReport,
) -> _Event | None:
    try:
        listed = feed.manifest[uid].get("timestamp")
        if stored is not None and listed is not None and parse_us(stix_time(listed)) == stored.version_us:
            report.unchanged += 1
            return None
        doc = feed.event(uid)
        converted = convert_event(doc)
        if converted.uuid != uid:
            raise EventError(f"the event file holds event {converted.uuid}, not {uid}")
        if not feed.hashes_match(uid, doc.get("Event", doc)):
            raise EventError(
                "its attribute values do not match the feed's hashes.csv (a changed or cut file?)"
            )
    except (ValueError, KeyError, TypeError) as exc:  # EventError, unreadable file, odd shapes
        report.failed.append((uid, " ".join(str(exc).split()) or type(exc).__name__))
        return None
    return _with_deletions(engine, coll, producer, converted, stored, report)


def _with_deletions(
    engine: Engine,
    coll: Collection,
    producer: Org,
    converted: Converted,
    stored: _Stored | None,
    report: PullReport,
) -> _Event | None:
    if converted.unpublished:
        report.unpublished += 1
        if stored is None:
            return None
        gone = stored.owned
    else:
        gone = sorted(set(stored.owned) - set(converted.owned) - {converted.container_id}) if stored else []
    markers: list[dict[str, Any]] = []
    if gone:
        with read_transaction(engine) as conn:
            markers = _tombstones(conn, coll, producer, gone)
    deletes = sum(len(m["versions"]) for m in markers)
    return _Event(converted.uuid, converted.objects + markers, deletes)


def _store(engine: Engine, coll: Collection, producer: Org, batch: list[_Event], report: PullReport) -> None:
    """The batch in one transaction; when anything is refused, each event in one of its own."""
    objects = [o for event in batch for o in event.objects]
    try:
        with write_transaction(engine) as conn:
            outcomes = _add(conn, coll, producer, objects, stop_at_refusal=True)
            if not all(o.ok for o in outcomes):
                raise _Refused(outcomes)
    except _Refused:
        for event in batch:
            _store_one(engine, coll, producer, event, report)
        return
    for event in batch:
        report.deleted += event.deletes
    _count(outcomes, report)


def _add(
    conn: Connection, coll: Collection, producer: Org, objects: list[dict[str, Any]], *, stop_at_refusal: bool
) -> list[Outcome]:
    """``add_objects`` a slice of BATCH_OBJECTS at a time inside the caller's one transaction: a huge
    event (tens of thousands of attributes) is still stored whole or not at all, but the write path
    holds the JSON text of a slice at a time, not of the whole event."""
    outcomes: list[Outcome] = []
    for start in range(0, len(objects), BATCH_OBJECTS):
        outcomes += add_objects(conn, coll, producer, objects[start : start + BATCH_OBJECTS])
        if stop_at_refusal and not all(o.ok for o in outcomes):
            break
    return outcomes


class _Refused(Exception):
    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes


def _store_one(engine: Engine, coll: Collection, producer: Org, event: _Event, report: PullReport) -> None:
    try:
        with write_transaction(engine) as conn:
            outcomes = _add(conn, coll, producer, event.objects, stop_at_refusal=False)
            if not all(o.ok for o in outcomes):
                raise _Refused(outcomes)
    except _Refused as refused:
        bad = [o for o in refused.outcomes if not o.ok]
        reason = "; ".join(f"{o.id}: {o.message}" for o in bad[:3])
        more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
        report.failed.append((event.uuid, f"refused by the store, nothing of it stored: {reason}{more}"))
        return
    report.deleted += event.deletes
    _count(outcomes, report)


def _count(outcomes: list[Outcome], report: PullReport) -> None:
    for o in outcomes:
        if o.stored:
            report.stored += 1
        else:
            report.already += 1
