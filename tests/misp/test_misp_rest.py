"""`accord misp pull` / `push` against a MISP REST API double (tests/misp/misp_double.py, a real HTTP
server on loopback), seeded with the real MISP event files of tests/misp/data."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from misp_helpers import DOUBLE_KEY, accord, assert_keeps, attributes_of, load, new_collection, write_feed
from serving import free_port

from accord.stix.markings import TLP, TLP2_MARKING_ID

KEY = DOUBLE_KEY
TLP2_UUID = "7b1d3e9a-0c4f-4a51-9d3e-2f6a1c0b7e10"


def _events() -> list[dict[str, Any]]:
    """Four real events with distinct uuids, timestamps 1510922435 ... 1603643000."""
    tlp2 = load("misp-stix_event_with_tlp2_tags.json")
    tlp2["Event"]["uuid"] = TLP2_UUID  # misp-stix's test events share one uuid
    tlp2["Event"]["timestamp"] = "1603643000"
    return [
        load("to_delete1.json"),
        load("existing_event.json"),
        load("misp-stix_event_with_sightings.json"),
        tlp2,
    ]


def _pull(double: Any, coll: str, node_args: list[str], *extra: str, key: str = KEY, ok: bool = True):
    return accord(
        "misp",
        "pull",
        "--url",
        double.url if hasattr(double, "url") else double,
        "--key",
        key,
        "--collection",
        coll,
        "--producer",
        "cert-a",
        *extra,
        *node_args,
        ok=ok,
    )


def _push(url: str, coll: str, as_org: str, node_args: list[str], key: str = KEY, ok: bool = True):
    return accord(
        "misp", "push", "--url", url, "--key", key, "--collection", coll, "--as", as_org, *node_args, ok=ok
    )


def _exported(node_args: list[str], coll: str) -> list[dict[str, Any]]:
    return json.loads(accord("export", "--collection", coll, *node_args).stdout)["objects"]


def test_pull_stores_what_the_feed_pull_stores_then_asks_from_its_cursor(
    node_args, tmp_path: Path, misp_double
) -> None:
    docs = _events()
    double = misp_double(docs)
    by_feed, by_rest = new_collection(node_args, "feed"), new_collection(node_args, "rest")
    feed = write_feed(tmp_path / "feed", docs)
    accord("misp", "feed", "pull", str(feed), "--collection", by_feed, "--producer", "cert-a", *node_args)
    first = _pull(double, by_rest, node_args, "--limit", "2")
    assert "events 4:" in first.stderr and "failed events 0" in first.stderr
    assert "pages 3, cursor 0 -> 1603643000" in first.stderr

    def bodies(coll: str) -> list[str]:
        return sorted(json.dumps(o, sort_keys=True) for o in _exported(node_args, coll))

    assert len(bodies(by_rest)) > 500 and bodies(by_rest) == bodies(by_feed)
    asked = [r["body"] for r in double.requests("/events/restSearch")]
    assert [(b["timestamp"], b["page"], b["limit"], b["returnFormat"]) for b in asked] == [
        (0, 1, 2, "json"),
        (0, 2, 2, "json"),
        (0, 3, 2, "json"),  # the second page was full: a third, empty, ends the pull
    ]

    again = _pull(double, by_rest, node_args, "--limit", "2")
    # Only the events of the cursor's second come again (timestamp >= cursor), found unchanged.
    assert "events 1: stored 0 objects" in again.stderr and "unchanged events 1" in again.stderr
    assert "cursor 1603643000 -> 1603643000" in again.stderr
    assert double.requests("/events/restSearch")[-1]["body"]["timestamp"] == 1603643000
    assert bodies(by_rest) == bodies(by_feed)
    everything = _pull(double, by_rest, node_args, "--since", "0")  # the cursor overridden
    assert double.requests("/events/restSearch")[-1]["body"]["timestamp"] == 0
    assert "events 4: stored 0 objects" in everything.stderr and "unchanged events 4" in everything.stderr


def test_an_edited_event_comes_over_as_new_versions_and_tombstones(node_args, misp_double) -> None:
    doc = load("to_delete1.json")
    event = doc["Event"]
    double = misp_double([doc])
    coll = new_collection(node_args)
    _pull(double, coll, node_args)
    deleted, changed = event["Attribute"][0], event["Attribute"][1]
    stamp = int(event["timestamp"]) + 60
    # A MISP user deletes one attribute (soft: MISP keeps it, flagged) and changes another's value.
    edit = {
        "Event": {
            "timestamp": str(stamp),
            "Attribute": [
                deleted | {"deleted": True, "timestamp": str(stamp)},
                changed | {"value": "changed.example.org", "timestamp": str(stamp)},
            ],
        }
    }
    assert double.call("POST", f"/events/edit/{event['uuid']}", edit).status_code == 200
    result = _pull(double, coll, node_args)
    assert f"cursor {event['timestamp']} -> {stamp}" in result.stderr
    assert "deleted versions 0" not in result.stderr and "failed events 0" in result.stderr
    objects = _exported(node_args, coll)
    tombs = [o for o in objects if o["type"] == "x-accord-tombstone"]
    assert {t["object_ref"].partition("--")[2] for t in tombs} == {deleted["uuid"]}
    live = {o["id"] for o in objects if o["type"] != "x-accord-tombstone"}
    assert not any(deleted["uuid"] in i for i in live)
    versions = [o for o in objects if changed["uuid"] in o["id"]]
    assert len(versions) == 2 and any("changed.example.org" in json.dumps(v) for v in versions)
    containers = [o for o in objects if o["id"].partition("--")[2] == event["uuid"]]
    assert len(containers) == 2  # the event's report/grouping: a new version

    # The event unpublished on MISP: all of it tombstoned, as the feed pull does.
    unpublish = {"Event": {"timestamp": str(stamp + 60), "published": False}}
    assert double.call("POST", f"/events/edit/{event['uuid']}", unpublish).status_code == 200
    result = _pull(double, coll, node_args)
    assert "unpublished 1" in result.stderr
    left = {o["id"] for o in _exported(node_args, coll) if o["type"] != "x-accord-tombstone"}
    assert not any(a["uuid"] in i for a in event["Attribute"] for i in left)


def test_bad_server_answers_are_one_line_and_store_nothing(node_args, misp_double) -> None:
    double = misp_double([load("to_delete1.json")])
    coll = new_collection(node_args)
    wrong = _pull(double, coll, node_args, key="c" * 40, ok=False)
    assert wrong.exit_code == 1 and wrong.stderr.count("\n") == 1
    assert "HTTP 403 Authentication failed" in wrong.stderr and "check --key" in wrong.stderr
    proxy = _pull(double.url + "/behind-a-proxy", coll, node_args, ok=False)
    assert proxy.exit_code == 1 and proxy.stderr.count("\n") == 1 and "not JSON" in proxy.stderr
    down = _pull(f"http://127.0.0.1:{free_port()}", coll, node_args, ok=False)
    assert down.exit_code == 1 and down.stderr.count("\n") == 1 and "cannot connect" in down.stderr
    assert _exported(node_args, coll) == []
    refused = _push(double.url, coll, "cert-a", node_args, key="c" * 40, ok=False)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1 and "check --key" in refused.stderr
    # No cursor was kept: the first good pull asks for everything.
    _pull(double, coll, node_args)
    assert double.requests("/events/restSearch")[-1]["body"]["timestamp"] == 0


def test_a_malformed_event_fails_alone_and_holds_the_cursor(node_args, misp_double) -> None:
    good = load("to_delete1.json")
    bad = load("misp-stix_event_with_tlp2_tags.json")
    bad["Event"]["uuid"] = TLP2_UUID
    bad["Event"]["timestamp"] = "1500000000"  # older than the good one
    bad["Event"]["Attribute"][0]["type"] = "no-such-type"
    double = misp_double([good, bad])
    coll = new_collection(node_args)
    result = _pull(double, coll, node_args, ok=False)
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("  event ")]
    assert len(failed) == 1 and failed[0].startswith(f"  event {TLP2_UUID}: ")
    assert "no-such-type: unknown attribute type" in failed[0]
    assert "cursor 0 -> 1500000000" in result.stderr  # asked again next time, not passed over
    ids = {o["id"] for o in _exported(node_args, coll)}
    assert any(good["Event"]["uuid"] in i for i in ids)
    assert not any(TLP2_UUID in i or bad["Event"]["Attribute"][0]["uuid"] in i for i in ids)
    again = _pull(double, coll, node_args, ok=False)
    assert double.requests("/events/restSearch")[-1]["body"]["timestamp"] == 1500000000
    assert "unchanged events 1" in again.stderr and "failed events 1" in again.stderr


def test_round_trip_misp_accord_misp_keeps_values_types_categories_tags(node_args, misp_double) -> None:
    docs = _events()
    source, target = misp_double(docs), misp_double([])
    coll = new_collection(node_args)
    _pull(source, coll, node_args)
    pushed = _push(target.url, coll, "cert-a", node_args)
    assert "events 4: added 4, edited 0, unchanged 0, failed 0" in pushed.stderr
    held = target.events()
    assert held.keys() == {d["Event"]["uuid"] for d in docs}
    for doc in docs:
        assert_keeps(doc["Event"], held[doc["Event"]["uuid"]])
        assert held[doc["Event"]["uuid"]]["published"] is True

    again = _push(target.url, coll, "cert-a", node_args)
    assert "added 0, edited 0, unchanged 4" in again.stderr
    assert len(target.requests("/events/add")) == 4 and not target.requests(f"/events/edit/{TLP2_UUID}")

    # Renamed on the source MISP: pulled as a new version, pushed as an edit.
    stamp = "1603643100"
    rename = {"Event": {"timestamp": stamp, "info": "renamed on the source"}}
    assert source.call("POST", f"/events/edit/{TLP2_UUID}", rename).status_code == 200
    _pull(source, coll, node_args)
    edited = _push(target.url, coll, "cert-a", node_args)
    assert "added 0, edited 1, unchanged 3" in edited.stderr
    after = target.events()[TLP2_UUID]
    assert after["info"] == "renamed on the source" and after["timestamp"] == stamp


def test_push_sends_only_what_the_organization_may_see(node_args, misp_double) -> None:
    shared = load("to_delete1.json")
    secret_attr = shared["Event"]["Attribute"][0]
    secret_attr["Tag"] = [{"name": "tlp:red"}]
    red_event = load("misp-stix_event_with_sightings.json")
    red_event["Event"]["Tag"] = [{"name": "tlp:red"}]
    source = misp_double([shared, red_event])
    coll = new_collection(node_args)
    _pull(source, coll, node_args)

    for_b, for_a = misp_double([]), misp_double([])
    assert "events 1: added 1" in _push(for_b.url, coll, "cert-b", node_args).stderr
    assert "events 2: added 2" in _push(for_a.url, coll, "cert-a", node_args).stderr
    b_events = for_b.events()
    assert set(b_events) == {shared["Event"]["uuid"]}  # the RED event is not sent at all
    b_attributes = attributes_of(b_events[shared["Event"]["uuid"]])
    assert secret_attr["uuid"] not in b_attributes and shared["Event"]["Attribute"][1]["uuid"] in b_attributes
    assert secret_attr["uuid"] not in json.dumps(for_b.requests("/events/add"))

    # The producer sees its RED data, and MISP gets it as tlp:red, distribution 0.
    a_events = for_a.events()
    red = a_events[red_event["Event"]["uuid"]]
    assert {t["name"] for t in red["Tag"]} >= {"tlp:red"} and int(red["distribution"]) == 0
    secret = next(
        a for a in a_events[shared["Event"]["uuid"]]["Attribute"] if a["uuid"] == secret_attr["uuid"]
    )
    assert {t["name"] for t in secret["Tag"]} >= {"tlp:red"} and int(secret["distribution"]) == 0


def test_the_double_filters_as_misp_does(misp_double) -> None:
    """The double's own behaviour the tests rely on (published filter, deleted attributes, paging)."""
    draft = copy.deepcopy(load("to_delete1.json"))
    draft["Event"]["published"] = False
    draft["Event"]["Attribute"][0]["deleted"] = True
    double = misp_double([draft, load("existing_event.json")])

    def search(**body: Any) -> list[dict[str, Any]]:
        return double.call("POST", "/events/restSearch", body).json()["response"]

    assert [d["Event"]["uuid"] for d in search(published=True)] == ["5a3c2fcd-8328-42bb-a95e-4f4402de0b81"]
    assert len(search(published=False)) == 1 and len(search()) == 2
    assert len(search(timestamp=1513948642)) == 1 and len(search(limit=1, page=2)) == 1
    shown = search(published=False)[0]["Event"]["Attribute"]
    assert len(shown) == len(draft["Event"]["Attribute"]) - 1
    assert len(search(published=False, deleted=[0, 1])[0]["Event"]["Attribute"]) == len(
        draft["Event"]["Attribute"]
    )
    assert double.call("GET", "/events/view/nope").status_code == 404
    denied = double.call("POST", "/events/restSearch", {}, key="wrong")
    assert denied.status_code == 403 and denied.json()["name"].startswith("Authentication failed")


