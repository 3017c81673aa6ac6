"""TAXII media types, content negotiation, error objects and JSON responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


class TaxiiError(Exception):
    """An error answered as a TAXII error object with its HTTP status."""

    def __init__(self, status: int, title: str, description: str | None = None, headers: dict | None = None):
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description
        self.headers = headers or {}


def taxii_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content, status_code=status, media_type=TAXII_MEDIA_TYPE, headers=headers)


def error_response(exc: TaxiiError) -> Response:
    body: dict[str, Any] = {"title": exc.title, "http_status": str(exc.status)}
    if exc.description:
        body["description"] = exc.description
    return taxii_response(body, exc.status, exc.headers)


def _media_range_ok(item: str, acceptable: tuple[str, ...]) -> bool:
    """Does one Accept entry (with parameters) admit a TAXII 2.1 response?"""
    parts = [p.strip() for p in item.split(";")]
    mime = parts[0].lower()
    params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    if any(p.strip().lower() == "q=0" for p in parts[1:]):
        return False
    if mime in ("*/*", "application/*"):
        return True
    if mime not in acceptable:
        return False
    version = params.get("version")
    return version is None or version.strip() == "2.1"


def check_accept(request: Request) -> None:
    """406 unless the client accepts the TAXII 2.1 media type (bare `application/taxii+json` is fine)."""
    header = request.headers.get("accept")
    if not header:
        return
    if not any(_media_range_ok(item, ("application/taxii+json",)) for item in header.split(",")):
        raise TaxiiError(
            406,
            "Not Acceptable",
            f"this server answers {TAXII_MEDIA_TYPE}; the request accepts only {header!r}",
        )


def check_content_type(request: Request) -> None:
    """415 unless the body is declared as a TAXII envelope (or a STIX bundle)."""
    header = request.headers.get("content-type", "")
    if not _media_range_ok(header, ("application/taxii+json", "application/stix+json")) or header.startswith(
        ("*/*", "application/*")
    ):
        raise TaxiiError(
            415,
            "Unsupported Media Type",
            f"POST a body of type {TAXII_MEDIA_TYPE}, not {header or 'nothing'!r}",
        )


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Plain JSON for the APIs next to TAXII (requests, audit); errors are ``{"error": "..."}``."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def json_auth_error(exc: TaxiiError) -> Response:
    """A failed authentication on a JSON API: same status and challenge as TAXII, JSON body."""
    return json_response({"error": exc.description or exc.title}, exc.status, exc.headers)
