"""Peers: the nodes this node exchanges with, their links, and what arrives from them.

A peer is represented locally by an organization of the same name: it is the producer of what
arrives from that node (pulled or pushed), and its token is what the peer uses to call us. The token
the peer issued to us is stored sealed (``accord.sync.sealing``) and opened only to call the peer.
Every change here that alters what a peer's token may do bumps the credentials counter, so running
servers stop honouring a closed link on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.audit.log import record_write
from accord.policy import PeerScope, Reader, arrival_refusal
from accord.stix.markings import TLP, recipients_of
from accord.stix.timestamps import now_us
from accord.store import admin
from accord.store.admin import Collection, Org
from accord.store.objects import Outcome, Refusal, add_objects
from accord.store.schema import collection, org, peer, peer_link, sync_refusal
from accord.sync.sealing import SealedToken, seal

KINDS = ("taxii", "misp")


@dataclass
class Link:
    id: int
    direction: str
    remote_collection: str
    collection_id: int
    local_collection: str
    cursor_text: str | None
    cursor_us: int
    objects: int
    last_success_us: int | None
    last_error: str | None


@dataclass
class Peer:
    id: int
    name: str
    org: Org
    url: str
    sealed_token: SealedToken
    max_tlp: TLP
    interval_s: float
    enabled: bool
    sightings_collection: str | None
    sightings_cursor_seq: int
    last_success_us: int | None
    last_error: str | None
    last_error_us: int | None
    failures: int
    links: list[Link] = field(default_factory=list)
    kind: str = "taxii"  # or "misp": a MISP server's REST API (accord.sync.misp_peer)

    @property
    def token(self) -> str:
        """The token to call the peer with; raises ``PeerKeyError`` (one line) when it cannot be opened."""
        return self.sealed_token.reveal()

    @property
    def scope(self) -> PeerScope:
        return PeerScope(self.name, self.max_tlp)

    @property
    def org_reader(self) -> Reader:
        """The reader whose view is what may leave this node for the peer ("sync to P")."""
        return Reader(self.org.id, self.org.name, self.org.identity_id, self.scope)


def split_mapping(item: str, what: str) -> tuple[str, str]:
    left, sep, right = item.partition(":")
    if not sep or not left or not right:
        raise admin.AdminError(f"{what} {item!r}: expected SOURCE_COLLECTION:TARGET_COLLECTION")
    return left.strip(), right.strip()


def add_peer(
    conn: Connection,
    name: str,
    url: str,
    token: str,
    *,
    max_tlp: TLP = TLP.GREEN,
    interval_s: float = 60.0,
    pulls: list[str] = (),  # type: ignore[assignment]
    pushes: list[str] = (),  # type: ignore[assignment]
    sightings_collection: str | None = None,
    identity_id: str | None = None,
    kind: str = "taxii",
    org_name: str | None = None,
) -> Peer:
    """Add a peer (and the organization that stands for it) with its pull and push links.

    ``org_name`` makes an existing organization stand for the peer (a MISP server run by a partner
    already known here) instead of one named after the peer."""
    if kind not in KINDS:
        raise admin.AdminError(f"--kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not url.startswith(("http://", "https://")):
        what = "the MISP server's base URL" if kind == "misp" else "the peer's API root"
        raise admin.AdminError(f"--url {url!r} must be an http(s) URL of {what}")
    if conn.execute(sa.select(peer.c.id).where(peer.c.name == name)).first():
        raise admin.AdminError(f"peer {name!r} already exists")
    if org_name is not None:
        stands_for = admin.find_org(conn, org_name)
        if stands_for is None:
            raise admin.AdminError(f"--as: no organization named {org_name!r} (accord org add {org_name})")
        taken = conn.execute(sa.select(peer.c.name).where(peer.c.org_id == stands_for.id)).scalar()
        if taken is not None:
            raise admin.AdminError(f"--as: {org_name!r} already stands for peer {taken!r}")
    else:
        stands_for = admin.find_org(conn, name) or admin.add_org(conn, name, identity_id)
    url = url.rstrip("/") + "/"
    conn.execute(
        peer.insert().values(
            name=name,
            org_id=stands_for.id,
            url=url,
            token_sealed=seal(conn, name, url, token),
            max_tlp=int(max_tlp),
            interval_s=interval_s,
            enabled=True,
            sightings_collection=sightings_collection,
            sightings_cursor_seq=0,
            failures=0,
            kind=kind,
        )
    )
    admin.bump_auth_epoch(conn)  # the organization's tokens now read through the sync rules
    record_write(
        conn,
        "peer.add",
        {
            "name": name,
            "url": url,
            "max_tlp": max_tlp.label,
            "sightings_collection": sightings_collection,
            "kind": kind,
        },
    )
    for direction, items in (("pull", pulls), ("push", pushes)):
        for item in items:
            first, second = split_mapping(item, f"--{direction}")
            remote, local = (first, second) if direction == "pull" else (second, first)
            add_link(conn, name, direction, remote, local)
    found = get_peer(conn, name)
    assert found is not None
    return found


def add_link(conn: Connection, peer_name: str, direction: str, remote: str, local: str) -> None:
    """Pull ``remote`` into ``local``, or push ``local`` to ``remote``; cursors start at the beginning."""
    if direction not in ("pull", "push"):
        raise admin.AdminError(f"direction must be pull or push, not {direction!r}")
    pid = conn.execute(sa.select(peer.c.id).where(peer.c.name == peer_name)).scalar()
    if pid is None:
        raise admin.AdminError(f"no peer named {peer_name!r}")
    coll = admin.collection_by_uuid(conn, local)
    if coll is None:
        raise admin.AdminError(f"--{direction}: no local collection {local}")
    record_write(
        conn, "peer.link", {"peer": peer_name, "direction": direction, "remote": remote, "local": local}
    )
    conn.execute(
        peer_link.insert().values(
            peer_id=pid,
            direction=direction,
            remote_collection=remote,
            collection_id=coll.id,
            cursor_us=0,
            objects=0,
        )
    )
    admin.bump_auth_epoch(conn)


def set_peer(
    conn: Connection,
    name: str,
    *,
    max_tlp: TLP | None = None,
    interval_s: float | None = None,
    enabled: bool | None = None,
    token: str | None = None,
    url: str | None = None,
) -> Peer:
    """Change a link's limit, schedule, credentials, or close/reopen it."""
    values: dict[str, Any] = {}
    if max_tlp is not None:
        values["max_tlp"] = int(max_tlp)
    if interval_s is not None:
        values["interval_s"] = interval_s
    if enabled is not None:
        values["enabled"] = enabled
    if url is not None:
        values["url"] = url.rstrip("/") + "/"
    current = get_peer(conn, name)
    if current is None:
        raise admin.AdminError(f"no peer named {name!r}")
    if token is not None or url is not None:  # the token is bound to the URL: seal it again
        new_token = token if token is not None else current.token
        values["token_sealed"] = seal(conn, name, values.get("url", current.url), new_token)
    if values:
        conn.execute(peer.update().where(peer.c.name == name).values(**values))
        changed = {k: v for k, v in values.items() if k != "token_sealed"}
        changed |= {"token": "changed"} if token else {}
        record_write(conn, "peer.set", {"name": name, **changed})
        admin.bump_auth_epoch(conn)
    found = get_peer(conn, name)
    assert found is not None
    return found


