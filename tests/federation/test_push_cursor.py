"""A push link sends what is stored after its cursor, whatever date_added the objects kept.

Imports keep the times another server gave (a medallion import, `accord import` of an old export):
such objects are stored after the push cursor passed their time. The cursor is the node's storage
order (``seq``), so they are still pushed, and nothing is pushed twice.
"""

from __future__ import annotations

from stixgen import indicator

from accord.stix.markings import TLP
from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects
from accord.sync.peers import add_link
from accord.sync.runner import sync_peer

OLD = parse_us("2020-01-01T00:00:00.000000Z")


def test_objects_imported_with_old_times_are_still_pushed(make_node) -> None:
    a = make_node("cert-a")
    token_for_b = a.org("cert-b")
    inbox = a.collection("From B", write=["cert-b"], tlp="green")
    a.start()
    b = make_node("cert-b")
    outbox = b.collection("To A", tlp="green")
    b.peer("cert-a", a, token=token_for_b, max_tlp=TLP.GREEN)
    with write_transaction(b.engine) as conn:
        add_link(conn, "cert-a", "push", inbox, outbox)
        analyst = admin.add_org(conn, "analyst")
        coll = admin.collection_by_uuid(conn, outbox)
        assert add_objects(conn, coll, analyst, [indicator("fresh", tlp=TLP.GREEN)])[0].stored
    assert sync_peer(b.engine, "cert-a").pushed == 1

    # Imported now with a time years before the cursor: a cursor on date_added passes over these.
    with write_transaction(b.engine) as conn:
        coll = admin.collection_by_uuid(conn, outbox)
        old = [indicator("imported-1", tlp=TLP.GREEN), indicator("imported-2", tlp=TLP.GREEN)]
        done = add_objects(conn, coll, analyst, old, date_added=[OLD, OLD + 1])
        assert all(o.stored for o in done) and done[0].date_added_us == OLD
    assert sync_peer(b.engine, "cert-a").pushed == 2
    assert a.names(inbox) == {"fresh", "imported-1", "imported-2"}
    assert sync_peer(b.engine, "cert-a").pushed == 0  # nothing twice
    assert a.count(inbox) == 3
