"""Send a validated bundle to a TAXII 2.1 collection.

Validation happens here, right before the network call, so nothing invalid can ever be posted.
"""

from __future__ import annotations

import json

import requests
from stix2validator import ValidationOptions, validate_instance


class PostError(Exception):
    """Posting refused or failed; str() is a one-line reason."""


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def validation_errors(bundle: dict) -> list[str]:
    """OASIS stix2-validator errors (warnings are not blocking)."""
    result = validate_instance(bundle, ValidationOptions(strict=False))
    return [str(e) for e in result.errors] if not result.is_valid else []


def collection_url(node: str, collection: str) -> str:
    """`--node` is the API root URL; the collection lives under `collections/<id>/`."""
    return f"{node.rstrip('/')}/collections/{collection}/"


def post_bundle(bundle: dict, node: str, collection: str, token: str | None = None) -> dict:
    """Validate then add the bundle's objects; returns the TAXII status resource as a dict.

    A token containing ':' is sent as HTTP Basic `user:password` (what medallion accepts), any other
    token as `Authorization: Bearer`.
    """
    errors = validation_errors(bundle)
    if errors:
        raise PostError(f"bundle does not validate, nothing posted: {errors[0]}")
    from taxii2client.exceptions import TAXIIServiceException
    from taxii2client.v21 import Collection

    kwargs: dict = {}
    if token and ":" in token:
        user, _, password = token.partition(":")
        kwargs.update(user=user, password=password)
    elif token:
        kwargs["auth"] = _Bearer(token)
    try:
        coll = Collection(collection_url(node, collection), **kwargs)
        status = coll.add_objects(json.dumps(bundle))
    except (TAXIIServiceException, requests.RequestException, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PostError(f"TAXII post to {node} failed: {reason}") from exc
    return {
        "status": status.status,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
    }
