"""Who is calling: HTTP Basic (organization name + token) or Bearer token, else 401.

Good credentials are remembered, tagged with the credentials counter (``admin.AUTH_EPOCH``) read
when they were looked up; each request reads the counter again and trusts a remembered principal
only while it is unchanged. Every change of tokens, rights or peer links bumps the counter in its
own transaction, so a revocation by any process (this server, the CLI, another server on the same
database) holds from the next request on. Both reads run in the thread pool: a PostgreSQL round trip
on the event loop would stall every other request while it waits.
"""

from __future__ import annotations

import base64
import binascii
import threading
from typing import Any

from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from accord.node import Node
from accord.store.admin import AUTH_EPOCH, Principal, authenticate
from accord.store.engine import read_transaction
from accord.taxii.media import TaxiiError

_CHALLENGE = {"WWW-Authenticate": 'Basic realm="accord", Bearer realm="accord"'}
_CACHE_LIMIT = 10_000


class EpochWatch:
    """Reads the credentials counter on a connection of its own, in autocommit mode.

    One primary-key read without a pool checkout, pre-ping or BEGIN/COMMIT: about 10 us on SQLite
    and one round trip on PostgreSQL, where a pooled transaction costs several.
    """

    _SQL = f"SELECT value FROM node_setting WHERE key = '{AUTH_EPOCH}'"  # a constant: nothing to bind

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Any = None
        self._lock = threading.Lock()

    def _connect(self) -> Any:
        fairy = self.engine.raw_connection()
        conn = fairy.dbapi_connection
        fairy.detach()  # ours for good: never handed back to the pool in autocommit mode
        try:
            if self.engine.dialect.name == "postgresql":
                conn.autocommit = True  # SQLite connections already are (see store.engine)
        except Exception:
            conn.close()
            raise
        return conn

    def _read(self) -> str | None:
        if self._conn is None:
            self._conn = self._connect()
        cursor = self._conn.cursor()
        try:
            cursor.execute(self._SQL)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return row[0] if row else None

    def current(self) -> str | None:
        """The counter now. Blocking: from async code, await ``read`` instead."""
        with self._lock:
            try:
                return self._read()
            except Exception:  # a dropped connection (database restarted): one fresh try, else fail
                self.close()
                return self._read()

    async def read(self) -> str | None:
        """``current`` off the event loop, so a slow database holds up only this request."""
        return await run_in_threadpool(self.current)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken; nothing to release
                pass


class Authenticator:
    """Checks credentials; a remembered principal is used only while the counter is unchanged."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.epoch = EpochWatch(node.engine)
        self._cache: dict[tuple[str, str | None], tuple[str | None, Principal]] = {}

    def _lookup(self, secret: str, org_name: str | None) -> Principal | None:
        key = (secret, org_name)
        epoch = self.epoch.current()
        hit = self._cache.get(key)
        if hit is not None and hit[0] == epoch:
            return hit[1]
        # Looked up after the counter was read: a change committed in between only makes the entry
        # look older than it is (it is looked up again), never newer.
        with read_transaction(self.node.engine) as conn:
            principal = authenticate(conn, secret, org_name)
        if principal is None:
            self._cache.pop(key, None)
        else:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = (epoch, principal)
        return principal

    async def __call__(self, request: Request) -> Principal:
        header = request.headers.get("authorization")
        if not header:
            raise TaxiiError(401, "Unauthorized", "send HTTP Basic or Bearer credentials", _CHALLENGE)
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "bearer" and value:
            principal = await run_in_threadpool(self._lookup, value, None)
        elif scheme == "basic" and value:
            try:
                user, sep, password = base64.b64decode(value, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                raise TaxiiError(401, "Unauthorized", "malformed Basic credentials", _CHALLENGE) from None
            principal = await run_in_threadpool(self._lookup, password, user) if sep else None
        else:
            raise TaxiiError(401, "Unauthorized", f"unsupported authorization scheme {scheme!r}", _CHALLENGE)
        if principal is None:
            raise TaxiiError(401, "Unauthorized", "unknown organization or token", _CHALLENGE)
        return principal
