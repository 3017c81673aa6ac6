"""Organizations, tokens, API roots, collections and rights: the node's administration data."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from accord.audit.log import record_write
from accord.policy import PeerScope, Reader
from accord.stix.markings import TLP
from accord.stix.timestamps import now_us
from accord.store.schema import (
    api_root,
    collection,
    collection_right,
    node_clock,
    node_setting,
    org,
    peer,
    token,
)

DEFAULT_ROOT = "default"
ADMIN_ORG = "admin"
DEFAULT_MAX_CONTENT_LENGTH = 100 * 1024 * 1024
# A counter in node_setting, bumped in the same transaction as every change to who may do what
# (tokens, rights, peer links): a server process compares it on each request to know whether the
# credentials it remembers still hold, so a revocation takes effect on the very next request.
AUTH_EPOCH = "auth_epoch"
# New tokens begin with this, never with "-": a token is typed as a command-line argument
# (`accord token revoke TOKEN`), where a leading dash reads as an option; the prefix also lets
# secret scanners recognise a leaked Accord token.
TOKEN_PREFIX = "accord_"


class AdminError(ValueError):
    """An administration request that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Org:
    id: int
    name: str
    identity_id: str


@dataclass(frozen=True)
class Collection:
    id: int
    uuid: str
    root_id: int
    title: str
    description: str | None
    alias: str | None
    default_tlp: TLP


@dataclass(frozen=True)
class Root:
    id: int
    name: str
    title: str
    description: str | None
    max_content_length: int


def hash_token(value: str) -> str:
    """Tokens are 256-bit random strings, so one SHA-256 is enough to store them safely."""
    return hashlib.sha256(value.encode()).hexdigest()


def get_setting(conn: Connection, key: str) -> str | None:
    return conn.execute(sa.select(node_setting.c.value).where(node_setting.c.key == key)).scalar()


def set_setting(conn: Connection, key: str, value: str) -> None:
    if get_setting(conn, key) is None:
        conn.execute(node_setting.insert().values(key=key, value=value))
    else:
        conn.execute(node_setting.update().where(node_setting.c.key == key).values(value=value))


def auth_epoch(conn: Connection) -> str | None:
    return get_setting(conn, AUTH_EPOCH)


def bump_auth_epoch(conn: Connection) -> None:
    """Tell every server process that credentials changed (atomic: no read-modify-write race)."""
    bumped = sa.cast(sa.cast(node_setting.c.value, sa.BigInteger) + 1, sa.Text)
    done = conn.execute(node_setting.update().where(node_setting.c.key == AUTH_EPOCH).values(value=bumped))
    if done.rowcount == 0:
        conn.execute(node_setting.insert().values(key=AUTH_EPOCH, value="1"))


def initialize(conn: Connection) -> str | None:
    """Create the default root, the clock, the secrets and the admin organization.

    Idempotent: returns the administrator token the first time, None afterwards.
    """
    if get_setting(conn, "initialized") is not None:
        return None
    set_setting(conn, "page_secret", secrets.token_hex(32))
    if conn.execute(sa.select(node_clock.c.id)).first() is None:
        conn.execute(node_clock.insert().values(id=1, last_us=0))
    if find_root(conn, DEFAULT_ROOT) is None:
        add_root(conn, DEFAULT_ROOT, "Accord default API root")
    admin = find_org(conn, ADMIN_ORG) or add_org(conn, ADMIN_ORG)
    value = create_token(conn, admin, admin=True)
    set_setting(conn, "initialized", "1")
    return value


def add_root(
    conn: Connection,
    name: str,
    title: str,
    description: str | None = None,
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH,
) -> Root:
    if not name or "/" in name:
        raise AdminError(f"invalid API root name {name!r}: one path segment, no '/'")
    if find_root(conn, name) is not None:
        raise AdminError(f"API root {name!r} already exists")
    rid = conn.execute(
        api_root.insert().values(
            name=name, title=title, description=description, max_content_length=max_content_length
        )
    ).inserted_primary_key[0]
    record_write(conn, "admin.root", {"name": name, "title": title, "max_content_length": max_content_length})
    return Root(rid, name, title, description, max_content_length)


def find_root(conn: Connection, name: str) -> Root | None:
    row = conn.execute(sa.select(api_root).where(api_root.c.name == name)).first()
    return Root(row.id, row.name, row.title, row.description, row.max_content_length) if row else None


def list_roots(conn: Connection) -> list[Root]:
    rows = conn.execute(sa.select(api_root).order_by(api_root.c.id)).all()
    return [Root(r.id, r.name, r.title, r.description, r.max_content_length) for r in rows]


