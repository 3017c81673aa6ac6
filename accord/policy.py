"""Who may see what: the one place that decides, as SQL conditions inside every read query.

Because visibility is part of the WHERE clause (never a filter over fetched pages), paging,
``more``, manifests, versions and the date headers cannot reveal that hidden objects exist.

Channel "api" — an organization R reading a collection it has read rights on:
- R always sees the objects it added;
- another organization's object is visible unless its TLP is RED;
- a TLP:RED object is visible only to the organizations it names in ``x_accord_recipients``
  (by organization name or identity id, in any case: stored and compared lowercased) — not to
  administrators of other organizations either.
An unmarked object was stamped with its collection's default TLP when it was stored.

Channel "sync to peer P" — objects leaving this node for another node, whether P pulls them with
its token or this node pushes them (P is the organization standing for that node):
| marking | leaves for P when |
|---|---|
| CLEAR, GREEN | the link's maximum TLP allows it (also when it came from another peer) |
| AMBER | the link allows AMBER, and it originated on this node (never forwarded further) |
| AMBER+STRICT, RED | the link allows it, it originated here, and P is a named recipient |
and never back to the node it came from. The receiving node checks the same on arrival
(``arrival_refusal``).

Conditions use bound parameters (see ``reader_params``) so statements built once are reused.

The one path that uses objects its caller may not read is the private sweep (``accord.private_sweep``):
it hands out no object, only per-value OPRF tags and ids sealed under them (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import FromClause

from accord.stix.markings import TLP


@dataclass(frozen=True)
class PeerScope:
    """The link a peer node reads or receives through: its name and the highest TLP it may get."""

    name: str
    max_tlp: TLP


@dataclass(frozen=True)
class Reader:
    """The organization a read is made for (``peer`` set when that organization is a peer node)."""

    org_id: int
    org_name: str
    identity_id: str
    peer: PeerScope | None = None


def _like_literal(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def reader_params(reader: Reader) -> dict[str, Any]:
    """Values of the bound parameters used by ``visible``."""
    params: dict[str, Any] = {
        "reader_org": reader.org_id,
        "reader_name": f"%|{_like_literal(reader.org_name.lower())}|%",
        "reader_identity": f"%|{_like_literal(reader.identity_id.lower())}|%",
    }
    if reader.peer is not None:
        params["peer_name"] = reader.peer.name
        params["peer_max_tlp"] = int(reader.peer.max_tlp)
    return params


def _named(c: Any) -> ColumnElement[bool]:
    return sa.or_(
        c.recipients.like(sa.bindparam("reader_name"), escape="/"),
        c.recipients.like(sa.bindparam("reader_identity"), escape="/"),
    )


def visible(obj: FromClause, peer: bool = False) -> ColumnElement[bool]:
    """Condition on a ``stix_object`` alias: may the reader see this row (given read rights)?

    ``peer``: the reader is a peer node, so the "sync to peer" rules apply on top.
    """
    c = obj.c
    api = sa.or_(c.producer_org_id == sa.bindparam("reader_org"), c.tlp < int(TLP.RED), _named(c))
    if not peer:
        return api
    return sa.and_(
        api,
        sa.or_(c.source.is_(None), c.source != sa.bindparam("peer_name")),
        c.tlp <= sa.bindparam("peer_max_tlp"),
        sa.or_(c.tlp <= int(TLP.GREEN), c.source.is_(None)),
        sa.or_(c.tlp <= int(TLP.AMBER), _named(c)),
    )


def arrival_refusal(
    tlp: TLP | None, recipients: list[str], link: PeerScope, local_names: set[str]
) -> str | None:
    """Why an object arriving from peer ``link`` must be refused, or None to accept it.

    Only an explicit marking can show the sender broke the rules: an unmarked object was judged by
    the sender's collection default, and is handled here under the receiving collection's default.
    """
    if tlp is None:
        return None
    if tlp > link.max_tlp:
        return f"{tlp.label} is above this node's limit for {link.name} ({link.max_tlp.label})"
    if tlp >= TLP.AMBER_STRICT and not set(recipients) & local_names:
        return f"{tlp.label} object does not name any organization of this node as a recipient"
    return None
