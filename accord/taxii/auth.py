"""Who is calling: HTTP Basic (organization name + token) or Bearer token, else 401."""

from __future__ import annotations

import base64
import binascii
import time

from starlette.requests import Request

from accord.node import Node
from accord.store.admin import Principal, authenticate
from accord.store.engine import read_transaction
from accord.taxii.media import TaxiiError

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="accord", Bearer realm="accord"'}
_CACHE_SECONDS = 5.0


class Authenticator:
    """Checks credentials, remembering good ones for a few seconds to keep hot reads cheap."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._cache: dict[tuple[str, str | None], tuple[float, Principal]] = {}

    def _lookup(self, secret: str, org_name: str | None) -> Principal | None:
        key = (secret, org_name)
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit and hit[0] > now:
            return hit[1]
        with read_transaction(self.node.engine) as conn:
            principal = authenticate(conn, secret, org_name)
        if principal is not None:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now + _CACHE_SECONDS, principal)
        return principal

    def __call__(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise TaxiiError(401, "Unauthorized", "send HTTP Basic or Bearer credentials", _CHALLENGE)
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "bearer" and value:
            principal = self._lookup(value, None)
        elif scheme == "basic" and value:
            try:
                user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise TaxiiError(401, "Unauthorized", "malformed Basic credentials", _CHALLENGE) from None
            principal = self._lookup(password, user) if sep else None
        else:
            raise TaxiiError(401, "Unauthorized", f"unsupported authorization scheme {scheme!r}", _CHALLENGE)
        if principal is None:
            raise TaxiiError(401, "Unauthorized", "unknown organization or token", _CHALLENGE)
        return principal
