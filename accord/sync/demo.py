"""`accord demo`: three nodes on loopback — a national CERT in each of two countries and a company
under attack — exchanging intelligence within TLP limits, with sightings flowing back home.

  cert-cn  <== bilateral, up to AMBER ==>  cert-us  == industry feed, up to GREEN ==>  company
                                              ^------------- sightings go home ---------'
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

from accord.config import Settings
from accord.node import Node, open_node
from accord.stix.markings import TLP, TLP2_MARKING_ID
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import collection, stix_object
from accord.sync.peers import add_link, add_peer

TAXII = "application/taxii+json;version=2.1"
NODES = ("cert-cn", "cert-us", "company")


@dataclass
class DemoNode:
    name: str
    node: Node
    port: int
    analyst_token: str = ""
    process: subprocess.Popen | None = None

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/default/"


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _indicator(name: str, pattern: str, tlp: TLP, **extra: object) -> dict:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2026-11-29T08:00:00.000Z",
        "modified": "2026-11-29T08:00:00.000Z",
        "name": name,
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
        "object_marking_refs": [TLP2_MARKING_ID[tlp]],
        **extra,
    }


def _post(node: DemoNode, coll: str, objects: list[dict]) -> None:
    r = httpx.post(
        f"{node.root}collections/{coll}/objects/",
        auth=("analyst", node.analyst_token),
        headers={"Content-Type": TAXII, "Accept": TAXII},
        content=json.dumps({"objects": objects}),
        timeout=60,
    )
    r.raise_for_status()


def _holdings(node: DemoNode) -> list[tuple[str, str, str, str]]:
    """(collection, name, TLP, where it came from) of every indicator and sighting the node holds."""
    with read_transaction(node.node.engine) as conn:
        rows = conn.execute(
            sa.select(collection.c.title, stix_object.c.body, stix_object.c.tlp, stix_object.c.source)
            .join(collection, collection.c.id == stix_object.c.collection_id)
            .where(stix_object.c.type.in_(["indicator", "sighting"]))
            .order_by(stix_object.c.date_added_us)
        )
        bodies = [(r, json.loads(r.body)) for r in rows]
        names = {b["id"]: b.get("name", b["id"]) for _, b in bodies if b["type"] == "indicator"}
        out = []
        for r, body in bodies:
            if body["type"] == "sighting":
                sighted = names.get(body["sighting_of_ref"], "an indicator")
                label = f"sighting ({body.get('count', 1)}x) of {sighted}"
            else:
                label = body.get("name", body["id"])
            out.append((r.title, label, TLP(r.tlp).label, r.source or "(here)"))
        return out


def _wait(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return False


def run_demo(base: Path, base_port: int, say: Callable[[str], None], stay: bool) -> int:
    nodes = {
        name: DemoNode(
            name,
            open_node(Settings(base / name, f"sqlite:///{base / name / 'accord.db'}"))[0],
            _free_port(base_port + i if base_port else 0),
        )
        for i, name in enumerate(NODES)
    }
    cn, us, co = nodes["cert-cn"], nodes["cert-us"], nodes["company"]
    ids: dict[str, str] = {}
    # Organizations: each node's analysts, and an organization standing for each peer.
    for n in nodes.values():
        with write_transaction(n.node.engine) as conn:
            analyst = admin.add_org(conn, "analyst", f"identity--{uuid.uuid4()}")
            ids[n.name] = analyst.identity_id
            n.analyst_token = admin.create_token(conn, analyst)
    tokens: dict[tuple[str, str], str] = {}  # (issuer, holder) -> token issued by issuer for holder
    for issuer, holder in (
        ("cert-cn", "cert-us"),
        ("cert-us", "cert-cn"),
        ("cert-us", "company"),
        ("company", "cert-us"),
    ):
        with write_transaction(nodes[issuer].node.engine) as conn:
            stands_for = admin.add_org(conn, holder, ids[holder])
            tokens[(issuer, holder)] = admin.create_token(conn, stands_for)
    colls: dict[tuple[str, str], str] = {}

    def coll(node: DemoNode, title: str, tlp: TLP, read: list[str], write: list[str]) -> str:
        with write_transaction(node.node.engine) as conn:
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            c = admin.add_collection(conn, root, title, default_tlp=tlp)
            for org_name in dict.fromkeys(read + write):
                admin.grant(
                    conn, c, admin.require_org(conn, org_name), read=org_name in read, write=org_name in write
                )
        colls[(node.name, title)] = c.uuid
        return c.uuid

    cn_bilateral = coll(cn, "Bilateral", TLP.AMBER, ["analyst", "cert-us"], ["analyst"])
    us_bilateral = coll(us, "Bilateral", TLP.AMBER, ["analyst", "cert-cn"], ["analyst"])
    us_from_cn = coll(us, "From CNCERT", TLP.AMBER, ["analyst", "company"], [])
    us_industry = coll(us, "Industry feed", TLP.GREEN, ["analyst", "company"], ["analyst"])
    us_sightings = coll(us, "Sightings", TLP.GREEN, ["analyst"], ["company"])
    cn_sightings = coll(cn, "Sightings", TLP.GREEN, ["analyst"], ["cert-us"])
    cn_from_us = coll(cn, "From US-CERT", TLP.AMBER, ["analyst"], [])
    co_feed = coll(co, "Partner feed", TLP.GREEN, ["analyst"], [])
    co_local = coll(co, "Our sightings", TLP.GREEN, ["analyst"], ["analyst"])

    def peer(at: DemoNode, other: DemoNode, max_tlp: TLP, sightings: str | None = None) -> None:
        with write_transaction(at.node.engine) as conn:
            add_peer(
                conn,
                other.name,
                other.root,
                tokens[(other.name, at.name)],
                max_tlp=max_tlp,
                interval_s=1.0,
                sightings_collection=sightings,
                identity_id=ids[other.name],
            )

    peer(us, cn, TLP.RED, sightings=cn_sightings)
    peer(cn, us, TLP.RED)
    peer(co, us, TLP.GREEN, sightings=us_sightings)
    peer(us, co, TLP.GREEN)  # no links: US-CERT knows the company as a peer, so its sightings are checked
    with write_transaction(us.node.engine) as conn:
        add_link(conn, "cert-cn", "pull", cn_bilateral, us_from_cn)
    with write_transaction(cn.node.engine) as conn:
        add_link(conn, "cert-us", "pull", us_bilateral, cn_from_us)
    with write_transaction(co.node.engine) as conn:
        add_link(conn, "cert-us", "pull", us_from_cn, co_feed)
        add_link(conn, "cert-us", "pull", us_industry, co_feed)

    for n in nodes.values():
        n.node.close()
        log = open(base / n.name / "serve.log", "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        n.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "accord.cli",
                "serve",
                "--data-dir",
                str(base / n.name),
                "--port",
                str(n.port),
                "--log-level",
                "info",
            ],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    try:
        for n in nodes.values():
            if not _wait(lambda n=n: _up(n), 60):
                say(f"{n.name} did not start; see {base / n.name / 'serve.log'}")
                return 1
            n.node = open_node(Settings(base / n.name, f"sqlite:///{base / n.name / 'accord.db'}"))[0]
        say("Three nodes are running:")
        for n in nodes.values():
            say(f"  {n.name:8} {n.root}   (user 'analyst', token {n.analyst_token})")

        c2 = _indicator(
            "SilkLoader C2 domain", "[domain-name:value = 'update-check.example-c2.net']", TLP.GREEN
        )
        c2ip = _indicator("SilkLoader C2 address", "[ipv4-addr:value = '203.0.113.66']", TLP.GREEN)
        phish = _indicator(
            "Phishing sender", "[email-addr:value = 'billing@invoices-example.org']", TLP.AMBER
        )
        suspect = _indicator(
            "Suspect infrastructure (law enforcement only)",
            "[ipv4-addr:value = '198.51.100.23']",
            TLP.RED,
            x_accord_recipients=[ids["cert-us"]],
        )
        _post(cn, cn_bilateral, [c2, c2ip, phish, suspect])
        advisory = _indicator(
            "Trade-secret exfiltration tool hash", "[file:hashes.'SHA-256' = '" + "ab" * 32 + "']", TLP.GREEN
        )
        internal = _indicator("US-CERT internal lead", "[domain-name:value = 'lead.example.net']", TLP.AMBER)
        _post(us, us_industry, [advisory])
        _post(us, us_bilateral, [internal])
        say(
            "\nShared: CNCERT posted 2 GREEN, 1 AMBER and 1 RED (for US-CERT only) indicators; "
            "US-CERT posted a GREEN advisory for industry and an AMBER lead for CNCERT."
        )
        _wait(
            lambda: (
                len([h for h in _holdings(co) if h[2] == "TLP:GREEN"]) >= 3
                and len(_holdings(us)) >= 6
                and len(_holdings(cn)) >= 5
            ),
            45,
        )

        sightings = _sweep_company(co, base)
        if sightings:
            _post(co, co_local, sightings)
            count = sum(1 for o in sightings if o["type"] == "sighting")
            say(f"\nThe company swept its logs: {count} sighting(s), which now travel home to the producers.")
            _wait(lambda: any(h[0] == "Sightings" for h in _holdings(cn)), 45)

        for n in nodes.values():
            say(f"\n{n.name} holds:")
            for title, name, tlp, origin in _holdings(n):
                say(f"  {tlp:17} {name[:60]:60} in {title!r:18} from {origin}")
        say(
            "\nNote what did not travel: the AMBER phishing sender stayed with US-CERT (AMBER is never "
            "forwarded), the RED lead reached US-CERT only, and the company received GREEN only."
        )
        if stay:
            say("\nNodes keep running; press Ctrl-C to stop.")
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
        return 0
    finally:
        for n in nodes.values():
            if n.process and n.process.poll() is None:
                n.process.terminate()
        for n in nodes.values():
            if n.process:
                try:
                    n.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    n.process.kill()
            n.node.close()
        say("Stopped.")


def _up(n: DemoNode) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{n.port}/taxii2/", timeout=1).status_code in (200, 401)
    except httpx.TransportError:
        return False


def _sweep_company(co: DemoNode, base: Path) -> list[dict]:
    """Sightings from the company's logs, by `accord sweep` when the sweep capability is installed."""
    logs = base / "company" / "eve.json"
    events = [
        {
            "timestamp": "2026-11-29T09:14:03.120000+0000",
            "event_type": "dns",
            "src_ip": "10.1.2.3",
            "dest_ip": "10.0.0.53",
            "dns": {"rrname": "update-check.example-c2.net", "type": "query"},
        },
        {
            "timestamp": "2026-11-29T09:14:05.500000+0000",
            "event_type": "flow",
            "src_ip": "10.1.2.3",
            "dest_ip": "203.0.113.66",
            "dest_port": 443,
            "proto": "TCP",
        },
        {
            "timestamp": "2026-11-29T09:20:00.000000+0000",
            "event_type": "flow",
            "src_ip": "10.1.2.9",
            "dest_ip": "192.0.2.10",
            "dest_port": 80,
            "proto": "TCP",
        },
    ]
    logs.write_text("\n".join(json.dumps(e) for e in events) + "\n")
    with read_transaction(co.node.engine) as conn:
        bodies = [
            json.loads(b)
            for (b,) in conn.execute(sa.select(stix_object.c.body).where(stix_object.c.type == "indicator"))
        ]
    bundle = base / "company" / "indicators.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": bodies}))
    out = base / "company" / "sightings.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "accord.cli",
            "sweep",
            str(logs),
            "--indicators",
            str(bundle),
            "--out",
            str(out),
            "--format",
            "eve",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0 or not out.exists():
        return []
    found = json.loads(out.read_text()).get("objects", [])
    return [
        dict(o, object_marking_refs=[TLP2_MARKING_ID[TLP.GREEN]]) if o.get("type") == "sighting" else o
        for o in found
    ]


def demo(directory: Path | None, base_port: int, say: Callable[[str], None], stay: bool = True) -> int:
    base = directory or Path(tempfile.mkdtemp(prefix="accord-demo-"))
    if directory and any(directory.iterdir() if directory.exists() else []):
        say(f"{directory} is not empty: give an empty or new directory")
        return 1
    base.mkdir(parents=True, exist_ok=True)
    say(f"Data directories under {base}")
    try:
        return run_demo(base, base_port, say, stay)
    finally:
        if directory is None:
            shutil.rmtree(base, ignore_errors=True)
