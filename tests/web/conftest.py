"""A small world for the console: two organizations sharing a collection, one private collection,
a TLP:RED object one of them may not see, an object whose name is HTML, and a request between them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from serving import free_port
from stixgen import indicator
from web_world import FROM_PEER, PEER, PRIVATE, RED_SECRET, XSS_NAME, World

from accord.app import create_app
from accord.cases import service
from accord.config import Settings
from accord.node import open_node
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects
from accord.store.schema import peer
from accord.sync.peers import add_peer


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    node, admin_token = open_node(Settings(tmp_path / "data", f"sqlite:///{tmp_path / 'web.db'}"))
    assert admin_token is not None
    with write_transaction(node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        assert root is not None
        fr, ng = admin.add_org(conn, "cert-fr"), admin.add_org(conn, "efcc-ng")
        shared = admin.add_collection(conn, root, "Shared", alias="shared", default_tlp=TLP.GREEN)
        private = admin.add_collection(conn, root, "NG only", alias="ng-only", default_tlp=TLP.GREEN)
        for who in (fr, ng):
            admin.grant(conn, shared, who, read=True, write=True)
        admin.grant(conn, private, ng, read=True, write=True)
        objects = [
            indicator("fr-phishing-kit", tlp=TLP.GREEN, value="kit.example.net"),
            indicator("fr-xss", tlp=TLP.AMBER, description=XSS_NAME, value="xss.example.org"),
            indicator("غزو-المصارف", tlp=TLP.CLEAR, value="bank.example.com"),
        ]
        xss = indicator("xss-holder", tlp=TLP.GREEN)
        xss["name"] = XSS_NAME
        objects.append(xss)
        assert all(o.ok for o in add_objects(conn, shared, fr, objects))
        red = indicator(RED_SECRET, tlp=TLP.RED, recipients=["efcc-ng"])
        assert all(o.ok for o in add_objects(conn, shared, ng, [red]))
        assert all(o.ok for o in add_objects(conn, private, ng, [indicator(PRIVATE, tlp=TLP.GREEN)]))
        kenya = add_peer(conn, PEER, "https://198.51.100.9:6800/default/", "issued-by-peer")
        conn.execute(peer.update().values(failures=3, last_error="connection refused <b>x</b>"))
        from_peer = indicator(FROM_PEER, tlp=TLP.GREEN)
        assert all(o.ok for o in add_objects(conn, shared, kenya.org, [from_peer], source=PEER))
        peer_token = admin.create_token(conn, kenya.org)
        fields = {
            "request_type": "information",
            "urgency": "normal",
            "legal_basis": {"kind": "bilateral"},
            "summary_of_facts": "Phishing kit hosted at kit.example.net; subscriber data needed.",
            "data": [{"kind": "domain", "value": "kit.example.net"}],
        }
        request_id = service.file_request(conn, fr, "efcc-ng", fields)["id"]
        world = World(
            node,
            admin.create_token(conn, fr),
            admin.create_token(conn, ng),
            admin_token,
            shared.uuid,
            request_id,
            peer_token,
        )
    yield world
    node.close()


@pytest.fixture
def app(world: World):
    return create_app(world.node)


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    """The console served by uvicorn on a loopback port, for what the test client cannot show."""
    port = free_port()
    config = uvicorn.Config(create_app(world.node), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the console did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
