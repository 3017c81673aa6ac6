"""Who may see what: the one place that decides, as SQL conditions inside every read query.

Because visibility is part of the WHERE clause (never a filter over fetched pages), paging,
``more``, manifests, versions and the date headers cannot reveal that hidden objects exist.

Rules (channel "api", a reader organization R on a collection it may read):
- R always sees the objects it added;
- another organization's object is visible unless its TLP is RED;
- a TLP:RED object is visible only to the organizations it names in ``x_accord_recipients``
  (by organization name or identity id) — not to administrators of other organizations either.
An unmarked object was stamped with its collection's default TLP when it was stored.

The condition uses bound parameters (see ``reader_params``) so that statements built once can be
reused for every reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import FromClause

from accord.stix.markings import TLP


@dataclass(frozen=True)
class Reader:
    """The organization a read is made for."""

    org_id: int
    org_name: str
    identity_id: str


def _like_literal(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def reader_params(reader: Reader) -> dict[str, Any]:
    """Values of the bound parameters used by ``visible``."""
    return {
        "reader_org": reader.org_id,
        "reader_name": f"%|{_like_literal(reader.org_name)}|%",
        "reader_identity": f"%|{_like_literal(reader.identity_id)}|%",
    }


def visible(obj: FromClause) -> ColumnElement[bool]:
    """Condition on a ``stix_object`` alias: may the reader see this row (given read rights)?"""
    c = obj.c
    return sa.or_(
        c.producer_org_id == sa.bindparam("reader_org"),
        c.tlp < int(TLP.RED),
        c.recipients.like(sa.bindparam("reader_name"), escape="/"),
        c.recipients.like(sa.bindparam("reader_identity"), escape="/"),
    )


def may_change(producer_org_id: int, reader: Reader) -> bool:
    """Only the organization that first added an object id may add versions of it or delete it."""
    return producer_org_id == reader.org_id
