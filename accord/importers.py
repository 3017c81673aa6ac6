"""Bulk loading: STIX bundles, TAXII envelopes, JSON lines, and medallion's memory-backend data.

Imports go through the same write path as TAXII POSTs (validation, stamping, policy columns), in
batches of one transaction each, so an interrupted import leaves whole batches and nothing torn.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from accord.stix.markings import TLP
from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.admin import Collection, Org
from accord.store.engine import write_transaction
from accord.store.objects import Outcome, add_objects
from accord.store.schema import status, stix_object

BATCH = 5000


class ImportError_(ValueError):
    """A file that cannot be imported; the message names the file and the reason."""


@dataclass
class ImportReport:
    stored: int = 0
    already: int = 0
    failed: list[Outcome] = field(default_factory=list)
    redated: int = 0  # kept times older than the collection's newest, given the node's time instead

    def add(self, outcomes: list[Outcome]) -> None:
        for o in outcomes:
            if not o.ok:
                self.failed.append(o)
            elif o.stored:
                self.stored += 1
                self.redated += o.redated
            else:
                self.already += 1


def read_objects(path: Path) -> list[Any]:
    """Objects of a STIX bundle, a TAXII envelope, or a JSON-lines file (one object a line)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read: {exc.strerror}") from None
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            return [orjson.loads(line) for line in raw.splitlines() if line.strip()]
        except orjson.JSONDecodeError as exc:
            raise ImportError_(f"{path}: not JSON, nor JSON lines: {exc}") from None
    if isinstance(doc, dict) and isinstance(doc.get("objects"), list):
        return doc["objects"]
    if isinstance(doc, dict) and "type" in doc and "id" in doc:
        return [doc]
    raise ImportError_(f"{path}: neither a STIX bundle nor a TAXII envelope (no 'objects' list)")


def import_objects(
    engine: Engine,
    coll: Collection,
    producer: Org,
    objects: list[Any],
    *,
    progress: Callable[[int], None] | None = None,
    date_added: list[int | None] | None = None,
) -> ImportReport:
    report = ImportReport()
    if date_added is not None:  # oldest first: batches then keep each other's times (see _place_preset)
        order = sorted(range(len(objects)), key=lambda i: (date_added[i] is None, date_added[i] or 0))
        objects, date_added = [objects[i] for i in order], [date_added[i] for i in order]
    for start in range(0, len(objects), BATCH):
        batch = objects[start : start + BATCH]
        with write_transaction(engine) as conn:
            report.add(
                add_objects(
                    conn,
                    coll,
                    producer,
                    batch,
                    date_added=date_added[start : start + BATCH] if date_added else None,
                )
            )
        if progress:
            progress(len(batch))
    return report


# -- medallion ---------------------------------------------------------------------------------


@dataclass
class MedallionData:
    data: dict[str, Any]
    users: dict[str, str]


def read_medallion(path: Path) -> MedallionData:
    """A medallion configuration (users + memory backend file) or its data file alone."""
    try:
        doc = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read: {exc.strerror}") from None
    except orjson.JSONDecodeError as exc:
        raise ImportError_(f"{path}: not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ImportError_(f"{path}: not a medallion configuration or data file")
    users: dict[str, str] = {}
    if "backend" in doc:
        users = dict(doc.get("users") or {})
        filename = (doc.get("backend") or {}).get("filename")
        if not filename:
            raise ImportError_(f"{path}: the configuration names no memory-backend data file")
        data_path = (path.parent / filename) if not Path(filename).is_absolute() else Path(filename)
        return MedallionData(read_medallion(data_path).data, users)
    if not any(isinstance(v, dict) and "collections" in v for v in doc.values()):
        raise ImportError_(f"{path}: not a medallion memory-backend data file (no API root with collections)")
    return MedallionData(doc, users)


def _medallion_version(obj: dict[str, Any]) -> str | None:
    return obj.get("modified") or obj.get("created")


def import_medallion(
    engine: Engine, source: MedallionData, producer_name: str = admin.ADMIN_ORG
) -> ImportReport:
    """Load roots, collections with rights, objects with their date_added, statuses and users."""
    report = ImportReport()
    with write_transaction(engine) as conn:
        producer = admin.require_org(conn, producer_name)
        orgs = []
        for user, password in source.users.items():
            org = admin.find_org(conn, user) or admin.add_org(conn, user)
            try:
                admin.create_token(conn, org, value=password)
            except admin.AdminError:
                pass  # imported before: the same password is already this organization's token
            orgs.append(org)
    for root_name, root_data in source.data.items():
        if root_name.startswith("/") or not isinstance(root_data, dict):
            continue
        info = root_data.get("information") or {}
        with write_transaction(engine) as conn:
            root = admin.find_root(conn, root_name) or admin.add_root(
                conn,
                root_name,
                info.get("title") or root_name,
                info.get("description"),
                int(info.get("max_content_length") or admin.DEFAULT_MAX_CONTENT_LENGTH),
            )
            for entry in root_data.get("status") or []:
                _import_status(conn, root, entry)
        for coll_data in root_data.get("collections") or []:
            with write_transaction(engine) as conn:
                coll = admin.collection_by_uuid(conn, coll_data["id"]) or admin.add_collection(
                    conn,
                    root,
                    coll_data.get("title") or coll_data["id"],
                    collection_uuid=coll_data["id"],
                    alias=coll_data.get("alias"),
                    description=coll_data.get("description"),
                    default_tlp=TLP.GREEN,
                )
                read, write = bool(coll_data.get("can_read")), bool(coll_data.get("can_write"))
                for org in orgs:
                    admin.grant(conn, coll, org, read=read, write=write)
                admin.grant(conn, coll, producer, read=True, write=True)
            added = {
                (m["id"], m.get("version")): parse_us(m["date_added"])
                for m in coll_data.get("manifest") or []
                if "date_added" in m
            }
            objects = [
                {k: v for k, v in o.items() if not k.startswith("_")} if isinstance(o, dict) else o
                for o in coll_data.get("objects") or []
            ]
            dates = [added.get((o.get("id"), _medallion_version(o))) for o in objects]
            report_part = import_objects(engine, coll, producer, objects, date_added=dates)
            report.stored += report_part.stored
            report.already += report_part.already
            report.redated += report_part.redated
            report.failed.extend(report_part.failed)
    return report


def _import_status(conn: Connection, root: admin.Root, entry: dict[str, Any]) -> None:
    if conn.execute(sa.select(status.c.id).where(status.c.id == entry["id"])).first():
        return
    detail = {k: entry.get(k) or [] for k in ("successes", "failures", "pendings")}
    conn.execute(
        status.insert().values(
            id=entry["id"],
            root_id=root.id,
            org_id=None,
            request_us=_timestamp_or_zero(entry.get("request_timestamp")),
            total_count=int(entry.get("total_count") or 0),
            success_count=int(entry.get("success_count") or 0),
            failure_count=int(entry.get("failure_count") or 0),
            pending_count=int(entry.get("pending_count") or 0),
            detail=orjson.dumps(detail).decode(),
        )
    )


def iter_export(engine: Engine, coll: Collection) -> Iterator[str]:
    """Every stored version of a collection, in date_added order, as JSON text (backup order)."""
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=5000).execute(
            sa.select(stix_object.c.body)
            .where(stix_object.c.collection_id == coll.id)
            .order_by(stix_object.c.date_added_us)
        )
        for (body,) in result:
            yield body


def _timestamp_or_zero(value: Any) -> int:
    try:
        return parse_us(value)
    except ValueError:
        return 0
