"""The expected answer of every read and write path, from the README's "Who sees what" table and
the "sync to peer" table of docs/federation.md — written here independently of ``accord.policy``.

Pure Python over plain records: nothing here imports the node. The levels, the marking ids and the
rules are restated from the documentation, so a change of the product's code cannot change what
this module expects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

CLEAR, GREEN, AMBER, AMBER_STRICT, RED = range(5)
LEVEL_NAMES = ("clear", "green", "amber", "amber+strict", "red")

# TLP 2.0 marking definitions (the TLP 2.0 extension) and TLP 1.0 ones (STIX 2.1 section 7.2.1.4).
TLP2 = {
    CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1 = {
    CLEAR: "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",  # WHITE
    GREEN: "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    AMBER: "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    RED: "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}
LEVEL_OF = {ref: level for table in (TLP2, TLP1) for level, ref in table.items()}
# Marking definitions that are not TLP (statements, copyright): they say nothing about who sees what.
STATEMENTS = (
    "marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "marking-definition--5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f",
)
TOMBSTONE = "x-accord-tombstone"


def marked_level(obj: dict[str, Any]) -> int | None:
    """The most restrictive TLP an object carries, at object level or in a granular marking."""
    refs = list(obj.get("object_marking_refs") or [])
    refs += [g.get("marking_ref") for g in obj.get("granular_markings") or []]
    levels = [LEVEL_OF[r] for r in refs if r in LEVEL_OF]
    return max(levels) if levels else None


def level_of(obj: dict[str, Any], default: int) -> int:
    """What the object is handled under: its TLP, else its collection's default."""
    marked = marked_level(obj)
    return default if marked is None else marked


def recipients_of(obj: dict[str, Any]) -> frozenset[str]:
    """The named recipients, as compared: each entry whole, ignoring case."""
    return frozenset(r.lower() for r in obj.get("x_accord_recipients") or [])


@dataclass(frozen=True)
class Org:
    name: str
    identity: str
    peer_max: int | None = None  # set when the organization stands for a peer node

    @property
    def is_peer(self) -> bool:
        return self.peer_max is not None


@dataclass
class Row:
    """One stored object version as the oracle knows it (its dates are read back from the store)."""

    key: str  # x_probe of a generated version, the id of a tombstone
    coll: str
    stix_id: str
    type: str
    producer: str
    source: str | None
    level: int
    recipients: frozenset[str]
    body: dict[str, Any]
    write: int
    version: str = ""
    version_key: int = 0
    date_added_us: int = 0
    seq: int = 0
    spec: str = "2.1"

    @property
    def history(self) -> tuple[str, str]:
        return (self.stix_id, self.producer)

    @property
    def order(self) -> tuple[int, int]:
        return (self.date_added_us, self.seq)


def named(org: Org, row: Row) -> bool:
    return org.name.lower() in row.recipients or org.identity.lower() in row.recipients


def api_visible(org: Org, row: Row) -> bool:
    """ "Who sees what": my own objects; anything not RED; RED only when I am a named recipient."""
    return row.producer == org.name or row.level < RED or named(org, row)


def peer_visible(org: Org, row: Row) -> bool:
    """ "What crosses the border", for the organization standing for a peer with limit ``peer_max``."""
    assert org.peer_max is not None
    if not api_visible(org, row) or row.source == org.name or row.level > org.peer_max:
        return False
    if row.level == AMBER and row.source is not None:
        return False  # AMBER is never forwarded
    if row.level >= AMBER_STRICT and (row.source is not None or not named(org, row)):
        return False
    return True


def visible(org: Org, row: Row) -> bool:
    return peer_visible(org, row) if org.is_peer else api_visible(org, row)


