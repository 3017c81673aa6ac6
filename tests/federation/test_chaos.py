"""Three real nodes converge after kills and partitions during a sync of 50,000 object versions.

Links are made with the documented CLI only (``chaos.set_up``); faults alternate between ``kill -9``
of a node (restarted later) and a partition (its port closed, open connections reset), at random
points, while A's analyst writes new versions, revocations and deletions. Afterwards every node
holds exactly what the README's TLP table lets reach it, each version once, and each link caught
up within its first two successful sync passes after the faults ended (one interval apart: a peer
cut off is probed each interval, not left in backoff). ``ACCORD_CHAOS_OBJECTS`` changes the size;
``bench/federation_chaos.py`` runs the same scenario and prints the convergence time.
"""

from __future__ import annotations

import os

from chaos import converged, corpus, expected, rows, run_chaos, set_up

from accord.stix.markings import TLP
from accord.store.engine import read_transaction
from accord.sync.peers import refusals

OBJECTS = int(os.environ.get("ACCORD_CHAOS_OBJECTS", "50000"))
INTERVAL = 10.0
SEED = 20261206


def test_three_nodes_converge_after_kills_and_partitions(make_node) -> None:
    fed = set_up(make_node, interval=INTERVAL)
    versions, names = corpus(OBJECTS, SEED)
    result = run_chaos(fed, versions, names, faults=8, seed=SEED)
    print(result.faults, result.passes_after, f"converged {result.converged_after_s:.1f} s after")

    assert any(f.startswith("kill -9") for f in result.faults)
    assert any(f.startswith("partition") for f in result.faults)
    assert result.writes_during > 0 and result.deletions > 0
    assert converged(fed)
    want = expected(fed)
    # Nothing lost on A itself: every imported version is there unless its object was deleted.
    held = {(i, v) for i, v, _ in rows(fed.a, fed.a_out)}
    kept = [(o["id"], o["modified"]) for o in versions if o["id"] not in result.deleted]
    assert kept and all(k in held for k in kept)
    for node, coll, limit in (
        (fed.b, fed.b_in, TLP.AMBER),
        (fed.c, fed.c_in, TLP.GREEN),
        (fed.c, fed.c_from_b, TLP.GREEN),
    ):
        got = rows(node, coll)
        assert len(got) == len({(i, v) for i, v, _ in got}), f"{node.name}: a version stored twice"
        assert max(t for _, _, t in got) <= limit, f"{node.name}: above the link's TLP"
        assert {(i, v) for i, v, _ in got} == want[coll]
        types = {i.split("--")[0] for i, _, _ in got}
        assert types == {"indicator", "x-accord-tombstone"}  # deletions travelled as tombstones
    # Revocations crossed too, and no link ever offered what the receiver would refuse.
    assert any(i.startswith("indicator") and v.startswith("2026-03") for i, v, _ in rows(fed.c, fed.c_in))
    for node in (fed.b, fed.c):
        with read_transaction(node.engine) as conn:
            for peer in ("cert-a", "cert-b"):
                assert refusals(conn, peer, limit=5) == [], f"{node.name} refused objects from {peer}"
    assert all(0 < n <= 2 for n in result.passes_after.values()), result.passes_after
