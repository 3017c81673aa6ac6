"""Deterministic STIX objects for tests (valid STIX 2.1, built as plain dicts)."""

from __future__ import annotations

import uuid
from typing import Any

from accord.stix.markings import TLP, TLP2_MARKING_ID

_NS = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


def stix_id(kind: str, name: str) -> str:
    return f"{kind}--{uuid.uuid5(_NS, name)}"


def indicator(
    name: str,
    *,
    modified: str = "2026-01-01T00:00:00.000Z",
    created: str = "2026-01-01T00:00:00.000Z",
    tlp: TLP | None = None,
    recipients: list[str] | None = None,
    value: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id("indicator", name),
        "created": created,
        "modified": modified,
        "name": name,
        "pattern": f"[domain-name:value = '{value or name + '.example.com'}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }
    if tlp is not None:
        obj["object_marking_refs"] = [TLP2_MARKING_ID[tlp]]
    if recipients is not None:
        obj["x_accord_recipients"] = recipients
    obj.update(extra)
    return obj


def envelope(*objects: dict[str, Any]) -> dict[str, Any]:
    return {"objects": list(objects)}
