"""A thin TAXII test client over Starlette's TestClient: credentials and media types by default."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.testclient import TestClient

from accord.app import create_app
from accord.node import Node
from accord.store import admin
from accord.store.engine import write_transaction

TAXII = "application/taxii+json;version=2.1"


class Api:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.client = TestClient(create_app(node), raise_server_exceptions=True)

    def org(self, name: str) -> tuple[str, str]:
        """Create an organization with a token; returns (name, token)."""
        with write_transaction(self.node.engine) as conn:
            org = admin.find_org(conn, name) or admin.add_org(conn, name)
            return name, admin.create_token(conn, org)

    def collection(
        self,
        title: str,
        *,
        read: list[str] = (),
        write: list[str] = (),
        tlp: str = "amber",
        alias: str | None = None,
    ) -> str:
        from accord.stix.markings import TLP

        with write_transaction(self.node.engine) as conn:
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            assert root is not None
            coll = admin.add_collection(conn, root, title, default_tlp=TLP.parse(tlp), alias=alias)
            for name in dict.fromkeys([*read, *write]):
                org = admin.require_org(conn, name)
                admin.grant(conn, coll, org, read=name in read, write=name in write)
            return coll.uuid

    def request(
        self,
        method: str,
        path: str,
        who: tuple[str, str] | None,
        *,
        headers: dict | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        h = {"Accept": TAXII}
        if method == "POST" and "content" in kwargs or "json" in kwargs:
            h["Content-Type"] = TAXII
        h.update(headers or {})
        auth = httpx.BasicAuth(*who) if who else None
        if "json" in kwargs:
            import orjson

            kwargs["content"] = orjson.dumps(kwargs.pop("json"))
        return self.client.request(method, path, headers=h, auth=auth, **kwargs)

    def get(self, path: str, who: tuple[str, str] | None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, who, **kwargs)

    def post_objects(self, coll: str, who: tuple[str, str], *objects: dict) -> dict:
        r = self.request(
            "POST", f"/default/collections/{coll}/objects/", who, json={"objects": list(objects)}
        )
        assert r.status_code == 202, r.text
        return r.json()

    def all_objects(
        self, coll: str, who: tuple[str, str], endpoint: str = "objects", limit: int = 1, **params: str
    ) -> list[dict]:
        """Every item through paging with `next`, one small page at a time."""
        items: list[dict] = []
        query: dict[str, Any] = {"limit": limit, **params}
        while True:
            r = self.get(f"/default/collections/{coll}/{endpoint}/", who, params=query)
            assert r.status_code == 200, r.text
            body = r.json()
            items.extend(body.get("objects", []))
            if not body.get("more"):
                return items
            query["next"] = body["next"]
