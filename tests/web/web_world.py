"""A small world for the console: two organizations sharing a collection, one private collection,
a TLP:RED object one of them may not see, an object whose name is HTML, and a request between them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.testclient import TestClient

from accord.node import Node

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
