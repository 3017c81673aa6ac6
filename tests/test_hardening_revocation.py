"""Revoking a token, closing a peer link or removing a right holds from the very next request.

The server remembers good credentials, tagged with the credentials counter; the CLI is another
process that changes the database and bumps the counter, and the running server reads it on each
request.
"""

from __future__ import annotations

import httpx
from stixgen import envelope, indicator

from accord.store import admin
from accord.store.engine import read_transaction, write_transaction


def test_cli_revocation_reaches_a_running_server_on_the_next_request(served_node) -> None:
    node = served_node
    node.cli("org", "add", "cert-a")
    token = node.cli("token", "create", "--org", "cert-a")
    spare = node.cli("token", "create", "--org", "cert-a")
    coll = node.cli("collection", "add", "Shared", "--read", "cert-a")
    objects = f"{node.url}/default/collections/{coll}/objects/"

    def get(secret: str, auth: tuple[str, str] | None = None) -> int:
        headers = {"Accept": "application/taxii+json;version=2.1"}
        if auth is None:
            headers["Authorization"] = f"Bearer {secret}"
        return httpx.get(objects, headers=headers, auth=auth, timeout=30).status_code

    # Warm: the server now remembers both tokens.
    assert [get(token), get(token), get("", ("cert-a", token)), get(spare)] == [200, 200, 200, 200]
    node.cli("token", "revoke", token)
    assert get(token) == 401
    assert get("", ("cert-a", token)) == 401
    assert get(spare) == 200  # only that token

    # A peer's token stops working the moment its link is closed, and works again when reopened.
    peer_token = node.cli("token", "create", "--org", "cert-a")
    node.cli(
        "peer",
        "add",
        "cert-a",
        "--url",
        "http://127.0.0.1:9/default/",
        "--token",
        "t",
        "--max-tlp",
        "clear",
        "--no-check",
    )
    assert get(peer_token) == 200
    node.cli("peer", "set", "cert-a", "--disable")
    assert [get(peer_token), get(spare)] == [401, 401]
    node.cli("peer", "set", "cert-a", "--enable")
    assert get(peer_token) == 200
    # A right taken away: the collection is gone for that organization at once.
    node.cli("collection", "grant", coll, "--org", "cert-a", "--no-read")
    assert get(peer_token) == 404
    # Every token of an organization.
    node.cli("collection", "grant", coll, "--org", "cert-a", "--read")
    assert get(spare) == 200
    node.cli("token", "revoke", "--org", "cert-a")
    assert [get(spare), get(peer_token)] == [401, 401]


def test_every_change_of_credentials_bumps_the_counter(opened_node) -> None:
    engine = opened_node.node.engine

    def epoch() -> int:
        with read_transaction(engine) as conn:
            return int(admin.auth_epoch(conn) or 0)

    before = epoch()
    with write_transaction(engine) as conn:
        who = admin.add_org(conn, "cert-z")
        value = admin.create_token(conn, who)
    assert epoch() == before + 1
    with write_transaction(engine) as conn:
        root = admin.find_root(conn, admin.DEFAULT_ROOT)
        coll = admin.add_collection(conn, root, "Z")
        admin.grant(conn, coll, who, read=True, write=False)
        admin.grant(conn, coll, who, read=True, write=False)  # no change, no bump
    assert epoch() == before + 2
    with write_transaction(engine) as conn:
        assert admin.revoke_token(conn, value) == 1
    assert epoch() == before + 3
    with read_transaction(engine) as conn:
        assert admin.authenticate(conn, value) is None


def test_a_write_right_taken_away_refuses_the_next_post(served_node) -> None:
    """The server remembers which collections an organization may post to; a grant changes that."""
    node = served_node
    node.cli("org", "add", "cert-b")
    token = node.cli("token", "create", "--org", "cert-b")
    coll = node.cli("collection", "add", "Inbox", "--read", "cert-b", "--write", "cert-b")
    objects = f"{node.url}/default/collections/{coll}/objects/"
    headers = {
        "Accept": "application/taxii+json;version=2.1",
        "Content-Type": "application/taxii+json;version=2.1",
        "Authorization": f"Bearer {token}",
    }

    def post(name: str) -> int:
        return httpx.post(objects, headers=headers, json=envelope(indicator(name)), timeout=30).status_code

    assert [post("one"), post("two")] == [202, 202]
    node.cli("collection", "grant", coll, "--org", "cert-b", "--read", "--no-write")
    assert post("three") == 403
    node.cli("collection", "grant", coll, "--org", "cert-b", "--no-read", "--no-write")
    assert post("four") == 404
    node.cli("collection", "grant", coll, "--org", "cert-b", "--write")
    assert post("five") == 202
