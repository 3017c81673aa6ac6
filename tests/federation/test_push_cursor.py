"""Links send what is stored after their cursor, whatever date_added the objects came with.

A medallion import brings the times another server gave its objects. A push cursor is the node's
storage order (``seq``), so objects stored later with older times are still pushed, once. A pull
cursor is the peer's ``date_added`` (all TAXII offers), so the serving node keeps each collection's
date_added growing with its storage order: an imported time older than the collection's newest is
replaced by the node's time, and the puller sees the objects arrive.
"""

from __future__ import annotations

import subprocess
import sys

import orjson
from stixgen import indicator

from accord.stix.markings import TLP
from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects
from accord.sync.peers import add_link, add_peer
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

    # Imported now with a time years before the cursor (given the node's time, as it is older than
    # the collection's newest): stored after the cursor, so pushed.
    with write_transaction(b.engine) as conn:
        coll = admin.collection_by_uuid(conn, outbox)
        old = [indicator("imported-1", tlp=TLP.GREEN), indicator("imported-2", tlp=TLP.GREEN)]
        done = add_objects(conn, coll, analyst, old, date_added=[OLD, OLD + 1])
        assert all(o.stored and o.redated for o in done)
    assert sync_peer(b.engine, "cert-a").pushed == 2
    assert a.names(inbox) == {"fresh", "imported-1", "imported-2"}
    assert sync_peer(b.engine, "cert-a").pushed == 0  # nothing twice
    assert a.count(inbox) == 3


def test_objects_imported_with_old_times_are_still_pulled(make_node) -> None:
    a = make_node("cert-a")
    token_for_b = a.org("cert-b")
    shared = a.collection("Shared", read=["cert-b"], tlp="green")
    analyst_token = a.org("analyst")
    a.grant(shared, "analyst", read=True, write=True)
    a.start()
    a.post(shared, "analyst", analyst_token, indicator("fresh", tlp=TLP.GREEN))
    b = make_node("cert-b")
    copy = b.collection("From A", tlp="green")
    with write_transaction(b.engine) as conn:
        add_peer(conn, "cert-a", a.root, token_for_b, max_tlp=TLP.GREEN)
        add_link(conn, "cert-a", "pull", shared, copy)
    assert sync_peer(b.engine, "cert-a").pulled == 1

    # A medallion migration into the shared collection, after B's cursor passed its times.
    old = [indicator("imported-1", tlp=TLP.GREEN), indicator("imported-2", tlp=TLP.GREEN)]
    data = {
        admin.DEFAULT_ROOT: {
            "collections": [
                {
                    "id": shared,
                    "objects": old,
                    "manifest": [
                        {"id": o["id"], "version": o["modified"], "date_added": "2020-01-01T00:00:00.000000Z"}
                        for o in old
                    ],
                }
            ]
        }
    }
    medallion = a.data_dir / "medallion.json"
    medallion.write_bytes(orjson.dumps(data))
    cli = [sys.executable, "-m", "accord.cli", "import", "--medallion", str(medallion)]
    done = subprocess.run(
        [*cli, "--data-dir", str(a.data_dir), "--db", a.db_url, "--producer", "analyst"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "stored 2" in done.stderr and "2 kept date_added older than the collection's newest" in done.stderr

    assert sync_peer(b.engine, "cert-a").pulled == 2
    assert b.names(copy) == {"fresh", "imported-1", "imported-2"}
    assert sync_peer(b.engine, "cert-a").pulled == 0  # nothing twice
    assert b.count(copy) == 3


def test_a_migration_into_a_new_collection_keeps_its_times(make_node) -> None:
    a = make_node("cert-a")
    with write_transaction(a.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        coll = admin.add_collection(conn, root, "Migrated", default_tlp=TLP.GREEN)
        analyst = admin.add_org(conn, "analyst")
        objects = [indicator(f"m{i}", tlp=TLP.GREEN) for i in range(3)]
        # Out of order, and two equal: kept (sorted), the tie moved on by a microsecond.
        done = add_objects(conn, coll, analyst, objects, date_added=[OLD + 10, OLD, OLD])
        assert sorted(o.date_added_us for o in done) == [OLD, OLD + 1, OLD + 10]
        assert not any(o.redated for o in done)
        later = add_objects(conn, coll, analyst, [indicator("m3", tlp=TLP.GREEN)], date_added=[OLD + 5])
        assert later[0].redated and later[0].date_added_us > OLD + 10
