"""Accord's own STIX object types, declared with STIX 2.1 extension definitions.

A tombstone records that its producer deleted versions of an object. It travels between nodes like
any object, so a deletion reaches every node that holds the object, and each node applies it.
"""

from __future__ import annotations

import uuid
from typing import Any

from accord.stix.markings import RECIPIENTS_PROPERTY, TLP, TLP2_MARKING_ID
from accord.stix.timestamps import format_us, now_us

ACCORD_IDENTITY = "identity--0a6b4c1e-2f5e-5a3c-9a7d-acc0bd000001"
TOMBSTONE_TYPE = "x-accord-tombstone"
TOMBSTONE_EXTENSION = "extension-definition--5b3a8f0e-7c1d-4e2a-9f6b-acc0bd000002"

EXTENSION_DEFINITIONS: list[dict[str, Any]] = [
    {
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": TOMBSTONE_EXTENSION,
        "created_by_ref": ACCORD_IDENTITY,
        "created": "2026-11-29T00:00:00.000Z",
        "modified": "2026-11-29T00:00:00.000Z",
        "name": "Accord tombstone",
        "description": "Records that the producer of an object deleted the listed versions of it; nodes that "
        "hold the object delete those versions when the tombstone arrives.",
        "schema": "https://github.com/accord-cti/accord/blob/main/docs/federation.md#tombstones",
        "version": "1.0.0",
        "extension_types": ["new-sdo"],
    }
]


def tombstone(object_ref: str, versions: list[str], tlp: TLP, recipients: list[str]) -> dict[str, Any]:
    """A tombstone for ``versions`` of ``object_ref``, all of one visibility class, marked like them."""
    now = format_us(now_us())
    obj: dict[str, Any] = {
        "type": TOMBSTONE_TYPE,
        "spec_version": "2.1",
        "id": f"{TOMBSTONE_TYPE}--{uuid.uuid4()}",
        "created": now,
        "modified": now,
        "object_ref": object_ref,
        "versions": sorted(versions),
        "object_marking_refs": [TLP2_MARKING_ID[tlp]],
        "extensions": {TOMBSTONE_EXTENSION: {"extension_type": "new-sdo"}},
    }
    if recipients:
        obj[RECIPIENTS_PROPERTY] = sorted(set(recipients))
    return obj
