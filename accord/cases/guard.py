"""Which request and event objects the write path may accept, and from whom.

A request or an event is a claim that one organization asked another, or answered it. The case
index and both parties' inboxes believe it, so the write path accepts one only when the claim is
the poster's own (security issue #16):

- only in the requests collection (``service.rfa_collection``), where each case is TLP:RED;
- a request only from its requesting party (``created_by_ref`` and ``requesting_party`` name the
  producer: the posting organization, or the one standing for the peer it arrived from), to another
  known organization, TLP:RED with ``x_accord_recipients`` naming exactly the two parties; new
  versions only from the same requester, to the same party;
- an event only from one of its case's two parties (``actor`` and ``created_by_ref`` name the
  producer), marked like the case, for an action that party may take now (``states.next_state``),
  leading to the state it claims.

Objects are checked one by one before any is stored, so the cases the write has moved so far are
kept in ``index.pending_cases``: an event may follow its request, or another event, in one POST.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.cases.index import (
    CaseView,
    party_org,
    pending_cases,
    requests_collection_id,
)
from accord.cases.objects import REQUEST_TYPE
from accord.cases.states import InvalidTransition, next_state
from accord.stix.markings import TLP, marked_tlp, recipients_of
from accord.stix.timestamps import parse_us
from accord.store.admin import Collection, Org
from accord.store.schema import rfa_case, stix_object

# One answer for "no such request" and "not yours": a refusal never tells a third organization
# that a request it cannot see exists.
_NO_CASE = "refers to no request you are a party to"


def case_refusal(
    conn: Connection, coll: Collection, producer: Org, source: str | None, obj: dict[str, Any]
) -> str | None:
    """Why the request or event ``obj`` posted by ``producer`` into ``coll`` must be refused, or None.

    ``source`` is the peer the object arrived from (``producer`` then stands for that peer), None
    for a write made on this node: the rules are the same, the producer being who vouches for it.
    """
    if coll.id != requests_collection_id(conn):
        return (
            "requests for assistance go in the requests collection (alias 'requests', filed with "
            "`accord rfa file` or POST /rfa/requests), not in an ordinary collection"
        )
    if obj["type"] == REQUEST_TYPE:
        return _request_refusal(conn, producer, obj)
    return _event_refusal(conn, producer, obj)


def _is(value: Any, who: Org) -> bool:
    """Whether ``value`` is ``who``'s identity id (ignoring case, as recipients are compared)."""
    return isinstance(value, str) and value.lower() == who.identity_id.lower()


def _named(value: Any, who: Org) -> bool:
    """Whether ``value`` is ``who``'s organization name (ignoring case)."""
    return isinstance(value, str) and value.lower() == who.name.lower()


def _marking_refusal(obj: dict[str, Any], parties: tuple[Org, Org] | CaseView) -> str | None:
    """A case object must be TLP:RED and name exactly its two parties (by name or identity id)."""
    if marked_tlp(obj) != TLP.RED:
        return "a request for assistance and its events must be marked TLP:RED"
    if isinstance(parties, CaseView):
        names = [
            {parties.requester.lower(), parties.requester_identity.lower()},
            {parties.requested.lower(), parties.requested_identity.lower()},
        ]
    else:
        names = [{p.name.lower(), p.identity_id.lower()} for p in parties]
    recipients = set(recipients_of(obj))
    if not recipients <= names[0] | names[1] or not all(recipients & n for n in names):
        return "x_accord_recipients must name exactly the two parties (the requesting and requested ones)"
    return None


def _request_refusal(conn: Connection, producer: Org, obj: dict[str, Any]) -> str | None:
    requester = party_org(conn, obj.get("requesting_party"))
    if not _is(obj.get("created_by_ref"), producer) or requester is None or requester.id != producer.id:
        return (
            f"a request must be filed by its requesting party: created_by_ref and requesting_party "
            f"must name {producer.name} ({producer.identity_id}), the organization posting it"
        )
    requested = party_org(conn, obj.get("requested_party"))
    if requested is None or requested.id == producer.id:
        return "requested_party must name another organization known to this node (name and identity_ref)"
    refusal = _marking_refusal(obj, (producer, requested))
    if refusal:
        return refusal
    existing = conn.execute(
        sa.select(rfa_case.c.requester_identity, rfa_case.c.requested_identity).where(
            rfa_case.c.request_id == obj["id"]
        )
    ).first()
    if existing is not None:
        if existing.requester_identity.lower() != producer.identity_id.lower():
            return "a new version of a request may come only from the organization that filed it"
        if existing.requested_identity.lower() != requested.identity_id.lower():
            return "a new version of a request cannot change the party it is addressed to"
        return None
    pending = pending_cases(conn)
    if obj["id"] not in pending:
        pending[obj["id"]] = CaseView(
            obj["id"],
            producer.name,
            producer.identity_id,
            requested.name,
            requested.identity_id,
            obj.get("request_type") == "preservation",
            "draft" if obj.get("draft") else "submitted",
        )
    return None


def _case_view(conn: Connection, request_id: Any) -> CaseView | None:
    """The case an event refers to, as this write has left it so far (else as indexed)."""
    if not isinstance(request_id, str):
        return None
    pending = pending_cases(conn)
    if request_id in pending:
        return pending[request_id]
    row = conn.execute(sa.select(rfa_case).where(rfa_case.c.request_id == request_id)).first()
    if row is None:
        return None
    view = CaseView(
        row.request_id,
        row.requester,
        row.requester_identity,
        row.requested,
        row.requested_identity,
        row.request_type == "preservation",
        row.state,
        row.before_info,
    )
    pending[request_id] = view
    return view


def _version(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "")


def _stored(conn: Connection, producer: Org, obj: dict[str, Any]) -> bool:
    """Whether ``producer`` already stored this version of the event (a re-post, deduplicated later)."""
    try:
        version_us = parse_us(_version(obj))
    except ValueError:
        return False
    c = stix_object.c
    query = sa.select(c.stix_id).where(
        c.stix_id == obj["id"], c.producer_org_id == producer.id, c.version_us == version_us
    )
    return conn.execute(query.limit(1)).first() is not None


def _event_refusal(conn: Connection, producer: Org, obj: dict[str, Any]) -> str | None:
    view = _case_view(conn, obj.get("request_ref"))
    role = view.role_of(producer) if view is not None else None
    if view is None or role is None:
        return f"this event {_NO_CASE}"
    if not _is(obj.get("created_by_ref"), producer) or not _named(obj.get("actor"), producer):
        return (
            f"an event must be taken by the organization posting it: actor and created_by_ref "
            f"must name {producer.name} ({producer.identity_id})"
        )
    refusal = _marking_refusal(obj, view)
    if refusal:
        return refusal
    key = (obj["id"], _version(obj))
    if key in view.accepted or _stored(conn, producer, obj):
        return None  # the same event again: the write path reports it as already stored
    action = obj.get("action")
    try:
        state = next_state(
            view.state, str(action), role, preservation=view.preservation, before_info=view.before_info
        )
    except InvalidTransition as exc:
        return str(exc)
    claimed = obj.get("state")
    allowed = {state, "partially-fulfilled"} if action == "respond" else {state}
    if claimed not in allowed:
        return f"'{action}' on a request that is {view.state} leads to {state}, not {claimed!r}"
    if claimed == "needs-information":
        view.before_info = view.state
    elif action == "provide-info":
        view.before_info = None
    view.state = str(claimed)
    view.accepted.add(key)
    return None
