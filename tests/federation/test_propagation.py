"""Corrections, retractions and deletions travel; sightings go home; a ring converges."""

from __future__ import annotations

import httpx
import pytest
from nodes import NodeProc, wait_for
from stixgen import indicator, stix_id

from accord.stix.markings import TLP
from accord.store.engine import write_transaction
from accord.sync.peers import add_link
from accord.sync.runner import sync_peer


def link(a: NodeProc, b: NodeProc, max_tlp: TLP = TLP.GREEN, **a_options) -> None:
    """Peer a <-> b: each stands for the other with an organization and a token."""
    b_token_for_a = b.org(a.name)
    a_token_for_b = a.org(b.name)
    a.peer(b.name, b, token=b_token_for_a, max_tlp=max_tlp, interval_s=0.3, **a_options)
    b.peer(a.name, a, token=a_token_for_b, max_tlp=max_tlp, interval_s=0.3)


@pytest.fixture
def producer_consumer(make_node):
    a, b = make_node("a"), make_node("b")
    link(a, b)
    token = a.org("analyst")
    a_coll = a.collection("Shared", read=["b", "analyst"], write=["analyst"], tlp="green")
    b_coll = b.collection("From A")
    with write_transaction(b.engine) as conn:
        add_link(conn, "a", "pull", a_coll, b_coll)
    a.start()
    b.start()
    return a, b, a_coll, b_coll, token


def test_new_versions_revocations_and_deletions_reach_the_peer(producer_consumer) -> None:
    a, b, a_coll, b_coll, token = producer_consumer
    v1 = indicator("evil", modified="2026-01-01T00:00:00.000Z")
    keep = indicator("keep")
    a.post(a_coll, "analyst", token, v1, keep)
    sync_peer(b.engine, "a")
    assert b.versions(b_coll) == {(v1["id"], v1["modified"]), (keep["id"], keep["modified"])}
    # A correction and then a retraction (revoked: true) are new versions: they travel.
    v2 = indicator("evil", modified="2026-02-01T00:00:00.000Z", description="corrected")
    v3 = indicator("evil", modified="2026-03-01T00:00:00.000Z", revoked=True)
    a.post(a_coll, "analyst", token, v2, v3)
    sync_peer(b.engine, "a")
    latest = [o for o in b.stored(b_coll) if o["id"] == v1["id"]]
    assert [o["modified"] for o in latest] == [v1["modified"], v2["modified"], v3["modified"]]
    assert latest[-1]["revoked"] is True
    # A deletion travels as a tombstone, which B applies.
    r = httpx.delete(
        f"{a.root}collections/{a_coll}/objects/{v1['id']}/",
        auth=("analyst", token),
        headers={"Accept": "application/taxii+json;version=2.1"},
    )
    assert r.status_code == 200
    sync_peer(b.engine, "a")
    remaining = b.stored(b_coll)
    assert {o["id"] for o in remaining if o["type"] == "indicator"} == {keep["id"]}
    tombstones = [o for o in remaining if o["type"] == "x-accord-tombstone"]
    assert len(tombstones) == 1 and tombstones[0]["object_ref"] == v1["id"]
    assert sorted(tombstones[0]["versions"]) == [v1["modified"], v2["modified"], v3["modified"]]


def test_deleting_one_version_keeps_the_others_everywhere(producer_consumer) -> None:
    a, b, a_coll, b_coll, token = producer_consumer
    versions = [indicator("multi", modified=f"2026-0{i}-01T00:00:00.000Z") for i in (1, 2, 3)]
    a.post(a_coll, "analyst", token, *versions)
    sync_peer(b.engine, "a")
    httpx.delete(
        f"{a.root}collections/{a_coll}/objects/{versions[0]['id']}/",
        auth=("analyst", token),
        params={"match[version]": "first"},
        headers={"Accept": "application/taxii+json;version=2.1"},
    )
    sync_peer(b.engine, "a")
    assert {v for i, v in b.versions(b_coll) if i == versions[0]["id"]} == {
        "2026-02-01T00:00:00.000Z",
        "2026-03-01T00:00:00.000Z",
    }


def test_background_sync_delivers_within_an_interval(make_node) -> None:
    a, b = make_node("a"), make_node("b")
    link(a, b)
    token = a.org("analyst")
    a_coll = a.collection("Shared", read=["b", "analyst"], write=["analyst"], tlp="green")
    b_coll = b.collection("From A")
    with write_transaction(b.engine) as conn:
        add_link(conn, "a", "pull", a_coll, b_coll)
    a.start()
    b.start(sync=True)
    obj = indicator("live")
    a.post(a_coll, "analyst", token, obj)
    wait_for(lambda: obj["id"] in {o["id"] for o in b.stored(b_coll)}, what="background pull")


