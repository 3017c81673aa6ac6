"""`accord peer add --kind misp` and the sync loop running MISP peers, against the MISP REST API double
(tests/misp/misp_double.py, a real HTTP server on loopback) seeded with real MISP event files."""

from __future__ import annotations

import calendar
import json
import logging
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from misp_helpers import DOUBLE_KEY, accord, load, new_collection

from accord.stix.markings import TLP, TLP2_MARKING_ID

KEY = DOUBLE_KEY
TLP2_UUID = "7b1d3e9a-0c4f-4a51-9d3e-2f6a1c0b7e10"


def _events() -> list[dict[str, Any]]:
    """Three real events with distinct uuids."""
    tlp2 = load("misp-stix_event_with_tlp2_tags.json")
    tlp2["Event"]["uuid"] = TLP2_UUID
    tlp2["Event"]["timestamp"] = "1603643000"
    return [load("to_delete1.json"), load("misp-stix_event_with_sightings.json"), tlp2]


def _add(name: str, url: str, coll: str, node_args: list[str], *extra: str, key: str = KEY, ok: bool = True):
    return accord(
        "peer",
        "add",
        name,
        "--url",
        url,
        "--kind",
        "misp",
        "--key",
        key,
        "--collection",
        coll,
        *extra,
        *node_args,
        ok=ok,
    )


def _exported(node_args: list[str], coll: str) -> list[dict[str, Any]]:
    return json.loads(accord("export", "--collection", coll, *node_args).stdout)["objects"]


def _peer_rows(db_url: str) -> list[sa.Row]:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text("SELECT name, kind, url, token_sealed FROM peer ORDER BY id")))
    finally:
        engine.dispose()


def test_add_checks_the_key_and_stores_it_sealed(node_args, db_url: str, misp_double) -> None:
    double = misp_double([])
    coll = new_collection(node_args)
    wrong = _add("cert-x-misp", double.url, coll, node_args, key="c" * 40, ok=False)
    assert wrong.exit_code == 1 and wrong.stderr.count("\n") == 1
    assert "HTTP 403 Authentication failed" in wrong.stderr and "check --key" in wrong.stderr
    assert "nothing stored" in wrong.stderr and _peer_rows(db_url) == []
    assert [r["path"] for r in double.requests("/users/view/me")] == ["/users/view/me"]

    _add("cert-x-misp", double.url, coll, node_args, "--direction", "both", "--interval", "30")
    [row] = _peer_rows(db_url)
    assert (row.name, row.kind, row.url) == ("cert-x-misp", "misp", double.url + "/")
    assert row.token_sealed.startswith("v1.") and KEY not in row.token_sealed  # sealed like a token
    listed = accord("peer", "list", *node_args).stdout
    line = next(ln for ln in listed.splitlines() if "cert-x-misp" in ln and "http" in ln)
    assert " misp " in line and "pending" in line
    directions = [ln.split("│")[2].strip() for ln in listed.splitlines() if ln.count("│") > 6 and coll in ln]
    assert sorted(directions) == ["pull", "push"]
    assert "to cert-x-misp: ok" in accord("peer", "check", "cert-x-misp", *node_args).stdout

    # --no-check stores a peer without calling MISP; the refused key then fails its sync, recorded.
    unchecked = _add("bad-key", double.url, coll, node_args, "--no-check", key="d" * 40)
    assert unchecked.exit_code == 0 and [r.name for r in _peer_rows(db_url)] == ["cert-x-misp", "bad-key"]
    failed = accord("sync", "--once", "--peer", "bad-key", *node_args, ok=False)
    assert failed.exit_code == 1 and "bad-key: failed:" in failed.stderr and "check --key" in failed.stderr
    listed = accord("peer", "list", *node_args).stdout
    assert "failing" in next(ln for ln in listed.splitlines() if ln.startswith("│ bad-key"))

    taxii = accord("peer", "add", "t", "--url", double.url, "--collection", coll, *node_args, ok=False)
    assert taxii.exit_code == 1 and "--token is required" in taxii.stderr


