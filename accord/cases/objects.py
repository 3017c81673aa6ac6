"""Requests for assistance and their events as STIX 2.1 objects (new SDO types declared by extension
definitions), so they are stored, policed, audited and federated like any other object.

A request (``x-accord-request``) is written once by the requesting party; every later step — an
acknowledgement, a question, an answer, a refusal — is an event (``x-accord-request-event``) written
by the party taking it. Both are TLP:RED by default and name the two parties as recipients, so only
they see the case, on one node or across a federation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from accord.cases.agreement import RequestType, Urgency
from accord.stix.extensions import ACCORD_IDENTITY
from accord.stix.markings import RECIPIENTS_PROPERTY, TLP, TLP2_MARKING_ID
from accord.stix.timestamps import format_us, now_us

REQUEST_TYPE = "x-accord-request"
EVENT_TYPE = "x-accord-request-event"
REQUEST_EXTENSION = "extension-definition--7d2e1c3a-4b5f-4c6d-8e9f-acc0bd000003"
EVENT_EXTENSION = "extension-definition--8e3f2d4b-5c6a-4d7e-9fa0-acc0bd000004"

LEGAL_BASES = ("treaty", "bilateral", "voluntary")
DATA_KINDS = ("ip", "account", "domain", "url", "hash", "email", "phone", "other")

EXTENSION_DEFINITIONS: list[dict[str, Any]] = [
    {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": REQUEST_EXTENSION,
        "created_by_ref": ACCORD_IDENTITY,
        "created": "2026-11-29T00:00:00.000Z",
        "modified": "2026-11-29T00:00:00.000Z",
        "name": "Accord request for assistance",
        "description": "A request for assistance between parties (preservation, disclosure, takedown, "
        "information...), with legal basis, data identifiers, urgency and conditions.",
        "schema": "https://github.com/accord-cti/accord/blob/main/docs/requests.md#the-request-object",
        "version": "1.0.0",
        "extension_types": ["new-sdo"],
    },
    {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": EVENT_EXTENSION,
        "created_by_ref": ACCORD_IDENTITY,
        "created": "2026-11-29T00:00:00.000Z",
        "modified": "2026-11-29T00:00:00.000Z",
        "name": "Accord request event",
        "description": "One step in the life of a request for assistance: who, when, why, and the state "
        "it leads to.",
        "schema": "https://github.com/accord-cti/accord/blob/main/docs/requests.md#events",
        "version": "1.0.0",
        "extension_types": ["new-sdo"],
    },
]

# Budapest Convention, Article 29(2): what a request for preservation must specify.
ARTICLE_29_2 = {
    "requesting_authority": "(a) the authority seeking the preservation",
    "offence": "(b) the offence under investigation",
    "summary_of_facts": "(b) a brief summary of the related facts",
    "data": "(c) the stored computer data to be preserved",
    "relationship_to_offence": "(c) the data's relationship to the offence",
    "custodian": "(d) the custodian of the data or the location of the computer system",
    "necessity": "(e) the necessity of the preservation",
    "formal_request_to_follow": "(f) that a request for mutual assistance will follow",
}


class InvalidRequest(ValueError):
    """A request that cannot be filed; the message names what is missing or wrong."""


def _now() -> str:
    return format_us(now_us())


def _marking(tlp: TLP, recipients: list[str]) -> dict[str, Any]:
    return {"object_marking_refs": [TLP2_MARKING_ID[tlp]], RECIPIENTS_PROPERTY: sorted(set(recipients))}


def check_request(fields: dict[str, Any]) -> None:
    """Refuse a request that lacks what its type needs (Article 29(2) for preservation)."""
    try:
        RequestType(fields.get("request_type"))
    except ValueError:
        kinds = ", ".join(t.value for t in RequestType)
        raise InvalidRequest(f"request type {fields.get('request_type')!r} is not one of {kinds}") from None
    try:
        Urgency(fields.get("urgency", "normal"))
    except ValueError:
        raise InvalidRequest(f"urgency must be one of {', '.join(u.value for u in Urgency)}") from None
    basis = fields.get("legal_basis") or {}
    if basis.get("kind") not in LEGAL_BASES:
        raise InvalidRequest(f"legal basis must be one of {', '.join(LEGAL_BASES)}")
    for item in fields.get("data") or []:
        if not isinstance(item, dict) or item.get("kind") not in DATA_KINDS or not item.get("value"):
            raise InvalidRequest(f"each data identifier needs a kind ({', '.join(DATA_KINDS)}) and a value")
        if item.get("timestamp"):
            stamp = datetime.fromisoformat(str(item["timestamp"]))
            if stamp.tzinfo is None:
                raise InvalidRequest(f"timestamp {item['timestamp']!r} must carry its time zone")
    if fields["request_type"] == RequestType.PRESERVATION:
        missing = [
            label
            for key, label in ARTICLE_29_2.items()
            if not fields.get(key) or (key == "formal_request_to_follow" and fields.get(key) is not True)
        ]
        if missing:
            raise InvalidRequest(
                "a preservation request must specify (Budapest Convention, Art. 29(2)): " + "; ".join(missing)
            )
    if not (fields.get("summary_of_facts") or fields.get("summary")):
        raise InvalidRequest("a summary of facts is required")


def request_object(
    fields: dict[str, Any], *, requester: tuple[str, str], requested: tuple[str, str], tlp: TLP = TLP.RED
) -> dict[str, Any]:
    """A new request filed by ``requester`` (name, identity id) to ``requested``."""
    check_request(fields)
    now = _now()
    body = {k: v for k, v in fields.items() if v not in (None, "", [])}
    body.setdefault("urgency", "normal")
    body["requesting_party"] = {
        "organization": requester[0],
        "identity_ref": requester[1],
        **(fields.get("requesting_party") or {}),
    }
    body["requested_party"] = {
        "organization": requested[0],
        "identity_ref": requested[1],
        **(fields.get("requested_party") or {}),
    }
    return {
        "type": REQUEST_TYPE,
        "spec_version": "2.1",
        "id": f"{REQUEST_TYPE}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "created_by_ref": requester[1],
        **body,
        **_marking(tlp, [requester[1], requested[1]]),
        "extensions": {REQUEST_EXTENSION: {"extension_type": "new-sdo"}},
    }


def event_object(
    request: dict[str, Any],
    *,
    action: str,
    state: str,
    actor: tuple[str, str],
    details: dict[str, Any],
    at: datetime | None = None,
) -> dict[str, Any]:
    """One step of a request, marked and addressed like the request itself."""
    when = format_us(int((at or datetime.now(UTC)).timestamp() * 1_000_000)) if at else _now()
    recipients = request.get(RECIPIENTS_PROPERTY) or []
    return {
        "type": EVENT_TYPE,
        "spec_version": "2.1",
        "id": f"{EVENT_TYPE}--{uuid.uuid4()}",
        "created": when,
        "modified": when,
        "created_by_ref": actor[1],
        "request_ref": request["id"],
        "action": action,
        "state": state,
        "actor": actor[0],
        **{k: v for k, v in details.items() if v not in (None, "", [])},
        "object_marking_refs": request.get("object_marking_refs") or [TLP2_MARKING_ID[TLP.RED]],
        RECIPIENTS_PROPERTY: recipients,
        "extensions": {EVENT_EXTENSION: {"extension_type": "new-sdo"}},
    }
