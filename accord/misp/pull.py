"""MISP events (a feed's, or a MISP server's REST API's: ``accord.misp.rest``) into a collection,
through the write path of ``accord import`` (``add_objects``: validation, stamping, the policy
columns, the audit record) — each event whole or not at all.

Events are stored a batch at a time in one transaction; when anything of a batch is refused the
transaction is rolled back and its events are stored again one transaction each, so a bad event
(malformed, an unknown attribute type, an object the write path refuses) is reported by uuid and
stores nothing, and the others are stored.

Deletions, as Accord tombstones (the same objects TAXII DELETE stores, so they travel to peers and
each node deletes the same versions): a new version of an event that no longer has an attribute,
object or sighting it had (``deleted: true`` or gone) tombstones every stored version of the STIX
objects made from it; an event that comes back unpublished tombstones all of it. Which objects an
event had is read from the last stored version of its grouping/report (``x_accord_misp_objects``).

An event whose listed timestamp (the feed manifest's, the REST event's own) is the stored version of
its grouping/report is not read or converted again, so pulling the same events twice stores nothing
(and converting an event twice gives the same objects).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
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


@dataclass
class Listed:
    """One event a source offers: its uuid, the timestamp the source lists for it (None: unknown) and
    how to read it, called only when the stored version is not that timestamp (a feed reads a file,
    the REST API has the event in hand). ``read`` raises ValueError for a per-event error."""

    uuid: str
    timestamp: Any
    read: Callable[[], Any]


def pull_feed(
    engine: Engine,
    coll: Collection,
    producer: Org,
    feed: Feed,
    *,
    progress: Callable[[int], None] | None = None,
) -> PullReport:
    """A MISP feed's events, oldest first by the manifest's timestamp."""

    def read(uid: str) -> Any:
        doc = feed.event(uid)
        if isinstance(doc, dict) and not feed.hashes_match(uid, doc.get("Event", doc)):
            raise EventError(
                "its attribute values do not match the feed's hashes.csv (a changed or cut file?)"
            )
        return doc

    uuids = feed.event_uuids()
    chunks = (
        [
            Listed(u, feed.manifest[u].get("timestamp"), functools.partial(read, u))
            for u in uuids[i : i + _CHUNK]
        ]
        for i in range(0, len(uuids), _CHUNK)
    )
    return pull_events(engine, coll, producer, chunks, progress=progress)


def pull_events(
    engine: Engine,
    coll: Collection,
    producer: Org,
    chunks: Iterable[Sequence[Listed]],
    *,
    progress: Callable[[int], None] | None = None,
    source: str | None = None,
) -> PullReport:
    """Store the events of ``chunks`` (read lazily: a REST source fetches a page per chunk), each
    whole or not at all, with tombstones for what an event no longer has; the one path of every
    MISP source into a collection. An exception raised by ``chunks`` (a server that stops
    answering) stops the pull: the events of finished transactions stay stored, each whole. ``source``:
    the peer the events came from (a `--kind misp` peer), so that the sync rules treat them as any peer's
    arrivals (never sent back to it, nothing above GREEN forwarded to other peers)."""
    report = PullReport()
    batch: list[_Event] = []
    size = 0
    for chunk in chunks:
        report.events += len(chunk)
        with read_transaction(engine) as conn:
            stored = _stored_containers(conn, coll, producer, [listed.uuid for listed in chunk])
        for listed in chunk:
            event = _prepare(engine, coll, producer, listed, stored.get(listed.uuid), report)
            if progress:
                progress(1)
            if event is None:
                continue
            batch.append(event)
            size += len(event.objects)
            if size >= BATCH_OBJECTS:
                _store(engine, coll, producer, batch, report, source)
                batch, size = [], 0
    if batch:
        _store(engine, coll, producer, batch, report, source)
    return report


def _prepare(
    engine: Engine,
    coll: Collection,
    producer: Org,
    listed: Listed,
    stored: _Stored | None,
    report: PullReport,
) -> _Event | None:
    uid = listed.uuid
    try:
        if (
            stored is not None
            and listed.timestamp is not None
            and parse_us(stix_time(listed.timestamp)) == stored.version_us
        ):
            report.unchanged += 1
            return None
        converted = convert_event(listed.read())
        if converted.uuid != uid:
            raise EventError(f"the event file holds event {converted.uuid}, not {uid}")
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


def _store(
    engine: Engine,
    coll: Collection,
    producer: Org,
    batch: list[_Event],
    report: PullReport,
    source: str | None,
) -> None:
    """The batch in one transaction; when anything is refused, each event in one of its own."""
    objects = [o for event in batch for o in event.objects]
    try:
        with write_transaction(engine) as conn:
            outcomes = _add(conn, coll, producer, objects, source, stop_at_refusal=True)
            if not all(o.ok for o in outcomes):
                raise _Refused(outcomes)
    except _Refused:
        for event in batch:
            _store_one(engine, coll, producer, event, report, source)
        return
    for event in batch:
        report.deleted += event.deletes
    _count(outcomes, report)


def _add(
    conn: Connection,
    coll: Collection,
    producer: Org,
    objects: list[dict[str, Any]],
    source: str | None,
    *,
    stop_at_refusal: bool,
) -> list[Outcome]:
    """``add_objects`` a slice of BATCH_OBJECTS at a time inside the caller's one transaction: a huge
    event (tens of thousands of attributes) is still stored whole or not at all, but the write path
    holds the JSON text of a slice at a time, not of the whole event."""
    outcomes: list[Outcome] = []
    for start in range(0, len(objects), BATCH_OBJECTS):
        outcomes += add_objects(conn, coll, producer, objects[start : start + BATCH_OBJECTS], source=source)
        if stop_at_refusal and not all(o.ok for o in outcomes):
            break
    return outcomes


class _Refused(Exception):
    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes


def _store_one(
    engine: Engine, coll: Collection, producer: Org, event: _Event, report: PullReport, source: str | None
) -> None:
    try:
        with write_transaction(engine) as conn:
            outcomes = _add(conn, coll, producer, event.objects, source, stop_at_refusal=False)
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
