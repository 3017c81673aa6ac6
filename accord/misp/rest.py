"""A MISP server's REST API, both ways: events pulled with ``/events/restSearch`` into a collection,
and what an organization may see in a collection pushed as events with ``/events/add`` and
``/events/edit``.

Pull pages ``restSearch`` from a cursor (the highest event ``timestamp`` of the last complete pull,
per collection and MISP URL, in ``node_setting``) and hands each page to ``pull.pull_events``: the
very path of a feed pull (each event whole or not at all, tombstones for deleted attributes and
unpublished events, an event whose stored version is its timestamp not converted again). MISP's
``timestamp`` filter is "greater or equal", so the events of the cursor's second come again and are
counted unchanged: an edit in the same second as the last pull is not missed.

Push reads exactly as ``accord misp feed publish --as`` (``publish.visible_objects`` and
``group_events``, the TLP table of ``mapping``), and sends each event whose instance copy is older.
Retractions travel too: MISP's edit keeps the attributes and objects an edit leaves out, so those of
the instance's copy that Accord's event no longer has (tombstoned, revoked away, or no longer visible
to the organization) are deleted (``/attributes/delete``, ``/objects/delete``: MISP's soft delete,
which its sync passes on), and an event pushed before that Accord no longer has for the organization
is deleted (``/events/delete``); which events were pushed is kept per collection and MISP URL.

``pull_rest`` and ``push_rest`` are plain functions a sync loop can call; every failure of the server
(unreachable, a timeout, a refused key, an answer that is not MISP's JSON) is one ``MispError`` line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine

from accord.misp.publish import group_events, visible_objects
from accord.misp.pull import Listed, PullReport, pull_events
from accord.misp.to_misp import reference_link_uuid, to_misp_event
from accord.misp.to_stix import EventError
from accord.policy import Reader
from accord.stix.extensions import TOMBSTONE_TYPE
from accord.stix.timestamps import parse_us
from accord.store.admin import Collection, Org, get_setting, set_setting
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import stix_object

TIMEOUT = 60.0
PAGE_EVENTS = 100  # events per restSearch page: a page is held whole while its events are converted
_CURSOR_PREFIX = "misp_pull_cursor:"
_PUSHED_PREFIX = "misp_pushed:"
_KEY_FIX = "check --key (the API key of a MISP user whose role has API access, Event Actions -> Automation)"


class MispError(ValueError):
    """The MISP server cannot be used (unreachable, the key refused, not MISP's answer); one line."""


class EventRejected(Exception):
    """MISP refused one event (its validation): reported for that event, the others go on."""


class MispClient:
    """The few MISP REST calls Accord makes, every failure turned into a MispError line."""

    def __init__(self, url: str, key: str, *, timeout: float = TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = httpx.Client(
            timeout=timeout,
            headers={"Authorization": key, "Accept": "application/json", "Content-Type": "application/json"},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> MispClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, parsed JSON) of a call; MispError when the server cannot be used at all."""
        where = f"{self.url}{path}"
        try:
            response = self.http.request(
                method, where, content=orjson.dumps(body) if body is not None else None
            )
        except httpx.TimeoutException:
            raise MispError(
                f"{where}: no answer within {self.timeout:g} s: check that MISP is up and --url"
            ) from None
        except httpx.HTTPError as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise MispError(f"{where}: cannot connect ({detail}): check --url") from None
        try:
            parsed = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise MispError(
                f"{where}: HTTP {response.status_code}, not JSON (a login page or proxy?): "
                "check that --url is the MISP base URL, e.g. https://misp.example.org"
            ) from None
        if response.status_code in (401, 403) and not _rejection(parsed):
            raise MispError(f"{where}: HTTP {response.status_code} {_message(parsed)}: {_KEY_FIX}")
        if response.status_code >= 500:
            raise MispError(f"{where}: HTTP {response.status_code} {_message(parsed)}: see MISP's error log")
        return response.status_code, parsed

    def check_key(self) -> None:
        """That the key is a MISP user's (``/users/view/me``), before anything is sent."""
        status, parsed = self._call("GET", "/users/view/me")
        if status != 200 or not isinstance(parsed, dict) or "User" not in parsed:
            raise MispError(f"{self.url}/users/view/me: HTTP {status} {_message(parsed)}: {_KEY_FIX}")

    def search(self, since: int, page: int, limit: int) -> list[dict[str, Any]]:
        """One page (1-based) of the events whose ``timestamp`` is ``since`` or later."""
        body = {
            "returnFormat": "json",
            "timestamp": since,
            "page": page,
            "limit": limit,
            "includeEventTags": True,
            "metadata": False,
        }
        status, parsed = self._call("POST", "/events/restSearch", body)
        events = parsed.get("response") if isinstance(parsed, dict) else None
        if status != 200 or not isinstance(events, list):
            raise MispError(
                f"{self.url}/events/restSearch: HTTP {status} {_message(parsed)}: "
                "not a restSearch answer ({'response': [...]}): check --url"
            )
        return [e if isinstance(e, dict) else {"Event": e} for e in events]

    def event(self, uid: str) -> dict[str, Any] | None:
        """The instance's copy of an event, None when it has none (or hides it: MISP says 404)."""
        status, parsed = self._call("GET", f"/events/view/{uid}")
        if status == 404:
            return None
        if status != 200 or not isinstance(parsed, dict) or not isinstance(parsed.get("Event"), dict):
            raise MispError(f"{self.url}/events/view/{uid}: HTTP {status} {_message(parsed)}")
        return parsed["Event"]

    def delete(self, kind: str, uid: str) -> bool:
        """Delete an attribute or object (MISP's soft delete) or an event: ``kind`` is attributes,
        objects or events. False when the instance has no such element (404); EventRejected when it
        refuses."""
        path = f"/{kind}/delete/{uid}"
        status, parsed = self._call("POST", path, {})
        if status == 404:
            return False
        if status != 200:
            raise EventRejected(f"{path}: HTTP {status} {_message(parsed)}")
        return True

    def add_sighting(self, attribute_uuid: str, timestamp: int, source: str) -> bool:
        """One sighting of an attribute (``/sightings/add/<uuid>``); False when the instance holds no
        such attribute or refuses it (the indicator was a MISP object's, or is gone there)."""
        path = f"/sightings/add/{attribute_uuid}"
        body = {"timestamp": str(timestamp), "source": source, "type": "0"}
        status, parsed = self._call("POST", path, body)
        return status == 200 and isinstance(parsed, dict) and "Sighting" in parsed

    def save(self, event: dict[str, Any], *, edit: bool) -> None:
        """``/events/add`` or ``/events/edit/<uuid>``; EventRejected when MISP refuses the event."""
        path = f"/events/edit/{event['uuid']}" if edit else "/events/add"
        status, parsed = self._call("POST", path, {"Event": event})
        if status != 200 or not isinstance(parsed, dict) or "Event" not in parsed:
            raise EventRejected(f"{path}: HTTP {status} {_message(parsed)}")


def _message(parsed: Any) -> str:
    if isinstance(parsed, dict):
        text = parsed.get("message") or parsed.get("name") or ""
        errors = parsed.get("errors")
        if errors and errors != text:
            text = f"{text} {orjson.dumps(errors).decode()}"
        return " ".join(str(text).split())
    return ""


def _rejection(parsed: Any) -> bool:
    """MISP answers 403 both for a refused key and for an event it would not save; only the
    latter carries ``saved: false`` or ``errors``."""
    return isinstance(parsed, dict) and (parsed.get("saved") is False or bool(parsed.get("errors")))


def _cursor_key(coll: Collection, url: str, prefix: str = _CURSOR_PREFIX) -> str:
    # node_setting keys are 100 characters: the URL is hashed (and kept in the value, for operators).
    return f"{prefix}{coll.uuid}:{hashlib.sha256(url.encode()).hexdigest()[:24]}"


def read_cursor(engine: Engine, coll: Collection, url: str) -> int:
    """The highest event timestamp of the last complete pull of ``url`` into ``coll`` (0: none)."""
    with read_transaction(engine) as conn:
        raw = get_setting(conn, _cursor_key(coll, url.rstrip("/")))
    return int(orjson.loads(raw)["timestamp"]) if raw else 0


def _write_cursor(engine: Engine, coll: Collection, url: str, timestamp: int) -> None:
    value = orjson.dumps({"url": url, "timestamp": timestamp}).decode()
    with write_transaction(engine) as conn:
        set_setting(conn, _cursor_key(coll, url), value)


def _timestamp(event: dict[str, Any]) -> int:
    try:
        return int(event.get("timestamp") or 0)
    except (TypeError, ValueError):
        return 0


@dataclass
class RestPull:
    report: PullReport
    since: int  # the cursor asked from
    cursor: int  # the cursor now (the next pull asks from it)
    pages: int


def pull_rest(
    engine: Engine,
    coll: Collection,
    producer: Org,
    client: MispClient,
    *,
    limit: int = PAGE_EVENTS,
    since: int | None = None,
    source: str | None = None,
) -> RestPull:
    """The events of a MISP server changed since the last pull (or since ``since``), into ``coll``
    as ``producer``; ``source``: the `--kind misp` peer they come from (pull_events).

    The cursor moves only after the last page: a pull that stops half way (MispError) asks from the
    old cursor again, and what it stored is found unchanged. An event that failed keeps the cursor at
    its timestamp, so it is asked for (and reported) again until it converts or changes."""
    if since is None:
        since = read_cursor(engine, coll, client.url)
    timestamps: dict[str, int] = {}
    pages = 0

    def chunks() -> Iterator[list[Listed]]:
        nonlocal pages
        page = 1
        while True:
            docs = client.search(since, page, limit)
            pages += 1
            listed = []
            for doc in docs:
                event = doc.get("Event") if isinstance(doc.get("Event"), dict) else doc
                uid = str(event.get("uuid") or f"(no uuid, id {event.get('id')})")
                timestamps[uid] = max(timestamps.get(uid, 0), _timestamp(event))
                listed.append(Listed(uid, event.get("timestamp"), lambda doc=doc: doc))
            yield listed
            if len(docs) < limit:
                return
            page += 1

    report = pull_events(engine, coll, producer, chunks(), source=source)
    cursor = max([since, *timestamps.values()])
    failed = [timestamps.get(uid, since) for uid, _ in report.failed]
    if failed:
        cursor = max(since, min(failed))
    if cursor != since:
        _write_cursor(engine, coll, client.url, cursor)
    return RestPull(report, since, cursor, pages)


@dataclass
class PushReport:
    events: int = 0
    added: int = 0
    edited: int = 0
    unchanged: int = 0  # the instance's copy is as new as Accord's: nothing sent
    deleted: int = 0  # attributes and objects of the instance's copies that Accord's events no longer have
    retracted: int = 0  # events pushed before that Accord no longer has for the organization
    failed: list[tuple[str, str]] = field(default_factory=list)


def _pushed(engine: Engine, coll: Collection, url: str) -> dict[str, int]:
    """The events the last push of ``coll`` to ``url`` sent or found there: uuid -> the timestamp of
    Accord's event then."""
    with read_transaction(engine) as conn:
        raw = get_setting(conn, _cursor_key(coll, url, _PUSHED_PREFIX))
    return {k: int(v) for k, v in orjson.loads(raw)["events"].items()} if raw else {}


def _write_pushed(engine: Engine, coll: Collection, url: str, events: dict[str, int]) -> None:
    value = orjson.dumps({"url": url, "events": events}).decode()
    with write_transaction(engine) as conn:
        set_setting(conn, _cursor_key(coll, url, _PUSHED_PREFIX), value)


def _elements(event: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The uuids of an event's live attributes (its own and its objects') and of its live objects."""
    live = [o for o in event.get("Object") or [] if not _deleted(o)]
    attributes = [*(event.get("Attribute") or []), *(a for o in live for a in o.get("Attribute") or [])]
    return {str(a["uuid"]) for a in attributes if a.get("uuid") and not _deleted(a)}, {
        str(o["uuid"]) for o in live if o.get("uuid")
    }


def _deleted(element: dict[str, Any]) -> bool:
    return element.get("deleted") in (True, 1, "1", "true")


def _known_uuids(engine: Engine, coll: Collection) -> set[str]:
    """The uuids of every object the collection holds or has tombstoned, whoever may see it (misp-stix
    gives a STIX object its MISP element's uuid). Only such elements are deleted in MISP: one Accord
    never had (an attribute the conversion left out, one added in MISP) is not Accord's to retract."""
    with read_transaction(engine) as conn:
        rows = conn.execute(
            select(stix_object.c.stix_id, stix_object.c.about_ref).where(
                stix_object.c.collection_id == coll.id
            )
        )
        known = set()
        for stix_id, about in rows:
            known.add(stix_id.partition("--")[2])
            if about and stix_id.startswith(TOMBSTONE_TYPE):
                known.add(about.partition("--")[2])
    return known


def _reference_links_held(held: dict[str, Any] | None, container: dict[str, Any] | None) -> set[str]:
    """The uuids of the copy's ``link`` attributes that a push made of the container's external
    references (no stored object has them): Accord's to retract when the reference is dropped."""
    if held is None or container is None:
        return set()
    return {
        uid
        for a in held.get("Attribute") or []
        if a.get("type") == "link"
        and (uid := str(a.get("uuid"))) == reference_link_uuid(container["id"], str(a.get("value")))
    }


def _stale(held: dict[str, Any], event: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, uuid) of what the instance's copy has and Accord's event no longer has: whole objects
    first, then attributes outside them."""
    held_attributes, held_objects = _elements(held)
    attributes, objects = _elements(event)
    gone_objects = held_objects - objects
    inside = {
        str(a["uuid"])
        for o in held.get("Object") or []
        if str(o.get("uuid")) in gone_objects
        for a in o.get("Attribute") or []
    }
    return [("objects", u) for u in sorted(gone_objects)] + [
        ("attributes", u) for u in sorted(held_attributes - attributes - inside)
    ]


def misp_sightings(client: MispClient) -> Callable[[list[str]], int]:
    """``route_sightings``'s sender for a MISP peer: each STIX sighting of an indicator pulled from it
    as one MISP sighting of the attribute (misp-stix gives the indicator the attribute's uuid), dated
    its ``last_seen`` (else ``first_seen``, ``created``), its source the sighter's identity id."""

    def send(bodies: list[str]) -> int:
        taken = 0
        for body in bodies:
            sighting = orjson.loads(body)
            ref = str(sighting.get("sighting_of_ref") or "")
            when = sighting.get("last_seen") or sighting.get("first_seen") or sighting.get("created")
            if not ref.startswith("indicator--") or not isinstance(when, str):
                continue
            source = str(sighting.get("created_by_ref") or "accord")
            taken += client.add_sighting(ref.partition("--")[2], parse_us(when) // 1_000_000, source)
        return taken

    return send


def push_rest(engine: Engine, coll: Collection, reader: Reader, client: MispClient) -> PushReport:
    """What ``reader`` may see in ``coll``, as MISP events, to a MISP server: ``/events/add`` for an
    event it does not have, ``/events/edit/<uuid>`` for one whose copy there is older; what the copy
    has beyond Accord's event deleted, and events pushed before that are gone deleted."""
    client.check_key()
    report = PushReport()
    before = _pushed(engine, coll, client.url)
    now: dict[str, int] = {}
    known: set[str] | None = None  # read when some event has something to retract
    objects = visible_objects(engine, coll, reader)
    for uid, container, members in group_events(objects, coll):
        report.events += 1
        try:
            event = dict(to_misp_event(members, container)["Event"])
        except EventError as exc:
            report.failed.append((uid, str(exc)))
            continue
        event.pop("_hashes", None)  # the feed's extras, not MISP's event
        event.pop("_manifest", None)
        # Accord holds only published events (an unpublished one is tombstoned on pull): sent as MISP
        # sends a published event to another instance.
        event["published"] = True
        ours = _timestamp(event)
        held = client.event(uid)
        stale = _stale(held, event) if held is not None else []
        if stale and known is None:
            known = _known_uuids(engine, coll)
        links = _reference_links_held(held, container) if stale else set()
        try:
            deleted = 0
            for kind, ref in stale:
                if ref in known or ref in links:  # type: ignore[operator]
                    deleted += client.delete(kind, ref)
            report.deleted += deleted
            if held is not None:
                # Changed since the last push (else, never pushed from here: newer than the copy). MISP
                # moves its copy's timestamp on every change made there (a delete above included), and
                # takes an edit only when newer: the edit is dated after the copy.
                last = before.get(uid)
                if ours <= last if last is not None else ours <= _timestamp(held):
                    report.unchanged += 1
                    now[uid] = ours
                    continue
                if deleted:
                    held = client.event(uid) or held
                event["timestamp"] = str(max(ours, _timestamp(held) + 1))
            client.save(event, edit=held is not None)
        except EventRejected as exc:
            report.failed.append((uid, str(exc)))
            if uid in before:
                now[uid] = before[uid]
            continue
        now[uid] = ours
        if held is None:
            report.added += 1
        else:
            report.edited += 1
    for uid in sorted(before.keys() - now.keys()):  # pushed before, no longer Accord's for this org
        try:
            report.retracted += client.delete("events", uid)
        except EventRejected as exc:
            report.failed.append((uid, str(exc)))
            now[uid] = before[uid]  # asked again next time
    if now != before:
        _write_pushed(engine, coll, client.url, now)
    return report
