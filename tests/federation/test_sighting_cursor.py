"""Sightings go home even when imported with the same date_added in two collections.

date_added is unique only per collection, and imports keep the times another server gave (where they
come after the collection's newest); the routing cursor is the global seq, so neither a page boundary
between two equal times nor a sighting imported after the cursor passed its time loses anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from stixgen import indicator, stix_id

from accord.config import Settings
from accord.node import open_node
from accord.stix.markings import TLP, TLP2_MARKING_ID
from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects
from accord.sync import exchange
from accord.sync.peers import add_peer
from accord.sync.runner import sync_peer

T = parse_us("2026-06-01T12:00:00.000000Z")


def sighting(name: str, of: str) -> dict:
    return {
        "type": "sighting",
        "spec_version": "2.1",
        "id": stix_id("sighting", name),
        "created": "2026-06-01T11:00:00.000Z",
        "modified": "2026-06-01T11:00:00.000Z",
        "sighting_of_ref": of,
        "count": 1,
        "object_marking_refs": [TLP2_MARKING_ID[TLP.GREEN]],
    }


def test_colliding_import_times_in_two_collections_skip_no_sighting(
    make_node, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Producer A, a real server, designates a collection for sightings of its indicators.
    a = make_node("cert-a")
    a_token_for_b = a.org("company")
    a_sightings = a.collection("Sightings", write=["company"], tlp="amber")
    a.start()
    # The company's node B (SQLite or PostgreSQL) holds A's indicator and three local collections.
    b, _ = open_node(Settings(tmp_path / "company", db_url))
    try:
        shared = indicator("c2-domain", tlp=TLP.GREEN)
        with write_transaction(b.engine) as conn:
            home = add_peer(
                conn, "cert-a", a.root, a_token_for_b, max_tlp=TLP.AMBER, sightings_collection=a_sightings
            )
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            soc = admin.add_org(conn, "soc")
            held, one, two, three = (
                admin.add_collection(conn, root, t, default_tlp=TLP.GREEN) for t in "0123"
            )
            assert add_objects(conn, held, home.org, [shared], source="cert-a")[0].stored
            # Two sightings imported into two collections with the very same date_added.
            for coll, name in ((one, "s1"), (two, "s2")):
                done = add_objects(conn, coll, soc, [sighting(name, shared["id"])], date_added=[T])
                assert done[0].stored and done[0].date_added_us == T
        # Pages of one: the first page ends exactly on the shared time.
        monkeypatch.setattr(exchange, "PUSH_BATCH", 1)
        assert sync_peer(b.engine, "cert-a").sightings == 2
        assert {o["id"] for o in a.stored(a_sightings)} == {stix_id("sighting", n) for n in ("s1", "s2")}

        # Imported after the cursor passed: one more at that time, one from an hour before.
        with write_transaction(b.engine) as conn:
            assert add_objects(conn, three, soc, [sighting("s3", shared["id"])], date_added=[T])[0].stored
            late = add_objects(conn, one, soc, [sighting("s4", shared["id"])], date_added=[T - 3_600_000_000])
            assert late[0].stored and late[0].redated  # older than collection one's newest
        assert sync_peer(b.engine, "cert-a").sightings == 2
        names = ("s1", "s2", "s3", "s4")
        assert {o["id"] for o in a.stored(a_sightings)} == {stix_id("sighting", n) for n in names}
        assert sync_peer(b.engine, "cert-a").sightings == 0  # and nothing is sent twice
    finally:
        b.close()
