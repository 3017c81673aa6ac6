"""Reference clients, unchanged, against a real `accord serve` process (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest
import stix2
from stix2 import Filter, TAXIICollectionSink, TAXIICollectionSource, TAXIICollectionStore
from taxii2client.v21 import Collection, Server, as_pages


@pytest.fixture
def shared(served_node):
    served_node.cli("org", "add", "cert-a")
    token = served_node.cli("token", "create", "--org", "cert-a")
    coll = served_node.cli(
        "collection", "add", "Shared", "--read", "cert-a", "--write", "cert-a", "--tlp", "green"
    )
    url = f"{served_node.url}/default/collections/{coll}/"
    return served_node, token, Collection(url, user="cert-a", password=token)


def _indicators(n: int) -> list[stix2.Indicator]:
    return [
        stix2.Indicator(
            pattern=f"[ipv4-addr:value = '198.51.100.{i % 250}']",
            pattern_type="stix",
            valid_from="2026-01-01T00:00:00Z",
            name=f"ind-{i}",
        )
        for i in range(n)
    ]


def test_taxii2client_discovery_roots_and_collections(shared) -> None:
    node, token, _ = shared
    server = Server(f"{node.url}/taxii2/", user="cert-a", password=token)
    assert server.title == "Accord TAXII 2.1 server"
    root = server.default
    assert root.url == f"{node.url}/default/"
    assert "application/taxii+json;version=2.1" in root.versions
    assert [c.title for c in root.collections] == ["Shared"]
    coll = root.collections[0]
    assert coll.can_read and coll.can_write


def test_taxii2client_add_get_pages_manifest_versions_delete(shared) -> None:
    _, _, coll = shared
    inds = _indicators(25)
    status = coll.add_objects(stix2.Bundle(objects=inds).serialize())
    assert status.status == "complete" and status.success_count == 25 and status.failure_count == 0
    pages = list(as_pages(coll.get_objects, per_request=10))
    assert [len(p["objects"]) for p in pages] == [10, 10, 5]
    assert [o["id"] for p in pages for o in p["objects"]] == [i.id for i in inds]
    manifest_pages = list(as_pages(coll.get_manifest, per_request=7))
    assert sum(len(p["objects"]) for p in manifest_pages) == 25
    one = coll.get_object(inds[3].id)
    assert one["objects"][0]["name"] == "ind-3"
    newer = inds[3].new_version(name="ind-3 revised")
    coll.add_objects(stix2.Bundle(objects=[newer]).serialize())
    versions = coll.object_versions(inds[3].id)["versions"]
    assert len(versions) == 2
    assert coll.get_object(inds[3].id)["objects"][0]["name"] == "ind-3 revised"
    both = coll.get_object(inds[3].id, version="all")["objects"]
    assert {o["name"] for o in both} == {"ind-3", "ind-3 revised"}
    coll.delete_object(inds[3].id)
    assert [o["id"] for o in coll.get_objects(id=inds[3].id).get("objects", [])] == []


def test_taxii2client_reports_partial_failures(shared) -> None:
    _, _, coll = shared
    good = json.loads(_indicators(1)[0].serialize())
    bad = dict(good, id="indicator--not-a-uuid")
    status = coll.add_objects({"objects": [good, bad]})
    assert (status.success_count, status.failure_count) == (1, 1)
    assert status.failures[0]["id"] == "indicator--not-a-uuid"


def test_stix2_taxii_data_sources(shared) -> None:
    _, _, coll = shared
    store = TAXIICollectionStore(coll)
    malware = stix2.Malware(name="SilkLoader", is_family=True)
    inds = _indicators(3)
    store.add([malware, *inds])
    TAXIICollectionSink(coll).add(stix2.Identity(name="CERT-A", identity_class="organization"))
    source = TAXIICollectionSource(coll)
    assert len(source.query([Filter("type", "=", "indicator")])) == 3
    assert source.get(malware.id).name == "SilkLoader"
    revised = malware.new_version(description="loader seen in two countries")
    store.add(revised)
    assert source.get(malware.id).description == "loader seen in two countries"
    assert len(source.all_versions(malware.id)) == 2
    assert {i.name for i in store.query([Filter("name", "=", "ind-1")])} == {"ind-1"}
    assert len(store.query([Filter("type", "=", "identity")])) == 1
