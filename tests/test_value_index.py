"""The value index behind "search by value": what is indexed, catching up, and that it holds no policy."""

from __future__ import annotations

from stixgen import indicator, stix_id

from accord.stix.markings import TLP
from accord.store import admin, objects, values
from accord.store.engine import read_transaction, write_transaction
from accord.store.objects import add_objects
from accord.store.queries import Filters, select_page


def test_values_of_each_kind_of_object() -> None:
    assert values.values_of(indicator("a", value="Evil.Example.COM")) == {"evil.example.com", "a"}
    both = {**indicator("b"), "pattern": "[url:value = 'http://x/it\\'s' OR file:hashes.MD5 = 'AB12']"}
    assert values.values_of(both) == {"http://x/it's", "ab12", "b"}
    sco = {"type": "file", "id": stix_id("file", "f"), "name": "Dropper.EXE", "hashes": {"SHA-256": "FF00"}}
    assert values.values_of(sco) == {"dropper.exe", "ff00"}
    actor = {"type": "threat-actor", "name": "APT X", "aliases": ["Silk", 3]}
    assert values.values_of(actor) == {"apt x", "silk"}
    assert values.values_of({**indicator("c"), "pattern_type": "sigma", "pattern": "title: 'x'"}) == {"c"}
    rel = {"type": "relationship", "source_ref": "indicator--a", "target_ref": "malware--b"}
    assert values.values_of(rel) == {"indicator--a", "malware--b"}  # an object's page finds what points at it
    assert values.values_of({"type": "sighting", "sighting_of_ref": "indicator--a"}) == {"indicator--a"}
    assert values.normalize("  " + "A" * 500) == "a" * values.MAX_VALUE


def test_index_catches_up_and_finds_values_per_collection(opened_node) -> None:
    engine = opened_node.node.engine
    with write_transaction(engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        me, other = admin.find_org(conn, admin.ADMIN_ORG), admin.add_org(conn, "other")
        one = admin.add_collection(conn, root, "one")
        two = admin.add_collection(conn, root, "two")
        for coll in (one, two):
            admin.grant(conn, coll, me, read=True, write=True)
            admin.grant(conn, coll, other, read=True, write=True)
        add_objects(conn, one, me, [indicator(f"i{n}", value=f"host{n}.example.org") for n in range(7)])
        add_objects(conn, two, me, [indicator("dup", value="HOST3.example.org")])
        hidden = indicator("red", value="secret.example.org", tlp=TLP.RED, recipients=[admin.ADMIN_ORG])
        add_objects(conn, two, me, [hidden])
    with read_transaction(engine) as conn:
        assert values.pending(conn) == 9
        assert values.ids_with_value(conn, "host3.example.org", [one.id, two.id]) == {}
    assert values.catch_up(engine) == 9
    with write_transaction(engine) as conn:  # a second version and a new object arrive later
        add_objects(
            conn, one, me, [indicator("i3", value="host3.example.org", modified="2026-02-01T00:00:00Z")]
        )
        add_objects(conn, one, me, [indicator("late", value="late.example.org")])
    with write_transaction(engine) as conn:
        assert values.index_new(conn, limit=1) == 1  # batches resume where the last one stopped
    assert values.catch_up(engine) == 1
    with read_transaction(engine) as conn:
        assert values.pending(conn) == 0
        found = values.ids_with_value(conn, "Host3.Example.org", [one.id, two.id])
        assert found == {one.id: [stix_id("indicator", "i3")], two.id: [stix_id("indicator", "dup")]}
        assert values.ids_with_value(conn, "host3.example.org", [two.id]) == {
            two.id: [stix_id("indicator", "dup")]
        }
        assert values.ids_with_value(conn, "late.example.org", [one.id]) == {
            one.id: [stix_id("indicator", "late")]
        }
        assert values.ids_with_value(conn, "host3.example", [one.id, two.id]) == {}  # exact values only
        # The index knows the hidden object; reading it back through the policy does not show it.
        ids = values.ids_with_value(conn, "secret.example.org", [two.id])[two.id]
        as_other = admin.Principal(other, False).reader
        f = Filters(ids=tuple(ids))
        page = select_page(conn, two.id, as_other, f, after_us=None, limit=None, columns=("stix_id",))
        assert page.rows == []


def test_indexing_waits_for_a_pause_in_writes_but_not_for_ever(opened_node, monkeypatch) -> None:
    engine = opened_node.node.engine
    with write_transaction(engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        me = admin.find_org(conn, admin.ADMIN_ORG)
        coll = admin.add_collection(conn, root, "busy")
        admin.grant(conn, coll, me, read=True, write=True)
        add_objects(conn, coll, me, [indicator("burst", value="burst.example.org")])
    patient = values._WhenQuiet(engine, quiet_s=3600, max_wait_s=3600)
    assert patient() == 0  # a write just happened: the burst goes on undisturbed
    monkeypatch.setattr(objects, "last_write_at", float("-inf"))  # writes paused long ago
    assert patient() == 1
    with write_transaction(engine) as conn:
        add_objects(conn, coll, me, [indicator("trickle", value="trickle.example.org")])
    impatient = values._WhenQuiet(engine, quiet_s=3600, max_wait_s=0.0)
    assert impatient() == 0  # starts waiting
    assert impatient() == 1  # waited long enough (here: no time at all) although writes go on


def test_a_write_looks_up_each_scos_stored_versions_by_id(opened_node, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """SCOs have no version time: a write finds an already stored copy by comparing bodies with the
    stored versions of the SCO's id, found by id, not by going through every stored version the write
    touched for each SCO (quadratic: a MISP feed's pull of 1M attributes cost twice its conversion)."""
    engine = opened_node.node.engine
    scos = [{"type": "ipv4-addr", "spec_version": "2.1", "id": stix_id("ipv4-addr", f"a{n}"),
             "value": f"10.0.{n // 256}.{n % 256}"} for n in range(1500)]  # fmt: skip
    with write_transaction(engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        me = admin.find_org(conn, admin.ADMIN_ORG)
        coll = admin.add_collection(conn, root, "scos")
        admin.grant(conn, coll, me, read=True, write=True)
        add_objects(conn, coll, me, scos)
    scans = []

    class Stored(dict):  # the stored versions the write looks in: count how often it goes through all
        def items(self):  # type: ignore[no-untyped-def]
            scans.append(1)
            return super().items()

    known = objects._known
    monkeypatch.setattr(objects, "_known", lambda *a: (lambda o, e, t: (o, Stored(e), t))(*known(*a)))
    with write_transaction(engine) as conn:
        out = add_objects(conn, coll, me, scos)
    assert all(o.ok and o.message == "already stored" for o in out)
    assert len(scans) <= 1  # once per write, not once per SCO (1,500 here)
