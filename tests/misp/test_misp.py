"""MISP feeds in and out, on real MISP event files (tests/misp/data, see ATTRIBUTION.md)."""

from __future__ import annotations

import copy
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from misp_helpers import (
    ROUND_TRIP,
    accord,
    assert_keeps,
    attributes_of,
    load,
    new_collection,
    read_feed,
    write_feed,
)

from accord.misp.mapping import Sharing, sharing_of
from accord.misp.to_stix import EventError, convert_event
from accord.stix.markings import TLP, TLP2_MARKING_ID


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_round_trip_keeps_values_types_categories_tags_sightings(
    node_args, tmp_path: Path, name: str
) -> None:
    original = load(name)["Event"]
    coll = new_collection(node_args)
    feed = write_feed(tmp_path / "in", [{"Event": original}])
    accord("misp", "feed", "pull", str(feed), "--collection", coll, "--producer", "cert-a", *node_args)
    accord(
        "misp",
        "feed",
        "publish",
        "--collection",
        coll,
        "--out",
        str(tmp_path / "out"),
        "--as",
        "cert-a",
        *node_args,
    )
    back = read_feed(tmp_path / "out")[original["uuid"]]

    assert_keeps(original, back)
    # The feed's hashes.csv lists an md5 for each value, against the event's uuid.
    lines = (tmp_path / "out" / "hashes.csv").read_text().splitlines()
    assert all(line.endswith("," + original["uuid"]) for line in lines)
    assert len(lines) >= len(attributes_of(original))


def test_sightings_survive_with_their_organisations(node_args, tmp_path: Path) -> None:
    original = load("misp-stix_event_with_sightings.json")["Event"]
    coll = new_collection(node_args)
    accord(
        "misp",
        "feed",
        "pull",
        str(write_feed(tmp_path / "in", [{"Event": original}])),
        "--collection",
        coll,
        "--producer",
        "cert-a",
        *node_args,
    )
    accord(
        "misp",
        "feed",
        "publish",
        "--collection",
        coll,
        "--out",
        str(tmp_path / "out"),
        "--as",
        "cert-b",
        *node_args,
    )
    back = read_feed(tmp_path / "out")[original["uuid"]]
    assert sum(len(a.get("Sighting", [])) for a in back["Attribute"]) == 8
    assert {"CIRCL", "E-Corp", "Oscorp Industries", "Umbrella Corporation"} == {
        s["Organisation"]["name"] for a in back["Attribute"] for s in a["Sighting"]
    }


def test_conversion_is_deterministic_and_re_pull_stores_nothing(node_args, tmp_path: Path) -> None:
    doc = load("to_delete1.json")
    assert convert_event(copy.deepcopy(doc)).objects == convert_event(copy.deepcopy(doc)).objects
    coll = new_collection(node_args)
    feed = write_feed(tmp_path / "in", [doc, load("existing_event.json")])
    first = accord(
        "misp", "feed", "pull", str(feed), "--collection", coll, "--producer", "cert-a", *node_args
    )
    assert "failed events 0" in first.stderr
    again = accord(
        "misp", "feed", "pull", str(feed), "--collection", coll, "--producer", "cert-a", *node_args
    )
    assert "stored 0 objects" in again.stderr and "unchanged events 2" in again.stderr
    # Without the manifest shortcut (a changed manifest timestamp, same event), still nothing new.
    manifest = json.loads((feed / "manifest.json").read_text())
    for entry in manifest.values():
        entry["timestamp"] = "1"
    (feed / "manifest.json").write_text(json.dumps(manifest))
    third = accord(
        "misp", "feed", "pull", str(feed), "--collection", coll, "--producer", "cert-a", *node_args
    )
    assert "stored 0 objects" in third.stderr and "failed events 0" in third.stderr


def _export_ids(node_args, coll: str, as_org: str | None = None) -> set[str]:
    extra = ["--as", as_org] if as_org else []
    return {
        o["id"]
        for o in json.loads(accord("export", "--collection", coll, *extra, *node_args).stdout)["objects"]
    }