def test_push_retracts_in_misp_what_accord_no_longer_has(node_args, misp_double) -> None:
    """Deleted on the source: tombstoned here on pull, then soft-deleted in the MISP pushed to (an
    attribute, a whole object), and an event gone here (unpublished on the source) deleted there. What
    the MISP pushed to has that Accord never held (added there by its users) is left alone."""
    flat = load("to_delete1.json")
    with_object = load("misp-stix_event_with_domain_ip_object.json")
    with_object["Event"]["uuid"] = TLP2_UUID
    source, target = misp_double([flat, with_object]), misp_double([])
    coll = new_collection(node_args)
    _pull(source, coll, node_args)
    assert "added 2" in _push(target.url, coll, "cert-a", node_args).stderr
    event = flat["Event"]
    gone_attr = next(a for a in event["Attribute"] if a["type"] == "ip-dst")  # an indicator here
    gone_link = next(a for a in event["Attribute"] if a["type"] == "link")  # observed data here
    gone_object = with_object["Event"]["Object"][0]

    # A user of the MISP pushed to adds an attribute to the event (its copy is then the newer).
    theirs = {"uuid": "0b0b0b0b-1c1c-4d4d-8e8e-9f9f9f9f9f9f", "type": "comment", "category": "Other"}
    theirs |= {"value": "added in the target", "timestamp": str(int(event["timestamp"]) + 10)}
    added = {"Event": {"timestamp": theirs["timestamp"], "Attribute": [theirs]}}
    assert target.call("POST", f"/events/edit/{event['uuid']}", added).status_code == 200

    # On the source: an attribute and an object deleted (MISP dates an edit now: after the pull's
    # cursor), pulled here as tombstones.
    stamp = str(int(with_object["Event"]["timestamp"]) + 60)
    gone = [a | {"deleted": True, "timestamp": stamp} for a in (gone_attr, gone_link)]
    edit = {"Event": {"timestamp": stamp, "Attribute": gone}}
    assert source.call("POST", f"/events/edit/{event['uuid']}", edit).status_code == 200
    ostamp = stamp
    dropped = gone_object | {"deleted": True, "timestamp": ostamp}
    oedit = {"Event": {"timestamp": ostamp, "Object": [dropped]}}
    assert source.call("POST", f"/events/edit/{TLP2_UUID}", oedit).status_code == 200
    _pull(source, coll, node_args)
    pushed = _push(target.url, coll, "cert-a", node_args)
    assert "deleted in MISP: 3 attributes or objects, 0 events" in pushed.stderr, pushed.stderr

    def held(uid: str) -> dict[str, Any]:
        found = target.call("POST", "/events/restSearch", {"uuid": uid, "deleted": [0, 1]}).json()
        return found["response"][0]["Event"]

    flags = {a["uuid"]: a.get("deleted", False) for a in held(event["uuid"])["Attribute"]}
    assert flags[gone_attr["uuid"]] is True and flags[gone_link["uuid"]] is True
    assert flags[theirs["uuid"]] is False and sum(1 for f in flags.values() if f) == 2
    objects = {o["uuid"]: o for o in held(TLP2_UUID)["Object"]}
    assert objects[gone_object["uuid"]]["deleted"] is True
    assert all(a["deleted"] is True for a in objects[gone_object["uuid"]]["Attribute"])

    # The event unpublished on the source: all of it tombstoned here, and the event deleted there.
    unpublish = {"Event": {"timestamp": str(int(stamp) + 60), "published": False}}
    assert source.call("POST", f"/events/edit/{event['uuid']}", unpublish).status_code == 200
    _pull(source, coll, node_args)
    retracted = _push(target.url, coll, "cert-a", node_args)
    assert "events 1:" in retracted.stderr and ", 1 events" in retracted.stderr, retracted.stderr
    assert set(target.events()) == {TLP2_UUID}
    assert ", 0 events" in _push(target.url, coll, "cert-a", node_args).stderr  # asked once only
    assert len(target.requests(f"/events/delete/{event['uuid']}")) == 1