def test_sightings_are_routed_home_to_the_producer(make_node) -> None:
    a, b = make_node("cert-a"), make_node("company")
    a_sightings = None
    # A shares indicators with the company and designates a collection for sightings of them.
    token = a.org("analyst")
    a_coll = a.collection("Indicators", write=["analyst"], tlp="green")
    b_token_for_a, a_token_for_b = b.org("cert-a"), a.org("company")
    a_sightings = a.collection("Sightings", read=["analyst"], write=["company"], tlp="amber")
    a.grant(a_coll, "company", read=True, write=False)
    b.peer("cert-a", a, token=a_token_for_b, max_tlp=TLP.AMBER, sightings_collection=a_sightings)
    a.peer("company", b, token=b_token_for_a, max_tlp=TLP.AMBER)
    b_coll = b.collection("From CERT-A")
    with write_transaction(b.engine) as conn:
        add_link(conn, "cert-a", "pull", a_coll, b_coll)
    a.start()
    b.start()
    shared = indicator("c2-server", tlp=TLP.GREEN)
    a.post(a_coll, "analyst", token, shared)
    sync_peer(b.engine, "cert-a")
    # The company's analyst records a sighting of that indicator, and one of its own indicator.
    soc = b.org("soc")
    b_local = b.collection("Local", write=["soc"], read=["soc"])
    own = indicator("internal-only")
    sighting = {
        "type": "sighting",
        "spec_version": "2.1",
        "id": stix_id("sighting", "s1"),
        "created": "2026-11-29T10:00:00.000Z",
        "modified": "2026-11-29T10:00:00.000Z",
        "sighting_of_ref": shared["id"],
        "count": 19,
        "object_marking_refs": ["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],
    }
    other = dict(sighting, id=stix_id("sighting", "s2"), sighting_of_ref=own["id"])
    b.post(b_local, "soc", soc, own, sighting, other)
    result = sync_peer(b.engine, "cert-a")
    assert result.sightings == 1
    home = [o for o in a.stored(a_sightings)]
    assert [o["id"] for o in home] == [sighting["id"]] and home[0]["count"] == 19
    # The producer lists the sightings of its indicators with a TAXII query.
    r = httpx.get(
        f"{a.root}collections/{a_sightings}/objects/",
        auth=("analyst", token),
        params={"match[type]": "sighting"},
        headers={"Accept": "application/taxii+json;version=2.1"},
    )
    assert [o["sighting_of_ref"] for o in r.json()["objects"]] == [shared["id"]]
    # Nothing is sent twice.
    assert sync_peer(b.engine, "cert-a").sightings == 0


def test_ring_of_three_converges_without_duplicates_or_echo(make_node) -> None:
    nodes = [make_node(n) for n in ("n1", "n2", "n3")]
    colls = {}
    tokens = {}
    for n in nodes:
        tokens[n.name] = n.org("analyst")
        colls[n.name] = n.collection("Ring", write=["analyst"], tlp="green")
    # n1 -> n2 -> n3 -> n1, by push.
    for src, dst in zip(nodes, nodes[1:] + nodes[:1], strict=True):
        token = dst.org(src.name)
        dst.grant(colls[dst.name], src.name, read=False, write=True)
        src.peer(dst.name, dst, token=token, max_tlp=TLP.GREEN, interval_s=0.3)
        with write_transaction(src.engine) as conn:
            add_link(conn, dst.name, "push", colls[dst.name], colls[src.name])
    for n in nodes:
        n.start(sync=True)
    posted = set()
    for n in nodes:
        objs = [indicator(f"{n.name}-{k}", tlp=TLP.GREEN) for k in range(5)]
        n.post(colls[n.name], "analyst", tokens[n.name], *objs)
        posted |= {(o["id"], o["modified"]) for o in objs}
    wait_for(
        lambda: all(n.versions(colls[n.name]) == posted for n in nodes), timeout=90, what="ring convergence"
    )
    counts = [len(n.stored(colls[n.name])) for n in nodes]
    assert counts == [15, 15, 15]  # each version stored once per node
    # No echo: several more intervals change nothing.
    import time

    time.sleep(2)
    assert [len(n.stored(colls[n.name])) for n in nodes] == [15, 15, 15]
