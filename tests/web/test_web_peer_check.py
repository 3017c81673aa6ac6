"""The peers page's "Check" button: ``accord peer check`` run from the console against a real peer
(an ``accord serve`` process on loopback), for administrators only, behind the form's CSRF token."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from serving import start_server
from starlette.testclient import TestClient
from stixgen import indicator
from web_world import PEER, World, csrf_of, sign_in

from accord.config import Settings
from accord.node import open_node
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects
from accord.sync.peers import add_peer
from accord.web import peers

REMOTE = "node-gh"  # the peer, as the console's node knows it
HERE = "cert-hub"  # the console's node, as the peer knows it


@dataclass
class RemoteNode:
    root: str  # its API root
    token: str  # what it issued to the console's node
    inbound: str  # its collection the console's node may write to
    offer: str  # its collection the console's node may read


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteNode]:
    """A real peer node, ``accord serve`` in its own process, that issued a token to ``HERE``."""
    base = tmp_path_factory.mktemp("remote")
    data_dir, db_url = base / "data", f"sqlite:///{base / 'remote.db'}"
    node, _ = open_node(Settings(data_dir, db_url))
    with write_transaction(node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        assert root is not None
        hub = admin.add_org(conn, HERE)
        inbound = admin.add_collection(conn, root, "From the hub", default_tlp=TLP.AMBER)
        offer = admin.add_collection(conn, root, "For the hub", default_tlp=TLP.GREEN)
        admin.grant(conn, inbound, hub, read=False, write=True)
        admin.grant(conn, offer, hub, read=True, write=False)
        token = admin.create_token(conn, hub)
    node.close()
    url, proc = start_server(data_dir, db_url)
    try:
        yield RemoteNode(f"{url}/default/", token, inbound.uuid, offer.uuid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def link_remote(world: World, remote: RemoteNode, token: str) -> str:
    """Link the console's node to the remote one; returns the local collection pushed to it, which
    holds two TLP:GREEN versions, one TLP:AMBER and one TLP:RED (for efcc-ng only)."""
    with write_transaction(world.node.engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        fr = admin.find_org(conn, "cert-fr")
        assert root is not None and fr is not None
        outbound = admin.add_collection(conn, root, "To Ghana", default_tlp=TLP.GREEN)
        admin.grant(conn, outbound, fr, read=True, write=True)
        objects = [
            indicator("gh-green-1", tlp=TLP.GREEN),
            indicator("gh-green-2", tlp=TLP.GREEN),
            indicator("gh-amber", tlp=TLP.AMBER),
            indicator("gh-red", tlp=TLP.RED, recipients=["efcc-ng"]),
        ]
        assert all(o.ok for o in add_objects(conn, outbound, fr, objects))
        linked = add_peer(
            conn,
            REMOTE,
            remote.root,
            token,
            max_tlp=TLP.AMBER,
            pulls=[f"{remote.offer}:{world.shared_uuid}"],
            pushes=[f"{outbound.uuid}:{remote.inbound}"],
        )
        shared = admin.collection_by_uuid(conn, world.shared_uuid)
        assert shared is not None
        admin.grant(conn, shared, linked.org, read=True, write=False)
        admin.create_token(conn, linked.org)
    return outbound.uuid


def card(html: str, name: str) -> str:
    """The peers page's card of one peer."""
    for section in html.split("<section")[1:]:
        if f'<h2 dir="auto">{name}' in section:
            return section.split("</section>", 1)[0]
    raise AssertionError(f"no card for {name}")


def crossing(html: str, collection: str) -> dict[str, int]:
    row = html.split(f'<tr data-collection="{collection}">', 1)[1].split("</tr>", 1)[0]
    return {tlp: int(n) for tlp, n in re.findall(r'<td data-tlp="([^"]+)">(\d+)</td>', row)}


def admin_client(app, world: World) -> tuple[TestClient, str]:
    client = TestClient(app)
    sign_in(client, world.admin_token)
    page = client.get("/peers")
    assert page.status_code == 200
    return client, csrf_of(page.text)


