"""The TAXII 2.1 endpoints (OASIS TAXII 2.1, sections 4 and 5).

Handlers are thin: authenticate, resolve the collection and the caller's rights, parse the
filters, then one store call inside one transaction. Database work runs in the thread pool.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from accord import __version__
from accord.node import Node
from accord.stix.extensions import tombstone
from accord.stix.markings import TLP
from accord.stix.timestamps import format_us
from accord.store import admin
from accord.store.admin import Collection, Principal, Root
from accord.store.engine import read_transaction, write_transaction
from accord.store.queries import Filters, select_page
from accord.sync.peers import receive
from accord.taxii import paging, params
from accord.taxii import status as status_store
from accord.taxii.auth import Authenticator
from accord.taxii.media import (
    STIX_MEDIA_TYPE,
    TAXII_MEDIA_TYPE,
    TaxiiError,
    check_accept,
    check_content_type,
    taxii_response,
)

T = TypeVar("T")
_Lookup = tuple[Root, Collection, bool, bool]
_RESERVED_ROOTS = {"taxii2"}


class TaxiiApi:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.authenticator = Authenticator(node)
        # (org, root, collection) -> (credentials counter, lookup): rights change only with the counter.
        self._writable: dict[tuple[int, str, str], tuple[str | None, _Lookup]] = {}

    async def authenticate(self, request: Request) -> Principal:
        """Every endpoint starts here: content negotiation (406), then credentials (401)."""
        check_accept(request)
        return await self.authenticator(request)

    # -- plumbing -------------------------------------------------------------------------------

    async def _read(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with read_transaction(self.node.engine) as conn:
                return fn(conn)

        return await run_in_threadpool(run)

    async def _write(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with write_transaction(self.node.engine) as conn:
                return fn(conn)

        return await run_in_threadpool(run)

    @staticmethod
    def _root(conn: Connection, request: Request) -> Root:
        name = request.path_params["root"]
        root = None if name in _RESERVED_ROOTS else admin.find_root(conn, name)
        if root is None:
            raise TaxiiError(404, "API root not found", f"there is no API root {name!r}")
        return root

    def _collection(
        self, conn: Connection, request: Request, principal: Principal
    ) -> tuple[Root, Collection, bool, bool]:
        """The collection and the caller's rights; 404 when it may neither read nor write it."""
        root = self._root(conn, request)
        key = request.path_params["collection"]
        coll = admin.find_collection(conn, root, key)
        can_read, can_write = admin.rights(conn, coll, principal.org) if coll else (False, False)
        if coll is None or not (can_read or can_write):
            raise TaxiiError(404, "Collection not found", f"there is no collection {key!r} in this API root")
        return root, coll, can_read, can_write

    async def _collection_for_post(
        self, request: Request, principal: Principal
    ) -> tuple[Root, Collection, bool, bool]:
        """``_collection`` for POSTs, remembered while the credentials counter is unchanged: a POST
        otherwise pays a transaction of its own for it before the write (GETs look it up in the
        transaction that reads the page). Only found collections are remembered."""
        key = (principal.org.id, request.path_params["root"], request.path_params["collection"])
        epoch = await self.authenticator.epoch.read()
        hit = self._writable.get(key)
        if hit is not None and hit[0] == epoch:
            return hit[1]
        found = await self._read(lambda conn: self._collection(conn, request, principal))
        if len(self._writable) >= 10_000:
            self._writable.clear()
        self._writable[key] = (epoch, found)
        return found

    def _readable(self, conn: Connection, request: Request, principal: Principal) -> Collection:
        _, coll, can_read, _ = self._collection(conn, request, principal)
        if not can_read:
            raise TaxiiError(
                403, "Forbidden", "your organization may write to this collection but not read it"
            )
        return coll

    @staticmethod
    def _base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def _paging(
        self, request: Request, principal: Principal, endpoint: str, coll: Collection, f: Filters
    ) -> tuple[int, int | None, str]:
        # The reader is part of the query: a token handed to another organization is refused, so a
        # page's end (a date_added from someone else's view) never becomes a probe.
        query = paging.fingerprint(
            endpoint,
            coll.uuid,
            principal.org.id,
            principal.peer.name if principal.peer else None,
            f.ids,
            f.types,
            f.versions,
            f.spec_versions,
            f.added_after_us,
        )
        limit = params.limit(request.query_params, self.node.settings.max_page_size)
        token = request.query_params.get("next")
        after = paging.decode(self.node.page_secret, token, query) if token else None
        return limit, after, query

    @staticmethod
    def _date_headers(rows: list[sa.Row]) -> dict[str, str]:
        if not rows:
            return {}
        return {
            "X-TAXII-Date-Added-First": format_us(rows[0].date_added_us),
            "X-TAXII-Date-Added-Last": format_us(rows[-1].date_added_us),
        }

    def _envelope_head(self, more: bool, rows: list[sa.Row], query: str) -> dict[str, Any]:
        head: dict[str, Any] = {"more": more}
        if more:
            head["next"] = paging.encode(self.node.page_secret, rows[-1].date_added_us, query)
        return head

    # -- discovery, roots, collections, status ----------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        await self.authenticate(request)
        roots = await self._read(admin.list_roots)
        base = self._base(request)
        body: dict[str, Any] = {
            "title": "Accord TAXII 2.1 server",
            "description": "Accord node: STIX 2.1 intelligence shared under enforced TLP 2.0 rules",
            "api_roots": [f"{base}/{r.name}/" for r in roots],
        }
        if any(r.name == admin.DEFAULT_ROOT for r in roots):
            body["default"] = f"{base}/{admin.DEFAULT_ROOT}/"
        return taxii_response(body)

    async def api_root(self, request: Request) -> Response:
        await self.authenticate(request)
        root = await self._read(lambda conn: self._root(conn, request))
        body: dict[str, Any] = {
            "title": root.title,
            "versions": [TAXII_MEDIA_TYPE],
            "max_content_length": root.max_content_length,
        }
        if root.description:
            body["description"] = root.description
        body["x_accord_version"] = __version__
        return taxii_response(body)

    @staticmethod
    def _collection_json(coll: Collection, can_read: bool, can_write: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": coll.uuid,
            "title": coll.title,
            "can_read": can_read,
            "can_write": can_write,
            "media_types": [STIX_MEDIA_TYPE],
        }
        if coll.description:
            body["description"] = coll.description
        if coll.alias:
            body["alias"] = coll.alias
        return body

    async def collections(self, request: Request) -> Response:
        principal = await self.authenticate(request)

        def run(conn: Connection) -> list[dict[str, Any]]:
            root = self._root(conn, request)
            listed = []
            for coll in admin.list_collections(conn, root):
                can_read, can_write = admin.rights(conn, coll, principal.org)
                if can_read or can_write:
                    listed.append(self._collection_json(coll, can_read, can_write))
            return listed

        listed = await self._read(run)
        return taxii_response({"collections": listed} if listed else {})

    async def collection(self, request: Request) -> Response:
        principal = await self.authenticate(request)
        _, coll, can_read, can_write = await self._read(
            lambda conn: self._collection(conn, request, principal)
        )
        return taxii_response(self._collection_json(coll, can_read, can_write))

    async def status(self, request: Request) -> Response:
        principal = await self.authenticate(request)

        def run(conn: Connection) -> dict[str, Any] | None:
            root = self._root(conn, request)
            return status_store.find(conn, root, principal.org, request.path_params["status"])

        found = await self._read(run)
        if found is None:
            raise TaxiiError(404, "Status not found", "no such status resource for your organization")
        return taxii_response(found)

    # -- objects ----------------------------------------------------------------------------------

    async def get_objects(self, request: Request) -> Response:
        return await self._objects_page(request, by_id=None)

    async def get_object(self, request: Request) -> Response:
        return await self._objects_page(request, by_id=request.path_params["object"])

    async def _objects_page(self, request: Request, by_id: str | None) -> Response:
        principal = await self.authenticate(request)
        f = params.filters(request.query_params, by_id=by_id)

        def run(conn: Connection) -> tuple[list[sa.Row], bool, str]:
            coll = self._readable(conn, request, principal)
            limit, after, query = self._paging(request, principal, "objects", coll, f)
            page = select_page(
                conn,
                coll.id,
                principal.reader,
                f,
                after_us=after,
                limit=limit,
                columns=("body", "date_added_us"),
            )
            return page.rows, page.more, query

        rows, more, query = await self._read(run)
        if by_id and not rows and "next" not in request.query_params and f.added_after_us is None:
            raise TaxiiError(404, "Object not found", f"no object {by_id} in this collection for you")
        head = self._envelope_head(more, rows, query)
        if not rows:
            return taxii_response(head)
        body = orjson.dumps(head)[:-1] + b',"objects":[' + ",".join(r.body for r in rows).encode() + b"]}"
        return taxii_response(body, headers=self._date_headers(rows))

    async def manifest(self, request: Request) -> Response:
        principal = await self.authenticate(request)
        f = params.filters(request.query_params)

        def run(conn: Connection) -> tuple[list[sa.Row], bool, str]:
            coll = self._readable(conn, request, principal)
            limit, after, query = self._paging(request, principal, "manifest", coll, f)
            page = select_page(
                conn,
                coll.id,
                principal.reader,
                f,
                after_us=after,
                limit=limit,
                columns=("stix_id", "date_added_us", "version", "spec_version"),
            )
            return page.rows, page.more, query

        rows, more, query = await self._read(run)
        body = self._envelope_head(more, rows, query)
        if rows:
            body["objects"] = [
                {
                    "id": r.stix_id,
                    "date_added": format_us(r.date_added_us),
                    "version": r.version,
                    "media_type": f"application/stix+json;version={r.spec_version}",
                }
                for r in rows
            ]
        return taxii_response(body, headers=self._date_headers(rows))

    async def versions(self, request: Request) -> Response:
        principal = await self.authenticate(request)
        object_id = request.path_params["object"]
        f = params.filters(request.query_params, by_id=object_id, versions_endpoint=True)

        def run(conn: Connection) -> tuple[list[sa.Row], bool, str, bool]:
            coll = self._readable(conn, request, principal)
            limit, after, query = self._paging(request, principal, "versions", coll, f)
            reader = principal.reader
            page = select_page(
                conn, coll.id, reader, f, after_us=after, limit=limit, columns=("version", "date_added_us")
            )
            exists = bool(page.rows) or bool(
                select_page(
                    conn,
                    coll.id,
                    reader,
                    Filters(ids=(object_id,), versions=("all",)),
                    after_us=None,
                    limit=1,
                    columns=("seq",),
                ).rows
            )
            return page.rows, page.more, query, exists

        rows, more, query, exists = await self._read(run)
        if not exists:
            raise TaxiiError(404, "Object not found", f"no object {object_id} in this collection for you")
        body = self._envelope_head(more, rows, query)
        if rows:
            body["versions"] = [r.version for r in rows]
        return taxii_response(body, headers=self._date_headers(rows))

    async def add_objects(self, request: Request) -> Response:
        principal = await self.authenticate(request)
        root, coll, _, can_write = await self._collection_for_post(request, principal)
        if not can_write:
            raise TaxiiError(
                403, "Forbidden", "your organization may read this collection but not write to it"
            )
        check_content_type(request)
        raw = await self._body(request, root.max_content_length)
        try:
            envelope = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise TaxiiError(400, "Malformed JSON", f"the body is not valid JSON: {exc}") from None
        if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
            raise TaxiiError(
                422,
                "Not an envelope",
                "POST a TAXII envelope or a STIX bundle: an object with an 'objects' list",
            )
        if envelope.get("type", "bundle") != "bundle":
            raise TaxiiError(
                422, "Not an envelope", f"a {envelope.get('type')!r} is neither an envelope nor a bundle"
            )
        objects = envelope["objects"]

        def run(conn: Connection) -> dict[str, Any]:
            outcomes = receive(conn, coll, principal.org, principal.peer, objects)
            return status_store.record(conn, root, principal.org, outcomes)

        result = await self._write(run)
        return taxii_response(result, status=202)

    @staticmethod
    async def _body(request: Request, max_length: int) -> bytes:
        declared = request.headers.get("content-length")
        too_large = TaxiiError(
            413, "Payload Too Large", f"this API root accepts at most {max_length} bytes per request"
        )
        if declared and declared.isdigit() and int(declared) > max_length:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_length:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    async def delete_object(self, request: Request) -> Response:
        """Delete versions of an object by storing a tombstone for them (which peers apply too)."""
        principal = await self.authenticate(request)
        object_id = request.path_params["object"]
        f = params.filters(request.query_params, by_id=object_id)
        f = Filters(
            ids=f.ids,
            versions=f.versions if "match[version]" in request.query_params else ("all",),
            spec_versions=f.spec_versions if f.spec_versions is not None else ("2.0", "2.1"),
        )

        def run(conn: Connection) -> None:
            _, coll, can_read, can_write = self._collection(conn, request, principal)
            if not (can_read and can_write):
                raise TaxiiError(
                    403, "Forbidden", "deleting needs both read and write rights on the collection"
                )
            rows = select_page(
                conn,
                coll.id,
                principal.reader,
                f,
                after_us=None,
                limit=None,
                columns=("producer_org_id", "version", "tlp", "recipients"),
            ).rows
            if not rows:
                raise TaxiiError(404, "Object not found", f"no object {object_id} in this collection for you")
            if any(r.producer_org_id != principal.org.id for r in rows):
                raise TaxiiError(403, "Forbidden", "only the organization that added an object may delete it")
            # One tombstone per visibility class (TLP, recipients) of the deleted versions, marked
            # like them: a reader learns of the deletion of exactly the versions it could see.
            classes: dict[tuple[int, str], list[str]] = {}
            for r in rows:
                classes.setdefault((r.tlp, r.recipients or ""), []).append(r.version)
            markers = [
                tombstone(object_id, versions, TLP(level), [n for n in recipients.split("|") if n])
                for (level, recipients), versions in classes.items()
            ]
            receive(conn, coll, principal.org, principal.peer, markers)

        await self._write(run)
        return Response(b"", status_code=200, media_type=TAXII_MEDIA_TYPE)
