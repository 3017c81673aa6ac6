"""A small world for the console: two organizations sharing a collection, one private collection,
a TLP:RED object one of them may not see, an object whose name is HTML, and a request between them;
plus the helpers the console tests share."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from starlette.testclient import TestClient

from accord.audit import countersign, load_or_create_key, record_countersignature
from accord.audit.http import publish_head
from accord.audit.keys import key_id, public_key_pem
from accord.node import Node
from accord.store.admin import set_setting
from accord.store.engine import write_transaction

XSS_NAME = '<script>alert("x")</script><img src=x onerror=alert(1)>'
RED_SECRET = "ng-red-secret"
PRIVATE = "ng-private-collection-object"
PEER = "node-ke"
FROM_PEER = "ke-sim-swap-ring"


@dataclass
class World:
    node: Node
    fr_token: str
    ng_token: str
    admin_token: str
    shared_uuid: str
    request_id: str
    peer_token: str


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: TestClient, token: str) -> None:
    page = client.get("/signin")
    response = client.post(
        "/signin", data={"csrf": csrf_of(page.text), "token": token}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"


def eve(*domains: str) -> bytes:
    """A Suricata EVE log with one DNS query per domain."""
    lines = [
        {
            "timestamp": f"2026-11-29T09:14:0{n}.000000+0000",
            "event_type": "dns",
            "src_ip": "10.1.2.3",
            "dest_ip": "10.0.0.53",
            "dns": {"rrname": domain, "type": "query"},
        }
        for n, domain in enumerate(domains)
    ]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def countersigned_by_peer(world: World) -> str:
    """The peer countersigns our newest head; we know its key from witnessing its own log."""
    head = publish_head(world.node)
    ours = load_or_create_key(world.node.settings.data_dir).public_key()
    theirs = Ed25519PrivateKey.generate()
    with write_transaction(world.node.engine) as conn:
        cs = countersign(head, ours, theirs)
        record_countersignature(conn, head, cs, theirs.public_key(), datetime.now(UTC))
        set_setting(conn, f"witness_key:{PEER}", public_key_pem(theirs.public_key()).decode())
        set_setting(
            conn,
            f"witness_head:{PEER}",
            '{"log_id": "x", "tree_size": 7, "root_hash": "AA==",'
            ' "timestamp": 1795943643000, "signature": "AA=="}',
        )
        set_setting(conn, f"witness_at:{PEER}", "2026-11-29T09:00:00+00:00")
    stranger = Ed25519PrivateKey.generate()
    with write_transaction(world.node.engine) as conn:
        record_countersignature(
            conn, head, countersign(head, ours, stranger), stranger.public_key(), datetime.now(UTC)
        )
    return key_id(stranger.public_key())
