"""Validation of one STIX object on the write path.

``stix2.parse`` costs ~0.5 ms an object, which would cap ingest far below the node's goals, so the
write path checks here what makes an object storable and interoperable — the common properties,
identifiers, timestamps, the required properties of each STIX 2.1 type, and indicator patterns
(with ``stix2-patterns``, cached) — and reports the first problem in words a producer can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from accord.stix.markings import RECIPIENTS_PROPERTY
from accord.stix.pattern_parser import PatternSyntaxError, parse
from accord.stix.timestamps import parse_us

# Used with fullmatch: "$" would also accept a trailing newline.
_TYPE = re.compile(r"[a-z0-9][a-z0-9-]+[a-z0-9]")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_VALID_TYPES: set[str] = set()  # type names already checked: a feed uses a handful
# Identifiers already checked, with their type: references repeat (creators, markings, targets).
_VALID_IDS: dict[str, str] = {}
_PROPERTY = re.compile(r"[a-z0-9_]{3,250}|id")

SCO_TYPES = frozenset(
    {
        "artifact",
        "autonomous-system",
        "directory",
        "domain-name",
        "email-addr",
        "email-message",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "network-traffic",
        "process",
        "software",
        "url",
        "user-account",
        "windows-registry-key",
        "x509-certificate",
    }
)
# Objects that carry no `modified` (their version is `created`).
_CREATED_ONLY = frozenset({"marking-definition"})

# Required properties per STIX 2.1 type, beyond the common ones.
_REQUIRED: dict[str, tuple[str, ...]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "extension-definition": ("name", "schema", "version", "extension_types", "created_by_ref"),
    "grouping": ("context", "object_refs"),
    "identity": ("name",),
    "incident": ("name",),
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "infrastructure": ("name",),
    "intrusion-set": ("name",),
    "language-content": ("object_ref", "contents"),
    "malware": ("is_family",),
    "malware-analysis": ("product",),
    "note": ("content", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "opinion": ("opinion", "object_refs"),
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "report": ("name", "published", "object_refs"),
    "sighting": ("sighting_of_ref",),
    "threat-actor": ("name",),
    "tool": ("name",),
    "vulnerability": ("name",),
    "domain-name": ("value",),
    "email-addr": ("value",),
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "mac-addr": ("value",),
    "url": ("value",),
    "mutex": ("name",),
    "autonomous-system": ("number",),
    "windows-registry-key": (),
    "x-accord-tombstone": ("object_ref", "versions"),
    "x-accord-request": ("request_type", "requesting_party", "requested_party", "legal_basis"),
    "x-accord-request-event": ("request_ref", "action", "state", "actor"),
}
_TIMESTAMP_PROPERTIES = (
    "valid_from",
    "valid_until",
    "published",
    "first_seen",
    "last_seen",
    "first_observed",
    "last_observed",
)


@dataclass(frozen=True)
class _Shape:
    """What validating an object of one type and one set of property names involves.

    Objects of one feed share a handful of shapes, so the name checks and the choice of checks
    to run are made once per shape, not once per object.
    """

    required: tuple[str, ...]
    timestamps: tuple[str, ...]  # timestamp properties present, beyond created/modified
    lists: tuple[str, ...]  # properties present that must be lists
    has_created_by: bool
    has_markings: bool
    has_revoked: bool
    has_recipients: bool


# Keyed by the property names in the order the object lists them: building that tuple costs a
# fraction of a frozenset, and a feed writes its objects' properties in one order.
_SHAPES: dict[tuple[str, tuple[str, ...]], _Shape] = {}


def _shape(typ: str, obj: dict[str, Any], spec_version: str) -> _Shape:
    key = (typ if spec_version == "2.1" else f"{typ} 2.0", tuple(obj))
    shape = _SHAPES.get(key)
    if shape is not None:
        return shape
    names = frozenset(obj)
    for prop in names:
        if not _PROPERTY.fullmatch(prop):
            raise InvalidObject(f"property name {prop!r} is invalid (a-z, 0-9, '_', 3-250 characters)")
    shape = _Shape(
        required=_REQUIRED.get(typ, ()) if spec_version == "2.1" else (),
        timestamps=tuple(p for p in _TIMESTAMP_PROPERTIES if p in names),
        lists=tuple(p for p in ("labels", "object_refs") if p in names),
        has_created_by="created_by_ref" in names,
        has_markings="object_marking_refs" in names,
        has_revoked="revoked" in names,
        has_recipients=RECIPIENTS_PROPERTY in names,
    )
    if len(_SHAPES) < 4096:
        _SHAPES[key] = shape
    return shape


class InvalidObject(ValueError):
    """An object that cannot be stored; the message says why."""


def _check_id(value: Any, prop: str, expected_type: str | None = None) -> None:
    typ = _VALID_IDS.get(value) if isinstance(value, str) else None
    if typ is None:
        typ = _id_type(value, prop)
        if len(_VALID_IDS) >= 65536:
            _VALID_IDS.clear()
        _VALID_IDS[value] = typ
    if expected_type and typ != expected_type:
        raise InvalidObject(f"'{prop}' must reference a {expected_type}, got {value!r}")


def _id_type(value: Any, prop: str) -> str:
    """The type part of a valid identifier; InvalidObject otherwise."""
    if not isinstance(value, str) or "--" not in value:
        raise InvalidObject(f"'{prop}' must be an identifier TYPE--UUID, got {value!r}")
    typ, _, uuid = value.partition("--")
    if typ not in _VALID_TYPES:
        if not _TYPE.fullmatch(typ):
            raise InvalidObject(f"'{prop}' is not a valid STIX identifier: {value!r}")
        if len(_VALID_TYPES) < 4096:
            _VALID_TYPES.add(typ)
    if len(uuid) != 36 or not _UUID.fullmatch(uuid):
        raise InvalidObject(f"'{prop}' is not a valid STIX identifier: {value!r}")
    return typ


def _check_timestamp(obj: dict[str, Any], prop: str) -> int | None:
    if prop not in obj:
        return None
    try:
        return parse_us(obj[prop])
    except ValueError as exc:
        raise InvalidObject(f"'{prop}': {exc}") from None


# The shape of most indicator patterns: one observation of comparisons with = or != on string
# literals, joined by AND/OR. Everything this matches is valid in the STIX 2.x grammar, and matching
# it takes microseconds where the ANTLR parser takes ~0.25 ms; anything else goes to the parser.
_IDENT = r"(?!(?:true|false)\b)[a-z_][a-z0-9_]*"
_STRING = r"'[^'\\]*(?:\\['\\][^'\\]*)*'"  # unrolled: no alternation per character
_PATH = rf"(?:{_IDENT}|{_STRING})(?:\.(?:{_IDENT}|{_STRING})|\[(?:\d+|\*)\])*"
_COMPARISON = rf"(?!(?:true|false):)[a-z][a-z0-9-]*[a-z0-9]:{_PATH} ?!?= ?{_STRING}"
_SIMPLE_PATTERN = re.compile(rf"\[{_COMPARISON}(?: (?:AND|OR) {_COMPARISON})*\]")


def is_simple_valid_pattern(pattern: str) -> bool:
    return _SIMPLE_PATTERN.fullmatch(pattern) is not None


def _pattern_error(pattern: str, spec_version: str) -> str | None:
    """Syntax error of a STIX pattern, or None. The common shape is decided by a regular expression
    (no cache: most patterns of a feed are new); the parser's answers are cached."""
    if is_simple_valid_pattern(pattern):
        return None
    return _parsed_error(pattern, spec_version)


