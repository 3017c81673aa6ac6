"""The partner's calls to the holder's private-sweep endpoint (HTTP, the token this node holds)."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

from accord.taxii.media import TAXII_MEDIA_TYPE


class RemoteError(Exception):
    """The holder refused or could not be reached: one line, with its TAXII error when it sent one."""


@dataclass
class PublishedSet:
    key_id: str
    public_key: bytes
    kinds: set[str]
    max_batch: int
    daily_quota: int
    quota_left: int
    entries: dict[bytes, bytes]  # tag -> sealed refs


def endpoint(api_root: str) -> str:
    """The endpoint beside TAXII on the node whose API root is ``api_root``."""
    parts = urlsplit(api_root)
    return urlunsplit((parts.scheme, parts.netloc, "/private-sweep/", "", ""))


class Client:
    def __init__(self, api_root: str, token: str, timeout: float = 120.0) -> None:
        self.base = endpoint(api_root)
        headers = {"Accept": TAXII_MEDIA_TYPE}
        user, sep, password = token.partition(":")
        if sep:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        else:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _check(self, resp: httpx.Response) -> dict:
        try:
            body = orjson.loads(resp.content)  # an evaluation is ~180 kB of JSON: orjson, not json
        except orjson.JSONDecodeError:
            body = None
        if resp.status_code != 200:
            if isinstance(body, dict) and "title" in body:
                detail = f"{body['title']}: {body.get('description', '')}".rstrip(": ")
            else:
                detail = resp.text[:200]
            raise RemoteError(f"{self.base} answered {resp.status_code} ({detail})")
        if not isinstance(body, dict):
            raise RemoteError(f"{self.base} answered something that is not a JSON object")
        return body

    def fetch_set(self) -> PublishedSet:
        from accord.private_sweep.oprf import MODE, SUITE

        try:
            body = self._check(self.http.get(self.base))
            if (body.get("suite"), body.get("mode")) != (SUITE, MODE):
                raise RemoteError(
                    f"{self.base} evaluates {body.get('suite')} in mode {body.get('mode')};"
                    f" this node speaks RFC 9497 {SUITE} in mode {MODE}"
                )
            return PublishedSet(
                body["key_id"],
                base64.b64decode(body["public_key"]),
                set(body["kinds"]),
                int(body["max_batch"]),
                int(body["daily_quota"]),
                int(body["quota_left"]),
                {base64.b64decode(t): base64.b64decode(s) for t, s in body["entries"]},
            )
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach {self.base}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise RemoteError(f"{self.base} sent a malformed set: {exc}") from None

    def evaluate(self, key_id: str, elements: list[bytes], request_id: str | None = None) -> bytes:
        body = {
            "request_id": request_id or uuid.uuid4().hex,
            "key_id": key_id,
            "elements": [base64.b64encode(e).decode("ascii") for e in elements],
        }
        try:
            answer = self._check(
                self.http.post(
                    self.base + "evaluate",
                    content=orjson.dumps(body),
                    headers={"Content-Type": "application/json"},
                )
            )
            return base64.b64decode(answer["evaluated"])
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach {self.base}: {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise RemoteError(f"{self.base} sent a malformed evaluation: {exc}") from None
