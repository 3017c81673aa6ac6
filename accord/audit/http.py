"""The audit log over HTTP: signed tree heads, proofs, and countersignatures between parties.

A party that holds one of our signed heads can check with hashes alone that a record is in the log
and that a later head extends it; by countersigning our heads it makes sure neither side can later
rewrite who asked what and when.
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accord.audit.heads import (
    Countersignature,
    SignedTreeHead,
    latest_head,
    record_countersignature,
    sign_tree_head,
    stored_countersignatures,
)
from accord.audit.keys import load_or_create_key, load_public_key, public_key_pem
from accord.audit.log import consistency_proof, current_head, get_entry, inclusion_proof
from accord.node import Node
from accord.periodic import Periodic
from accord.store.engine import read_transaction, write_transaction
from accord.taxii.auth import Authenticator
from accord.taxii.media import TaxiiError, json_auth_error, json_response

log = logging.getLogger("accord.audit")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


_json = json_response


def publish_head(node: Node) -> SignedTreeHead:
    """The newest signed head, signing a new one first if the log has grown since."""
    key = load_or_create_key(node.settings.data_dir)
    with write_transaction(node.engine) as conn:
        head = latest_head(conn)
        if head is None or head.tree_size < current_head(conn).tree_size:
            head = sign_tree_head(conn, key, datetime.now(UTC))
        return head


def head_signer(node: Node, interval_s: float = 60.0) -> Periodic:
    """Signs a new tree head every ``interval_s`` while the log grows, so tampering with any record
    (even the newest) is caught by `accord audit verify` and by peers holding the heads."""
    return Periodic("tree-head signing", interval_s, lambda: publish_head(node), log)


class AuditApi:
    def __init__(self, node: Node, authenticator: Authenticator) -> None:
        self.node = node
        self.authenticate = authenticator

    async def _guarded(self, request: Request, fn: Any) -> Response:
        try:
            principal = await self.authenticate(request)
        except TaxiiError as exc:
            return json_auth_error(exc)
        try:
            return await fn(principal)
        except (ValueError, KeyError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)

    async def head(self, request: Request) -> Response:
        async def run(_principal: Any) -> Response:
            head = await run_in_threadpool(publish_head, self.node)
            key = load_or_create_key(self.node.settings.data_dir).public_key()
            return _json({"head": head.to_json(), "public_key": public_key_pem(key).decode()})

        return await self._guarded(request, run)

    async def inclusion(self, request: Request) -> Response:
        async def run(principal: Any) -> Response:
            index, size = int(request.query_params["index"]), int(request.query_params["tree_size"])

            def work() -> dict[str, Any]:
                with read_transaction(self.node.engine) as conn:
                    if not 0 <= index < size <= current_head(conn).tree_size:
                        raise ValueError(f"need 0 <= index < tree_size <= {current_head(conn).tree_size}")
                    entry = get_entry(conn, index)
                    assert entry is not None
                    body = {
                        "index": index,
                        "tree_size": size,
                        "leaf_hash": _b64(entry.leaf_hash),
                        "path": [_b64(h) for h in inclusion_proof(conn, index, size)],
                    }
                    if principal.admin:  # the record itself may name other organizations' objects
                        body["record"] = {"kind": entry.kind, "at": entry.at, "record": entry.record}
                    return body

            return _json(await run_in_threadpool(work))

        return await self._guarded(request, run)

    async def consistency(self, request: Request) -> Response:
        async def run(_principal: Any) -> Response:
            first, second = int(request.query_params["first"]), int(request.query_params["second"])

            def work() -> dict[str, Any]:
                with read_transaction(self.node.engine) as conn:
                    if not 0 < first <= second <= current_head(conn).tree_size:
                        raise ValueError(f"need 0 < first <= second <= {current_head(conn).tree_size}")
                    return {
                        "first": first,
                        "second": second,
                        "path": [_b64(h) for h in consistency_proof(conn, first, second)],
                    }

            return _json(await run_in_threadpool(work))

        return await self._guarded(request, run)

    async def add_countersignature(self, request: Request) -> Response:
        async def run(_principal: Any) -> Response:
            body = orjson.loads(await request.body())
            head = SignedTreeHead.from_json(body["head"])
            cs = Countersignature.from_json(body["countersignature"])
            signer = load_public_key(body["public_key"].encode())

            def work() -> None:
                with write_transaction(self.node.engine) as conn:
                    record_countersignature(conn, head, cs, signer, datetime.now(UTC))

            await run_in_threadpool(work)
            return _json({"recorded": True}, 201)

        return await self._guarded(request, run)

    async def countersignatures(self, request: Request) -> Response:
        async def run(_principal: Any) -> Response:
            def work() -> list[dict[str, Any]]:
                with read_transaction(self.node.engine) as conn:
                    return [
                        {
                            "tree_size": h.tree_size,
                            "timestamp": h.timestamp,
                            "root_hash": _b64(h.root_hash),
                            **cs.to_json(),
                            "signer_key": _b64(key),
                        }
                        for h, cs, key in stored_countersignatures(conn)
                    ]

            return _json(await run_in_threadpool(work))

        return await self._guarded(request, run)

    def routes(self) -> list[Route]:
        return [
            Route("/audit/head", self.head, methods=["GET"]),
            Route("/audit/proof/inclusion", self.inclusion, methods=["GET"]),
            Route("/audit/proof/consistency", self.consistency, methods=["GET"]),
            Route("/audit/countersignatures", self.countersignatures, methods=["GET"]),
            Route("/audit/countersignatures", self.add_countersignature, methods=["POST"]),
        ]