def in_order(rows: Iterable[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: r.order)


def per_history(rows: Iterable[Row], pick: str) -> list[Row]:
    """The latest (or first) row of each history among ``rows``, in storage order."""
    best: dict[tuple[str, str], Row] = {}
    for row in rows:
        held = best.get(row.history)
        if held is None or (
            row.version_key > held.version_key if pick == "last" else row.version_key < held.version_key
        ):
            best[row.history] = row
    return in_order(best.values())


def latest_spec(rows: Iterable[Row]) -> list[Row]:
    """TAXII's default ``match[spec_version]``: of each history, only the rows of the newest STIX
    version among ``rows`` (the visible ones: a hidden newer one must not hide them)."""
    rows = list(rows)
    newest: dict[tuple[str, str], str] = {}
    for row in rows:
        newest[row.history] = max(newest.get(row.history, row.spec), row.spec)
    return [r for r in rows if r.spec == newest[r.history]]


@dataclass
class Collection:
    uuid: str
    default: int


@dataclass
class Model:
    """The node as the rules describe it: organizations, rights, and the rows each write stored."""

    orgs: dict[str, Org]
    collections: dict[str, Collection]
    rights: dict[tuple[str, str], tuple[bool, bool]]  # (org, collection) -> (read, write)
    rows: list[Row] = field(default_factory=list)
    deleted: list[Row] = field(default_factory=list)
    local_names: frozenset[str] = frozenset()  # names and identities of non-peer organizations

    def right(self, org: str, coll: str) -> tuple[bool, bool]:
        return self.rights.get((org, coll), (False, False))

    def view(self, org: str, coll: str) -> list[Row]:
        """Every version of ``coll`` the organization may see (given read rights), in order."""
        who = self.orgs[org]
        return in_order(r for r in self.rows if r.coll == coll and visible(who, r))

    def hidden(self, org: str, coll: str) -> list[Row]:
        who = self.orgs[org]
        return [r for r in self.rows if r.coll == coll and not visible(who, r)]

    # -- writes -----------------------------------------------------------------------------------

    def arrival_refusal(self, org: str, obj: dict[str, Any]) -> str | None:
        """A peer may not send above its link's limit, nor AMBER+STRICT/RED naming nobody here."""
        peer_max = self.orgs[org].peer_max
        marked = marked_level(obj)
        if peer_max is None or marked is None:
            return None
        if marked > peer_max:
            return "above this node's limit"
        if marked >= AMBER_STRICT and not recipients_of(obj) & self.local_names:
            return "does not name any organization of this node"
        return None

    def held_by_another(self, org: str, stix_id: str) -> bool:
        """Does the writer see, anywhere it may read, a version of ``stix_id`` another organization holds?"""
        who = self.orgs[org]
        return any(
            r.stix_id == stix_id and r.producer != org and self.right(org, r.coll)[0] and visible(who, r)
            for r in self.rows
        )

    def post(self, org: str, coll: str, objects: list[dict[str, Any]]) -> list[str | None]:
        """The outcome each posted object must get: None (stored) or the reason of its refusal."""
        outcomes: list[str | None] = []
        sco_classes: dict[str, tuple[int, frozenset[str]]] = {}
        for obj in objects:
            reason = None
            if any("|" in r for r in obj.get("x_accord_recipients") or ()):
                reason = "never with '|'"  # the entry would read as several names
            reason = reason or self.arrival_refusal(org, obj)
            if reason is None and self.held_by_another(org, obj["id"]):
                reason = "belongs to another organization"
            if reason is None and "modified" not in obj:  # an SCO: one visibility class per write
                visibility = (level_of(obj, self.collections[coll].default), recipients_of(obj))
                if sco_classes.setdefault(obj["id"], visibility) != visibility:
                    reason = "already in this write under another marking"
            outcomes.append(reason)
        return outcomes

    def delete(self, org: str, coll: str, stix_id: str, version: str | None) -> tuple[int, list[Row]]:
        """DELETE by ``org``: the status, and the versions deleted (those it sees, all its own)."""
        read, write = self.right(org, coll)
        if not (read or write):
            return 404, []
        if not (read and write):
            return 403, []
        who = self.orgs[org]
        rows = [
            r
            for r in self.rows
            if r.coll == coll
            and r.stix_id == stix_id
            and visible(who, r)
            and (version is None or r.version == version)
        ]
        if not rows:
            return 404, []
        if any(r.producer != org for r in rows):
            return 403, []
        return 200, rows

    def apply_tombstone(self, producer: str, coll: str, tomb: dict[str, Any]) -> list[Row]:
        """A stored tombstone deletes the listed versions of its producer's own history only."""
        gone = [
            r
            for r in self.rows
            if r.coll == coll
            and r.stix_id == tomb["object_ref"]
            and r.producer == producer
            and r.version in tomb["versions"]
        ]
        self.remove(gone)
        return gone

    def remove(self, rows: list[Row]) -> None:
        ids = {id(r) for r in rows}
        self.deleted += rows
        self.rows = [r for r in self.rows if id(r) not in ids]


def consecutive_from(first: int, dates: set[int]) -> bool:
    """Are ``dates`` exactly first, first+1, ... (nothing skipped that would count hidden rows)?"""
    return not dates or dates == set(range(first, first + len(dates)))
