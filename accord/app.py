"""Assembles the ASGI application: TAXII routes, error handling, content negotiation."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accord.audit.http import AuditApi, head_signer
from accord.cases.http import RfaApi
from accord.cases.scheduler import escalation_loop
from accord.node import Node
from accord.private_sweep.http import PrivateSweepApi
from accord.store.values import value_indexer
from accord.sync.runner import SyncLoop
from accord.taxii.endpoints import TaxiiApi
from accord.taxii.media import TaxiiError, error_response
from accord.web.routes import web_routes

log = logging.getLogger("accord")


def create_app(node: Node, *, background: bool = False) -> Starlette:
    """The node's ASGI app; ``background`` runs, while it serves, the peers' sync, the escalation
    of overdue requests, the signing of tree heads and the value index."""
    api = TaxiiApi(node)
    objects = "/{root}/collections/{collection}/objects"
    routes = (
        RfaApi(node, api.authenticator).routes()
        + AuditApi(node, api.authenticator).routes()
        + PrivateSweepApi(node, api.authenticator).routes()
        + [
            Route("/taxii2/", api.discovery, methods=["GET"]),
            Route("/{root}/", api.api_root, methods=["GET"]),
            Route("/{root}/status/{status}/", api.status, methods=["GET"]),
            Route("/{root}/collections/", api.collections, methods=["GET"]),
            Route("/{root}/collections/{collection}/", api.collection, methods=["GET"]),
            Route(objects + "/", api.get_objects, methods=["GET"]),
            Route(objects + "/", api.add_objects, methods=["POST"]),
            Route(objects + "/{object}/", api.get_object, methods=["GET"]),
            Route(objects + "/{object}/", api.delete_object, methods=["DELETE"]),
            Route(objects + "/{object}/versions/", api.versions, methods=["GET"]),
            Route("/{root}/collections/{collection}/manifest/", api.manifest, methods=["GET"]),
        ]
        + web_routes(node)
    )

    async def taxii_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TaxiiError)
        return error_response(exc)

    async def http_error(_request: Request, exc: Exception) -> Response:
        code = getattr(exc, "status_code", 500)
        titles = {404: "Not Found", 405: "Method Not Allowed"}
        return error_response(TaxiiError(code, titles.get(code, "Error"), getattr(exc, "detail", None)))

    async def server_error(_request: Request, exc: Exception) -> Response:
        log.exception("internal error", exc_info=exc)
        return error_response(TaxiiError(500, "Internal Server Error", "the node failed; see its log"))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        loops = (
            [
                SyncLoop(node.engine),
                escalation_loop(node.engine, node.settings.data_dir),
                head_signer(node),
                value_indexer(node.engine),
            ]
            if background
            else []
        )
        for loop in loops:
            loop.start()
        try:
            yield
        finally:
            for loop in loops:
                loop.stop()

    app = Starlette(
        lifespan=lifespan,
        routes=routes,
        exception_handlers={
            TaxiiError: taxii_error,
            404: http_error,
            405: http_error,
            Exception: server_error,
        },
    )

    app.state.node = node
    return app
