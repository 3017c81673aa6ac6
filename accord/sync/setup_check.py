"""Checking a peer link when it is set up, and on demand: the URL, the token, the collections.

Two parties setting up a link across a border need it to work at once, or to be told at set-up
what is wrong: a discovery URL where the API root belongs, a refused token, a collection that does
not exist or may not be read or written with that token. Each mistake is one ``PeerError`` line
naming the fix, raised before anything is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from accord.policy import Reader, reader_params, visible
from accord.stix.markings import TLP
from accord.stix.timestamps import now_us
from accord.store import admin
from accord.store.engine import read_transaction
from accord.store.schema import stix_object
from accord.store.schema import token as token_table
from accord.sync.client import PeerClient, PeerError
from accord.sync.misp_peer import check_misp
from accord.sync.peers import get_peer


def api_root_of(url: str, token: str) -> str:
    """The API root that ``url`` names: itself, or the only root its discovery endpoint lists."""
    url = url.rstrip("/") + "/"
    with PeerClient(url, token) as client:
        body = client.resource(url)
    if "api_roots" in body:
        roots = [urljoin(url, r).rstrip("/") + "/" for r in body.get("api_roots") or [] if isinstance(r, str)]
        if len(roots) == 1:
            return roots[0]
        if not roots:
            raise PeerError(f"{url} is a TAXII discovery endpoint that lists no API root")
        raise PeerError(
            f"{url} is a TAXII discovery endpoint with several API roots ({', '.join(roots)}): "
            "give the one to use as --url"
        )
    if "max_content_length" in body or "versions" in body:
        return url
    raise PeerError(f"{url} is neither a TAXII 2.1 discovery endpoint nor an API root")


def check_collections(
    root: str, token: str, reads: Iterable[str], writes: Iterable[str], peer_name: str
) -> None:
    """Every remote collection the link pulls from must be readable, and every one it pushes or
    sends sightings to writable, with this token."""
    with PeerClient(root, token) as client:
        body = client.resource(f"{root}collections/")
    listed = body.get("collections") or []
    found = {c.get("id"): c for c in listed if isinstance(c, dict)}
    found |= {c.get("alias"): c for c in listed if isinstance(c, dict) and c.get("alias")}
    for needed, right, verb in ((reads, "can_read", "pull from"), (writes, "can_write", "push to")):
        for key in needed:
            coll = found.get(key)
            if coll is None:
                known = ", ".join(f"{c.get('id')} ({c.get('title')})" for c in listed) or "none"
                raise PeerError(
                    f"{peer_name} has no collection {key!r} this token may use (its collections: {known})"
                )
            if not coll.get(right):
                raise PeerError(
                    f"this node's token may not {verb} {peer_name}'s collection {key!r}: ask {peer_name} "
                    f"to grant its organization for you {'read' if right == 'can_read' else 'write'} on it"
                )


@dataclass
class LinkReport:
    """What ``accord peer check`` says of one peer: both directions, what would cross, the state."""

    outbound: str  # "ok" or the one-line error of calling the peer with its token
    tokens_here: int  # tokens the peer's organization holds here (what it calls this node with)
    readable_here: list[str]  # local collections it may read (what it may pull)
    writable_here: list[str]  # local collections it may write (where it may push and send sightings)
    crossing: dict[str, dict[str, int]] = field(default_factory=dict)  # push collection -> TLP -> count
    last_error: str | None = None
    lag_s: float | None = None  # since the last successful pass
    other_root: str | None = None  # the peer answered, at this API root rather than the stored URL


def check_peer(engine: Engine, name: str) -> LinkReport:
    """Call the peer as a sync would (URL, token, every link's collection) and read this node's
    side: the peer organization's tokens and rights here, and per push collection how many
    versions the sync policy lets cross at each TLP."""
    with read_transaction(engine) as conn:
        found = get_peer(conn, name)
        if found is None:
            raise admin.AdminError(f"no peer named {name!r}")
        collections = admin.list_collections(conn)
        rights = {c.uuid: admin.rights(conn, c, found.org) for c in collections}
        tokens = conn.execute(
            sa.select(sa.func.count()).select_from(token_table).where(token_table.c.org_id == found.org.id)
        ).scalar_one()
        crossing = {
            link.local_collection: _crossing(conn, link.collection_id, found.org_reader)
            for link in found.links
            if link.direction == "push"
        }
        secret = found.token
    reads = [link.remote_collection for link in found.links if link.direction == "pull"]
    writes = [link.remote_collection for link in found.links if link.direction == "push"]
    writes += [found.sightings_collection] if found.sightings_collection else []
    other_root = None
    try:
        if found.kind == "misp":  # a MISP server: its key checked as a push would, no TAXII collections
            check_misp(found.url, secret)
            root = found.url
        else:
            root = api_root_of(found.url, secret)
            check_collections(root, secret, reads, writes, name)
        other_root = None if root == found.url else root
        outbound = "ok" if other_root is None else f"ok, but the stored URL is not the API root {root}"
    except PeerError as exc:
        outbound = str(exc)
    return LinkReport(
        outbound,
        tokens,
        [uuid for uuid, (read, _) in rights.items() if read],
        [uuid for uuid, (_, write) in rights.items() if write],
        crossing,
        found.last_error,
        (now_us() - found.last_success_us) / 1e6 if found.last_success_us else None,
        other_root,
    )


def _crossing(conn: Connection, collection_id: int, reader: Reader) -> dict[str, int]:
    """Versions of a collection the sync policy lets leave for the peer, per TLP."""
    obj = stix_object
    query = (
        sa.select(obj.c.tlp, sa.func.count())
        .where(obj.c.collection_id == sa.bindparam("collection_id"), visible(obj, peer=True))
        .group_by(obj.c.tlp)
    )
    rows = conn.execute(query, {"collection_id": collection_id, **reader_params(reader)})
    counts = {TLP(level).label: 0 for level in TLP}
    counts |= {TLP(level).label: count for level, count in rows}
    return counts
