"""Witnessing a peer's log: fetch its signed head, check it extends the last one we saw, countersign.

The peer's key is pinned the first time (a changed key is refused), and a head that does not extend
the previous one — history rewritten or truncated — is refused and reported, never countersigned.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
from sqlalchemy.engine import Engine

from accord.audit.heads import SignedTreeHead, countersign, verify_head, verify_heads_consistent
from accord.audit.keys import load_or_create_key, load_public_key, public_key_pem
from accord.store.admin import get_setting, set_setting
from accord.store.engine import write_transaction


class WitnessError(RuntimeError):
    """The peer's log cannot be vouched for; the message says why."""


def audit_base(api_root_url: str) -> str:
    parts = urlsplit(api_root_url)
    return f"{parts.scheme}://{parts.netloc}"


def _get(client: httpx.Client, url: str, **params: Any) -> dict[str, Any]:
    response = client.get(url, params=params)
    if response.status_code != 200:
        raise WitnessError(f"GET {url}: HTTP {response.status_code} {response.text[:200]}")
    return orjson.loads(response.content)


def witness(engine: Engine, data_dir: Any, peer: str, client: httpx.Client, base: str) -> SignedTreeHead:
    """Countersign ``peer``'s newest head after checking it; returns the head countersigned."""
    body = _get(client, f"{base}/audit/head")
    head = SignedTreeHead.from_json(body["head"])
    pem = body["public_key"]
    key = load_public_key(pem.encode())
    if not verify_head(head, key):
        raise WitnessError(f"{peer}: the tree head's signature does not verify")
    with write_transaction(engine) as conn:
        pinned = get_setting(conn, f"witness_key:{peer}")
        seen = get_setting(conn, f"witness_head:{peer}")
    if pinned is not None and pinned != pem:
        raise WitnessError(f"{peer}: its log key changed since it was first witnessed; refusing")
    if seen is not None:
        old = SignedTreeHead.from_json(orjson.loads(seen))
        if head.tree_size < old.tree_size:
            raise WitnessError(f"{peer}: its log shrank from {old.tree_size} to {head.tree_size} records")
        if head.tree_size > old.tree_size:
            proof = _get(
                client, f"{base}/audit/proof/consistency", first=old.tree_size, second=head.tree_size
            )
            path = [base64.b64decode(h) for h in proof["path"]]
            if not verify_heads_consistent(old, head, path, key):
                raise WitnessError(
                    f"{peer}: its log at {head.tree_size} records does not extend the head of "
                    f"{old.tree_size} records we countersigned: history was rewritten"
                )
        elif head.root_hash != old.root_hash:
            raise WitnessError(f"{peer}: two different logs of {head.tree_size} records")
    ours = load_or_create_key(data_dir)
    signature = countersign(head, key, ours)
    response = client.post(
        f"{base}/audit/countersignatures",
        content=orjson.dumps(
            {
                "head": head.to_json(),
                "countersignature": signature.to_json(),
                "public_key": public_key_pem(ours.public_key()).decode(),
            }
        ),
        headers={"Content-Type": "application/json"},
    )
    if response.status_code != 201:
        raise WitnessError(
            f"{peer}: countersignature refused: HTTP {response.status_code} {response.text[:200]}"
        )
    with write_transaction(engine) as conn:
        set_setting(conn, f"witness_key:{peer}", pem)
        set_setting(conn, f"witness_head:{peer}", orjson.dumps(head.to_json()).decode())
        set_setting(conn, f"witness_at:{peer}", datetime.now(UTC).isoformat())
    return head
