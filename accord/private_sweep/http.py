"""The private-sweep endpoint beside TAXII: same credentials, TAXII error objects, JSON bodies.

    GET  /private-sweep/           the caller's published set, key and quota (caller: a peer org)
    POST /private-sweep/evaluate   {"request_id", "key_id", "elements": [base64 ...]} -> evaluations

A request is checked against the quota and the request ids seen (read only: a replayed or
over-quota batch is refused before any evaluation), then evaluated with each element's validation
done by the multiplication's own decoding (a malformed element → 400, nothing charged), then charged
in one short write transaction that checks both again (CPU work holds no database lock; a request
that loses a race there gets its refusal, not its evaluation). Concurrent requests are evaluated on
as many threads (libsodium releases the GIL), so a partner with batches in flight uses every core.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from typing import Any

import orjson
import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accord.node import Node
from accord.private_sweep import keys, oprf, published, quota
from accord.private_sweep.protected import latest_indicators, protect
from accord.store.admin import Principal
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import stix_object
from accord.taxii.auth import Authenticator
from accord.taxii.media import TaxiiError, check_accept, taxii_response

MAX_BATCH = 4096  # elements per request: ~190 kB of request, one evaluation of ~1 s on one core
_MAX_BODY = 64 * MAX_BATCH + 4096
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class PrivateSweepApi:
    def __init__(self, node: Node, authenticator: Authenticator) -> None:
        self.node = node
        self.authenticate = authenticator
        # peer id -> (key id, collection state, encoded entries): the set costs one PRF per value
        self._sets: dict[int, tuple[str, tuple[int, int], list[list[str]], list[str]]] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("/private-sweep/", self.get_set, methods=["GET"]),
            Route("/private-sweep/evaluate", self.evaluate, methods=["POST"]),
        ]

    async def _caller(self, request: Request) -> tuple[Principal, keys.PrivateSweep]:
        check_accept(request)
        principal = await self.authenticate(request)

        def run() -> keys.PrivateSweep | None:
            with read_transaction(self.node.engine) as conn:
                return keys.for_org(conn, principal.org.id)

        ps = await run_in_threadpool(run)
        if ps is None:
            raise TaxiiError(
                403, "Forbidden", f"{principal.org.name} is not a peer allowed to sweep privately here"
            )
        try:
            oprf.require()
        except oprf.LibraryMissing as exc:  # the node runs without libsodium: say so, in one line
            raise TaxiiError(503, "Private sweep unavailable", str(exc)) from None
        return principal, ps

    def _entries(self, ps: keys.PrivateSweep) -> tuple[list[list[str]], list[str], int, bytes]:
        """The encoded set (cached while the key and the collection are unchanged), kinds, quota left,
        public key."""
        with read_transaction(self.node.engine) as conn:
            state = tuple(
                conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(stix_object.c.seq), 0), sa.func.count()).where(
                        stix_object.c.collection_id == ps.collection_id
                    )
                ).one()
            )
            left = quota.left(conn, ps)
            holder = ps.holder(conn)
            cached = self._sets.get(ps.peer_id)
            if cached is not None and cached[0] == ps.key_id and cached[1] == state:
                return cached[2], cached[3], left, holder.public_key
            prot = protect(latest_indicators(conn, ps.collection_id))
        entries = [[_b64(t), _b64(s)] for t, s in published.build(holder, prot.values)]
        kinds = sorted(prot.kinds)
        with self._lock:
            self._sets[ps.peer_id] = (ps.key_id, state, entries, kinds)  # type: ignore[assignment]
        return entries, kinds, left, holder.public_key

    async def get_set(self, request: Request) -> Response:
        _principal, ps = await self._caller(request)
        entries, kinds, left, public_key = await run_in_threadpool(self._entries, ps)
        body = {
            "suite": oprf.SUITE,
            "mode": oprf.MODE,
            "key_id": ps.key_id,
            "public_key": _b64(public_key),
            "kinds": kinds,
            "max_batch": MAX_BATCH,
            "daily_quota": ps.daily_quota,
            "quota_left": left,
            "entries": entries,
        }
        return taxii_response(body)

    @staticmethod
    def _parse(raw: bytes) -> tuple[str, str, list[bytes]]:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise TaxiiError(400, "Malformed JSON", f"the body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise TaxiiError(400, "Bad request", "POST an object with request_id, key_id and elements")
        rid, kid, elements = body.get("request_id"), body.get("key_id"), body.get("elements")
        if not isinstance(rid, str) or not _REQUEST_ID.match(rid):
            raise TaxiiError(400, "Bad request", "request_id must be 16 to 64 characters of [A-Za-z0-9_-]")
        if not isinstance(kid, str):
            raise TaxiiError(400, "Bad request", "key_id must be the key id of the published set")
        if not isinstance(elements, list) or not elements:
            raise TaxiiError(400, "Bad request", "elements must be a non-empty list of base64 strings")
        if len(elements) > MAX_BATCH:
            raise TaxiiError(
                413, "Batch too large", f"{len(elements)} elements; at most {MAX_BATCH} per request"
            )
        decoded = []
        for i, e in enumerate(elements):
            try:
                if not isinstance(e, str):
                    raise ValueError
                decoded.append(base64.b64decode(e, validate=True))
            except (binascii.Error, ValueError):
                raise TaxiiError(400, "Malformed element", f"element {i} is not base64") from None
        return rid, kid, decoded

    async def evaluate(self, request: Request) -> Response:
        _principal, ps = await self._caller(request)
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > _MAX_BODY:
            raise TaxiiError(413, "Payload Too Large", f"at most {_MAX_BODY} bytes per request")
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > _MAX_BODY:
                raise TaxiiError(413, "Payload Too Large", f"at most {_MAX_BODY} bytes per request")
        rid, kid, elements = self._parse(raw)
        if kid != ps.key_id:
            raise TaxiiError(
                409, "Key rotated", f"the key is now {ps.key_id}, not {kid}: fetch the set again"
            )

        def refuse(refusal: quota.Refused) -> TaxiiError:
            with write_transaction(self.node.engine) as conn:
                quota.record_refusal(conn, ps, rid, len(elements), refusal)
            return TaxiiError(refusal.status, refusal.title, refusal.description)

        def precheck() -> oprf.Holder:
            try:
                with read_transaction(self.node.engine) as conn:
                    quota.check(conn, ps, rid, len(elements))
                    return ps.holder(conn)
            except quota.Refused as refusal:
                raise refuse(refusal) from None

        def charge() -> int:
            try:
                with write_transaction(self.node.engine) as conn:
                    return quota.charge(conn, ps, rid, len(elements))
            except quota.Refused as refusal:
                raise refuse(refusal) from None
            except sa.exc.IntegrityError:  # the same request id committed concurrently
                raise refuse(
                    quota.Refused(409, "Replayed request", f"request id {rid} was already used")
                ) from None

        holder = await run_in_threadpool(precheck)
        try:  # validation and evaluation in one pass (oprf.Holder._evaluate): a bad element costs nothing
            evaluated = await run_in_threadpool(holder.evaluate, elements, 1)
        except oprf.BadElement as exc:
            raise TaxiiError(400, "Malformed element", str(exc)) from None
        left = await run_in_threadpool(charge)  # refused here (a race): the evaluation is not sent
        body: dict[str, Any] = {"key_id": ps.key_id, "evaluated": _b64(evaluated), "quota_left": left}
        return taxii_response(body)