def test_deleted_and_dropped_attributes_become_tombstones(node_args, tmp_path: Path) -> None:
    doc = load("to_delete1.json")
    event = doc["Event"]
    coll = new_collection(node_args)
    accord(
        "misp",
        "feed",
        "pull",
        str(write_feed(tmp_path / "v1", [doc])),
        "--collection",
        coll,
        "--producer",
        "cert-a",
        *node_args,
    )
    deleted, dropped = event["Attribute"][0], event["Attribute"][1]
    held = _export_ids(node_args, coll)
    assert any(deleted["uuid"] in i for i in held) and any(dropped["uuid"] in i for i in held)

    newer = copy.deepcopy(doc)
    newer["Event"]["timestamp"] = str(int(event["timestamp"]) + 60)
    newer["Event"]["Attribute"][0]["deleted"] = True
    del newer["Event"]["Attribute"][1]
    result = accord(
        "misp",
        "feed",
        "pull",
        str(write_feed(tmp_path / "v2", [newer])),
        "--collection",
        coll,
        "--producer",
        "cert-a",
        *node_args,
    )
    assert "failed events 0" in result.stderr
    objects = json.loads(accord("export", "--collection", coll, *node_args).stdout)["objects"]
    ids = {o["id"] for o in objects}
    assert not any(deleted["uuid"] in i or dropped["uuid"] in i for i in ids)
    tombs = [o for o in objects if o["type"] == "x-accord-tombstone"]
    assert {t["object_ref"].partition("--")[2] for t in tombs} == {deleted["uuid"], dropped["uuid"]}
    assert any(event["Attribute"][2]["uuid"] in i for i in ids)  # the rest is still there

    unpublished = copy.deepcopy(newer)
    unpublished["Event"]["timestamp"] = str(int(event["timestamp"]) + 120)
    unpublished["Event"]["published"] = False
    accord(
        "misp",
        "feed",
        "pull",
        str(write_feed(tmp_path / "v3", [unpublished])),
        "--collection",
        coll,
        "--producer",
        "cert-a",
        *node_args,
    )
    left = {o["id"] for o in json.loads(accord("export", "--collection", coll, *node_args).stdout)["objects"]}
    assert not any(a["uuid"] in i for a in event["Attribute"] for i in left)


def test_bad_events_fail_alone_with_their_uuid(node_args, tmp_path: Path) -> None:
    good = load("to_delete1.json")
    unknown = copy.deepcopy(load("misp-stix_event_with_hash_attributes.json"))
    unknown["Event"]["uuid"] = "11111111-1111-4111-8111-111111111111"
    unknown["Event"]["Attribute"][3]["type"] = "no-such-type"
    no_info = {"Event": {"uuid": "22222222-2222-4222-8222-222222222222", "timestamp": "1", "info": " "}}
    old_galaxy = load("sighting_2.json")  # PyMISP's file: a galaxy cluster with an empty uuid
    pe = load("mainly_objects_1.json")  # PyMISP's file: pe objects misp-stix cannot convert
    feed = write_feed(tmp_path / "in", [good, unknown, no_info, old_galaxy, pe])
    (feed / "33333333-3333-4333-8333-333333333333.json").write_text("{not json")
    manifest = json.loads((feed / "manifest.json").read_text())
    manifest["33333333-3333-4333-8333-333333333333"] = {"info": "cut", "timestamp": "5"}
    manifest["44444444-4444-4444-8444-444444444444"] = {"info": "missing", "timestamp": "6"}
    (feed / "manifest.json").write_text(json.dumps(manifest))
    coll = new_collection(node_args)
    result = accord(
        "misp", "feed", "pull", str(feed), "--collection", coll, "--producer", "cert-a", *node_args, ok=False
    )
    assert result.exit_code == 1
    errors = {
        line.split()[1].rstrip(":"): line
        for line in result.stderr.splitlines()
        if line.startswith("  event ")
    }
    assert set(errors) == {
        unknown["Event"]["uuid"],
        no_info["Event"]["uuid"],
        old_galaxy["Event"]["uuid"],
        pe["Event"]["uuid"],
        "33333333-3333-4333-8333-333333333333",
        "44444444-4444-4444-8444-444444444444",
    }
    assert "no-such-type: unknown attribute type" in errors[unknown["Event"]["uuid"]]
    assert "no 'info'" in errors[no_info["Event"]["uuid"]]
    assert "not JSON" in errors["33333333-3333-4333-8333-333333333333"]
    assert "no event file" in errors["44444444-4444-4444-8444-444444444444"]
    ids = _export_ids(node_args, coll)
    assert {f"grouping--{good['Event']['uuid']}", f"report--{good['Event']['uuid']}"} & ids  # stored...
    for bad in (unknown, old_galaxy, pe):  # ...and nothing of a bad one
        assert not any(bad["Event"]["uuid"] in i for i in ids)
        assert not any(a["uuid"] in i for a in bad["Event"].get("Attribute") or [] for i in ids)
    missing = accord("misp", "feed", "pull", str(tmp_path), "--collection", coll, *node_args, ok=False)
    assert missing.exit_code == 1 and "no manifest.json" in missing.stderr and missing.stderr.count("\n") == 1


