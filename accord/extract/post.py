"""Send a validated bundle to a TAXII 2.1 collection.

Validation happens here, right before the network call, so nothing invalid can ever be posted.
"""

from __future__ import annotations

import json

import requests
from stix2validator import ValidationOptions, validate_instance

from accord.taxii.remote import remote_collection


class PostError(Exception):
    """Posting refused or failed; str() is a one-line reason."""


def validation_errors(bundle: dict) -> list[str]:
    """OASIS stix2-validator errors (warnings are not blocking)."""
    result = validate_instance(bundle, ValidationOptions(strict=False))
    return [str(e) for e in result.errors] if not result.is_valid else []


def post_bundle(bundle: dict, node: str, collection: str, token: str | None = None) -> dict:
    """Validate then add the bundle's objects; returns the TAXII status resource as a dict.

    A token containing ':' is sent as HTTP Basic `user:password` (what medallion accepts), any other
    token as `Authorization: Bearer`.
    """
    errors = validation_errors(bundle)
    if errors:
        raise PostError(f"bundle does not validate, nothing posted: {errors[0]}")
    from taxii2client.exceptions import TAXIIServiceException

    try:
        coll = remote_collection(node, collection, token)
        status = coll.add_objects(json.dumps(bundle))
    except (TAXIIServiceException, requests.RequestException, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PostError(f"TAXII post to {node} failed: {reason}") from exc
    return {
        "status": status.status,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
    }
