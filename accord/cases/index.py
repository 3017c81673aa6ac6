"""The derived index of requests for assistance, kept in step with the request and event objects.

The objects are the record (stored, audited, federated); ``rfa_case`` is what they add up to — the
state, the parties, the timestamps and the deadlines — so that "open", "overdue", "for me" are
indexed queries. It is updated in the same transaction as the objects, on every node that stores
them, whether they were filed here or arrived from a peer.

Who a request is from, and which party took a step, is the organization that stored the object
(the producer: the poster, or the organization standing for the peer it arrived from), never what
the object claims; ``accord.cases.guard`` has already refused objects whose claims differ.
"""

from __future__ import annotations

import json
import tomllib
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.cases.agreement import Agreement, NotCovered, parse_agreement
from accord.cases.objects import EVENT_TYPE, REQUEST_TYPE
from accord.cases.states import CLOSED, InvalidTransition, next_state
from accord.stix.timestamps import now_us, parse_us
from accord.store import admin
from accord.store.admin import Org
from accord.store.schema import collection, org, rfa_agreement, rfa_case

CASE_TYPES = frozenset({REQUEST_TYPE, EVENT_TYPE})
# The node setting naming the requests collection (``service.rfa_collection`` creates it).
RFA_COLLECTION_SETTING = "rfa_collection"
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


def requests_collection_id(conn: Connection) -> int | None:
    """The id of the requests collection, or None while nothing has created it (never creates it)."""
    uuid = admin.get_setting(conn, RFA_COLLECTION_SETTING)
    if uuid is None:
        return None
    return conn.execute(sa.select(collection.c.id).where(collection.c.uuid == uuid)).scalar()


def org_by_identity(conn: Connection, identity: str) -> Org | None:
    """The organization with this STIX identity id (compared ignoring case, as recipients are)."""
    row = conn.execute(sa.select(org).where(sa.func.lower(org.c.identity_id) == identity.lower())).first()
    return Org(row.id, row.name, row.identity_id) if row else None


def party_org(conn: Connection, party: Any) -> Org | None:
    """The organization a request's ``requesting_party``/``requested_party`` names, or None.

    The party is named by ``identity_ref`` (else by ``organization``); when both are given they
    must name the same organization, so a request cannot show one name and route to another.
    """
    if not isinstance(party, dict):
        return None
    ref, name = party.get("identity_ref"), party.get("organization")
    if ref is not None and not isinstance(ref, str) or name is not None and not isinstance(name, str):
        return None
    found = org_by_identity(conn, ref) if ref else None
    if found is None and not ref and name:
        row = conn.execute(sa.select(org).where(sa.func.lower(org.c.name) == name.lower())).first()
        found = Org(row.id, row.name, row.identity_id) if row else None
    if found is not None and name and name.lower() != found.name.lower():
        return None
    return found


@dataclass
class CaseView:
    """What the write guard needs of a case: its parties and where it stands, as this write moves it."""

    request_id: str
    requester: str
    requester_identity: str
    requested: str
    requested_identity: str
    preservation: bool
    state: str
    before_info: str | None = None
    accepted: set[tuple[str, str]] = field(default_factory=set)  # (event id, version) in this write

    def role_of(self, who: Org) -> str | None:
        """Which party ``who`` is (``requester`` or ``requested``), or None when it is neither."""
        identity = who.identity_id.lower()
        if identity == self.requester_identity.lower():
            return "requester"
        if identity == self.requested_identity.lower():
            return "requested"
        return None


# Cases as the objects of the write in progress leave them: the guard checks each object before any
# is stored, so an event posted with its request (or after another event) in the same call is judged
# against the state the earlier objects lead to. Kept in the connection's ``info`` (one thread uses a
# connection at a time) for the current transaction only; cleared once the objects are indexed.
_PENDING = "accord.cases.pending"


def pending_cases(conn: Connection) -> dict[str, CaseView]:
    """The cases the current write has moved but not yet indexed (request id -> view)."""
    txn = conn.get_transaction()
    if txn is None:
        return {}
    held = conn.info.get(_PENDING)
    if held is None or held[0]() is not txn:
        held = conn.info[_PENDING] = (weakref.ref(txn), {})
    return held[1]


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


def index_objects(conn: Connection, collection_id: int, objects: list[dict[str, Any]], producer: Org) -> None:
    """Fold request/event objects just stored by ``producer`` into ``rfa_case``: requests first,
    then events in the order they were stored (the order the guard checked them in).

    Only the requests collection feeds the index; the guard refuses case objects elsewhere, and
    this holds even for a path that skipped it.
    """
    conn.info.pop(_PENDING, None)
    if collection_id != requests_collection_id(conn):
        return
    for request in (o for o in objects if o["type"] == REQUEST_TYPE):
        _index_request(conn, collection_id, request, producer)
    for event in (o for o in objects if o["type"] == EVENT_TYPE):
        _apply_event(conn, event, producer)


def _index_request(conn: Connection, collection_id: int, request: dict[str, Any], producer: Org) -> None:
    if conn.execute(sa.select(rfa_case.c.request_id).where(rfa_case.c.request_id == request["id"])).first():
        return  # a new version of a request changes none of its clocks
    requester = party_org(conn, request.get("requesting_party"))
    requested = party_org(conn, request.get("requested_party"))
    if requester is None or requester.id != producer.id or requested is None or requested.id == producer.id:
        return  # not a request by the organization that stored it
    case: dict[str, Any] = {
        "request_id": request["id"],
        "collection_id": collection_id,
        "requester": producer.name,
        "requester_identity": producer.identity_id,
        "requested": requested.name,
        "requested_identity": requested.identity_id,
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


def _apply_event(conn: Connection, event: dict[str, Any], producer: Org) -> None:
    row = conn.execute(sa.select(rfa_case).where(rfa_case.c.request_id == event["request_ref"])).first()
    if row is None:
        return  # an event for a request this node does not hold
    case = dict(row._mapping)
    identity = producer.identity_id.lower()
    if identity == case["requester_identity"].lower():
        actor = "requester"
    elif identity == case["requested_identity"].lower():
        actor = "requested"
    else:
        return  # stored by an organization that is not a party: it moves nothing
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
