"""The derived index of requests for assistance, kept in step with the request and event objects.

The objects are the record (stored, audited, federated); ``rfa_case`` is what they add up to — the
state, the parties, the timestamps and the deadlines — so that "open", "overdue", "for me" are
indexed queries. It is updated in the same transaction as the objects, on every node that stores
them, whether they were filed here or arrived from a peer.
"""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.cases.agreement import Agreement, NotCovered, parse_agreement
from accord.cases.objects import EVENT_TYPE, REQUEST_TYPE
from accord.cases.states import CLOSED, InvalidTransition, next_state
from accord.stix.timestamps import now_us, parse_us
from accord.store.schema import rfa_agreement, rfa_case

CASE_TYPES = frozenset({REQUEST_TYPE, EVENT_TYPE})
OUTCOMES = frozenset({"fulfilled", "partially-fulfilled", "refused", "postponed", "disclosed", "preserved"})


def _dt(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


def _us(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1_000_000)


@lru_cache(maxsize=256)
def _parsed(text: str) -> Agreement:
    """Agreements are parsed once per text: indexing a request must not re-read TOML each time."""
    return parse_agreement(tomllib.loads(text))


def agreement_for(conn: Connection, a: str, b: str) -> Agreement | None:
    """The agreement whose two parties are the organizations ``a`` and ``b`` (party id = name)."""
    for (text,) in conn.execute(sa.select(rfa_agreement.c.toml)):
        agreement = _parsed(text)
        if {a, b} <= set(agreement.parties):
            return agreement
    return None


def _dues(conn: Connection, case: dict[str, Any]) -> dict[str, int | None]:
    agreement = agreement_for(conn, case["requester"], case["requested"])
    if agreement is None or case["submitted_us"] is None:
        return {"agreement_id": None, "ack_due_us": None, "response_due_us": None}
    received = _dt(case["submitted_us"])
    pauses = [(_dt(s), _dt(e) if e else None) for s, e in json.loads(case["pauses"])]
    if case["paused_since_us"]:
        pauses.append((_dt(case["paused_since_us"]), None))
    try:
        response = agreement.response_due(
            case["requested"], case["request_type"], case["urgency"], received, pauses
        )
    except NotCovered:
        response = None
    ack = agreement.acknowledgement_due(case["requested"], received)
    return {"agreement_id": agreement.id, "ack_due_us": _us(ack), "response_due_us": _us(response)}


def index_objects(conn: Connection, collection_id: int, objects: list[dict[str, Any]]) -> None:
    """Fold newly stored request/event objects into ``rfa_case`` (requests first, events by time)."""
    requests = [o for o in objects if o["type"] == REQUEST_TYPE]
    events = sorted((o for o in objects if o["type"] == EVENT_TYPE), key=lambda o: parse_us(o["created"]))
    for request in requests:
        _index_request(conn, collection_id, request)
    for event in events:
        _apply_event(conn, event)


def _index_request(conn: Connection, collection_id: int, request: dict[str, Any]) -> None:
    if conn.execute(sa.select(rfa_case.c.request_id).where(rfa_case.c.request_id == request["id"])).first():
        return  # a new version of a request changes none of its clocks
    case: dict[str, Any] = {
        "request_id": request["id"],
        "collection_id": collection_id,
        "requester": request["requesting_party"]["organization"],
        "requester_identity": request["requesting_party"]["identity_ref"],
        "requested": request["requested_party"]["organization"],
        "requested_identity": request["requested_party"]["identity_ref"],
        "request_type": request["request_type"],
        "urgency": request.get("urgency", "normal"),
        "state": "draft" if request.get("draft") else "submitted",
        "submitted_us": None if request.get("draft") else parse_us(request["created"]),
        "pauses": "[]",
        "paused_since_us": None,
        "renewals": 0,
        "updated_us": now_us(),
    }
    case.update(_dues(conn, case))
    conn.execute(rfa_case.insert().values(**case))


def _apply_event(conn: Connection, event: dict[str, Any]) -> None:
    row = conn.execute(sa.select(rfa_case).where(rfa_case.c.request_id == event["request_ref"])).first()
    if row is None:
        return  # an event for a request this node does not hold
    case = dict(row._mapping)
    actor = "requester" if event.get("created_by_ref") == case["requester_identity"] else "requested"
    try:
        state = next_state(
            case["state"],
            event["action"],
            actor,
            preservation=case["request_type"] == "preservation",
            before_info=case["before_info"],
        )
    except InvalidTransition:
        return  # kept as an object, but it does not move the case (e.g. a late duplicate from a peer)
    if event["action"] == "respond" and event.get("state") == "partially-fulfilled":
        state = "partially-fulfilled"
    at = parse_us(event["created"])
    changes: dict[str, Any] = {"state": state, "updated_us": now_us()}
    if event["action"] == "submit":
        changes["submitted_us"] = at
    if state == "acknowledged" and case["acknowledged_us"] is None:
        changes["acknowledged_us"] = at
    if state == "needs-information":
        changes |= {"before_info": case["state"], "paused_since_us": at}
    if event["action"] == "provide-info" and case["paused_since_us"]:
        pauses = json.loads(case["pauses"]) + [[case["paused_since_us"], at]]
        changes |= {"pauses": json.dumps(pauses), "paused_since_us": None, "before_info": None}
    if state in OUTCOMES and case["responded_us"] is None:
        changes["responded_us"] = at
    if state in CLOSED:
        changes["closed_us"] = at
    if event.get("expires"):
        changes["preservation_expires_us"] = parse_us(event["expires"])
    if event["action"] == "renew":
        changes["renewals"] = case["renewals"] + 1
    case.update(changes)
    if {"submitted_us", "pauses", "paused_since_us"} & changes.keys():
        changes.update(_dues(conn, case))
    conn.execute(rfa_case.update().where(rfa_case.c.request_id == case["request_id"]).values(**changes))
