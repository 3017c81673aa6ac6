"""A MISP event -> the STIX 2.1 objects Accord stores, converted by ``misp-stix``.

What is added to misp-stix's output (and why):
- every object carries one TLP 2.0 marking, the level of ``mapping`` for the MISP element it comes
  from (misp-stix marks only the objects whose element had a tlp: tag; the event's level is a floor
  for everything in it), and ``x_accord_recipients`` when the level is RED with named recipients;
  the TLP marking-definition objects themselves are left out (standard ids);
- except the objects many events share — identities of MISP organisations and the objects made
  from galaxy clusters (ATT&CK patterns, threat actors...): reference data, stored unmarked (the
  collection's default TLP), so two events of different TLP give the same object, not two
  conflicting versions of one id;
- identities misp-stix makes for sighting organisations get the event's timestamp instead of the
  time of conversion, so converting the same event twice gives the same objects (re-pulls store
  nothing new);
- the event's grouping/report lists in ``x_accord_misp_objects`` the ids this event owns (all but
  identities, marking definitions and galaxy objects, which several events share): a later version
  of the event that no longer has one of them deletes it (``accord.misp.pull``).

Deleted attributes and objects (``deleted: true``) are dropped before conversion.
"""

from __future__ import annotations

import logging
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import orjson

from accord.misp.mapping import Sharing, sharing_of
from accord.stix.markings import RECIPIENTS_PROPERTY, TLP2_MARKING_ID, TLP_MARKING_IDS

OWNED_PROPERTY = "x_accord_misp_objects"
CONTAINER_TYPES = ("grouping", "report")
_SHARED_TYPES = frozenset({"identity", "marking-definition"})

# PyMISP logs every load error of an attribute as well as returning it: the error comes back once,
# in the per-event message, not as log noise.
logging.getLogger("pymisp").setLevel(logging.CRITICAL)


class EventError(ValueError):
    """A MISP event that cannot be converted; the message is one line."""


@dataclass
class Converted:
    uuid: str
    timestamp: str  # the event's timestamp as a STIX timestamp: the container's version
    objects: list[dict[str, Any]] = field(default_factory=list)
    container_id: str | None = None
    owned: list[str] = field(default_factory=list)
    unpublished: bool = False


def event_body(doc: Any) -> dict[str, Any]:
    """The event dict of ``{"Event": {...}}`` or of a bare event; EventError when it is neither."""
    event = doc.get("Event") if isinstance(doc, dict) and "Event" in doc else doc
    if not isinstance(event, dict):
        raise EventError("not a MISP event (expected an object with an 'Event')")
    uid = event.get("uuid")
    if not isinstance(uid, str) or not _is_uuid(uid):
        raise EventError(f"the event has no valid uuid ({uid!r})")
    if not isinstance(event.get("info"), str) or not event["info"].strip():
        raise EventError("the event has no 'info'")
    for key in ("Attribute", "Object", "Tag", "Galaxy"):
        if event.get(key) is not None and not isinstance(event[key], list):
            raise EventError(f"'{key}' must be a list")
    return event


def _is_uuid(text: str) -> bool:
    try:
        return str(uuidlib.UUID(text)) == text.lower()
    except ValueError:
        return False


def stix_time(value: Any) -> str:
    """A MISP timestamp (epoch seconds, as text or a number) as a STIX timestamp."""
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise EventError(f"the event's timestamp {value!r} is not a number of seconds") from None
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _live(elements: Any) -> list[Any]:
    return [e for e in elements or [] if not (isinstance(e, dict) and _truthy(e.get("deleted")))]


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str | int) and str(value).lower() in ("1", "true"))


def _published(event: dict[str, Any]) -> bool:
    value = event.get("published")
    return value is None or _truthy(value)


def convert_event(doc: Any) -> Converted:
    """Convert one MISP event; EventError (one line naming the cause) when it cannot be, whole."""
    event = event_body(doc)
    uid = event["uuid"]
    timestamp = stix_time(event.get("timestamp") or 0)
    if not _published(event):
        return Converted(uid, timestamp, unpublished=True)
    event = dict(event)
    event["Attribute"] = _live(event.get("Attribute"))
    objects_in = []
    for obj in _live(event.get("Object")):
        if isinstance(obj, dict):
            obj = dict(obj)
            obj["Attribute"] = _live(obj.get("Attribute"))
        objects_in.append(obj)
    event["Object"] = objects_in
    levels, galaxy_uuids = _levels(event)
    stix = _misp_stix(_without_sharing_groups(event))
    return _finish(uid, timestamp, stix, levels, galaxy_uuids)


