"""The write path for STIX objects: validate, stamp, store — per-object outcomes, one transaction.

Every object version is stored once as its JSON text, with the columns the TAXII filters and the
policy need. ``date_added`` comes from the node clock, which writers lock, so it is strictly
increasing and paging by it never repeats or skips an object.
"""

from __future__ import annotations

import hashlib
import operator
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.audit.log import record_write
from accord.cases.guard import case_refusal
from accord.cases.index import CASE_TYPES, index_objects
from accord.policy import Reader, reader_params, visible
from accord.stix.extensions import TOMBSTONE_TYPE
from accord.stix.markings import TLP, marked_tlp, recipients_of
from accord.stix.timestamps import format_us, now_us, parse_us
from accord.stix.validate import InvalidObject, validate
from accord.store.admin import Collection, Org
from accord.store.schema import collection_right, node_clock, stix_object

_CHUNK = 500  # ids per IN (...) lookup: well inside every database's parameter limit

# When this process last stored objects (monotonic clock): background work such as the value
# index waits for a pause in a burst of writes rather than compete with it.
last_write_at = 0.0

# Rows inserted since the planner's statistics were last refreshed, per database (PostgreSQL only).
_growth: dict[str, tuple[int, int]] = {}


def keep_statistics_fresh(conn: Connection, inserted: int) -> None:
    """ANALYZE stix_object on PostgreSQL once it has grown by a fifth (at least 5,000 rows).

    Autovacuum gets there too, but only a minute or more later; until then the planner believes a
    freshly loaded collection is empty and picks plans that scan it whole.
    """
    if conn.dialect.name != "postgresql":
        return
    key = str(conn.engine.url)
    since, size = _growth.get(key, (0, 0))
    since += inserted
    if since >= max(5000, size // 5):
        conn.exec_driver_sql("ANALYZE stix_object")
        size, since = size + since, 0
    _growth[key] = (since, size)


class Outcome(NamedTuple):
    """What happened to one posted object: the status resource lists these (a tuple: a POST makes
    a thousand of them)."""

    id: str | None
    version: str | None
    ok: bool
    message: str | None = None
    stored: bool = False
    date_added_us: int | None = None
    refused: bool = False  # refused by the arrival policy of a peer link (recorded by the caller)
    redated: bool = False  # an imported date_added not after the collection's newest: the node's time given


# Decides whether an object may not be accepted, from its explicit TLP marking (None when
# unmarked: the sender judged it by its own default); returns the reason.
Refusal = Callable[[dict[str, Any], TLP | None], str | None]


@dataclass(slots=True)
class _Candidate:
    obj: dict[str, Any]
    raw: bytes  # the JSON as stored (hashed for the audit record)
    body: str
    stix_id: str
    version: str
    version_us: int
    spec_version: str
    tlp: TLP
    recipients: str  # "|a|b|" as stored, "" when none
    date_added_us: int | None = None
    redated: bool = False


# Built once: a POST runs these every time, and building a statement costs more than running it.
_CLOCK_LOCK = sa.select(node_clock.c.last_us).where(node_clock.c.id == 1).with_for_update()
_CLOCK_SET = node_clock.update().where(node_clock.c.id == 1).values(last_us=sa.bindparam("new_last_us"))


# How far ahead of the wall clock the node clock may be for a writer to wait for it (imports can
# set it into the future; then the next times simply follow it).
_MAX_WAIT_US = 1_000_000


def allocate(conn: Connection, count: int) -> int:
    """Reserve ``count`` consecutive date_added values; returns the first.

    The row lock is held until the transaction ends, so writers are serialized: no reader can see
    a later date_added before an earlier one is committed. The first value is the wall clock: when
    the last write reserved times not reached yet, this one waits for them to pass (microseconds,
    as a write takes longer than the times it reserves), rather than start right after them, so
    that the next time a reader sees never tells how many times the last write used.
    """
    last = conn.execute(_CLOCK_LOCK).scalar_one()
    now = now_us()
    while last - _MAX_WAIT_US < now <= last:
        time.sleep((last - now + 1) / 1_000_000)
        now = now_us()
    first = max(now, last + 1)
    conn.execute(_CLOCK_SET, {"new_last_us": first + count - 1})
    return first


def _class_runs(fresh: list[_Candidate]) -> tuple[list[int], int]:
    """Each new row's offset from the write's first date_added, and how many times the write uses.

    Rows a reader may see or not see together (one visibility class: TLP and recipients; producer
    and source are the write's) get consecutive times from the first one, each class its own run,
    so classes of one write tie. A reader sees whole classes only: the times it sees start at the
    write's first and have no gaps, so they never count rows hidden from it. (An SCO's version is
    its time, so the write path refuses one SCO id in two classes of one write.)
    """
    if len(fresh) == 1:
        return [0], 1
    runs: dict[tuple[TLP, str], int] = {}
    offsets: list[int] = []
    for cand in fresh:
        key = (cand.tlp, cand.recipients)
        offset = runs.get(key, 0)
        runs[key] = offset + 1
        offsets.append(offset)
    return offsets, max(runs.values())


def advance_clock(conn: Connection, at_least_us: int) -> None:
    """Keep the clock ahead of date_added values imported from elsewhere."""
    conn.execute(
        node_clock.update()
        .where(node_clock.c.id == 1, node_clock.c.last_us < at_least_us)
        .values(last_us=at_least_us)
    )


def _known(
    conn: Connection, coll: Collection, producer: Org, ids: Sequence[str]
) -> tuple[set[str], dict[tuple[str, int, str], str], dict[tuple[str, int, str], str]]:
    """The ids other organizations hold (node-wide), the versions of them ``producer`` already has
    in ``coll``, and the versions other organizations have in ``coll``, with their JSON.

    One lookup by ``stix_id`` (its own index), whatever the planner thinks of the collection's size.
    The statement is plain SQL with a fixed number of placeholders (the last chunk is padded with a
    repeated id): building an expanding IN through SQLAlchemy cost more than the lookup itself.
    """
    others: set[str] = set()
    existing: dict[tuple[str, int, str], str] = {}
    theirs: dict[tuple[str, int, str], str] = {}
    sql = _known_sql(conn)
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        chunk += [chunk[0]] * (_CHUNK - len(chunk))
        for stix_id, owner, version_us, spec_version, body in conn.exec_driver_sql(sql, (coll.id, *chunk)):
            if owner != producer.id:
                others.add(stix_id)
                if body is not None:
                    theirs[(stix_id, version_us, spec_version)] = body
            elif body is not None:
                existing[(stix_id, version_us, spec_version)] = body
    return others, existing, theirs


def _known_sql(conn: Connection) -> str:
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    return (
        "SELECT stix_id, producer_org_id, version_us, spec_version, "
        f"CASE WHEN collection_id = {mark} THEN body END FROM stix_object "
        f"WHERE stix_id IN ({', '.join([mark] * _CHUNK)})"
    )


def _seen_by(conn: Connection, writer: Reader, ids: set[str]) -> set[str]:
    """Which of ``ids`` the writer can see a version of by another organization (read right on its
    collection and the policy, as over TAXII): only those may be refused as another's, so the
    answer to a write never depends on objects the writer cannot see."""
    obj = stix_object.alias("held")
    query = (
        sa.select(obj.c.stix_id)
        .distinct()
        .join(
            collection_right,
            sa.and_(
                collection_right.c.collection_id == obj.c.collection_id,
                collection_right.c.org_id == sa.bindparam("reader_org"),
                collection_right.c.can_read.is_(True),
            ),
        )
        .where(
            obj.c.stix_id.in_(sa.bindparam("ids", expanding=True)),
            obj.c.producer_org_id != sa.bindparam("reader_org"),
            visible(obj, peer=writer.peer is not None),
        )
    )
    return set(conn.execute(query, {"ids": sorted(ids), **reader_params(writer)}).scalars())


def _recipients_column(obj: dict[str, Any]) -> str:
    """The ``recipients`` column: "|a|b|" (lowercased, sorted, once each: one spelling per set, so
    it also names the object's visibility class; matched with LIKE by the policy), "" if none."""
    recipients = sorted(set(recipients_of(obj)))
    return "|" + "|".join(recipients) + "|" if recipients else ""


def _same(a: str, b: str) -> bool:
    return a == b or orjson.loads(a) == orjson.loads(b)


def add_objects(
    conn: Connection,
    coll: Collection,
    producer: Org,
    objects: Iterable[Any],
    *,
    source: str | None = None,
    date_added: Sequence[int | None] | None = None,
    refuse: Refusal | None = None,
    writer: Reader | None = None,
) -> list[Outcome]:
    """Store every valid object of ``objects``; one Outcome per object, in order.

    ``date_added`` (import only) keeps the times another server gave the objects where they come
    after the collection's newest (see ``_place_preset``); values that would collide inside the
    collection are moved forward by a microsecond.

    ``writer``: the view of an untrusted writer (a TAXII client, a peer, a console user). Each
    organization's versions of an id are a history of their own: for such a writer an id another
    organization holds is refused only where the writer can see it, otherwise the writer's object
    is stored beside it (readers select versions per (id, producer)), so the answer never depends
    on objects the writer cannot see. One exception keeps federation from echoing around a ring: an
    exact copy of another organization's version of an SDO or SRO (a random id, timestamps and every
    property: only a holder of that very version can send it) is acknowledged as already stored,
    not stored twice; SCOs, whose content anyone can write, never are. Without
    ``writer`` (the node's own operator: imports, the requests service) every id another
    organization holds is refused.
    """
    outcomes: list[Outcome | None] = []
    candidates: list[tuple[int, _Candidate]] = []
    for index, obj in enumerate(objects):
        try:
            facts = validate(obj)
        except InvalidObject as exc:
            oid = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else None
            ver = obj.get("modified") or obj.get("created") if isinstance(obj, dict) else None
            outcomes.append(Outcome(oid, ver if isinstance(ver, str) else None, False, str(exc)))
            continue
        # The version is `modified`, else `created`, else (SCOs) the date_added given on insert.
        if facts["modified_us"] is not None:
            version, version_us = obj["modified"], facts["modified_us"]
        elif facts["created_us"] is not None:
            version, version_us = obj["created"], facts["created_us"]
        else:
            version, version_us = None, -1
        marked = marked_tlp(obj)
        reason = refuse(obj, marked) if refuse else None
        if reason is None and obj["type"] in CASE_TYPES:  # requests: who may post them, and how marked
            reason = case_refusal(conn, coll, producer, source, obj)
        if reason:
            outcomes.append(Outcome(obj["id"], version, False, reason, refused=True))
            continue
        raw = orjson.dumps(obj)
        cand = _Candidate(
            obj,
            raw,
            raw.decode(),
            obj["id"],
            version or "",
            version_us,
            facts["spec_version"],
            coll.default_tlp if marked is None else marked,
            _recipients_column(obj),
        )
        if date_added is not None:
            cand.date_added_us = date_added[index]
        outcomes.append(None)
        candidates.append((index, cand))
    if not candidates:
        return [o for o in outcomes if o is not None]

    ids = sorted({c.stix_id for _, c in candidates})
    others, existing, theirs = _known(conn, coll, producer, ids)
    refused = others if writer is None or not others else _seen_by(conn, writer, others)
    to_store: list[tuple[int, _Candidate]] = []
    seen: dict[tuple[str, int, str], str] = {}
    sco_classes: dict[str, tuple[TLP, str]] = {}  # SCO id -> the visibility class it has in this write
    stored_by_id: dict[str, list[str]] | None = None
    for index, cand in candidates:
        if cand.stix_id in refused:
            outcomes[index] = Outcome(
                cand.stix_id, cand.version, False, "this object id belongs to another organization"
            )
            continue
        key = (cand.stix_id, cand.version_us, cand.spec_version)
        copy = theirs.get(key) if cand.version_us != -1 else None
        if copy is not None and _same(copy, cand.body):  # an exact copy (federation's echo) of an SDO
            outcomes[index] = Outcome(cand.stix_id, cand.version, True, "already stored")
            continue
        if cand.version_us == -1:  # SCO without timestamps: one version per content
            if stored_by_id is None:  # the stored versions by id, once per write (not a scan per SCO)
                stored_by_id = {}
                for (stored_id, _, _), body in existing.items():
                    stored_by_id.setdefault(stored_id, []).append(body)
            match = next((b for b in stored_by_id.get(cand.stix_id, ()) if _same(b, cand.body)), None)
            if match is not None:
                outcomes[index] = Outcome(cand.stix_id, None, True, "already stored")
                continue
        else:
            previous = existing.get(key) or seen.get(key)
            if previous is not None:
                if _same(previous, cand.body):
                    outcomes[index] = Outcome(cand.stix_id, cand.version, True, "already stored")
                else:
                    outcomes[index] = Outcome(
                        cand.stix_id,
                        cand.version,
                        False,
                        "a different object with this id and version is already stored "
                        "(a change needs a new 'modified')",
                    )
                continue
        if cand.version_us == -1:
            visibility = sco_classes.setdefault(cand.stix_id, (cand.tlp, cand.recipients))
            if visibility != (cand.tlp, cand.recipients):
                outcomes[index] = Outcome(
                    cand.stix_id,
                    None,
                    False,
                    "this SCO is already in this write under another marking: post each marking's "
                    "version in a write of its own (an SCO's version is the time it is added)",
                )
                continue
        seen[key] = cand.body
        to_store.append((index, cand))

    if to_store:
        global last_write_at
        last_write_at = time.monotonic()
        _insert(conn, coll, producer, to_store, source)
        for index, cand in to_store:
            version = cand.version or format_us(cand.date_added_us or 0)
            outcomes[index] = Outcome(
                cand.stix_id, version, True, None, True, cand.date_added_us, redated=cand.redated
            )
    return [o for o in outcomes if o is not None]


def _insert(
    conn: Connection,
    coll: Collection,
    producer: Org,
    to_store: list[tuple[int, _Candidate]],
    source: str | None,
) -> None:
    preset = [c for _, c in to_store if c.date_added_us is not None]
    fresh = [c for _, c in to_store if c.date_added_us is None]
    if preset:
        fresh.extend(_place_preset(conn, coll, preset))
    if fresh:
        offsets, span = _class_runs(fresh)
        first = allocate(conn, span)
        for offset, cand in zip(offsets, fresh, strict=True):
            cand.date_added_us = first + offset
    rows: list[tuple[Any, ...]] = []
    lines: list[str] = []
    tombstones: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    tlp_ints = {level: int(level) for level in TLP}
    null = _null_marker(conn)
    source_value = null if source is None else source
    coll_id, producer_id, sha256 = coll.id, producer.id, hashlib.sha256
    for _, cand in to_store:  # one pass: the row, the audit line, what needs more than a row
        obj = cand.obj
        date_added_us = cand.date_added_us
        assert date_added_us is not None
        if cand.version_us == -1:  # an SCO's version is the time it was added
            cand.version_us = date_added_us
            cand.version = format_us(date_added_us)
        typ = obj["type"]
        rows.append(
            (
                coll_id,
                cand.stix_id,
                typ,
                cand.version,
                cand.version_us,
                cand.spec_version,
                date_added_us,
                producer_id,
                source_value,
                tlp_ints[cand.tlp],
                cand.recipients or null,
                about_ref(obj) or null,
                cand.body,
            )
        )
        # "id version date_added_us sha256(JSON)": one string for the whole request keeps the audit
        # record cheap to canonicalize however many objects a request carries.
        lines.append(f"{cand.stix_id} {cand.version} {date_added_us} {sha256(cand.raw).hexdigest()}")
        if typ == TOMBSTONE_TYPE:
            tombstones.append(obj)
        elif typ in CASE_TYPES:
            cases.append(obj)
    _insert_rows(conn, rows)
    keep_statistics_fresh(conn, len(rows))
    for tomb in tombstones:
        _apply_tombstone(conn, coll, producer, tomb)
    if cases:
        index_objects(conn, coll.id, cases, producer)
    record_write(
        conn,
        "objects.add",
        {"collection": coll.uuid, "producer": producer.name, "source": source, "objects": "\n".join(lines)},
    )


# The property that names the object another one is about, per type: indexed as ``about_ref``.
_ABOUT = {
    "sighting": "sighting_of_ref",
    "x-accord-request-event": "request_ref",
    TOMBSTONE_TYPE: "object_ref",
}


# The columns of a stored row, in the order ``_insert`` builds its tuples.
_ROW = (
    "collection_id",
    "stix_id",
    "type",
    "version",
    "version_us",
    "spec_version",
    "date_added_us",
    "producer_org_id",
    "source",
    "tlp",
    "recipients",
    "about_ref",
    "body",
)
# Columns that are NULL for most objects. Python 3.11's sqlite3 binds None through its adapter
# lookup (two failed attribute lookups, each formatting an AttributeError): for three NULLs a row
# that cost more than inserting it. On SQLite these columns are bound as the integer 0 and turned
# back into NULL by NULLIF; real values are text, which never equals an integer in SQLite.
_MOSTLY_NULL = ("source", "recipients", "about_ref")
_INSERT_SQL: dict[str, tuple[str, Callable[[tuple[Any, ...]], Any] | None]] = {}


def _sqlite_insert_sql() -> str:
    """The SQLite insert, with NULLIF around the ``_MOSTLY_NULL`` columns (see there)."""
    values = ", ".join("NULLIF(?, 0)" if name in _MOSTLY_NULL else "?" for name in _ROW)
    return f"INSERT INTO stix_object ({', '.join(_ROW)}) VALUES ({values})"


def _null_marker(conn: Connection) -> Any:
    """What ``_insert`` binds for a NULL in the ``_MOSTLY_NULL`` columns on this connection."""
    return 0 if conn.dialect.name == "sqlite" else None


def _insert_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """executemany straight to the driver: on the hot path SQLAlchemy's per-row parameter
    processing costs as much as the database does. The statement is compiled once per dialect;
    rows are passed as built when the driver takes them in ``_ROW`` order (SQLite), else reshaped."""
    dialect = conn.dialect.name
    if dialect not in _INSERT_SQL:
        shape: Callable[[tuple[Any, ...]], Any] | None
        if dialect == "sqlite":
            _INSERT_SQL[dialect] = (_sqlite_insert_sql(), None)
        else:
            compiled = stix_object.insert().compile(dialect=conn.dialect, column_keys=list(_ROW))
            if not compiled.positional:
                shape = _as_mapping
            else:
                order = [_ROW.index(name) for name in compiled.positiontup or []]
                shape = None if order == list(range(len(_ROW))) else operator.itemgetter(*order)
            _INSERT_SQL[dialect] = (str(compiled), shape)
    sql, shape = _INSERT_SQL[dialect]
    conn.exec_driver_sql(sql, rows if shape is None else [shape(row) for row in rows])


def _as_mapping(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_ROW, row, strict=True))


