"""A collection on another TAXII 2.1 server, through the reference client (taxii2-client).

`--node` is the API root URL (e.g. https://node.example/default/). A token containing ':' is sent
as HTTP Basic `user:password` (what medallion and many servers use); any other as a Bearer token.
"""

from __future__ import annotations

import requests
from taxii2client.v21 import Collection


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def collection_url(node: str, collection_id: str) -> str:
    return f"{node.rstrip('/')}/collections/{collection_id}/"


def remote_collection(node: str, collection_id: str, token: str | None) -> Collection:
    url = collection_url(node, collection_id)
    if token and ":" in token:
        user, _, password = token.partition(":")
        return Collection(url, user=user, password=password)
    return Collection(url, auth=_Bearer(token) if token else None)