def _sources(db_url: str, coll: str) -> set[str | None]:
    """The `source` of the rows of a collection: the peer a row arrived from (None: this node's own)."""
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            query = sa.text(
                "SELECT DISTINCT o.source FROM stix_object o JOIN collection c ON c.id = o.collection_id"
                " WHERE c.uuid = :coll OR c.alias = :coll"
            )
            return {row[0] for row in conn.execute(query, {"coll": coll})}
    finally:
        engine.dispose()


def test_sync_pulls_what_misp_pull_stores_and_a_second_pass_nothing(
    node_args, db_url: str, misp_double, caplog
) -> None:
    docs = _events()
    source = misp_double(docs)
    by_cli, by_peer = new_collection(node_args, "cli"), new_collection(node_args, "peer")
    accord("misp", "pull", "--url", source.url, "--key", KEY, "--collection", by_cli, "--producer", "cert-a",
           *node_args)  # fmt: skip
    # cert-a stands for the MISP server: the producer of what is pulled, as `--producer cert-a`.
    _add("src", source.url, by_peer, node_args, "--as", "cert-a")
    first = accord("sync", "--once", *node_args)
    cli_objects, peer_objects = _exported(node_args, by_cli), _exported(node_args, by_peer)
    assert len(peer_objects) > 200 and len(peer_objects) == len(cli_objects)
    assert sorted(json.dumps(o, sort_keys=True) for o in peer_objects) == sorted(
        json.dumps(o, sort_keys=True) for o in cli_objects
    )
    assert f"src: pulled {len(peer_objects)}, pushed 0, sightings 0, refused 0" in first.stdout
    # a peer's events are its arrivals (never sent back, nothing above GREEN sent on); `misp pull`'s are ours
    assert _sources(db_url, by_peer) == {"src"} and _sources(db_url, by_cli) == {None}
    asked = source.requests("/events/restSearch")
    assert asked[-1]["body"]["timestamp"] == 0  # the peer's cursor is its collection's, from the start

    with caplog.at_level(logging.INFO, logger="accord.sync"):
        again = accord("sync", "--once", *node_args)
    assert "src: pulled 0, pushed 0, sightings 0, refused 0" in again.stdout
    assert source.requests("/events/restSearch")[-1]["body"]["timestamp"] == 1603643000
    assert "sync with src: pulled 0, pushed 0" in caplog.text
    assert len(_exported(node_args, by_peer)) == len(peer_objects)
    listed = accord("peer", "list", *node_args).stdout
    link = next(ln for ln in listed.splitlines() if by_peer in ln)
    assert "timestamp 1603643000" in link and str(len(peer_objects)) in link


def _indicator(name: str, value: str, tlp: TLP, recipients: list[str] | None = None) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{name}",
        "created": "2026-01-02T03:04:05.000Z",
        "modified": "2026-01-02T03:04:05.000Z",
        "name": value,
        "pattern": f"[domain-name:value = '{value}']",
        "pattern_type": "stix",
        "valid_from": "2026-01-02T03:04:05Z",
        "indicator_types": ["malicious-activity"],
        "object_marking_refs": [TLP2_MARKING_ID[tlp]],
    }
    if recipients:
        obj["x_accord_recipients"] = recipients
    return obj