def test_hashes_csv_must_match_the_event(node_args, tmp_path: Path) -> None:
    doc = load("to_delete1.json")
    feed = write_feed(tmp_path / "in", [doc])
    (feed / "hashes.csv").write_text(f"0123456789abcdef0123456789abcdef,{doc['Event']['uuid']}\n")
    coll = new_collection(node_args)
    result = accord("misp", "feed", "pull", str(feed), "--collection", coll, *node_args, ok=False)
    assert "hashes.csv" in result.stderr and doc["Event"]["uuid"] in result.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed/", root
    server.shutdown()
    server.server_close()


def test_pull_over_http_from_a_published_feed(node_args, tmp_path: Path, served) -> None:
    url, root = served
    source = new_collection(node_args, "source")
    docs = [load("to_delete1.json"), load("existing_event.json")]
    accord(
        "misp",
        "feed",
        "pull",
        str(write_feed(tmp_path / "in", docs)),
        "--collection",
        source,
        "--producer",
        "cert-a",
        *node_args,
    )
    accord(
        "misp",
        "feed",
        "publish",
        "--collection",
        source,
        "--out",
        str(root / "feed"),
        "--as",
        "cert-b",
        *node_args,
    )
    target = new_collection(node_args, "target")
    result = accord("misp", "feed", "pull", url, "--collection", target, "--producer", "cert-a", *node_args)
    assert "events 2:" in result.stderr and "failed events 0" in result.stderr
    ids = _export_ids(node_args, target)
    assert {f"grouping--{d['Event']['uuid']}" for d in docs} <= ids or {
        f"report--{d['Event']['uuid']}" for d in docs
    } <= ids
    down = accord("misp", "feed", "pull", url + "nothing/", "--collection", target, *node_args, ok=False)
    assert down.exit_code == 1 and "no manifest.json" in down.stderr


def test_mapping_table() -> None:
    def s(tags=(), distribution=None, **extra):
        return sharing_of({"Tag": [{"name": t} for t in tags], "distribution": distribution, **extra})

    assert s(["tlp:white"]) == Sharing(TLP.CLEAR)
    assert s(["TLP:CLEAR"]) == Sharing(TLP.CLEAR)
    assert s(["tlp:green"]) == Sharing(TLP.GREEN)
    assert s(["tlp:amber"]) == Sharing(TLP.AMBER)
    assert s(["tlp:amber+strict"]) == Sharing(TLP.AMBER_STRICT)
    assert s(["tlp:red"]) == Sharing(TLP.RED)
    assert s([], "0") == Sharing(TLP.RED)
    assert s([], 1) == Sharing(TLP.AMBER_STRICT)
    assert s([], "2") == Sharing(TLP.AMBER)
    assert s([], "3") == Sharing(None)
    assert s(["tlp:green"], "3") == Sharing(TLP.GREEN)
    assert s(["tlp:green"], "0") == Sharing(TLP.RED)  # disagreement: the more restrictive
    assert s(["tlp:red"], "2") == Sharing(TLP.RED)
    assert s(["tlp:clear", "tlp:amber"]) == Sharing(TLP.AMBER)
    group = {"SharingGroupOrg": [{"Organisation": {"name": "CERT-B"}}, {"Organisation": {"name": "cert-c"}}]}
    assert s([], "4", SharingGroup=group) == Sharing(TLP.RED, frozenset({"cert-b", "cert-c"}))
    assert s(["tlp:green"], "5") == Sharing(TLP.GREEN)
    with pytest.raises(ValueError):
        s([], "9")


