"""The TAXII 2.1 calls one node makes to another, with every failure turned into a PeerError.

A peer that is down, slow, or answers garbage must never crash the sync loop nor block the other
peers: each call has a timeout, and every unexpected answer becomes one line for `peer list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from accord.taxii.media import TAXII_MEDIA_TYPE

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class PeerError(RuntimeError):
    """A call to a peer failed; the message says how, in one line."""


class PeerUnreachable(PeerError):
    """The peer could not be reached at all (refused, reset, timed out): a partition or a node down,
    as opposed to a peer that answered wrongly."""


@dataclass
class Page:
    objects: list[Any]
    more: bool
    next: str | None
    last_added: str | None


class PeerClient:
    def __init__(self, api_root_url: str, token: str, timeout: httpx.Timeout = TIMEOUT) -> None:
        self.base = api_root_url.rstrip("/") + "/"
        self.http = httpx.Client(
            timeout=timeout,
            headers={"Accept": TAXII_MEDIA_TYPE, "Authorization": f"Bearer {token}"},
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        where = f"{response.request.method} {response.request.url.path}"
        if response.status_code >= 400:
            detail = ""
            try:
                body = response.json()
                detail = body.get("description") or body.get("title") or ""
            except ValueError:
                pass
            raise PeerError(f"{where}: HTTP {response.status_code} {detail}".strip())
        if not response.headers.get("content-type", "").startswith("application/taxii+json"):
            raise PeerError(f"{where}: not a TAXII answer ({response.headers.get('content-type')!r})")
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise PeerError(f"{where}: the answer is not valid JSON") from None
        if not isinstance(body, dict):
            raise PeerError(f"{where}: the answer is not a JSON object")
        return body

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise PeerUnreachable(f"{method} {url}: {type(exc).__name__}: {exc}".strip()) from None
        except httpx.HTTPError as exc:
            raise PeerError(f"{method} {url}: {type(exc).__name__}: {exc}".strip()) from None

    def answers(self) -> bool:
        """Whether the peer's API root answers this token now (the cheap call that ends a backoff)."""
        try:
            self.resource(self.base)
        except PeerError:
            return False
        return True

    def resource(self, url: str) -> dict[str, Any]:
        """A TAXII resource (discovery, API root, collections) by absolute URL; a refused token is
        said as such, since it is the most common set-up mistake after the URL."""
        response = self._call("GET", url)
        if response.status_code in (401, 403):
            raise PeerError(f"GET {url}: the peer refused this token (HTTP {response.status_code})")
        return self._json(response)

    def objects_page(self, collection: str, added_after: str | None, next_token: str | None) -> Page:
        """One page of every version added after ``added_after``, in date_added order."""
        params: dict[str, Any] = {"match[version]": "all", "match[spec_version]": "2.0,2.1", "limit": 1000}
        if added_after:
            params["added_after"] = added_after
        if next_token:
            params["next"] = next_token
        response = self._call("GET", f"{self.base}collections/{collection}/objects/", params=params)
        body = self._json(response)
        objects = body.get("objects", [])
        if not isinstance(objects, list):
            raise PeerError("GET objects: 'objects' is not a list")
        last = response.headers.get("X-TAXII-Date-Added-Last")
        if objects and not last:
            raise PeerError("GET objects: the peer sent no X-TAXII-Date-Added-Last header")
        more = bool(body.get("more"))
        if more and not body.get("next"):
            raise PeerError("GET objects: more=true without a next token")
        return Page(objects, more, body.get("next"), last)

    def post(self, collection: str, objects: list[Any]) -> dict[str, Any]:
        response = self._call(
            "POST",
            f"{self.base}collections/{collection}/objects/",
            content=b'{"objects":['
            + b",".join(o if isinstance(o, bytes) else orjson.dumps(o) for o in objects)
            + b"]}",
            headers={"Content-Type": TAXII_MEDIA_TYPE},
        )
        status = self._json(response)
        if "success_count" not in status:
            raise PeerError("POST objects: the answer is not a status resource")
        return status