def test_checking_a_working_link(app, world: World, remote: RemoteNode) -> None:
    outbound = link_remote(world, remote, remote.token)
    client, csrf = admin_client(app, world)
    peers = client.get("/peers").text
    assert card(peers, REMOTE).count('action="/peers/check#check-result"') == 1
    assert f'name="peer" value="{REMOTE}"' in card(peers, REMOTE) and 'id="check-result"' not in peers

    checked = client.post("/peers/check", data={"csrf": csrf, "peer": REMOTE})
    assert checked.status_code == 200
    result = card(checked.text, REMOTE)
    assert 'id="check-result"' in result and 'id="check-result"' not in card(checked.text, PEER)
    assert re.search(r'id="check-outbound"><span class="ok">ok</span></dd>', result)
    assert 'id="check-tokens">1</dd>' in result
    readable = result.split('id="check-readable">', 1)[1].split("</dd>", 1)[0]
    assert world.shared_uuid in readable and "<bdi>Shared</bdi>" in readable
    assert result.split('id="check-writable">', 1)[1].startswith("nothing</dd>")
    assert crossing(result, outbound) == {
        "TLP:CLEAR": 0,
        "TLP:GREEN": 2,
        "TLP:AMBER": 1,
        "TLP:AMBER+STRICT": 0,
        "TLP:RED": 0,
    }
    assert "<bdi>To Ghana</bdi>" in result and "never synced" in result

    zh = client.post("/peers/check", params={"lang": "zh"}, data={"csrf": csrf, "peer": REMOTE})
    assert zh.status_code == 200 and "链接检查" in zh.text and "从未同步" in zh.text
    ar = client.post("/peers/check", params={"lang": "ar"}, data={"csrf": csrf, "peer": REMOTE})
    assert ar.status_code == 200 and 'dir="rtl"' in ar.text and "فحص الرابط" in ar.text
    # The language links of that page lead back to the peers page, in the language chosen.
    assert 'href="/peers/check?lang=en"' in ar.text
    back = client.get("/peers/check", params={"lang": "en"}, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "/peers"
    assert '<html lang="en"' in client.get("/peers").text


def test_a_refused_token_is_shown_on_the_page(app, world: World, remote: RemoteNode) -> None:
    outbound = link_remote(world, remote, "not-the-token-it-issued")
    client, csrf = admin_client(app, world)
    checked = client.post("/peers/check", data={"csrf": csrf, "peer": REMOTE})
    assert checked.status_code == 409  # as the audit page's failed verification; the CLI exits 1
    line = card(checked.text, REMOTE).split('id="check-outbound">', 1)[1].split("</dd>", 1)[0]
    assert '<span class="error">failed:</span>' in line
    assert f"GET {remote.root}: the peer refused this token (HTTP 401)" in line
    assert crossing(checked.text, outbound)["TLP:GREEN"] == 2  # this node's side is still reported
    assert 'id="check-tokens">1</dd>' in checked.text


def test_an_unknown_peer_is_an_error_on_the_page(app, world: World) -> None:
    client, csrf = admin_client(app, world)
    before = client.get("/peers").text
    checked = client.post("/peers/check", data={"csrf": csrf, "peer": "<b>nobody</b>"})
    assert checked.status_code == 400
    assert "There is no peer named “&lt;b&gt;nobody&lt;/b&gt;”." in checked.text
    assert 'id="check-result"' not in checked.text
    assert card(checked.text, PEER) == card(before, PEER)
    assert client.post("/peers/check", data={"csrf": csrf}).status_code == 400


def test_only_administrators_may_check(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    csrf = csrf_of(fr.get("/dashboard").text)
    refused = fr.post("/peers/check", data={"csrf": csrf, "peer": PEER})
    assert refused.status_code == 404 and "Nothing here, or not for you." in refused.text
    page = fr.get("/peers")  # the same answer as the peers page
    assert page.status_code == 404 and "Nothing here, or not for you." in page.text
    anonymous = TestClient(app)
    form = {"csrf": csrf_of(anonymous.get("/signin").text), "peer": PEER}
    answer = anonymous.post("/peers/check", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"


def test_checking_needs_the_form_token(app, world: World) -> None:
    client, _ = admin_client(app, world)
    assert client.post("/peers/check", data={"peer": PEER}).status_code == 403
    forged = client.post("/peers/check", data={"csrf": "forged", "peer": PEER})
    assert forged.status_code == 403 and "did not come from this console" in forged.text


def test_a_peer_token_that_does_not_open(app, world: World) -> None:
    (world.node.settings.data_dir / "peer-token.key").unlink()
    client, csrf = admin_client(app, world)
    checked = client.post("/peers/check", data={"csrf": csrf, "peer": PEER})
    assert checked.status_code == 500 and 'id="check-result"' not in checked.text
    assert f"The token for peer “{PEER}” cannot be opened on this node:" in checked.text


def test_only_a_few_checks_at_a_time(app, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    busy = threading.BoundedSemaphore(1)
    busy.acquire()
    monkeypatch.setattr(peers, "_checks", busy)
    client, csrf = admin_client(app, world)
    checked = client.post("/peers/check", data={"csrf": csrf, "peer": PEER})
    assert checked.status_code == 503 and "Other checks are running." in checked.text