def _report_bundle(path: Path, modified: str, urls: list[str]) -> Path:
    """An Accord-native report (not from MISP) with external references, and the indicator it reports."""
    who = "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f"
    green = [TLP2_MARKING_ID[TLP.GREEN]]
    common = {"spec_version": "2.1", "created": "2026-01-02T03:04:05.000Z", "object_marking_refs": green}
    identity = {"type": "identity", "id": who, "modified": "2026-01-02T03:04:05.000Z", "name": "CERT-A"}
    indicator = {
        "type": "indicator",
        "id": "indicator--3b2e5c74-7f77-4d33-9a81-2f8e4c6e3d03",
        "modified": "2026-01-02T03:04:05.000Z",
        "created_by_ref": who,
        "pattern": "[ipv4-addr:value = '198.51.100.7']",
        "pattern_type": "stix",
        "valid_from": "2026-01-02T03:04:05Z",
    }
    references = [{"source_name": f"source {i}", "url": url} for i, url in enumerate(urls)]
    report = {
        "type": "report",
        "id": "report--4c3f6d85-8088-4e44-8b92-3f9f5d7f4e04",
        "modified": modified,
        "created_by_ref": who,
        "name": "Advisory with its sources",
        "published": "2026-01-02T03:04:05Z",
        "object_refs": [indicator["id"]],
        "external_references": [*references, {"source_name": "cve", "external_id": "CVE-2026-0001"}],
    }
    objects = [common | identity | {"identity_class": "organization"}, common | indicator, common | report]
    path.write_text(json.dumps({"type": "bundle", "id": f"bundle--{report['id'][8:]}", "objects": objects}))
    return path


