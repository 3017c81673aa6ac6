"""The console's session: a signed cookie naming the signed-in token, plus a CSRF token.

The cookie carries the SHA-256 of the token (never the token itself), so a revoked token ends
every session made with it: the principal is looked up again on each request.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from accord.store import admin
from accord.store.admin import Org, Principal
from accord.store.schema import org, peer, token

COOKIE = "accord_session"
MAX_AGE_S = 12 * 3600
SECRET_SETTING = "web_session_secret"


@dataclass
class Session:
    """What the cookie says: the CSRF token, and the token digest once signed in."""

    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token_sha256: str | None = None
    fresh: bool = False  # created by this request, so it must be sent back

    def as_dict(self) -> dict[str, Any]:
        return {"c": self.csrf, "t": self.token_sha256}


def node_secret(conn: Connection) -> str:
    """The signing key, created on first use and kept in the node's settings."""
    value = admin.get_setting(conn, SECRET_SETTING)
    if value is None:
        value = secrets.token_hex(32)
        admin.set_setting(conn, SECRET_SETTING, value)
    return value


class SessionCodec:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="accord-console-session")

    def load(self, request: Request) -> Session:
        raw = request.cookies.get(COOKIE)
        if raw:
            try:
                data = self._serializer.loads(raw, max_age=MAX_AGE_S)
                return Session(csrf=str(data["c"]), token_sha256=data.get("t"))
            except (BadSignature, KeyError, TypeError):
                pass
        return Session(fresh=True)

    def store(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE,
            self._serializer.dumps(session.as_dict()),
            max_age=MAX_AGE_S,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )


def csrf_ok(session: Session, submitted: str | None) -> bool:
    return bool(submitted) and hmac.compare_digest(session.csrf.encode(), str(submitted).encode())


def principal_for(conn: Connection, digest: str) -> Principal | None:
    """The organization behind a token digest; tokens of peer nodes never open a console session."""
    row = conn.execute(
        sa.select(org.c.id, org.c.name, org.c.identity_id, token.c.admin)
        .join(token, token.c.org_id == org.c.id)
        .where(token.c.token_hash == digest, ~org.c.id.in_(sa.select(peer.c.org_id)))
    ).first()
    return Principal(Org(row.id, row.name, row.identity_id), bool(row.admin)) if row else None
