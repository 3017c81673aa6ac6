"""TAXII 2.1 I/O for the sweep: fetch indicators from a node, post sightings back (taxii2-client).

`--node` is the API root URL (e.g. https://node.example/api1/). `--token user:password` is sent as
HTTP Basic (what medallion and many TAXII servers use); any other token as a Bearer token.
"""

from __future__ import annotations

from taxii2client.v21 import Collection, as_pages

from accord.taxii.remote import remote_collection


class NodeError(Exception):
    """The node could not be reached or refused the request."""


def collection(node: str, collection_id: str, token: str | None) -> Collection:
    return remote_collection(node, collection_id, token)


def fetch_indicators(node: str, collection_id: str, token: str | None, per_request: int = 100) -> list[dict]:
    """All indicators of a collection, following TAXII pagination."""
    try:
        coll = collection(node, collection_id, token)
        objects: list[dict] = []
        for envelope in as_pages(coll.get_objects, per_request=per_request, type="indicator"):
            objects.extend(envelope.get("objects", []))
        return objects
    except Exception as exc:  # taxii2client raises requests and its own errors
        raise NodeError(
            f"cannot fetch indicators from {node}: {str(exc).splitlines()[0] if str(exc) else exc}"
        ) from exc


def post_objects(node: str, collection_id: str, token: str | None, objects: list[dict]) -> str:
    """Add objects to a collection; returns the TAXII status ('complete' when all were accepted)."""
    try:
        coll = collection(node, collection_id, token)
        status = coll.add_objects({"objects": objects}, wait_for_completion=True, poll_interval=1, timeout=60)
    except Exception as exc:
        raise NodeError(
            f"cannot post sightings to {node}: {str(exc).splitlines()[0] if str(exc) else exc}"
        ) from exc
    if status.failure_count:
        raise NodeError(f"node rejected {status.failure_count} of {status.total_count} objects")
    return str(status.status)