def add_org(conn: Connection, name: str, identity_id: str | None = None) -> Org:
    name = name.strip()
    if not name or "|" in name or ":" in name:
        raise AdminError(f"invalid organization name {name!r}: non-empty, without '|' or ':'")
    clash = conn.execute(sa.select(org.c.name).where(sa.func.lower(org.c.name) == name.lower())).first()
    if clash is not None:  # recipients name organizations case-insensitively
        differs = "" if clash.name == name else " (organization names are compared ignoring case)"
        raise AdminError(f"organization {clash.name!r} already exists{differs}")
    identity_id = identity_id or f"identity--{uuid.uuid4()}"
    oid = conn.execute(
        org.insert().values(name=name, identity_id=identity_id, created_us=now_us())
    ).inserted_primary_key[0]
    record_write(conn, "admin.org", {"name": name, "identity_id": identity_id})
    return Org(oid, name, identity_id)


def find_org(conn: Connection, name: str) -> Org | None:
    row = conn.execute(sa.select(org).where(org.c.name == name)).first()
    return Org(row.id, row.name, row.identity_id) if row else None


def require_org(conn: Connection, name: str) -> Org:
    found = find_org(conn, name)
    if found is None:
        raise AdminError(f"no organization named {name!r}")
    return found


def list_orgs(conn: Connection) -> list[Org]:
    return [Org(r.id, r.name, r.identity_id) for r in conn.execute(sa.select(org).order_by(org.c.id))]


def create_token(conn: Connection, owner: Org, admin: bool = False, value: str | None = None) -> str:
    """Create a token for ``owner``; ``value`` lets a migration keep a password it already had."""
    value = value or TOKEN_PREFIX + secrets.token_urlsafe(32)
    digest = hash_token(value)
    if conn.execute(sa.select(token.c.id).where(token.c.token_hash == digest)).first():
        raise AdminError("that token is already in use")
    conn.execute(token.insert().values(org_id=owner.id, token_hash=digest, admin=admin, created_us=now_us()))
    record_write(conn, "admin.token", {"org": owner.name, "admin": admin, "token_sha256_prefix": digest[:12]})
    bump_auth_epoch(conn)
    return value


def revoke_token(conn: Connection, value: str | None = None, *, owner: Org | None = None) -> int:
    """Revoke one token (by its value) or every token of ``owner``; returns how many were revoked."""
    if value is not None and owner is None:
        where, missing = token.c.token_hash == hash_token(value), "no such token"
    elif owner is not None and value is None:
        where, missing = token.c.org_id == owner.id, f"{owner.name!r} has no token"
    else:
        raise AdminError("revoke either one token or the tokens of one organization")
    rows = conn.execute(
        sa.select(token.c.token_hash, org.c.name).join(org, org.c.id == token.c.org_id).where(where)
    ).all()
    if not rows:
        raise AdminError(missing)
    conn.execute(token.delete().where(where))
    for row in rows:
        record_write(conn, "admin.revoke", {"org": row.name, "token_sha256_prefix": row.token_hash[:12]})
    bump_auth_epoch(conn)
    return len(rows)


def add_collection(
    conn: Connection,
    root: Root,
    title: str,
    *,
    collection_uuid: str | None = None,
    alias: str | None = None,
    description: str | None = None,
    default_tlp: TLP = TLP.AMBER,
) -> Collection:
    collection_uuid = collection_uuid or str(uuid.uuid4())
    if conn.execute(sa.select(collection.c.id).where(collection.c.uuid == collection_uuid)).first():
        raise AdminError(f"collection {collection_uuid} already exists")
    if (
        alias
        and conn.execute(
            sa.select(collection.c.id).where(collection.c.root_id == root.id, collection.c.alias == alias)
        ).first()
    ):
        raise AdminError(f"alias {alias!r} is already used in API root {root.name!r}")
    cid = conn.execute(
        collection.insert().values(
            uuid=collection_uuid,
            root_id=root.id,
            title=title,
            description=description,
            alias=alias,
            default_tlp=int(default_tlp),
        )
    ).inserted_primary_key[0]
    record_write(
        conn,
        "admin.collection",
        {
            "id": collection_uuid,
            "root": root.name,
            "title": title,
            "alias": alias,
            "default_tlp": default_tlp.label,
        },
    )
    return Collection(cid, collection_uuid, root.id, title, description, alias, default_tlp)


def _collection(row: sa.Row) -> Collection:
    return Collection(
        row.id, row.uuid, row.root_id, row.title, row.description, row.alias, TLP(row.default_tlp)
    )


