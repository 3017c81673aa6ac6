"""One sync pass with one peer: pull, push and sighting routing, each page in one transaction.

Pull stores a page and advances the link's cursor in the same transaction, so a node killed in the
middle of a sync resumes exactly where it stopped: nothing lost, nothing stored twice (re-sent
objects are identical re-posts). Push advances its cursor only after the peer accepted the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from accord.policy import reader_params, visible
from accord.stix.timestamps import now_us, parse_us
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.queries import Filters, select_page
from accord.store.schema import peer as peer_table
from accord.store.schema import peer_link, stix_object
from accord.sync.client import PeerClient, PeerError
from accord.sync.peers import Link, Peer, receive

PUSH_BATCH = 1000


@dataclass
class PassResult:
    pulled: int = 0
    pushed: int = 0
    sightings: int = 0
    refused: int = 0


def pull(engine: Engine, peer: Peer, link: Link, client: PeerClient, result: PassResult) -> None:
    # The query keeps its starting point while following `next`; the stored cursor moves with every
    # page, so a restart resumes after the last page committed.
    cursor, token = link.cursor_text, None
    while True:
        page = client.objects_page(link.remote_collection, cursor, token)
        with write_transaction(engine) as conn:
            coll = admin.collection_by_uuid(conn, link.local_collection)
            if coll is None:
                raise PeerError(f"local collection {link.local_collection} no longer exists")
            stored = 0
            if page.objects:
                outcomes = receive(conn, coll, peer.org, peer.scope, page.objects)
                stored = sum(1 for o in outcomes if o.stored)
                result.refused += sum(1 for o in outcomes if o.refused)
            values: dict = {
                "last_success_us": now_us(),
                "last_error": None,
                "objects": peer_link.c.objects + stored,
            }
            if page.last_added:
                values |= {"cursor_text": page.last_added, "cursor_us": parse_us(page.last_added)}
            conn.execute(peer_link.update().where(peer_link.c.id == link.id).values(**values))
        result.pulled += stored
        if not page.more:
            return
        token = page.next


def push(engine: Engine, peer: Peer, link: Link, client: PeerClient, result: PassResult) -> None:
    """Send what the peer may receive, in storage order after the link's cursor (the last ``seq``
    pushed): an import that kept an older date_added is stored later, so it is still sent."""
    reader = peer.org_reader
    everything = Filters(versions=("all",), spec_versions=("2.0", "2.1"))
    cursor = link.cursor_us
    while True:
        with read_transaction(engine) as conn:
            page = select_page(
                conn,
                link.collection_id,
                reader,
                everything,
                after_us=None,
                limit=PUSH_BATCH,
                columns=("body", "seq"),
                after_seq=cursor,
            )
        if not page.rows:
            return
        status = client.post(link.remote_collection, [r.body.encode() for r in page.rows])
        cursor = page.rows[-1].seq
        with write_transaction(engine) as conn:
            conn.execute(
                peer_link.update()
                .where(peer_link.c.id == link.id)
                .values(
                    cursor_us=cursor,
                    objects=peer_link.c.objects + int(status.get("success_count", 0)),
                    last_success_us=now_us(),
                    last_error=None,
                )
            )
        result.pushed += int(status.get("success_count", 0))
        result.refused += int(status.get("failure_count", 0))
        if not page.more:
            return


def route_sightings(engine: Engine, peer: Peer, send: Callable[[list[str]], int], result: PassResult) -> None:
    """Send home the sightings of indicators that came from ``peer``, within the sync policy: each
    batch of sighting bodies (JSON) goes through ``send``, which returns how many the peer took
    (TAXII: a POST to its sightings collection; MISP: its sightings API).

    The cursor is the global ``seq``, not ``date_added``: date_added is per collection and ties
    (imports keep theirs; a write's visibility classes share times), so two sightings can share
    one, and a cursor on it would skip the second at a page boundary, or one imported after the
    cursor passed its time.
    """
    sighting, indicator = stix_object, stix_object.alias("sighted_indicator")
    cursor = peer.sightings_cursor_seq
    while True:
        query = (
            sa.select(sighting.c.body, sighting.c.seq)
            .where(
                sighting.c.seq > cursor,
                sighting.c.type == "sighting",
                visible(sighting, peer=True),
                sa.exists().where(
                    indicator.c.stix_id == sighting.c.about_ref, indicator.c.source == peer.name
                ),
            )
            .order_by(sighting.c.seq)
            .limit(PUSH_BATCH)
        )
        with read_transaction(engine) as conn:
            rows = list(conn.execute(query, reader_params(peer.org_reader)))
        if not rows:
            return
        taken = send([r.body for r in rows])
        cursor = rows[-1].seq
        with write_transaction(engine) as conn:
            conn.execute(
                peer_table.update().where(peer_table.c.id == peer.id).values(sightings_cursor_seq=cursor)
            )
        result.sightings += taken


def taxii_sightings(peer: Peer, client: PeerClient) -> Callable[[list[str]], int]:
    """``route_sightings``'s sender for a TAXII peer: the bodies posted to its sightings collection."""

    def send(bodies: list[str]) -> int:
        status = client.post(peer.sightings_collection, [b.encode() for b in bodies])  # type: ignore[arg-type]
        return int(status.get("success_count", 0))

    return send
