"""STIX 2.1 bundle from extractions: a report per document referencing what was found.

Identifiers are random UUIDv4 as the spec recommends for SDOs; within one bundle the same value
found in several documents is a single object referenced by each report.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

from .api import Extraction
from .entities import country_name, gazetteer_aliases

# One fixed authoring identity, so every bundle Accord produces points at the same producer.
IDENTITY_ID = "identity--8d0f3a52-6c1e-4b7a-9f2d-3e5a7c9b1d04"

_PATTERNS = {
    "ipv4": "ipv4-addr:value",
    "cidr": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
    "sha512": "file:hashes.'SHA-512'",
    "file": "file:name",
    "registry": "windows-registry-key:key",
    "btc": "x-accord-crypto-wallet:address",
}


def _sid(ids: dict[str, str], kind: str, key: str) -> str:
    """A fresh UUIDv4 per distinct (type, value) within one bundle."""
    full = kind + "|" + key
    if full not in ids:
        ids[full] = f"{kind}--{uuid.uuid4()}"
    return ids[full]


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def stix_pattern(kind: str, value: str) -> str:
    """STIX pattern for one indicator value (ASNs compare a number, others a quoted string)."""
    if kind == "asn":
        return f"[autonomous-system:number = {int(value[2:])}]"
    if kind == "cidr" and ":" in value:
        return f"[ipv6-addr:value = {_quote(value)}]"
    return f"[{_PATTERNS[kind]} = {_quote(value)}]"


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _common(ids: dict[str, str], kind: str, key: str, now: str) -> dict:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": _sid(ids, kind, key),
        "created": now,
        "modified": now,
        "created_by_ref": IDENTITY_ID,
    }


def objects_for(ex: Extraction, now: str, ids: dict[str, str]) -> list[dict]:
    """The STIX objects for one document, report last."""
    objs: list[dict] = []
    for kind, values in ex.indicators.items():
        for value in values:
            if kind == "cve":
                obj = _common(ids, "vulnerability", value, now)
                obj.update(name=value, external_references=[{"source_name": "cve", "external_id": value}])
            elif kind == "attack":
                obj = _common(ids, "attack-pattern", value, now)
                obj.update(
                    name=value,
                    external_references=[{"source_name": "mitre-attack", "external_id": value}],
                )
            else:
                obj = _common(ids, "indicator", f"{kind}|{value}", now)
                obj.update(
                    name=value,
                    description=f"{kind} extracted from {ex.file}",
                    pattern=stix_pattern(kind, value),
                    pattern_type="stix",
                    valid_from=now,
                    indicator_types=["malicious-activity"],
                    labels=[kind],
                )
            objs.append(obj)
    for code in ex.entities.get("countries", []):
        obj = _common(ids, "location", code, now)
        obj.update(name=country_name(code), country=code)
        objs.append(obj)
    for kind, cls in (("organizations", "organization"), ("people", "individual")):
        for name in ex.entities.get(kind, []):
            obj = _common(ids, "identity", f"{cls}|{name}", now)
            obj.update(name=name, identity_class=cls)
            objs.append(obj)
    for name in ex.entities.get("threat_actors", []):
        obj = _common(ids, "threat-actor", name, now)
        obj.update(name=name, threat_actor_types=["crime-syndicate"])
        aliases = gazetteer_aliases("threat_actors", name)
        if aliases:
            obj["aliases"] = aliases
        objs.append(obj)
    report = _common(ids, "report", f"{ex.file}|{uuid.uuid4()}", now)
    report.update(
        name=ex.title or ex.file,
        published=now,
        lang=ex.lang,
        report_types=["threat-report"],
        object_refs=[o["id"] for o in objs] or [IDENTITY_ID],
    )
    if ex.description:
        report["description"] = ex.description
    objs.append(report)
    return objs


def to_bundle(extractions: Iterable[Extraction], now: datetime | None = None) -> dict:
    """One bundle holding every document's report plus the Accord identity that authored them."""
    stamp = _ts(now or datetime.now(UTC))
    ids: dict[str, str] = {}
    identity = {
        "type": "identity",
        "spec_version": "2.1",
        "id": IDENTITY_ID,
        "created": "2026-01-01T00:00:00.000Z",
        "modified": "2026-01-01T00:00:00.000Z",
        "name": "Accord report extraction",
        "identity_class": "system",
    }
    seen: dict[str, dict] = {IDENTITY_ID: identity}
    for ex in extractions:
        for obj in objects_for(ex, stamp, ids):
            seen.setdefault(obj["id"], obj)
    return {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": list(seen.values())}