def _without_sharing_groups(event: dict[str, Any]) -> dict[str, Any]:
    """Sharing is mapped by ``_levels``; PyMISP refuses distribution 4 without a sharing group id."""

    def plain(element: dict[str, Any]) -> dict[str, Any]:
        if str(element.get("distribution")) == "4":
            return {k: v for k, v in element.items() if k not in ("SharingGroup", "sharing_group_id")} | {
                "distribution": "0"
            }
        return element

    out = plain(event)
    out["Attribute"] = [plain(a) if isinstance(a, dict) else a for a in event["Attribute"]]
    out["Object"] = [
        plain(o) | {"Attribute": [plain(a) for a in o.get("Attribute") or [] if isinstance(a, dict)]}
        if isinstance(o, dict)
        else o
        for o in event["Object"]
    ]
    return out


def _misp_stix(event: dict[str, Any]) -> list[dict[str, Any]]:
    from misp_stix_converter import MISPtoSTIX21Parser

    parser = MISPtoSTIX21Parser()
    try:
        parser.parse_misp_event({"Event": event})
    except Exception as exc:  # misp-stix raises whatever its libraries raise on odd input
        raise EventError(f"misp-stix cannot convert it: {_one_line(exc)}") from None
    errors = [message for messages in parser.errors.values() for message in messages]
    if errors:
        raise EventError(_one_line(errors[0]) + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
    made = parser.stix_objects
    out: list[dict[str, Any]] = []
    for start in range(0, len(made), _PLAIN_CHUNK):
        out.extend(_plain(made[start : start + _PLAIN_CHUNK]))
        made[start : start + _PLAIN_CHUNK] = [None] * len(made[start : start + _PLAIN_CHUNK])
    return out


# stix2 objects -> plain dicts, as ``orjson.loads(obj.serialize())`` gives them but ~2.5 times faster
# (stix2 serializes through simplejson and a Python encoder), a chunk at a time: a huge event's
# objects are not held twice over, and the ones already made plain are let go.
_PLAIN_CHUNK = 1000


@lru_cache(maxsize=4096)
def _stix_time(value: datetime, precision: Any, constraint: Any) -> str:
    from stix2.utils import format_datetime

    return format_datetime(value)


def _stix_default(obj: Any) -> Any:
    from stix2.base import _STIXBase

    if isinstance(obj, _STIXBase):  # what stix2's STIXJSONEncoder writes: no defaulted optionals
        left_out = obj._defaulted_optional_properties
        inner = obj._inner
        return {k: v for k, v in inner.items() if k not in left_out} if left_out else inner
    if isinstance(obj, datetime):  # STIXdatetime keeps the precision it was given
        return _stix_time(obj, getattr(obj, "precision", None), getattr(obj, "precision_constraint", None))
    if isinstance(obj, date):
        from stix2.utils import format_datetime

        return format_datetime(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def _plain(objects: list[Any]) -> list[dict[str, Any]]:
    return orjson.loads(orjson.dumps(objects, default=_stix_default, option=orjson.OPT_PASSTHROUGH_DATETIME))


def _one_line(error: Any) -> str:
    raw = str(error)
    if 'File "' in raw:  # misp-stix records a traceback: its head names the element, its last line the cause
        head = raw.split('File "')[0].strip().rstrip(":").strip()
        lines = [line for line in raw.splitlines() if line.strip()]
        raw = f"{head}: {lines[-1].strip()}" if head else lines[-1]
    text = " ".join(raw.split()) or type(error).__name__
    # PyMISP lists every known attribute type after an unknown one: the name is what helps.
    if ", type has to be in " in text:
        text = text.split(", type has to be in ")[0].removesuffix(" is invalid") + ": unknown attribute type"
    return text if len(text) <= 300 else text[:297] + "..."


def _levels(event: dict[str, Any]) -> tuple[dict[str, Sharing], set[str]]:
    """The sharing of every attribute and object by uuid (and the event's under its own uuid), and
    the uuids of the galaxy clusters the event uses."""
    try:
        top = sharing_of(event)
        levels: dict[str, Sharing] = {event["uuid"]: top}
        galaxies: set[str] = set()
        _galaxy_uuids(event, galaxies)
        for attribute in event["Attribute"]:
            if isinstance(attribute, dict) and isinstance(attribute.get("uuid"), str):
                levels[attribute["uuid"]] = top.tighten(sharing_of(attribute))
                _galaxy_uuids(attribute, galaxies)
        for obj in event["Object"]:
            if not isinstance(obj, dict):
                continue
            own = top.tighten(sharing_of(obj))
            if isinstance(obj.get("uuid"), str):
                levels[obj["uuid"]] = own
            for attribute in obj.get("Attribute") or []:
                if isinstance(attribute, dict) and isinstance(attribute.get("uuid"), str):
                    attr = own.tighten(sharing_of(attribute))
                    levels[attribute["uuid"]] = attr
                    if isinstance(obj.get("uuid"), str):  # the object is as restricted as its parts
                        levels[obj["uuid"]] = levels[obj["uuid"]].tighten(attr)
                    _galaxy_uuids(attribute, galaxies)
    except ValueError as exc:
        raise EventError(str(exc)) from None
    return levels, galaxies


def _galaxy_uuids(element: dict[str, Any], into: set[str]) -> None:
    for galaxy in element.get("Galaxy") or []:
        for cluster in (galaxy.get("GalaxyCluster") or []) if isinstance(galaxy, dict) else []:
            if isinstance(cluster, dict) and isinstance(cluster.get("uuid"), str):
                into.add(cluster["uuid"])


def _uuid_of(stix_id: str) -> str:
    return stix_id.partition("--")[2]


def _finish(
    uid: str, timestamp: str, objects: list[dict[str, Any]], levels: dict[str, Sharing], galaxies: set[str]
) -> Converted:
    top = levels[uid]
    by_id = {o["id"]: o for o in objects}

    def sharing(obj: dict[str, Any], depth: int = 0) -> Sharing:
        own = levels.get(_uuid_of(obj["id"]))
        if own is not None:
            return own
        refs: list[str] = []
        if obj["type"] in ("sighting", "opinion", "note"):
            refs = [obj.get("sighting_of_ref")] if obj["type"] == "sighting" else obj.get("object_refs") or []
        elif obj["type"] == "relationship":
            refs = [obj.get("source_ref"), obj.get("target_ref")]
        result = top
        for ref in refs:
            target = by_id.get(ref) if isinstance(ref, str) else None
            if target is not None and depth < 3:
                result = result.tighten(sharing(target, depth + 1))
            elif isinstance(ref, str) and _uuid_of(ref) in levels:
                result = result.tighten(levels[_uuid_of(ref)])
        return result

    out: list[dict[str, Any]] = []
    container_id: str | None = None
    owned: list[str] = []
    for obj in objects:
        typ = obj["type"]
        if typ == "marking-definition" and obj["id"] in TLP_MARKING_IDS:
            continue
        if typ == "identity":
            obj["created"] = obj["modified"] = timestamp
        shared = typ in _SHARED_TYPES or _uuid_of(obj["id"]) in galaxies
        level = Sharing() if shared else sharing(obj)
        refs = [r for r in obj.get("object_marking_refs") or [] if r not in TLP_MARKING_IDS]
        if level.tlp is not None:
            refs.append(TLP2_MARKING_ID[level.tlp])
        if refs:
            obj["object_marking_refs"] = refs
        else:
            obj.pop("object_marking_refs", None)
        if level.recipients:
            obj[RECIPIENTS_PROPERTY] = sorted(level.recipients)
        if typ in CONTAINER_TYPES and _uuid_of(obj["id"]) == uid:
            container_id = obj["id"]
        elif not shared:
            owned.append(obj["id"])
        out.append(obj)
    if container_id is None:
        raise EventError("misp-stix made no grouping or report for the event")
    owned = sorted(set(owned))
    by_id[container_id][OWNED_PROPERTY] = owned
    return Converted(uid, timestamp, out, container_id, owned)