def test_push_gives_a_report_s_references_as_links_and_retracts_a_dropped_one(
    node_args, misp_double, tmp_path: Path
) -> None:
    """misp-stix's parser drops a report's external references; MISP users find sources as `link`
    attributes. One whose reference the report no longer has is deleted in MISP, others left alone."""
    coll = new_collection(node_args)
    first = ["https://cert-a.example/advisory/7", "https://news.example/ar/2026/cyber-cooperation"]
    v1 = _report_bundle(tmp_path / "v1.json", "2026-01-02T03:04:05.000Z", first)
    accord("import", str(v1), "--collection", coll, "--producer", "cert-a", *node_args)
    target = misp_double([])
    assert "added 1" in _push(target.url, coll, "cert-a", node_args).stderr
    uid = "4c3f6d85-8088-4e44-8b92-3f9f5d7f4e04"

    def links(deleted: bool = False) -> dict[str, tuple[str, str, bool]]:
        found = target.call("POST", "/events/restSearch", {"uuid": uid, "deleted": [0, 1]}).json()
        return {
            a["value"]: (a["uuid"], a["category"], bool(a.get("deleted")))
            for a in found["response"][0]["Event"]["Attribute"]
            if a["type"] == "link"
        }

    pushed = links()
    assert set(pushed) == set(first) and {c for _, c, _ in pushed.values()} == {"External analysis"}
    assert not any(d for _, _, d in pushed.values())
    assert {a["value"] for a in target.events()[uid]["Attribute"] if a["type"] == "ip-dst"} == {
        "198.51.100.7"
    }

    second = [first[0], "https://cert-a.example/advisory/7-update"]
    v2 = _report_bundle(tmp_path / "v2.json", "2026-02-03T04:05:06.000Z", second)
    accord("import", str(v2), "--collection", coll, "--producer", "cert-a", *node_args)
    again = _push(target.url, coll, "cert-a", node_args)
    assert "deleted in MISP: 1 attributes or objects, 0 events" in again.stderr, again.stderr
    now = links()
    assert now[first[0]] == pushed[first[0]]  # the same attribute, edited in place
    assert now[first[1]][2] is True and now[second[1]][2] is False
    assert "unchanged 1" in _push(target.url, coll, "cert-a", node_args).stderr
