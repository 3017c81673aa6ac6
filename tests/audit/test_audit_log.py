import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accord.audit import merkle
from accord.audit.canonical import canonical_bytes
from accord.audit.heads import sign_tree_head
from accord.audit.log import (
    append,
    append_many,
    consistency_proof,
    current_head,
    get_entry,
    inclusion_proof,
    leaf_bytes,
    root_at,
)
from accord.audit.tables import audit_leaf, audit_node, create_audit_tables
from accord.audit.verify import verify_log

T0 = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def _records(n, start=0):
    return [
        ("object", {"id": f"indicator--{i}", "n": i, "name": "é✓"}, T0 + timedelta(seconds=i))
        for i in range(start, start + n)
    ]


def test_leaf_is_the_canonical_json_of_the_entry():
    record = {"z": 1, "a": ["x", None]}
    expected = canonical_bytes(
        {"idx": 7, "kind": "admin", "at": "2026-01-01T00:00:00.000000Z", "record": record}
    )
    assert leaf_bytes(7, "2026-01-01T00:00:00.000000Z", "admin", '{"a":["x",null],"z":1}') == expected


def test_append_returns_consecutive_indexes_and_rolls_back_with_the_transaction(engine):
    with engine.begin() as conn:
        assert append(conn, "object", {"id": "a"}, T0) == 0
        assert append_many(conn, _records(3)) == [1, 2, 3]
    with pytest.raises(RuntimeError), engine.begin() as conn:
        append(conn, "object", {"id": "lost"}, T0)
        raise RuntimeError("the write failed, so its audit entry must vanish too")
    with engine.begin() as conn:
        assert append(conn, "object", {"id": "b"}, T0) == 4
        assert current_head(conn).tree_size == 5
        assert get_entry(conn, 0).record == {"id": "a"}


def test_timestamps_are_normalised_to_utc_and_must_be_aware(engine):
    with engine.begin() as conn:
        index = append(
            conn, "admin", {"op": "x"}, datetime(2026, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=2)))
        )
        assert get_entry(conn, index).at == "2026-01-01T01:00:00.000000Z"
        with pytest.raises(ValueError):
            append(conn, "admin", {}, datetime(2026, 1, 1))


def test_stored_tree_matches_rfc_definition_and_proofs_verify(engine):
    with engine.begin() as conn:
        append_many(conn, _records(37))
        for i in range(37, 70):  # mix single appends with batches
            append(conn, *_records(1, i)[0])
    with engine.connect() as conn:
        leaves = list(conn.execute(sa.select(audit_leaf.c.leaf_hash).order_by(audit_leaf.c.idx)).scalars())
        nodes = conn.execute(sa.select(sa.func.count()).select_from(audit_node)).scalar_one()
        assert nodes == sum(70 >> level for level in range(1, 7))
        assert current_head(conn).root_hash == merkle.root_of_leaves(leaves)
        for size in (1, 2, 3, 33, 64, 65, 70):
            root = root_at(conn, size)
            assert root == merkle.root_of_leaves(leaves[:size])
            for index in {0, size // 2, size - 1}:
                path = inclusion_proof(conn, index, size)
                assert merkle.verify_inclusion(leaves[index], index, size, path, root)
            for first in (0, 1, size // 3, size - 1, size):
                path = consistency_proof(conn, first, size)
                assert merkle.verify_consistency(first, size, root_at(conn, first), root, path)


def test_concurrent_appenders_are_serialised(engine):
    errors = []

    def worker(tag):
        try:
            for i in range(60):
                with engine.begin() as conn:
                    append(conn, "object", {"w": tag, "i": i}, T0)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    with engine.connect() as conn:
        ids = list(conn.execute(sa.select(audit_leaf.c.idx).order_by(audit_leaf.c.idx)).scalars())
        assert ids == list(range(180))
        leaves = list(conn.execute(sa.select(audit_leaf.c.leaf_hash).order_by(audit_leaf.c.idx)).scalars())
        assert current_head(conn).root_hash == merkle.root_of_leaves(leaves)


def test_verify_reports_records_not_yet_covered_by_a_signed_head(engine):
    key = Ed25519PrivateKey.generate()
    with engine.begin() as conn:
        append_many(conn, _records(10))
        sign_tree_head(conn, key, T0)
        append_many(conn, _records(3, 10))
        report = verify_log(conn, key.public_key())
    assert report.ok and (report.tree_size, report.heads_checked, report.unsigned_tail) == (13, 1, 3)
    assert report.root_hash == current_head_root(engine)


def current_head_root(engine):
    with engine.connect() as conn:
        return current_head(conn).root_hash


def test_verify_checks_the_size_it_started_with_while_the_node_keeps_appending(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path}/accord.db")
    create_audit_tables(engine)
    key = Ed25519PrivateKey.generate()
    with engine.begin() as conn:
        append_many(conn, _records(30))
        sign_tree_head(conn, key, T0)
    writes = []

    def append_meanwhile(conn, cursor, statement, *args):
        if "FROM audit_leaf" in statement and not writes:  # the first chunk is being read
            writes.append(True)
            with engine.begin() as other:
                append(other, "object", {"late": True}, T0)

    with engine.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute", append_meanwhile)
        report = verify_log(conn, key.public_key())
    assert writes and report.ok and report.grew
    assert report.tree_size == 30
    with engine.connect() as conn:
        assert not (again := verify_log(conn, key.public_key())).grew and again.tree_size == 31
