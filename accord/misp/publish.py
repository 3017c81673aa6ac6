"""A collection as a MISP feed, holding only what one organization may see.

The objects are read exactly as ``accord export --as ORG`` reads them: ``admin.reader_of`` (the
organization's read right and peer scope) and ``select_page`` (the policy inside the query), here
the last version of each object. They are grouped into events: each grouping/report and the objects
it refers to or owns (``x_accord_misp_objects``), with the identities they name; an object hidden
from the organization is simply absent, and so is the reference to it. Objects no grouping/report
claims (STIX written in Accord, say) make one more event for the collection. Each event is rebuilt
by ``accord.misp.to_misp`` and written by ``accord.misp.feed.write_feed``.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from accord.misp.feed import write_feed
from accord.misp.to_misp import to_misp_event
from accord.misp.to_stix import CONTAINER_TYPES, OWNED_PROPERTY, EventError
from accord.policy import Reader
from accord.stix.extensions import TOMBSTONE_TYPE
from accord.stix.timestamps import format_us, now_us
from accord.store.admin import Collection
from accord.store.engine import read_transaction
from accord.store.queries import Filters, select_page

_NAMESPACE = uuidlib.UUID("0b7c63f1-4f0e-4b43-9d0a-acc0bd00fee1")
_ABOUT = ("sighting_of_ref", "source_ref", "target_ref")


@dataclass
class PublishReport:
    events: int = 0
    objects: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def visible_objects(engine: Engine, coll: Collection, reader: Reader) -> dict[str, dict[str, Any]]:
    """The last version of every object ``reader`` may see in ``coll`` (the export --as read)."""
    with read_transaction(engine) as conn:
        rows = select_page(
            conn, coll.id, reader, Filters(versions=("last",)), after_us=None, limit=None, columns=("body",)
        ).rows
    objects: dict[str, dict[str, Any]] = {}
    for row in rows:
        obj = orjson.loads(row.body)
        if obj["type"] == TOMBSTONE_TYPE or obj["type"].startswith("x-accord-"):
            continue
        held = objects.get(obj["id"])  # one id may have a history per producer: the newest wins
        if held is None or (obj.get("modified") or "") >= (held.get("modified") or ""):
            objects[obj["id"]] = obj
    return objects


def _refs(obj: dict[str, Any]) -> Iterator[str]:
    for key, value in obj.items():
        if key.endswith("_ref") and isinstance(value, str):
            yield value
        elif key.endswith("_refs") and isinstance(value, list):
            yield from (v for v in value if isinstance(v, str))


def group_events(
    objects: dict[str, dict[str, Any]], coll: Collection
) -> Iterator[tuple[str, dict[str, Any] | None, list[dict[str, Any]]]]:
    """(event uuid, container or None, objects) per event, containers oldest first."""
    about: dict[str, list[str]] = {}
    for obj in objects.values():
        for prop in _ABOUT:
            if isinstance(obj.get(prop), str):
                about.setdefault(obj[prop], []).append(obj["id"])
        if obj["type"] in ("opinion", "note"):
            for ref in obj.get("object_refs") or []:
                about.setdefault(ref, []).append(obj["id"])
    claimed: set[str] = set()
    containers = sorted(
        (o for o in objects.values() if o["type"] in CONTAINER_TYPES),
        key=lambda o: (o.get("modified") or "", o["id"]),
    )
    for container in containers:
        refs = [r for r in container.get("object_refs") or [] if r in objects]
        if not refs:
            continue  # everything it groups is hidden from the reader (or gone)
        members = set(refs) | {r for r in container.get(OWNED_PROPERTY) or [] if r in objects}
        members |= {a for m in list(members) for a in about.get(m, ())}
        members |= {r for m in [*members, container["id"]] for r in _refs(objects.get(m, {})) if r in objects}
        members.discard(container["id"])
        claimed |= members | {container["id"]}
        shown = dict(container, object_refs=refs)
        yield container["id"].partition("--")[2], shown, [shown] + [objects[m] for m in sorted(members)]
    rest = [
        o
        for i, o in objects.items()
        if i not in claimed
        and o["type"] not in ("identity", "marking-definition")
        and not (o["type"] == "sighting" and o.get("sighting_of_ref") not in objects)
    ]  # a sighting of what is not sent has no attribute to sit on: MISP would get an empty event
    if rest:
        rest_ids = {o["id"] for o in rest}
        extra = {r for o in rest for r in _refs(o) if r in objects and r not in rest_ids}
        uid = str(uuidlib.uuid5(_NAMESPACE, coll.uuid))
        # Dated by its newest member, not now: an unchanged collection gives the same event (a push
        # finds MISP's copy as new and sends nothing).
        newest = max((o.get("modified") or o.get("created") or "") for o in rest) or format_us(now_us())
        grouping = {
            "type": "grouping",
            "spec_version": "2.1",
            "id": f"grouping--{uid}",
            "created": newest,
            "modified": newest,
            "name": f"Accord collection {coll.title}",
            "context": "unspecified",
            "object_refs": sorted(rest_ids),
        }
        yield uid, grouping, [grouping] + rest + [objects[r] for r in sorted(extra)]


def publish_feed(engine: Engine, coll: Collection, reader: Reader, out: Path) -> PublishReport:
    report = PublishReport()
    objects = visible_objects(engine, coll, reader)

    def events() -> Iterator[dict[str, Any]]:
        for uid, container, members in group_events(objects, coll):
            try:
                doc = to_misp_event(members, container)
            except EventError as exc:
                report.failed.append((uid, str(exc)))
                continue
            report.events += 1
            report.objects += len(members)
            yield doc

    write_feed(out, events())
    return report
