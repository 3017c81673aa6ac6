"""`accord peer add`/`peer set` call the peer before storing a link: the discovery URL is turned
into the API root, and a wrong URL, token or collection is one line naming the fix, with nothing
stored (a real `accord serve` on a loopback port plays the peer)."""

from __future__ import annotations

import subprocess
import sys

from stixgen import indicator

from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.objects import add_objects
from accord.sync.peers import get_peer


def accord(node, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args, "--data-dir", str(node.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_peer_add_finds_the_api_root_and_refuses_a_wrong_setup_at_once(make_node) -> None:
    a = make_node("cert-a")
    token = a.org("cert-b")
    shared = a.collection("Shared", read=["cert-b"], tlp="green")
    inbox = a.collection("Inbox", write=["cert-b"], tlp="green")
    a.start()
    b = make_node("cert-b")
    local = b.collection("Local", tlp="green")
    links = ["--pull", f"{shared}:{local}", "--push", f"{local}:{inbox}"]

    def refused(*args: str, expect: str) -> None:
        result = accord(b, "peer", "add", "cert-a", *args)
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stderr.count("\n") == 1 and expect in result.stderr, result.stderr
        assert "nothing stored" in result.stderr and token not in result.stderr
        with read_transaction(b.engine) as conn:
            assert get_peer(conn, "cert-a") is None

    discovery = f"{a.url}/taxii2/"
    refused("--url", discovery, "--token", "not-the-token", *links, expect="refused this token (HTTP 401)")
    refused("--url", discovery, "--token", token, "--pull", f"{inbox}:{local}", expect="may not pull from")
    refused("--url", discovery, "--token", token, "--push", f"{local}:{shared}", expect="may not push to")
    refused("--url", discovery, "--token", token, "--pull", f"no:{local}", expect="has no collection 'no'")
    refused("--url", "http://127.0.0.1:9/taxii2/", "--token", token, expect="ConnectError")
    refused("--url", f"{a.url}/", "--token", token, expect="not a TAXII answer")

    # The discovery URL a TAXII user is handed: the API root it lists is what is stored.
    added = accord(b, "peer", "add", "cert-a", "--url", discovery, "--token", token, *links)
    assert added.returncode == 0, added.stderr
    assert "cert-a may read no collection here" in added.stderr  # the documented grant, named
    # B pushes to A: A's sightings of those indicators need a collection here that A may write.
    assert "cert-a may write no collection here" in added.stderr
    assert "accord collection grant SIGHTINGS_COLLECTION --org cert-a --write" in added.stderr
    with read_transaction(b.engine) as conn:
        assert get_peer(conn, "cert-a").url == a.root

    # peer set: a new token is checked against the link's collections before it replaces the old.
    bad = accord(b, "peer", "set", "cert-a", "--token", "wrong")
    assert bad.returncode == 1 and "refused this token" in bad.stderr
    with read_transaction(b.engine) as conn:
        assert get_peer(conn, "cert-a").token == token
    synced = accord(b, "sync", "--once", "--peer", "cert-a")
    assert synced.returncode == 0, synced.stderr

    # peer check: both directions, what would cross at each TLP, the state.
    with write_transaction(b.engine) as conn:
        analyst = admin.add_org(conn, "analyst")
        coll = admin.collection_by_uuid(conn, local)
        objs = [indicator("shared", tlp=TLP.GREEN), indicator("kept", tlp=TLP.RED), indicator("more")]
        assert all(o.stored for o in add_objects(conn, coll, analyst, objs))
    checked = accord(b, "peer", "check", "cert-a")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert lines[0] == "to cert-a: ok"
    assert lines[1].startswith("from cert-a: 0 token(s) here; may read nothing")
    assert f"would cross to cert-a from {local}: TLP:CLEAR 0, TLP:GREEN 2, TLP:AMBER 0" in checked.stdout
    assert "TLP:RED 0" in checked.stdout and "accord token create --org cert-a" in checked.stdout
    assert accord(b, "peer", "set", "cert-a", "--token", "revoked", "--no-check").returncode == 0
    failing = accord(b, "peer", "check", "cert-a")
    assert (
        failing.returncode == 1
        and "to cert-a: GET" in failing.stdout
        and "refused this token" in failing.stdout
    )
    assert accord(b, "peer", "set", "cert-a", "--token", token).returncode == 0

    # Several API roots behind one discovery URL: the choice is the user's.
    with write_transaction(a.engine) as conn:
        admin.add_root(conn, "second", "Second root")
    several = accord(b, "peer", "set", "cert-a", "--url", discovery)
    assert several.returncode == 1 and "several API roots" in several.stderr
    assert f"{a.url}/second/" in several.stderr and a.root in several.stderr
