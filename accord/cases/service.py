"""Requests for assistance as operations of an organization: file, act, list, show, review.

The command line and the HTTP API both call these, inside one write transaction each; the objects
go through the node's one write path (validation, policy columns, audit, the case index).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.cases.agreement import parse_agreement
from accord.cases.index import RFA_COLLECTION_SETTING, agreement_for
from accord.cases.objects import EXTENSION_DEFINITIONS, InvalidRequest, event_object, request_object
from accord.cases.states import CLOSED, InvalidTransition, next_state
from accord.cases.timeline import Escalation, RequestTimeline, Transition
from accord.stix.extensions import EXTENSION_DEFINITIONS as TOMBSTONE_DEFINITIONS
from accord.stix.markings import RECIPIENTS_PROPERTY, TLP, TLP2_MARKING_ID
from accord.stix.timestamps import format_us, now_us, parse_us
from accord.store import admin
from accord.store.admin import Collection, Org
from accord.store.objects import add_objects
from accord.store.schema import collection, org, rfa_agreement, rfa_case, rfa_escalation, stix_object

MIN_PRESERVATION = timedelta(days=60)


class CaseNotFound(LookupError):
    """No request with that id that the organization is a party to."""


class InvalidTLP(InvalidRequest):
    """A filing asked for a TLP other than RED: a case is only ever visible to its two parties."""


def case_tlp(text: str | TLP) -> TLP:
    """The TLP a filing asks for, which must be RED (anything less would show the case to others)."""
    try:
        level = text if isinstance(text, TLP) else TLP.parse(str(text))
    except ValueError as exc:
        raise InvalidTLP(str(exc)) from None
    if level != TLP.RED:
        raise InvalidTLP(
            f"requests for assistance are always TLP:RED to their two parties; {level.label} is not allowed"
        )
    return level


def _dt(us: int | None) -> datetime | None:
    return datetime.fromtimestamp(us / 1e6, UTC) if us is not None else None


def _iso(us: int | None) -> str | None:
    return format_us(us) if us is not None else None


def rfa_collection(conn: Connection) -> Collection:
    """The collection requests live in (TLP:RED by default), created on first use."""
    uuid = admin.get_setting(conn, RFA_COLLECTION_SETTING)
    found = admin.collection_by_uuid(conn, uuid) if uuid else None
    if found is None:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        assert root is not None
        found = admin.add_collection(
            conn,
            root,
            "Requests for assistance",
            alias="requests",
            default_tlp=TLP.RED,
            description="Requests for assistance and their answers; each case is visible to its two parties.",
        )
        admin.set_setting(conn, RFA_COLLECTION_SETTING, found.uuid)
        # The types are declared where they are used: the extension definitions travel with the cases.
        producer = admin.require_org(conn, admin.ADMIN_ORG)
        definitions = [
            dict(d, object_marking_refs=[TLP2_MARKING_ID[TLP.CLEAR]]) for d in EXTENSION_DEFINITIONS
        ]
        add_objects(conn, found, producer, definitions + TOMBSTONE_DEFINITIONS)
    return found


def _store(conn: Connection, coll: Collection, org: Org, obj: dict[str, Any]) -> None:
    outcome = add_objects(conn, coll, org, [obj])[0]
    if not outcome.ok:
        raise InvalidRequest(outcome.message or "refused by the store")


def file_request(
    conn: Connection, requester: Org, requested_name: str, fields: dict[str, Any], tlp: TLP = TLP.RED
) -> dict[str, Any]:
    """File a request from ``requester`` to the organization ``requested_name``.

    ``tlp`` must be RED (``InvalidTLP`` otherwise): it is kept as a parameter so that a caller asking
    for anything else is told so rather than silently overruled.
    """
    tlp = case_tlp(tlp)
    requested = admin.find_org(conn, requested_name)
    if requested is None:
        raise InvalidRequest(f"no organization named {requested_name!r} to send the request to")
    if requested.id == requester.id:
        raise InvalidRequest("a request must go to another organization")
    coll = rfa_collection(conn)
    for party in (requester, requested):
        admin.grant(conn, coll, party, read=True, write=True)
    obj = request_object(
        fields,
        requester=(requester.name, requester.identity_id),
        requested=(requested.name, requested.identity_id),
        tlp=tlp,
    )
    _store(conn, coll, requester, obj)
    return show(conn, requester, obj["id"])


def _case(conn: Connection, org: Org, request_id: str) -> dict[str, Any]:
    c = rfa_case.c
    row = conn.execute(
        sa.select(rfa_case).where(
            c.request_id == request_id,
            sa.or_(c.requester_identity == org.identity_id, c.requested_identity == org.identity_id),
        )
    ).first()
    if row is None:
        raise CaseNotFound(f"no request {request_id} for {org.name}")
    return dict(row._mapping)


def _objects_of(conn: Connection, case: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The request (latest version) and its events, in the time they were taken.

    Only what the parties stored counts: the request as its requester stored it, the events each
    party stored (the write guard refuses the rest; this keeps a case whole even if some got in).
    """
    request_id = case["request_id"]
    producer = sa.func.lower(org.c.identity_id)
    requester, requested = case["requester_identity"].lower(), case["requested_identity"].lower()
    rows = conn.execute(
        sa.select(stix_object.c.stix_id, stix_object.c.type, stix_object.c.body)
        .join(org, org.c.id == stix_object.c.producer_org_id)
        .where(stix_object.c.collection_id == case["collection_id"])
        .where(
            sa.or_(
                sa.and_(stix_object.c.stix_id == request_id, producer == requester),
                sa.and_(stix_object.c.about_ref == request_id, producer.in_([requester, requested])),
            )
        )
        .order_by(stix_object.c.date_added_us)
    )
    objs = [orjson.loads(r.body) for r in rows]
    request = [o for o in objs if o["id"] == request_id][-1]
    events = sorted((o for o in objs if o["id"] != request_id), key=lambda o: parse_us(o["created"]))
    return request, events


