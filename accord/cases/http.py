"""The requests-for-assistance JSON API, next to TAXII, with its OpenAPI description.

Same credentials as TAXII (Basic organization:token, or Bearer); every answer is JSON, every
error ``{"error": "..."}`` with the right status.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accord import __version__
from accord.cases import service
from accord.cases.objects import InvalidRequest
from accord.cases.states import ACTIONS, InvalidTransition
from accord.node import Node
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.taxii.auth import Authenticator
from accord.taxii.media import TaxiiError, json_auth_error, json_response

_json = json_response


class RfaApi:
    def __init__(self, node: Node, authenticator: Authenticator) -> None:
        self.node = node
        self.authenticate = authenticator

    async def _call(self, request: Request, fn: Any, *, write: bool, status: int = 200) -> Response:
        try:
            principal = await self.authenticate(request)
        except TaxiiError as exc:
            return json_auth_error(exc)
        body: Any = None
        if write:
            try:
                body = orjson.loads(await request.body() or b"{}")
            except orjson.JSONDecodeError as exc:
                return _json({"error": f"the body is not valid JSON: {exc}"}, 400)
            if not isinstance(body, dict):
                return _json({"error": "the body must be a JSON object"}, 422)

        def run() -> Any:
            with (write_transaction if write else read_transaction)(self.node.engine) as conn:
                return fn(conn, principal.org, body)

        try:
            return _json(await run_in_threadpool(run), status)
        except service.CaseNotFound as exc:
            return _json({"error": str(exc)}, 404)
        except InvalidTransition as exc:
            return _json({"error": str(exc)}, 409)
        except service.InvalidTLP as exc:  # a malformed filing, refused before anything is checked
            return _json({"error": str(exc)}, 400)
        except (InvalidRequest, admin.AdminError, ValueError, KeyError, TypeError) as exc:
            return _json({"error": str(exc)}, 422)

    async def list_requests(self, request: Request) -> Response:
        q = request.query_params
        flags = {
            k: q.get(k, "false").lower() in ("1", "true", "yes")
            for k in ("open", "overdue", "mine", "for_me")
        }
        return await self._call(
            request,
            lambda conn, org, _: service.list_cases(
                conn,
                org,
                open_only=flags["open"],
                overdue=flags["overdue"],
                mine=flags["mine"],
                for_me=flags["for_me"],
            ),
            write=False,
        )

    async def file_request(self, request: Request) -> Response:
        def run(conn: Any, org: admin.Org, body: dict[str, Any]) -> Any:
            fields = dict(body)
            tlp = service.case_tlp(str(fields.pop("tlp", "red")))  # only RED: 400 otherwise
            to = fields.pop("to", None)
            if not to:
                raise InvalidRequest("'to': the organization asked is required")
            return service.file_request(conn, org, to, fields, tlp)

        return await self._call(request, run, write=True, status=201)

    async def show(self, request: Request) -> Response:
        rid = request.path_params["id"]
        return await self._call(request, lambda conn, org, _: service.show(conn, org, rid), write=False)

    async def act(self, request: Request) -> Response:
        rid, action = request.path_params["id"], request.path_params["action"]
        if action not in ACTIONS or action == "submit":
            return _json({"error": f"unknown action {action!r}"}, 404)
        return await self._call(
            request, lambda conn, org, body: service.act(conn, org, rid, action, body), write=True
        )

    async def openapi(self, request: Request) -> Response:
        return _json(openapi_document())

    def routes(self) -> list[Route]:
        return [
            Route("/rfa/openapi.json", self.openapi, methods=["GET"]),
            Route("/rfa/requests", self.list_requests, methods=["GET"]),
            Route("/rfa/requests", self.file_request, methods=["POST"]),
            Route("/rfa/requests/{id}", self.show, methods=["GET"]),
            Route("/rfa/requests/{id}/{action}", self.act, methods=["POST"]),
        ]


def openapi_document() -> dict[str, Any]:
    """OpenAPI 3.1 description of the requests API (built here, so it cannot drift from ACTIONS)."""
    error = {
        "description": "error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    case = {
        "description": "the request",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}},
    }
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
    paths: dict[str, Any] = {
        "/rfa/requests": {
            "get": {
                "summary": "List my requests (filed and received) with their clocks",
                "parameters": [
                    {"name": n, "in": "query", "schema": {"type": "boolean"}}
                    for n in ("open", "overdue", "mine", "for_me")
                ],
                "responses": {
                    "200": {
                        "description": "requests",
                        "content": {
                            "application/json": {
                                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}
                            }
                        },
                    },
                    "401": error,
                },
            },
            "post": {
                "summary": "File a request for assistance",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewRequest"}}},
                },
                "responses": {"201": case, "400": error, "401": error, "422": error},
            },
        },
        "/rfa/requests/{id}": {
            "get": {
                "summary": "A request with its timeline",
                "parameters": [id_param],
                "responses": {"200": case, "404": error},
            }
        },
    }
    for name, action in ACTIONS.items():
        if name == "submit":
            continue
        paths[f"/rfa/requests/{{id}}/{name}"] = {
            "post": {
                "summary": action.help,
                "parameters": [id_param],
                "requestBody": {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Action"}}}
                },
                "responses": {"200": case, "404": error, "409": error, "422": error},
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Accord requests for assistance", "version": __version__},
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                },
                "Case": {
                    "type": "object",
                    "properties": {
                        k: {}
                        for k in (
                            "id",
                            "type",
                            "urgency",
                            "from",
                            "to",
                            "state",
                            "submitted",
                            "acknowledged",
                            "responded",
                            "closed",
                            "acknowledgement_due",
                            "response_due",
                            "clock_paused",
                            "overdue",
                            "seconds_left",
                            "preservation_expires",
                            "agreement",
                            "request",
                            "timeline",
                        )
                    },
                },
                "NewRequest": {
                    "type": "object",
                    "required": ["to", "request_type", "legal_basis", "summary_of_facts"],
                    "properties": {
                        k: {}
                        for k in (
                            "to",
                            "request_type",
                            "urgency",
                            "legal_basis",
                            "requesting_authority",
                            "offence",
                            "summary_of_facts",
                            "data",
                            "relationship_to_offence",
                            "custodian",
                            "necessity",
                            "formal_request_to_follow",
                            "conditions",
                            "evidence_refs",
                            "language",
                        )
                    }
                    | {"tlp": {"type": "string", "enum": ["red"], "description": "always TLP:RED"}},
                },
                "Action": {
                    "type": "object",
                    "properties": {k: {} for k in ("reason", "ground", "content", "partial", "expires")},
                },
            },
        },
        "security": [{"basic": []}, {"bearer": []}],
        "paths": paths,
    }