@lru_cache(maxsize=65536)
def _parsed_error(pattern: str, spec_version: str) -> str | None:
    """What the grammar says: for STIX 2.1 our parser (pattern_parser accepts exactly what stix2-patterns'
    ANTLR parser accepts, fuzz-tested, in ~10 µs instead of 0.25-4 ms), for 2.0 stix2-patterns' ANTLR
    parser of the 2.0 grammar. Cached: feeds repeat patterns."""
    if spec_version != "2.0":
        try:
            parse(pattern)
        except PatternSyntaxError as exc:
            return str(exc)
        return None
    from stix2patterns.v20.pattern import Pattern

    try:
        Pattern(pattern)
    except Exception as exc:  # the parser raises ParseException or antlr errors
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def spec_version_of(obj: dict[str, Any]) -> str:
    """The object's STIX version: explicit, else 2.1 for SCOs, else 2.0 (2.0 had no spec_version)."""
    if "spec_version" in obj:
        return obj["spec_version"]
    return "2.1" if obj.get("type") in SCO_TYPES else "2.0"


def validate(obj: Any) -> dict[str, Any]:
    """Check ``obj`` and return facts the store needs; raise InvalidObject with the reason."""
    if not isinstance(obj, dict):
        raise InvalidObject(f"an object must be a JSON object, got {type(obj).__name__}")
    typ = obj.get("type")
    if not isinstance(typ, str) or not _TYPE.fullmatch(typ) or len(typ) > 250:
        raise InvalidObject(f"'type' must be 3-250 characters of a-z, 0-9 and '-', got {typ!r}")
    if typ == "bundle":
        raise InvalidObject("a bundle cannot be stored as an object")
    _check_id(obj.get("id"), "id", typ)
    spec_version = spec_version_of(obj)
    if spec_version not in ("2.0", "2.1"):
        raise InvalidObject(f"'spec_version' must be '2.0' or '2.1', got {spec_version!r}")
    shape = _shape(typ, obj, spec_version)
    created = _check_timestamp(obj, "created")
    # A first version has modified == created, written the same: parse it once.
    modified = created if obj.get("modified") == obj.get("created") else _check_timestamp(obj, "modified")
    if typ not in SCO_TYPES:
        if created is None:
            raise InvalidObject("'created' is required")
        if modified is None and typ not in _CREATED_ONLY:
            raise InvalidObject("'modified' is required")
        if modified is not None and modified < created:
            raise InvalidObject("'modified' must not be earlier than 'created'")
    for prop in shape.required:
        if prop not in obj or obj[prop] in (None, "", []):
            raise InvalidObject(f"'{prop}' is required for a {typ}")
    for prop in shape.timestamps:
        if created is None or obj[prop] != obj["created"]:  # often valid_from == created: parsed
            _check_timestamp(obj, prop)
    if shape.has_created_by:
        _check_id(obj["created_by_ref"], "created_by_ref", "identity")
    if shape.has_markings:
        refs = obj["object_marking_refs"]
        if not isinstance(refs, list):
            raise InvalidObject("'object_marking_refs' must be a list")
        for ref in refs:
            _check_id(ref, "object_marking_refs", "marking-definition")
    for prop in shape.lists:
        if not isinstance(obj[prop], list):
            raise InvalidObject(f"'{prop}' must be a list")
    if shape.has_revoked and not isinstance(obj["revoked"], bool):
        raise InvalidObject("'revoked' must be true or false")
    if shape.has_recipients:
        recipients = obj[RECIPIENTS_PROPERTY]
        if recipients is not None and (
            not isinstance(recipients, list) or not all(isinstance(r, str) and r for r in recipients)
        ):
            raise InvalidObject(
                f"'{RECIPIENTS_PROPERTY}' must be a list of organization names or identity ids"
            )
        if recipients and any("|" in r for r in recipients):  # the stored column's separator
            raise InvalidObject(
                f"'{RECIPIENTS_PROPERTY}' entries are organization names or identity ids, never with '|'"
            )
    _check_type_specific(obj, typ, spec_version)
    return {"spec_version": spec_version, "created_us": created, "modified_us": modified}