def test_attribute_levels_tighten_the_event_and_mark_every_object() -> None:
    doc = load("misp-stix_event_with_tlp2_tags.json")  # event: tlp:clear + tlp:amber+strict
    doc["Event"]["Attribute"][0]["distribution"] = "0"
    converted = convert_event(doc)
    container = next(o for o in converted.objects if o["id"] == converted.container_id)
    assert container["object_marking_refs"] == [TLP2_MARKING_ID[TLP.AMBER_STRICT]]
    attr = doc["Event"]["Attribute"][0]["uuid"]
    for obj in converted.objects:
        if obj["id"].endswith(attr):
            assert obj["object_marking_refs"] == [TLP2_MARKING_ID[TLP.RED]]
    with pytest.raises(EventError, match="distribution must be 0-5"):
        bad = load("misp-stix_event_with_tlp2_tags.json")
        bad["Event"]["distribution"] = "seven"
        convert_event(bad)


def test_publish_as_an_organization_leaves_out_what_it_may_not_see(node_args, tmp_path: Path) -> None:
    doc = load("to_delete1.json")
    secret, shared = doc["Event"]["Attribute"][0], doc["Event"]["Attribute"][1]
    secret["Tag"] = [{"name": "tlp:red"}]
    named = doc["Event"]["Attribute"][2]
    named["distribution"] = "4"
    named["SharingGroup"] = {"SharingGroupOrg": [{"Organisation": {"name": "cert-b"}}]}
    coll = new_collection(node_args)
    accord(
        "misp",
        "feed",
        "pull",
        str(write_feed(tmp_path / "in", [doc])),
        "--collection",
        coll,
        "--producer",
        "cert-a",
        *node_args,
    )
    accord(
        "misp",
        "feed",
        "publish",
        "--collection",
        coll,
        "--out",
        str(tmp_path / "b"),
        "--as",
        "cert-b",
        *node_args,
    )
    accord(
        "misp",
        "feed",
        "publish",
        "--collection",
        coll,
        "--out",
        str(tmp_path / "a"),
        "--as",
        "cert-a",
        *node_args,
    )
    for_b = attributes_of(read_feed(tmp_path / "b")[doc["Event"]["uuid"]])
    for_a = read_feed(tmp_path / "a")[doc["Event"]["uuid"]]
    assert secret["uuid"] not in for_b and shared["uuid"] in for_b and named["uuid"] in for_b
    assert secret["uuid"] not in (tmp_path / "b" / f"{doc['Event']['uuid']}.json").read_text()
    by_uuid = {a["uuid"]: a for a in for_a["Attribute"]}
    assert secret["uuid"] in by_uuid  # the producer sees its own RED attribute...
    assert {t["name"] for t in by_uuid[secret["uuid"]]["Tag"]} >= {"tlp:red"}  # ...as tlp:red,
    assert int(by_uuid[secret["uuid"]]["distribution"]) == 0  # distribution 0
    assert {t["name"] for t in for_a["Tag"]} >= {"tlp:clear"} and int(for_a["distribution"]) == 3
    refused = accord(
        "misp",
        "feed",
        "publish",
        "--collection",
        coll,
        "--out",
        str(tmp_path / "x"),
        "--as",
        "admin",
        *node_args,
        ok=False,
    )
    assert refused.exit_code == 1 and "no read right" in refused.stderr and refused.stderr.count("\n") == 1


def test_plain_objects_are_what_stix2_serializes() -> None:
    from misp_stix_converter import MISPtoSTIX21Parser

    from accord.misp.to_stix import _plain

    for name in ("existing_event.json", "misp-stix_event_with_sightings.json"):
        parser = MISPtoSTIX21Parser()
        parser.parse_misp_event(load(name))
        made = parser.stix_objects
        assert _plain(made) == [json.loads(o.serialize()) for o in made]


def test_hashes_csv_is_held_compactly_and_bad_lines_fail_their_event(tmp_path: Path) -> None:
    from accord.misp.feed import open_feed, value_hashes

    doc = load("to_delete1.json")
    uid = doc["Event"]["uuid"]
    feed_dir = write_feed(tmp_path / "in", [doc])
    digests = sorted(value_hashes(doc["Event"]))
    (feed_dir / "hashes.csv").write_text("".join(f"{d.upper()},{uid}\n" for d in digests))
    feed = open_feed(str(feed_dir))
    assert len(feed.hashes[uid]) == 16 * len(digests) and feed.hashes_match(uid, doc["Event"])
    (feed_dir / "hashes.csv").write_text(f"{digests[0]},{uid}\nnot-an-md5,{uid}\n")
    assert not open_feed(str(feed_dir)).hashes_match(uid, doc["Event"])
