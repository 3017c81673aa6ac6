"""A MISP REST API double for the tests: a real HTTP server (``python misp_double.py --key K
[--seed FILE]``, prints ``PORT n`` once it listens on a loopback port) that Accord's own client talks
to. It serves what ``accord.misp.rest`` calls, with MISP's behaviour where the tests depend on it:

- every call needs ``Authorization: <key>``; a wrong or missing key gets MISP's 403 JSON;
- ``POST /events/restSearch``: ``timestamp`` (greater or equal), ``published``, ``uuid``,
  ``page`` (from 1) / ``limit``, events ordered by id; soft-deleted attributes and objects left out
  unless ``deleted`` asks for them; answers ``{"response": [{"Event": {...}}, ...]}``;
- ``POST /events/add`` (403 when the uuid exists), ``POST|PUT /events/edit/<id or uuid>``
  (attributes and objects merged by uuid as MISP does, a timestamp not newer than the stored one
  refused), ``GET /events/view/<id or uuid>`` (404 ``Invalid event.``), ``GET /users/view/me``;
- ``POST /<attributes|objects|events>/delete/<uuid>`` (soft deletes, an event for good), ``POST
  /sightings/add/<attribute uuid>`` (403 ``saved: false`` when no live attribute has the uuid);
- ``GET /_double/requests``: the calls received (method, path, JSON body), for the tests to check
  what was asked; any other path answers an HTML page (as a web server in front of MISP would).
"""

from __future__ import annotations

import argparse
import copy
import json
import socket
import sys
import time
import uuid
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

AUTH_FAILED = (
    "Authentication failed. Please make sure you pass the API key of an API enabled user along in the "
    "Authorization header."
)


class Misp:
    def __init__(self, key: str, seed: list[dict[str, Any]]) -> None:
        self.key = key
        self.events: dict[str, dict[str, Any]] = {}  # uuid -> event, in id order
        self.requests: list[dict[str, Any]] = []
        for doc in seed:
            self._store(copy.deepcopy(doc.get("Event", doc)))

    def _store(self, event: dict[str, Any]) -> dict[str, Any]:
        event["id"] = str(len(self.events) + 1)
        event.setdefault("timestamp", str(int(time.time())))
        event.setdefault("published", False)
        self.events[event["uuid"]] = event
        return event

    def find(self, ref: str) -> dict[str, Any] | None:
        return self.events.get(ref) or next((e for e in self.events.values() if e["id"] == ref), None)


def _error(status: int, message: str, url: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"name": message, "message": message, "url": url, **extra}, status_code=status)


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _live(elements: list[dict[str, Any]] | None, deleted: Any) -> list[dict[str, Any]]:
    wanted = {_flag(d) for d in deleted} if isinstance(deleted, list) else {_flag(deleted)}
    return [e for e in elements or [] if _flag(e.get("deleted", False)) in wanted]


def _shown(event: dict[str, Any], deleted: Any) -> dict[str, Any]:
    out = copy.deepcopy(event)
    out["Attribute"] = _live(out.get("Attribute"), deleted)
    out["Object"] = [
        o | {"Attribute": _live(o.get("Attribute"), deleted)} for o in _live(out.get("Object"), deleted)
    ]
    return out


def _merge(
    held: list[dict[str, Any]], sent: list[dict[str, Any]], nested: bool = False
) -> list[dict[str, Any]]:
    """MISP's edit: elements matched by uuid are replaced, new ones added, the others kept."""
    by_uuid = {e.get("uuid"): e for e in held}
    for element in sent:
        old = by_uuid.get(element.get("uuid"))
        if nested and old is not None:
            element = element | {
                "Attribute": _merge(old.get("Attribute") or [], element.get("Attribute") or [])
            }
        by_uuid[element.get("uuid")] = element
    return list(by_uuid.values())


