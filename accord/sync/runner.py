"""Running sync passes: once on demand, or continuously in the background of `accord serve`.

Each peer gets its own thread, so a peer that is down or slow never delays the others; a failing
peer is retried with exponential backoff, and every failure is kept for `accord peer list`. A peer
that could not be reached at all (down, or cut off by a partition) is probed once an interval while
it waits, so a link resumes within an interval of the peer's return rather than after the backoff.
A MISP peer's links run its REST API (``accord.sync.misp_peer``) instead of the TAXII exchange,
with the same failure records, backoff and probing.
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import Engine

from accord.stix.timestamps import now_us
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import peer as peer_table
from accord.sync.client import PeerClient, PeerError, PeerUnreachable
from accord.sync.exchange import PassResult, pull, push, route_sightings, taxii_sightings
from accord.sync.misp_peer import misp_answers, sync_misp
from accord.sync.peers import Peer, get_peer, list_peers
from accord.sync.sealing import PeerKeyError

log = logging.getLogger("accord.sync")


def sync_peer(engine: Engine, name: str) -> PassResult:
    """One full pass with one peer; records success or the failure, and raises PeerError on failure.

    The failure is not logged here: the caller reports it (the CLI on stderr, the loop in the log), so
    it shows once, not once from here and again from the caller.
    """
    with read_transaction(engine) as conn:
        peer = get_peer(conn, name)
    if peer is None:
        raise PeerError(f"no peer named {name!r}")
    result = PassResult()
    try:
        if peer.kind == "misp":
            sync_misp(engine, peer, result)
        else:
            with PeerClient(peer.url, peer.token) as client:
                for link in peer.links:
                    (pull if link.direction == "pull" else push)(engine, peer, link, client, result)
                if peer.sightings_collection:
                    route_sightings(engine, peer, taxii_sightings(peer, client), result)
    except Exception as exc:  # any failure of one peer is recorded, never fatal to the loop
        message = str(exc) if isinstance(exc, PeerError | PeerKeyError) else f"{type(exc).__name__}: {exc}"
        message = " ".join(message.split())[:500]
        with write_transaction(engine) as conn:
            conn.execute(
                peer_table.update()
                .where(peer_table.c.id == peer.id)
                .values(last_error=message, last_error_us=now_us(), failures=peer_table.c.failures + 1)
            )
        raise (PeerUnreachable if isinstance(exc, PeerUnreachable) else PeerError)(message) from None
    with write_transaction(engine) as conn:
        conn.execute(
            peer_table.update().where(peer_table.c.id == peer.id).values(last_success_us=now_us(), failures=0)
        )
    log.info(
        "sync with %s: pulled %d, pushed %d, sightings %d, refused %d",
        name,
        result.pulled,
        result.pushed,
        result.sightings,
        result.refused,
    )
    return result


def backoff_delay(interval_s: float, failures: int) -> float:
    """Seconds to wait before the next pass: the interval, doubled per consecutive failure (capped)."""
    if failures <= 0:
        return interval_s
    return min(interval_s * 2**failures, max(interval_s, min(300.0, interval_s * 16)))


class SyncLoop:
    """Background sync: one thread per enabled peer, each on its own schedule."""

    def __init__(self, engine: Engine, poll_s: float = 1.0) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self.stop_event = threading.Event()
        self._workers: dict[str, threading.Thread] = {}
        self._supervisor = threading.Thread(target=self._supervise, name="accord-sync", daemon=True)

    def start(self) -> None:
        self._supervisor.start()

    def stop(self) -> None:
        self.stop_event.set()
        self._supervisor.join(timeout=5)
        for worker in self._workers.values():
            worker.join(timeout=5)

    def _supervise(self) -> None:
        while not self.stop_event.is_set():
            try:
                with read_transaction(self.engine) as conn:
                    names = [
                        p.name for p in list_peers(conn) if p.enabled and (p.links or p.sightings_collection)
                    ]
            except Exception:  # the database may be briefly busy; try again at the next poll
                log.exception("cannot list peers")
                names = []
            for name in names:
                if name not in self._workers or not self._workers[name].is_alive():
                    worker = threading.Thread(
                        target=self._run_peer, args=(name,), name=f"sync-{name}", daemon=True
                    )
                    self._workers[name] = worker
                    worker.start()
            self.stop_event.wait(self.poll_s)

    def _run_peer(self, name: str) -> None:
        while not self.stop_event.is_set():
            with read_transaction(self.engine) as conn:
                peer = get_peer(conn, name)
            if peer is None or not peer.enabled:
                return
            started = time.monotonic()
            unreachable = False
            try:
                sync_peer(self.engine, name)
                failures = 0
            except PeerError as exc:
                log.warning("sync with %s failed: %s", name, exc)
                failures = peer.failures + 1
                unreachable = isinstance(exc, PeerUnreachable)
            deadline = started + backoff_delay(peer.interval_s, failures)
            if not unreachable:
                self.stop_event.wait(max(deadline - time.monotonic(), 0.05))
                continue
            # Unreachable: probe once an interval and pass again as soon as the peer answers.
            while not self.stop_event.wait(max(min(peer.interval_s, deadline - time.monotonic()), 0.05)):
                if time.monotonic() >= deadline:
                    break
                if _answers(peer):
                    log.info("sync with %s: the peer answers again, passing now", name)
                    break


def _answers(peer: Peer) -> bool:
    """The cheap call that ends a backoff: the TAXII API root, or MISP's ``/users/view/me``."""
    if peer.kind == "misp":
        return misp_answers(peer)
    with PeerClient(peer.url, peer.token) as probe:
        return probe.answers()
