"""Stateless `next` tokens: where a page ended and which query (and reader) it belongs to, signed.

The token holds the date_added of the last object returned, so it never expires and stays correct
while objects are added (new ones sort after it). An HMAC with the node's secret makes a forged
token, or one from a different query, a 400 instead of a silent wrong page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import orjson

from accord.taxii.media import TaxiiError


def fingerprint(*parts: object) -> str:
    return hashlib.sha256(orjson.dumps(parts, option=orjson.OPT_NON_STR_KEYS)).hexdigest()[:16]


def _mac(secret: bytes, payload: bytes) -> str:
    return (
        base64.urlsafe_b64encode(hmac.new(secret, payload, hashlib.sha256).digest()[:12]).decode().rstrip("=")
    )


def encode(secret: bytes, after_us: int, query: str) -> str:
    payload = base64.urlsafe_b64encode(orjson.dumps([after_us, query])).decode().rstrip("=")
    return f"{payload}.{_mac(secret, payload.encode())}"


def decode(secret: bytes, token: str, query: str) -> int:
    """The date_added to continue after; 400 for a forged token or one from another query."""
    payload, _, mac = token.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(secret, payload.encode())):
        raise TaxiiError(400, "Invalid next", "the 'next' token was not issued by this server")
    after_us, issued_for = orjson.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if issued_for != query:
        raise TaxiiError(
            400,
            "Invalid next",
            "the 'next' token belongs to a different query (filters, endpoint or reader changed)",
        )
    return int(after_us)