def about_ref(obj: dict[str, Any]) -> str | None:
    """What a sighting, a request event or a tombstone refers to (None for other objects)."""
    prop = _ABOUT.get(obj["type"])
    value = obj.get(prop) if prop else None
    return value if isinstance(value, str) else None


def _apply_tombstone(conn: Connection, coll: Collection, producer: Org, tomb: dict[str, Any]) -> None:
    """Delete the versions a tombstone names, when its producer is the object's producer."""
    versions = [parse_us(v) for v in tomb["versions"]]
    conn.execute(
        stix_object.delete().where(
            stix_object.c.collection_id == coll.id,
            stix_object.c.stix_id == tomb["object_ref"],
            stix_object.c.producer_org_id == producer.id,
            stix_object.c.version_us.in_(versions),
        )
    )


def _place_preset(conn: Connection, coll: Collection, preset: list[_Candidate]) -> list[_Candidate]:
    """Keep imported date_added values that come after the collection's newest; return the others.

    A collection's date_added only grows with its storage order, so every TAXII reader that polls
    with ``added_after`` (a peer's pull link included) sees each object once: an imported time
    older than the collection's newest would be behind every such cursor, so those objects get the
    node's time instead (``redated``). A migration into a new collection keeps all its times; kept
    times that would collide move forward by a microsecond.

    The node clock is locked first, as for fresh objects: writers stay serialized, so rows commit
    in ``seq`` order and a reader following ``seq`` (sighting routing) never passes over a row that
    commits later.
    """
    conn.execute(sa.select(node_clock.c.last_us).where(node_clock.c.id == 1).with_for_update())
    newest = conn.execute(
        sa.select(sa.func.max(stix_object.c.date_added_us)).where(stix_object.c.collection_id == coll.id)
    ).scalar()
    redated: list[_Candidate] = []
    taken: set[int] = set()
    for cand in sorted(preset, key=lambda c: c.date_added_us or 0):
        value = cand.date_added_us or 0
        if newest is not None and value <= newest:
            cand.date_added_us, cand.redated = None, True
            redated.append(cand)
            continue
        while value in taken:
            value += 1
        taken.add(value)
        cand.date_added_us = value
    if taken:
        advance_clock(conn, max(taken))
    return redated