def test_push_sends_red_only_to_the_peer_whose_organization_is_named(
    node_args, misp_double, tmp_path: Path
) -> None:
    accord("org", "add", "cert-c", *node_args)
    coll = accord("collection", "add", "shared", "--read", "cert-a,cert-b,cert-c", "--write", "cert-a",
                  "--tlp", "green", *node_args).stdout.strip()  # fmt: skip
    green = _indicator("1f0c3a52-5d55-4b11-9e6f-0d6c2a4c1b01", "green.example.org", TLP.GREEN)
    red = _indicator("2a1d4b63-6e66-4c22-8f70-1e7d3b5d2c02", "red-for-b.example.org", TLP.RED, ["cert-b"])
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--0b3f5e21-7a01-4d9e-9c55-3b8a1e2f4d03",
                                  "objects": [green, red]}))  # fmt: skip
    accord("import", str(bundle), "--collection", coll, "--producer", "cert-a", *node_args)

    for_b, for_c = misp_double([]), misp_double([])
    _add("misp-b", for_b.url, coll, node_args, "--as", "cert-b", "--direction", "push", "--max-tlp", "red")
    _add("misp-c", for_c.url, coll, node_args, "--as", "cert-c", "--direction", "push", "--max-tlp", "red")
    first = accord("sync", "--once", *node_args)
    assert "misp-b: pulled 0, pushed 1," in first.stdout and "misp-c: pulled 0, pushed 1," in first.stdout

    def values(double: Any) -> set[str]:
        return {a["value"] for e in double.events().values() for a in e.get("Attribute") or []}

    assert values(for_b) == {"green.example.org", "red-for-b.example.org"}
    assert values(for_c) == {"green.example.org"}
    assert "red-for-b" not in json.dumps(for_c.requests("/events/add"))
    red_attr = next(
        a for e in for_b.events().values() for a in e["Attribute"] if a["value"] == "red-for-b.example.org"
    )
    assert {t["name"] for t in red_attr.get("Tag") or []} >= {"tlp:red"} and int(
        red_attr["distribution"]
    ) == 0

    again = accord("sync", "--once", *node_args)
    assert "misp-b: pulled 0, pushed 0," in again.stdout and "misp-c: pulled 0, pushed 0," in again.stdout
    assert len(for_b.requests("/events/add")) == 1 and len(for_c.requests("/events/add")) == 1
    assert not any(for_b.requests(f"/events/edit/{uid}") for uid in for_b.events())


