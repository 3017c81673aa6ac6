"""Signed heads and proofs over HTTP, and two parties countersigning each other's logs."""

from __future__ import annotations

import base64

import httpx
import pytest
from starlette.testclient import TestClient

from accord.app import create_app
from accord.audit import merkle
from accord.audit.heads import SignedTreeHead, verify_head
from accord.audit.keys import load_public_key
from accord.audit.witness import WitnessError, witness
from accord.config import Settings
from accord.node import open_node
from accord.store import admin
from accord.store.engine import write_transaction


@pytest.fixture
def two_parties(tmp_path):
    made = []
    for name in ("cert-a", "cert-b"):
        node, token = open_node(Settings(tmp_path / name, f"sqlite:///{tmp_path / name / 'a.db'}"))
        made.append((node, TestClient(create_app(node), headers={"Authorization": f"Bearer {token}"})))
    yield made
    for node, _ in made:
        node.close()


def _write_something(node, name: str) -> None:
    with write_transaction(node.engine) as conn:
        admin.add_org(conn, name)


def test_heads_and_proofs_verify_with_hashes_only(two_parties) -> None:
    (node, client), _ = two_parties
    first = client.get("/audit/head").json()
    head, key = SignedTreeHead.from_json(first["head"]), load_public_key(first["public_key"].encode())
    assert verify_head(head, key) and head.tree_size >= 3  # the node's own set-up is in the log
    for i in range(5):
        _write_something(node, f"org-{i}")
    later = SignedTreeHead.from_json(client.get("/audit/head").json()["head"])
    assert later.tree_size == head.tree_size + 5 and verify_head(later, key)
    proof = client.get(
        "/audit/proof/consistency", params={"first": head.tree_size, "second": later.tree_size}
    )
    path = [base64.b64decode(h) for h in proof.json()["path"]]
    assert merkle.verify_consistency(head.tree_size, later.tree_size, head.root_hash, later.root_hash, path)
    inc = client.get("/audit/proof/inclusion", params={"index": 2, "tree_size": later.tree_size}).json()
    leaf = base64.b64decode(inc["leaf_hash"])
    assert merkle.verify_inclusion(
        leaf, 2, later.tree_size, [base64.b64decode(h) for h in inc["path"]], later.root_hash
    )
    assert "record" in inc  # the admin sees the record itself
    assert client.get("/audit/proof/inclusion", params={"index": 99, "tree_size": 5}).status_code == 400
    assert httpx.get  # noqa: B018 (keep httpx imported for the unauthenticated check below)
    assert TestClient(create_app(node)).get("/audit/head").status_code == 401


def test_parties_countersign_and_detect_a_rewritten_log(two_parties) -> None:
    (node_a, client_a), (node_b, _) = two_parties
    head = witness(node_b.engine, node_b.settings.data_dir, "cert-a", client_a, "http://testserver")
    signatures = client_a.get("/audit/countersignatures").json()
    assert len(signatures) == 1 and signatures[0]["tree_size"] == head.tree_size
    _write_something(node_a, "more")
    assert witness(
        node_b.engine, node_b.settings.data_dir, "cert-a", client_a, "http://testserver"
    ).tree_size == (head.tree_size + 1)
    # A rewrites its history: the tree's oldest subtree is replaced, so the heads it now signs no
    # longer extend the one B countersigned.
    for i in range(3):
        _write_something(node_a, f"after-{i}")
    from accord.audit.tables import audit_state

    with write_transaction(node_a.engine) as conn:
        frontier = conn.execute(audit_state.select()).one().frontier
        conn.execute(audit_state.update().values(frontier=bytes(32) + frontier[32:]))
    with pytest.raises(WitnessError, match="history was rewritten"):
        witness(node_b.engine, node_b.settings.data_dir, "cert-a", client_a, "http://testserver")
    assert len(client_a.get("/audit/countersignatures").json()) == 2


def test_the_node_signs_new_heads_as_its_log_grows(two_parties) -> None:
    import time

    from accord.audit.heads import latest_head
    from accord.audit.http import head_signer
    from accord.store.engine import read_transaction

    (node, _), _ = two_parties
    signer = head_signer(node, interval_s=0.05)
    signer.start()
    try:
        _write_something(node, "grows")
        with read_transaction(node.engine) as conn:
            from accord.audit.log import current_head

            size = current_head(conn).tree_size
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with read_transaction(node.engine) as conn:
                head = latest_head(conn)
            if head is not None and head.tree_size == size:
                break
            time.sleep(0.05)
        assert head is not None and head.tree_size == size
    finally:
        signer.stop()