def _check_type_specific(obj: dict[str, Any], typ: str, spec_version: str) -> None:
    if typ == "indicator" and "pattern" in obj:
        if obj.get("pattern_type", "stix") == "stix":
            if not isinstance(obj["pattern"], str):
                raise InvalidObject("'pattern' must be a string")
            error = _pattern_error(obj["pattern"], spec_version)
            if error:
                raise InvalidObject(f"invalid STIX pattern: {error}")
        if (
            "valid_until" in obj
            and "valid_from" in obj
            and parse_us(obj["valid_until"]) <= parse_us(obj["valid_from"])
        ):
            raise InvalidObject("'valid_until' must be later than 'valid_from'")
    elif typ == "relationship" and spec_version == "2.1":
        _check_id(obj["source_ref"], "source_ref")
        _check_id(obj["target_ref"], "target_ref")
    elif typ == "sighting" and "sighting_of_ref" in obj:
        _check_id(obj["sighting_of_ref"], "sighting_of_ref")
        count = obj.get("count")
        if count is not None and (not isinstance(count, int) or not 0 <= count <= 999_999_999):
            raise InvalidObject("'count' must be an integer from 0 to 999999999")
    elif typ == "x-accord-tombstone":
        _check_id(obj["object_ref"], "object_ref")
        if not isinstance(obj["versions"], list) or not all(isinstance(v, str) for v in obj["versions"]):
            raise InvalidObject("'versions' must be a list of version timestamps")
        for version in obj["versions"]:
            try:
                parse_us(version)
            except ValueError as exc:
                raise InvalidObject(f"'versions': {exc}") from None
    elif typ == "malware" and not isinstance(obj.get("is_family", False), bool):
        raise InvalidObject("'is_family' must be true or false")
