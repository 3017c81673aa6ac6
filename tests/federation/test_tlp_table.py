"""The TLP table of the federation, row by row, pulled and pushed between two real nodes."""

from __future__ import annotations

import pytest
from nodes import NodeProc
from stixgen import indicator

from accord.policy import PeerScope
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.sync.peers import add_link, receive, refusals
from accord.sync.runner import sync_peer

LEVELS = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


def _expected(level: TLP) -> set[str]:
    """The rows of the table: which objects may reach B over a link limited to ``level``."""
    allowed = {"clear", "clear-from-c"}
    if level >= TLP.GREEN:
        allowed |= {"green", "green-from-c"}
    if level >= TLP.AMBER:
        allowed |= {"amber", "unmarked"}  # unmarked takes the collection default: AMBER
    if level >= TLP.AMBER_STRICT:
        allowed |= {"strict-named"}
    if level >= TLP.RED:
        allowed |= {"red-named"}
    return allowed  # never: strict/red without B named, amber-from-c (no forwarding), green-from-b (no echo)


@pytest.fixture
def pair(make_node):
    a, b = make_node("a"), make_node("b")
    b_identity = b.identity("admin")  # B's own organization
    producer_token = a.org("producer-a")
    a_out = a.collection("Out", write=["producer-a"], tlp="amber")
    # Each node stands for the other with an organization; tokens are exchanged out of band.
    a.peer("cert-b", b, token="set-below", identity_id=b_identity, max_tlp=TLP.RED)
    b.peer("cert-a", a, token="set-below", max_tlp=TLP.RED)
    a_token_for_b, b_token_for_a = a.org("cert-b"), b.org("cert-a")
    a.set_peer("cert-b", token=b_token_for_a)
    b.set_peer("cert-a", token=a_token_for_b)
    a.grant(a_out, "cert-b", read=True, write=False)

    objs = [
        indicator("clear", tlp=TLP.CLEAR),
        indicator("green", tlp=TLP.GREEN),
        indicator("amber", tlp=TLP.AMBER),
        indicator("unmarked"),
        indicator("strict-named", tlp=TLP.AMBER_STRICT, recipients=[b_identity]),
        indicator("strict-unnamed", tlp=TLP.AMBER_STRICT),
        indicator("red-named", tlp=TLP.RED, recipients=[b_identity]),
        indicator("red-unnamed", tlp=TLP.RED),
    ]
    a.start()
    b.start()
    a.post(a_out, "producer-a", producer_token, *objs)
    # Objects A received from other nodes: C (forwardable only up to GREEN) and B itself (never echoed).
    a.peer("cert-c", b, token="unused", max_tlp=TLP.RED)
    with write_transaction(a.engine) as conn:
        coll = admin.collection_by_uuid(conn, a_out)
        from_c = [
            indicator(n, tlp=t)
            for n, t in (
                ("clear-from-c", TLP.CLEAR),
                ("green-from-c", TLP.GREEN),
                ("amber-from-c", TLP.AMBER),
            )
        ]
        receive(conn, coll, admin.require_org(conn, "cert-c"), PeerScope("cert-c", TLP.RED), from_c)
        receive(
            conn,
            coll,
            admin.require_org(conn, "cert-b"),
            PeerScope("cert-b", TLP.RED),
            [indicator("green-from-b", tlp=TLP.GREEN)],
        )
    return a, b, a_out


@pytest.mark.parametrize("level", LEVELS, ids=[lv.label for lv in LEVELS])
def test_tlp_table_in_both_directions(pair: tuple[NodeProc, NodeProc, str], level: TLP) -> None:
    a, b, a_out = pair
    a.set_peer("cert-b", max_tlp=level)
    b.set_peer("cert-a", max_tlp=level)
    # Pull: B reads A's collection with its token; A's sync policy decides what B gets.
    pulled = b.collection(f"Pulled {level.label}")
    with write_transaction(b.engine) as conn:
        add_link(conn, "cert-a", "pull", a_out, pulled)
    sync_peer(b.engine, "cert-a")
    assert b.names(pulled) == _expected(level)
    # Push: A sends to B's collection; the same table applies on A's side.
    pushed = b.collection(f"Pushed {level.label}", write=["cert-a"])
    with write_transaction(a.engine) as conn:
        add_link(conn, "cert-b", "push", pushed, a_out)
    sync_peer(a.engine, "cert-b")
    assert b.names(pushed) == _expected(level)
    # Another pass in each direction sends nothing new.
    before = (len(b.stored(pulled)), len(b.stored(pushed)))
    sync_peer(a.engine, "cert-b")
    sync_peer(b.engine, "cert-a")
    assert (len(b.stored(pulled)), len(b.stored(pushed))) == before


def test_receiving_node_refuses_what_the_sender_should_not_send(pair) -> None:
    a, b, a_out = pair
    a.set_peer("cert-b", max_tlp=TLP.RED)  # A is configured more generously than B accepts
    b.set_peer("cert-a", max_tlp=TLP.GREEN)
    pushed = b.collection("Pushed", write=["cert-a"])
    with write_transaction(a.engine) as conn:
        add_link(conn, "cert-b", "push", pushed, a_out)
    result = sync_peer(a.engine, "cert-b")
    # An unmarked object carries no marking to judge: B stores it under its own collection default.
    assert b.names(pushed) == _expected(TLP.GREEN) | {"unmarked"}
    assert result.refused == 3  # amber, strict-named, red-named
    with read_transaction(b.engine) as conn:
        recorded = refusals(conn, "cert-a")
    assert sorted(r.stix_id for r in recorded) == sorted(
        indicator(n)["id"] for n in ("amber", "strict-named", "red-named")
    )
    assert all("above this node's limit" in r.reason for r in recorded)


def test_a_closed_link_lets_nothing_through(pair) -> None:
    a, b, a_out = pair
    a.set_peer("cert-b", enabled=False)
    pulled = b.collection("Pulled")
    with write_transaction(b.engine) as conn:
        add_link(conn, "cert-a", "pull", a_out, pulled)
    from accord.sync.client import PeerError

    with pytest.raises(PeerError, match="401"):
        sync_peer(b.engine, "cert-a")
    assert b.stored(pulled) == []
    assert b.peer_state("cert-a").failures == 1