def find_collection(conn: Connection, root: Root, key: str) -> Collection | None:
    """A collection of ``root`` by its id or its alias (TAXII allows either in the URL)."""
    row = conn.execute(
        sa.select(collection).where(
            collection.c.root_id == root.id, sa.or_(collection.c.uuid == key, collection.c.alias == key)
        )
    ).first()
    return _collection(row) if row else None


def collection_by_uuid(conn: Connection, collection_uuid: str) -> Collection | None:
    row = conn.execute(sa.select(collection).where(collection.c.uuid == collection_uuid)).first()
    return _collection(row) if row else None


def list_collections(conn: Connection, root: Root | None = None) -> list[Collection]:
    query = sa.select(collection).order_by(collection.c.id)
    if root is not None:
        query = query.where(collection.c.root_id == root.id)
    return [_collection(r) for r in conn.execute(query)]


def grant(conn: Connection, coll: Collection, who: Org, *, read: bool, write: bool) -> None:
    """Set (not add to) an organization's rights on a collection (a no-op when they are already so)."""
    where = (collection_right.c.collection_id == coll.id) & (collection_right.c.org_id == who.id)
    current = conn.execute(
        sa.select(collection_right.c.can_read, collection_right.c.can_write).where(where)
    ).first()
    if current is not None and (bool(current.can_read), bool(current.can_write)) == (read, write):
        return
    record_write(
        conn, "admin.grant", {"collection": coll.uuid, "org": who.name, "read": read, "write": write}
    )
    if current is not None:
        conn.execute(collection_right.update().where(where).values(can_read=read, can_write=write))
    else:
        conn.execute(
            collection_right.insert().values(
                collection_id=coll.id, org_id=who.id, can_read=read, can_write=write
            )
        )
    bump_auth_epoch(conn)


def rights(conn: Connection, coll: Collection, who: Org) -> tuple[bool, bool]:
    """(can_read, can_write) of an organization on a collection."""
    row = conn.execute(
        sa.select(collection_right.c.can_read, collection_right.c.can_write).where(
            collection_right.c.collection_id == coll.id, collection_right.c.org_id == who.id
        )
    ).first()
    return (bool(row.can_read), bool(row.can_write)) if row else (False, False)


@dataclass(frozen=True)
class Principal:
    """Who is making a request: an organization, through one of its tokens.

    ``peer`` is set when the organization stands for a peer node: the sync rules then apply.
    """

    org: Org
    admin: bool
    peer: PeerScope | None = None

    @property
    def reader(self) -> Reader:
        return Reader(self.org.id, self.org.name, self.org.identity_id, self.peer)


_PRINCIPAL_COLUMNS = (
    org.c.id,
    org.c.name,
    org.c.identity_id,
    peer.c.name.label("peer"),
    peer.c.max_tlp,
    peer.c.enabled,
)


def _principal(row: sa.Row, is_admin: bool) -> Principal | None:
    if row.peer is not None and not row.enabled:
        return None  # the link to that node is closed
    scope = PeerScope(row.peer, TLP(row.max_tlp)) if row.peer is not None else None
    return Principal(Org(row.id, row.name, row.identity_id), is_admin, scope)


def authenticate(conn: Connection, value: str, org_name: str | None = None) -> Principal | None:
    """The principal a token belongs to (and, for HTTP Basic, that it belongs to ``org_name``)."""
    row = conn.execute(
        sa.select(*_PRINCIPAL_COLUMNS, token.c.admin)
        .join(token, token.c.org_id == org.c.id)
        .outerjoin(peer, peer.c.org_id == org.c.id)
        .where(token.c.token_hash == hash_token(value))
    ).first()
    if row is None or (org_name is not None and row.name != org_name):
        return None
    return _principal(row, bool(row.admin))


def reader_of(conn: Connection, coll: Collection, name: str) -> Reader:
    """The reader an organization's token would read ``coll`` as, for reads made on its behalf
    without a token (``accord export --as``): the same read right and peer scope as over TAXII."""
    row = conn.execute(
        sa.select(*_PRINCIPAL_COLUMNS).outerjoin(peer, peer.c.org_id == org.c.id).where(org.c.name == name)
    ).first()
    if row is None:
        raise AdminError(f"no organization named {name!r}")
    principal = _principal(row, False)
    if principal is None:
        raise AdminError(f"{name} stands for a peer whose link is closed: it may read nothing")
    if not rights(conn, coll, principal.org)[0]:
        raise AdminError(f"{name} has no read right on collection {coll.uuid}: it may read nothing there")
    return principal.reader