def app(misp: Misp) -> Starlette:
    async def body_of(request: Request) -> Any:
        raw = await request.body()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return None

    def authorized(request: Request) -> bool:
        return request.headers.get("authorization") == misp.key

    async def logged(request: Request) -> Any:
        body = await body_of(request)
        misp.requests.append({"method": request.method, "path": request.url.path, "body": body})
        return body

    async def rest_search(request: Request) -> Response:
        body = await logged(request) or {}
        if not authorized(request):
            return _error(403, AUTH_FAILED, request.url.path)
        events = list(misp.events.values())
        if body.get("timestamp") not in (None, ""):
            events = [e for e in events if int(e["timestamp"]) >= int(body["timestamp"])]
        if body.get("published") not in (None, ""):
            events = [e for e in events if _flag(e.get("published")) == _flag(body["published"])]
        if body.get("uuid"):
            wanted = body["uuid"] if isinstance(body["uuid"], list) else [body["uuid"]]
            events = [e for e in events if e["uuid"] in wanted]
        if body.get("limit"):
            limit, page = int(body["limit"]), int(body.get("page") or 1)
            events = events[(page - 1) * limit : page * limit]
        deleted = body.get("deleted", 0)
        return JSONResponse({"response": [{"Event": _shown(e, deleted)} for e in events]})

    async def add(request: Request) -> Response:
        body = await logged(request)
        if not authorized(request):
            return _error(403, AUTH_FAILED, request.url.path)
        event = (body or {}).get("Event", body)
        if not isinstance(event, dict) or not event.get("uuid") or not event.get("info"):
            return _error(
                403, "Could not add Event", request.url.path, saved=False, errors={"info": "missing"}
            )
        if event["uuid"] in misp.events:
            return _error(
                403,
                "Event already exists, if you would like to edit it, use the url in the location header.",
                request.url.path,
                saved=False,
                errors="Event already exists",
            )
        return JSONResponse({"Event": misp._store(copy.deepcopy(event))})

    async def edit(request: Request) -> Response:
        body = await logged(request)
        if not authorized(request):
            return _error(403, AUTH_FAILED, request.url.path)
        held = misp.find(request.path_params["ref"])
        if held is None:
            return _error(404, "Invalid event", request.url.path)
        event = (body or {}).get("Event", body)
        if not isinstance(event, dict):
            return _error(
                403, "Could not edit Event", request.url.path, saved=False, errors={"Event": "missing"}
            )
        stamp = event.get("timestamp")
        if stamp is not None and int(stamp) <= int(held["timestamp"]):
            message = "Event could not be saved: Event in the request not newer than the local copy."
            return _error(403, message, request.url.path, saved=False, errors=message)
        for key, value in event.items():
            if key == "Attribute":
                held["Attribute"] = _merge(held.get("Attribute") or [], value or [])
            elif key == "Object":
                held["Object"] = _merge(held.get("Object") or [], value or [], nested=True)
            elif key not in ("id", "uuid"):
                held[key] = copy.deepcopy(value)
        held["timestamp"] = str(stamp if stamp is not None else int(time.time()))
        return JSONResponse({"Event": held})

    async def view(request: Request) -> Response:
        await logged(request)
        if not authorized(request):
            return _error(403, AUTH_FAILED, request.url.path)
        held = misp.find(request.path_params["ref"])
        if held is None:
            return _error(404, "Invalid event.", request.url.path)
        return JSONResponse({"Event": _shown(held, 0)})

    async def delete(request: Request) -> Response:
        """MISP's deletes: an attribute or object soft (flagged, its timestamp and the event's moved on),
        an event for good; 404 for what the instance does not hold."""
        await logged(request)
        if not authorized(request):
            return _error(403, AUTH_FAILED, request.url.path)
        kind, ref, stamp = request.path_params["kind"], request.path_params["ref"], str(int(time.time()))
        if kind == "events":
            held = misp.find(ref)
            if held is None:
                return _error(404, "Invalid event", request.url.path)
            del misp.events[held["uuid"]]
            return JSONResponse({"message": "Event deleted."})
        for event in misp.events.values():
            objects = event.get("Object") or []
            elements = objects if kind == "objects" else event.get("Attribute") or []
            if kind == "attributes":
                elements = [*elements, *(a for o in objects for a in o.get("Attribute") or [])]
            for element in elements:
                if element.get("uuid") == ref and not _flag(element.get("deleted", False)):
                    for inner in [element, *(element.get("Attribute") or [] if kind == "objects" else [])]:
                        inner["deleted"], inner["timestamp"] = True, stamp
                    event["timestamp"] = str(max(int(event["timestamp"]), int(stamp)))
                    noun = "Attribute" if kind == "attributes" else "Object"
                    return JSONResponse({"message": f"{noun} deleted."})
        return _error(404, f"Invalid {kind[:-1]}", request.url.path)

    async def sighting(request: Request) -> Response:
        """MISP's ``/sightings/add/<attribute>``: a sighting appended to a live attribute, the event's
        timestamp left as it is (MISP keeps sightings apart from the event's edits)."""
        body = await logged(request) or {}
        if not authorized(request):
            return _error(403, AUTH_FAILED, request.url.path)
        ref = request.path_params["ref"]
        for event in misp.events.values():
            inside = [a for o in _live(event.get("Object"), 0) for a in o.get("Attribute") or []]
            for attribute in [*(event.get("Attribute") or []), *inside]:
                if attribute.get("uuid") == ref and not _flag(attribute.get("deleted", False)):
                    added = {
                        "uuid": str(uuid.uuid4()),
                        "attribute_uuid": ref,
                        "date_sighting": str(body.get("timestamp") or int(time.time())),
                        "source": str(body.get("source") or ""),
                        "type": str(body.get("type") or "0"),
                    }
                    attribute.setdefault("Sighting", []).append(added)
                    return JSONResponse({"Sighting": added})
        missing = "No valid attributes found."
        return _error(403, "Could not add the Sighting.", request.url.path, saved=False, errors=missing)

    async def me(request: Request) -> Response:
        await logged(request)
        if not authorized(request):
            return _error(403, AUTH_FAILED, request.url.path)
        return JSONResponse(
            {"User": {"id": "1", "email": "admin@double.test"}, "Organisation": {"name": "DOUBLE"}}
        )

    async def requests(request: Request) -> Response:
        return JSONResponse(misp.requests)

    async def other(request: Request) -> Response:
        return HTMLResponse("<html><body>Login</body></html>")

    return Starlette(
        routes=[
            Route("/events/restSearch", rest_search, methods=["POST"]),
            Route("/events/add", add, methods=["POST"]),
            Route("/events/edit/{ref}", edit, methods=["POST", "PUT"]),
            Route("/events/view/{ref}", view, methods=["GET"]),
            Route("/users/view/me", me, methods=["GET"]),
            Route("/sightings/add/{ref}", sighting, methods=["POST"]),
            Route("/{kind:str}/delete/{ref}", delete, methods=["POST", "DELETE"]),
            Route("/_double/requests", requests, methods=["GET"]),
            Route("/{path:path}", other, methods=["GET", "POST", "PUT"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--key", required=True)
    parser.add_argument("--seed", help="JSON file: a list of {'Event': {...}}")
    args = parser.parse_args()
    seed = json.loads(open(args.seed, encoding="utf-8").read()) if args.seed else []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))  # bound and listening here, port told on stdout: no race for a port
    sock.listen(128)
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app(Misp(args.key, seed)), log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