def act(conn: Connection, org: Org, request_id: str, action: str, details: dict[str, Any]) -> dict[str, Any]:
    """Take ``action`` on a request as ``org``: checked against the state machine, then recorded.

    The event is TLP:RED to the two parties whatever the request object carries: an answer (say,
    disclosed subscriber data) must never be readable more widely than the case.
    """
    case = _case(conn, org, request_id)
    role = "requester" if case["requester_identity"] == org.identity_id else "requested"
    preservation = case["request_type"] == "preservation"
    state = next_state(
        case["state"], action, role, preservation=preservation, before_info=case["before_info"]
    )
    details = {k: v for k, v in details.items() if v not in (None, "")}
    if action == "respond" and details.pop("partial", False):
        state = "partially-fulfilled"
    details.pop("partial", None)
    if action == "refuse" and not (details.get("ground") and details.get("reason")):
        raise InvalidTransition("a refusal needs a ground and reasons")
    if action in ("postpone", "need-info") and not details.get("reason"):
        raise InvalidTransition(f"'{action}' needs a reason")
    if action in ("preserve", "renew"):
        details["expires"] = _preservation_expiry(conn, case, details.get("expires"), action)
    request, _ = _objects_of(conn, case)
    event = event_object(
        request, action=action, state=state, actor=(org.name, org.identity_id), details=details
    )
    event["object_marking_refs"] = [TLP2_MARKING_ID[TLP.RED]]
    event[RECIPIENTS_PROPERTY] = sorted({case["requester_identity"], case["requested_identity"]})
    uuid = conn.execute(
        sa.select(collection.c.uuid).where(collection.c.id == case["collection_id"])
    ).scalar_one()
    coll = admin.collection_by_uuid(conn, uuid)
    assert coll is not None
    _store(conn, coll, org, event)
    return show(conn, org, request_id)


def _preservation_expiry(conn: Connection, case: dict[str, Any], given: str | None, action: str) -> str:
    """Expiry of a preservation: as given (at least 60 days ahead), else from the agreement, else 90 days."""
    now = datetime.now(UTC)
    if given:
        try:
            expires = _dt(parse_us(given))
        except ValueError as exc:
            raise InvalidTransition(f"expiry: {exc}") from None
        assert expires is not None
        if expires - now < MIN_PRESERVATION:
            raise InvalidTransition("data must be preserved for at least 60 days")
        return format_us(int(expires.timestamp() * 1e6))
    agreement = agreement_for(conn, case["requester"], case["requested"])
    if agreement is None:
        return format_us(int((now + timedelta(days=90)).timestamp() * 1e6))
    renewals = case["renewals"] + (1 if action == "renew" else 0)
    start = _dt(case["acknowledged_us"] or now_us())
    assert start is not None
    try:
        expires = agreement.preservation_expiry(case["requested"], start, renewals)
    except ValueError as exc:
        raise InvalidTransition(str(exc)) from None
    return format_us(int(expires.timestamp() * 1e6))