def _peer(conn: Connection, row: sa.Row) -> Peer:
    who = conn.execute(sa.select(org).where(org.c.id == row.org_id)).one()
    links = [
        Link(
            r.id,
            r.direction,
            r.remote_collection,
            r.collection_id,
            r.uuid,
            r.cursor_text,
            r.cursor_us,
            r.objects,
            r.last_success_us,
            r.last_error,
        )
        for r in conn.execute(
            sa.select(peer_link, collection.c.uuid)
            .join(collection, collection.c.id == peer_link.c.collection_id)
            .where(peer_link.c.peer_id == row.id)
            .order_by(peer_link.c.id)
        )
    ]
    return Peer(
        row.id,
        row.name,
        Org(who.id, who.name, who.identity_id),
        row.url,
        SealedToken.of(conn, row.name, row.url, row.token_sealed),
        TLP(row.max_tlp),
        row.interval_s,
        bool(row.enabled),
        row.sightings_collection,
        row.sightings_cursor_seq,
        row.last_success_us,
        row.last_error,
        row.last_error_us,
        row.failures,
        links,
        row.kind,
    )


def get_peer(conn: Connection, name: str) -> Peer | None:
    row = conn.execute(sa.select(peer).where(peer.c.name == name)).first()
    return _peer(conn, row) if row else None


def list_peers(conn: Connection) -> list[Peer]:
    return [_peer(conn, row) for row in conn.execute(sa.select(peer).order_by(peer.c.id))]


def local_names(conn: Connection) -> set[str]:
    """Names and identity ids of this node's own organizations (not those standing for peers),
    lowercased as recipients are compared."""
    rows = conn.execute(
        sa.select(org.c.name, org.c.identity_id).where(~org.c.id.in_(sa.select(peer.c.org_id)))
    )
    return {value.lower() for row in rows for value in row}


def arrival_check(conn: Connection, scope: PeerScope) -> Refusal:
    names = local_names(conn)

    def refuse(obj: dict[str, Any], tlp: TLP | None) -> str | None:
        return arrival_refusal(tlp, recipients_of(obj), scope, names)

    return refuse


def receive(
    conn: Connection, coll: Collection, sender: Org, scope: PeerScope | None, objects: list[Any]
) -> list[Outcome]:
    """Store objects sent by ``sender``; from a peer, apply the arrival rules and record refusals."""
    writer = Reader(sender.id, sender.name, sender.identity_id, scope)
    if scope is None:
        return add_objects(conn, coll, sender, objects, writer=writer)
    outcomes = add_objects(
        conn, coll, sender, objects, source=scope.name, refuse=arrival_check(conn, scope), writer=writer
    )
    refused = [o for o in outcomes if o.refused]
    if refused:
        pid = conn.execute(sa.select(peer.c.id).where(peer.c.name == scope.name)).scalar_one()
        conn.execute(
            sync_refusal.insert(),
            [
                {
                    "peer_id": pid,
                    "collection_id": coll.id,
                    "stix_id": o.id,
                    "version": o.version,
                    "reason": o.message or "",
                    "at_us": now_us(),
                }
                for o in refused
            ],
        )
    return outcomes


def refusals(conn: Connection, name: str, limit: int = 20) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.select(sync_refusal)
            .join(peer, peer.c.id == sync_refusal.c.peer_id)
            .where(peer.c.name == name)
            .order_by(sync_refusal.c.id.desc())
            .limit(limit)
        )
    )
