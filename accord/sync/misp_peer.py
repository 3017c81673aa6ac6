"""One sync pass with a MISP peer: its REST API pulled and pushed by the sync loop.

A MISP server cannot speak TAXII, so its links run ``accord.misp.rest`` instead of the TAXII
exchange: a pull link is ``pull_rest`` into the link's collection as the organization standing for
the peer (the cursor is pull_rest's own, per collection and URL, so `accord misp pull` from cron and
the loop share it), a push link is ``push_rest`` reading as that organization through the peer's
sync policy (its TLP limit, no forwarding of what came from elsewhere above GREEN), exactly what a
TAXII push would let cross. Every server failure is a ``MispError`` line, recorded like any peer's.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from accord.misp.rest import MispClient, MispError, misp_sightings, pull_rest, push_rest
from accord.stix.timestamps import now_us
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import peer_link
from accord.sync.client import PeerError, PeerUnreachable
from accord.sync.exchange import PassResult, route_sightings
from accord.sync.peers import Link, Peer

log = logging.getLogger("accord.sync")
_UNREACHABLE = ("cannot connect", "no answer within")


def check_misp(url: str, key: str) -> None:
    """That ``url`` is a MISP server accepting ``key`` (``GET /users/view/me``); PeerError otherwise."""
    try:
        with MispClient(url, key) as client:
            client.check_key()
    except MispError as exc:
        raise PeerError(str(exc)) from None


def misp_answers(peer: Peer) -> bool:
    """Whether the MISP server answers the peer's key now (the probe that ends a backoff)."""
    try:
        check_misp(peer.url, peer.token)
    except PeerError:
        return False
    return True


def sync_misp(engine: Engine, peer: Peer, result: PassResult) -> None:
    """Every link of a MISP peer once: pulls first, so a push in the same pass never sends back
    what this pass is about to find unchanged. Raises PeerUnreachable when the server cannot be
    reached (the loop then probes it), PeerError for any other failure of the server."""
    links = sorted(peer.links, key=lambda link: link.direction != "pull")
    try:
        with MispClient(peer.url, peer.token) as client:
            for link in links:
                (_pull if link.direction == "pull" else _push)(engine, peer, link, client, result)
            # What may go to it goes, the sightings of its own indicators too (a push never sends
            # those indicators back to it, so their sightings cannot travel inside its events).
            if any(link.direction == "push" for link in links):
                route_sightings(engine, peer, misp_sightings(client), result)
    except MispError as exc:
        message = str(exc)
        raise (PeerUnreachable if any(s in message for s in _UNREACHABLE) else PeerError)(message) from None


def _collection(engine: Engine, link: Link) -> admin.Collection:
    with read_transaction(engine) as conn:
        coll = admin.collection_by_uuid(conn, link.local_collection)
    if coll is None:
        raise PeerError(f"local collection {link.local_collection} no longer exists")
    return coll


def _pull(engine: Engine, peer: Peer, link: Link, client: MispClient, result: PassResult) -> None:
    coll = _collection(engine, link)
    pulled = pull_rest(engine, coll, peer.org, client, source=peer.name)
    report = pulled.report
    for uid, error in report.failed:  # one bad event fails alone, as in `accord misp pull`
        log.warning("sync with %s: event %s not stored: %s", peer.name, uid, error)
    with write_transaction(engine) as conn:
        conn.execute(
            peer_link.update()
            .where(peer_link.c.id == link.id)
            .values(
                cursor_text=f"timestamp {pulled.cursor}",
                cursor_us=pulled.cursor,
                objects=peer_link.c.objects + report.stored,
                last_success_us=now_us(),
                last_error=None,
            )
        )
    result.pulled += report.stored
    result.refused += len(report.failed)


def _push(engine: Engine, peer: Peer, link: Link, client: MispClient, result: PassResult) -> None:
    coll = _collection(engine, link)
    report = push_rest(engine, coll, peer.org_reader, client)
    for uid, error in report.failed:
        log.warning("sync with %s: event %s not accepted: %s", peer.name, uid, error)
    sent = report.added + report.edited + report.deleted + report.retracted
    with write_transaction(engine) as conn:
        conn.execute(
            peer_link.update()
            .where(peer_link.c.id == link.id)
            .values(objects=peer_link.c.objects + sent, last_success_us=now_us(), last_error=None)
        )
    result.pushed += sent
    result.refused += len(report.failed)