def summary(case: Mapping[str, Any], now: int | None = None) -> dict[str, Any]:
    """A case as people read it: parties, state, deadlines, time left, overdue."""
    now = now if now is not None else now_us()
    still_open = case["state"] not in CLOSED
    due = case["ack_due_us"] if case["acknowledged_us"] is None else case["response_due_us"]
    paused = case["paused_since_us"] is not None
    return {
        "id": case["request_id"],
        "type": case["request_type"],
        "urgency": case["urgency"],
        "from": case["requester"],
        "to": case["requested"],
        "state": case["state"],
        "submitted": _iso(case["submitted_us"]),
        "acknowledged": _iso(case["acknowledged_us"]),
        "responded": _iso(case["responded_us"]),
        "closed": _iso(case["closed_us"]),
        "acknowledgement_due": _iso(case["ack_due_us"]),
        "response_due": _iso(case["response_due_us"]),
        "clock_paused": paused,
        "overdue": bool(still_open and due is not None and due < now and not paused),
        "seconds_left": None if not still_open or due is None or paused else round((due - now) / 1e6),
        "preservation_expires": _iso(case["preservation_expires_us"]),
        "agreement": case["agreement_id"],
    }


def show(conn: Connection, org: Org, request_id: str) -> dict[str, Any]:
    case = _case(conn, org, request_id)
    request, events = _objects_of(conn, case)
    body = summary(case)
    body["request"] = request
    keys = ("created", "actor", "action", "state", "reason", "ground", "content", "expires")
    body["timeline"] = [{k: e[k] for k in keys if e.get(k) is not None} for e in events]
    body["escalations"] = [
        {"step": r.step, "deadline": r.deadline, "at": format_us(r.at_us)}
        for r in conn.execute(
            sa.select(rfa_escalation)
            .where(rfa_escalation.c.request_id == request_id)
            .order_by(rfa_escalation.c.at_us)
        )
    ]
    return body


def list_cases(
    conn: Connection,
    org: Org,
    *,
    open_only: bool = False,
    overdue: bool = False,
    mine: bool = False,
    for_me: bool = False,
    now: int | None = None,
) -> list[dict[str, Any]]:
    """The organization's cases; ``overdue`` is an indexed query on the stored deadlines."""
    now = now if now is not None else now_us()
    c = rfa_case.c
    mine_cond, for_me_cond = c.requester_identity == org.identity_id, c.requested_identity == org.identity_id
    conditions = [mine_cond if mine else for_me_cond if for_me else sa.or_(mine_cond, for_me_cond)]
    if open_only or overdue:
        conditions.append(c.state.not_in(sorted(CLOSED)))
    if overdue:
        conditions.append(c.paused_since_us.is_(None))
        conditions.append(
            sa.or_(
                sa.and_(c.acknowledged_us.is_(None), c.ack_due_us < now),
                sa.and_(c.acknowledged_us.is_not(None), c.response_due_us < now),
            )
        )
    rows = conn.execute(sa.select(rfa_case).where(*conditions).order_by(c.submitted_us.desc()))
    return [summary(r._mapping, now) for r in rows]


def timelines(conn: Connection, org: Org | None = None) -> list[RequestTimeline]:
    """Every case (of ``org``, or of the node) as a timeline for the review report and escalation."""
    query = sa.select(rfa_case)
    if org is not None:
        c = rfa_case.c
        query = query.where(
            sa.or_(c.requester_identity == org.identity_id, c.requested_identity == org.identity_id)
        )
    out = []
    for row in conn.execute(query.order_by(rfa_case.c.submitted_us)):
        case = dict(row._mapping)
        _, events = _objects_of(conn, case)
        escalations = conn.execute(
            sa.select(rfa_escalation).where(rfa_escalation.c.request_id == case["request_id"])
        )
        out.append(
            RequestTimeline(
                id=case["request_id"],
                type=case["request_type"],
                urgency=case["urgency"],
                requester=case["requester"],
                requested=case["requested"],
                submitted_at=_dt(case["submitted_us"]),
                acknowledgement_due=_dt(case["ack_due_us"]),
                response_due=_dt(case["response_due_us"]),
                transitions=_transitions(case, events),
                escalations=[Escalation(r.step, _dt(r.at_us), r.deadline) for r in escalations],
            )
        )
    return out


def _transitions(case: dict[str, Any], events: list[dict[str, Any]]) -> list[Transition]:
    """The case's history: its submission (the request object itself), then each event."""
    first = (
        [Transition("submitted", _dt(case["submitted_us"]), case["requester"])]
        if case["submitted_us"]
        else []
    )
    return first + [
        Transition(e["state"], _dt(parse_us(e["created"])), e.get("actor", ""), e.get("reason"))
        for e in events
        if e.get("action") != "submit"
    ]


def add_agreement(conn: Connection, text: str) -> str:
    """Store (or replace) a bilateral agreement given as TOML text; returns its id."""
    try:
        agreement = parse_agreement(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidRequest(f"not valid TOML: {exc}") from None
    conn.execute(rfa_agreement.delete().where(rfa_agreement.c.id == agreement.id))
    conn.execute(rfa_agreement.insert().values(id=agreement.id, toml=text))
    return agreement.id