def test_the_sync_loop_runs_misp_peers_and_records_their_failures(node_args, misp_double) -> None:
    """`accord serve`'s SyncLoop: a MISP peer on its interval, and a refused key counted and backed off."""
    from accord.config import Settings
    from accord.node import open_node
    from accord.store.engine import read_transaction
    from accord.sync.peers import get_peer
    from accord.sync.runner import SyncLoop

    source = misp_double([load("to_delete1.json")])
    stamp = int(load("to_delete1.json")["Event"]["timestamp"])
    coll = new_collection(node_args)
    _add("src", source.url, coll, node_args, "--as", "cert-a", "--interval", "0.2")
    _add("refused", source.url, coll, node_args, "--no-check", "--interval", "0.2", key="e" * 40)
    node, _ = open_node(Settings.load(node_args[1], node_args[3]))
    loop = SyncLoop(node.engine, poll_s=0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with read_transaction(node.engine) as conn:
                src, refused = get_peer(conn, "src"), get_peer(conn, "refused")
            again = [r for r in source.requests("/events/restSearch") if r["body"]["timestamp"] == stamp]
            if again and src.last_success_us and refused.failures >= 2:
                break  # src passed twice (the second from its cursor), refused failed twice
            time.sleep(0.1)
    finally:
        loop.stop()
        node.close()
    assert src.failures == 0 and src.last_success_us is not None and src.links[0].objects > 50
    assert src.links[0].cursor_text == f"timestamp {stamp}" and again
    assert refused.failures >= 2 and refused.last_success_us is None
    assert "HTTP 403 Authentication failed" in refused.last_error and "check --key" in refused.last_error
    assert len(_exported(node_args, coll)) == src.links[0].objects


def _sightings_bundle(path: Path, by: str, indicator_ids: list[str], first: int = 0) -> Path:
    green = [TLP2_MARKING_ID[TLP.GREEN]]
    sightings = [
        {
            "type": "sighting",
            "spec_version": "2.1",
            "id": f"sighting--{first + i:08x}-5d55-4b11-9e6f-0d6c2a4c1b01",
            "created": "2026-03-04T05:06:07.000Z",
            "modified": "2026-03-04T05:06:07.000Z",
            "created_by_ref": by,
            "sighting_of_ref": ref,
            "count": 3,
            "first_seen": "2026-03-01T00:00:00Z",
            "last_seen": f"2026-03-0{i + 2}T10:00:00Z",
            "where_sighted_refs": [by],
            "object_marking_refs": green,
        }
        for i, ref in enumerate(indicator_ids)
    ]
    path.write_text(json.dumps({"type": "bundle", "id": "bundle--5e6f7a81-0b1c-4d2e-8f3a-4b5c6d7e8f90",
                                "objects": sightings}))  # fmt: skip
    return path


def test_sightings_of_a_misp_peer_s_indicators_go_back_as_misp_sightings(
    node_args, misp_double, tmp_path: Path
) -> None:
    """Sweeps here sight indicators pulled from a MISP server. A peer with a push link (what may go
    there goes) gets each sighting as a MISP sighting of the attribute, once, wherever it is stored
    (the pulled collection, a sweep's sightings collection), and no event of loose sightings; a
    pull-only MISP peer gets none."""
    event, other = load("to_delete1.json"), load("existing_event.json")
    cert_fr = {"id": "7", "name": "CERT-FR", "uuid": "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d"}
    other["Event"]["Org"] = other["Event"]["Orgc"] = cert_fr  # both files are CIRCL's; ids are per org
    both, pull_only = misp_double([event]), misp_double([other])
    accord("org", "add", "cert-c", *node_args)
    coll, coll_c = new_collection(node_args), new_collection(node_args, "MISP C")
    swept = new_collection(node_args, "Sweep sightings")
    accord("collection", "grant", coll_c, "--org", "cert-c", "--read", *node_args)
    accord("collection", "grant", swept, "--org", "cert-c", "--read", *node_args)
    _add("misp-b", both.url, coll, node_args, "--as", "cert-b", "--direction", "both")
    _add("misp-c", pull_only.url, coll_c, node_args, "--as", "cert-c", "--direction", "pull")
    pulled = accord("sync", "--once", *node_args).stdout
    assert "misp-b: pulled 261, pushed 0, sightings 0," in pulled and "misp-c: pulled 265," in pulled, pulled
    attribute_uuids = {str(a["uuid"]) for a in event["Event"]["Attribute"]}
    indicators = [o["id"] for o in _exported(node_args, coll) if o["type"] == "indicator"]
    elsewhere, inside = [i for i in indicators if i.partition("--")[2] in attribute_uuids][:2]
    theirs = next(o["id"] for o in _exported(node_args, coll_c) if o["type"] == "indicator")
    cert_a = next(line.split("\t")[1] for line in accord("org", "list", *node_args).stdout.splitlines()
                  if line.startswith("cert-a\t"))  # fmt: skip
    for target, refs, first in ((swept, [elsewhere, theirs], 0), (coll, [inside], 16)):
        bundle = _sightings_bundle(tmp_path / f"sightings-{first}.json", cert_a, refs, first)
        accord("import", str(bundle), "--collection", target, "--producer", "cert-a", *node_args)

    first = accord("sync", "--once", *node_args)
    assert "misp-b: pulled 0, pushed 0, sightings 2," in first.stdout, first.stdout
    assert "misp-c: pulled 0, pushed 0, sightings 0," in first.stdout, first.stdout
    assert not both.requests("/events/add")  # before: a sighting alone made an empty event
    held = {str(a["uuid"]): a for a in both.events()[event["Event"]["uuid"]]["Attribute"]}
    last_seen = str(calendar.timegm((2026, 3, 2, 10, 0, 0)))  # each bundle's first sighting
    for ref in (elsewhere, inside):
        sighted = held[ref.partition("--")[2]].get("Sighting") or []
        assert [(s["date_sighting"], s["source"]) for s in sighted] == [(last_seen, cert_a)]
    assert not pull_only.requests(f"/sightings/add/{theirs.partition('--')[2]}")

    again = accord("sync", "--once", *node_args)
    assert "misp-b: pulled 0, pushed 0, sightings 0," in again.stdout, again.stdout
    assert len(both.requests(f"/sightings/add/{elsewhere.partition('--')[2]}")) == 1
