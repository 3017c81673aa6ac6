"""Mutation tests: any change to the stored log made behind the node's back, via plain SQL, must be caught
by ``verify_log`` - including attackers who recompute every hash they can (but cannot sign)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from audit_testdb import fresh_engine, pg_database
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.audit import merkle
from accord.audit.canonical import canonical_json
from accord.audit.heads import sign_tree_head
from accord.audit.log import append, compute_leaf_hash, format_at
from accord.audit.tables import audit_leaf, audit_node, audit_state, audit_tree_head
from accord.audit.verify import verify_log

SIZE = 120
KEY = Ed25519PrivateKey.generate()
T0 = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)


def _build(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        for i in range(SIZE):
            append(
                conn,
                ["object", "request.transition", "admin"][i % 3],
                {"i": i, "v": f"value {i}"},
                T0 + timedelta(minutes=i),
            )
            if (i + 1) % 40 == 0:
                sign_tree_head(conn, KEY, T0 + timedelta(minutes=i, seconds=30))
    return engine


@pytest.fixture(scope="module")
def sqlite_log(tmp_path_factory) -> Iterator[sa.Engine]:
    engine = _build(fresh_engine(f"sqlite:///{tmp_path_factory.mktemp('tamper')}/accord.db"))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pg_log() -> Iterator[sa.Engine]:
    for url in pg_database():
        engine = _build(fresh_engine(url))
        yield engine
        engine.dispose()


# --- the attacker's tools ----------------------------------------------------------------------------


def _leaf(conn, idx):
    return conn.execute(sa.select(audit_leaf).where(audit_leaf.c.idx == idx)).one()


def _set_leaf(conn, idx, **values):
    conn.execute(audit_leaf.update().where(audit_leaf.c.idx == idx).values(**values))


def _rehash_leaf(conn, idx):
    row = _leaf(conn, idx)
    _set_leaf(conn, idx, leaf_hash=compute_leaf_hash(row.idx, row.at, row.kind, row.record))


def _rebuild(conn):
    """Recompute every leaf hash, subtree hash and the state row from the (tampered) records."""
    rows = conn.execute(sa.select(audit_leaf).order_by(audit_leaf.c.idx)).all()
    tree = merkle.MemoryTree([], {}, [])
    for row in rows:
        digest = compute_leaf_hash(row.idx, row.at, row.kind, row.record)
        if digest != row.leaf_hash:
            _set_leaf(conn, row.idx, leaf_hash=digest)
        tree.push(digest)
    conn.execute(audit_node.delete())
    nodes = [{"level": lv, "idx": ix, "hash": h} for (lv, ix), h in tree.nodes.items() if lv > 0]
    if nodes:
        conn.execute(audit_node.insert(), nodes)
    conn.execute(audit_state.update().values(size=len(rows), frontier=b"".join(tree.frontier)))


def _renumber(conn, start, delta):
    ids = conn.execute(sa.select(audit_leaf.c.idx).where(audit_leaf.c.idx >= start)).scalars().all()
    for idx in sorted(ids, reverse=delta > 0):
        conn.execute(audit_leaf.update().where(audit_leaf.c.idx == idx).values(idx=idx + delta))


records = st.dictionaries(
    st.sampled_from(["i", "v", "x"]), st.integers(-5, 500) | st.text(max_size=5), min_size=1
)
indexes = st.integers(0, SIZE - 1)


def _new_record(data, conn, idx):
    old = _leaf(conn, idx).record
    new = data.draw(records.map(canonical_json).filter(lambda text: text != old))
    _set_leaf(conn, idx, record=new)


def m_record(conn, data):
    _new_record(data, conn, data.draw(indexes))


def m_record_rehash(conn, data):
    idx = data.draw(indexes)
    _new_record(data, conn, idx)
    _rehash_leaf(conn, idx)


def m_record_rebuild(conn, data):
    _new_record(data, conn, data.draw(indexes))
    _rebuild(conn)


def m_at(conn, data):
    idx = data.draw(indexes)
    shift = data.draw(st.integers(1, 10**9) | st.integers(-(10**9), -1))
    _set_leaf(conn, idx, at=format_at(T0 + timedelta(minutes=idx, microseconds=shift)))
    if data.draw(st.booleans()):
        _rebuild(conn)


def m_kind(conn, data):
    idx = data.draw(indexes)
    _set_leaf(conn, idx, kind=data.draw(st.sampled_from(["objecT", "admin2", "x"])))
    if data.draw(st.booleans()):
        _rehash_leaf(conn, idx)


def m_leaf_hash(conn, data):
    idx = data.draw(indexes)
    old = _leaf(conn, idx).leaf_hash
    _set_leaf(conn, idx, leaf_hash=data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != old)))


def m_delete(conn, data):
    idx = data.draw(indexes)
    conn.execute(audit_leaf.delete().where(audit_leaf.c.idx == idx))
    if data.draw(st.booleans()):
        _renumber(conn, idx + 1, -1)
        _rebuild(conn)


def m_truncate(conn, data):
    keep = data.draw(st.integers(0, SIZE - 1))
    conn.execute(audit_leaf.delete().where(audit_leaf.c.idx >= keep))
    if data.draw(st.booleans()):
        _rebuild(conn)


def m_swap(conn, data):
    a = data.draw(indexes)
    b = data.draw(indexes.filter(lambda x: x != a))
    ra, rb = _leaf(conn, a), _leaf(conn, b)
    for target, row in ((a, rb), (b, ra)):
        _set_leaf(conn, target, at=row.at, kind=row.kind, record=row.record, leaf_hash=row.leaf_hash)
    if data.draw(st.booleans()):
        _rebuild(conn)


def m_insert(conn, data):
    idx = data.draw(indexes)  # before an existing record (inserting at the end is just an append)
    _renumber(conn, idx, +1)
    conn.execute(
        audit_leaf.insert().values(
            idx=idx,
            at=format_at(T0),
            kind="object",
            record="{}",
            leaf_hash=compute_leaf_hash(idx, format_at(T0), "object", "{}"),
        )
    )
    _rebuild(conn)


def m_extra_leaf(conn, data):
    """A record slipped in after the end without touching the tree: readers would see it, so flag it."""
    idx = SIZE + data.draw(st.integers(0, 3))
    at = format_at(T0 + timedelta(days=1))
    conn.execute(
        audit_leaf.insert().values(
            idx=idx, at=at, kind="object", record="{}", leaf_hash=compute_leaf_hash(idx, at, "object", "{}")
        )
    )


def _nodes(conn):
    return conn.execute(sa.select(audit_node.c.level, audit_node.c.idx, audit_node.c.hash)).all()


def m_node(conn, data):
    node = data.draw(st.sampled_from(_nodes(conn)))
    where = (audit_node.c.level == node.level) & (audit_node.c.idx == node.idx)
    if data.draw(st.booleans()):
        conn.execute(audit_node.delete().where(where))
    else:
        new = data.draw(st.binary(min_size=32, max_size=32).filter(lambda b: b != node.hash))
        conn.execute(audit_node.update().where(where).values(hash=new))


def m_node_extra(conn, data):
    level = data.draw(st.integers(1, 8))
    conn.execute(
        audit_node.insert().values(
            level=level, idx=(SIZE >> level) + data.draw(st.integers(0, 3)), hash=bytes(32)
        )
    )


def m_state(conn, data):
    row = conn.execute(sa.select(audit_state)).one()
    if data.draw(st.booleans()):
        conn.execute(audit_state.update().values(size=row.size + data.draw(st.sampled_from([-2, -1, 1, 5]))))
    else:
        frontier = bytearray(row.frontier)
        frontier[data.draw(st.integers(0, len(frontier) - 1))] ^= data.draw(st.integers(1, 255))
        conn.execute(audit_state.update().values(frontier=bytes(frontier)))


def m_head(conn, data):
    head = data.draw(st.sampled_from(conn.execute(sa.select(audit_tree_head)).all()))
    where = (audit_tree_head.c.tree_size == head.tree_size) & (audit_tree_head.c.timestamp == head.timestamp)
    column = data.draw(st.sampled_from(["tree_size", "timestamp", "root_hash"]))
    value = {"tree_size": head.tree_size - 1, "timestamp": head.timestamp + 1, "root_hash": bytes(32)}[column]
    conn.execute(audit_tree_head.update().where(where).values({column: value}))


MUTATIONS = [
    m_record,
    m_record_rehash,
    m_record_rebuild,
    m_at,
    m_kind,
    m_leaf_hash,
    m_delete,
    m_truncate,
    m_swap,
    m_insert,
    m_extra_leaf,
    m_node,
    m_node_extra,
    m_state,
    m_head,
]


def _check_detected(engine, mutation, data):
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            assert verify_log(conn, KEY.public_key()).ok  # the untouched log verifies...
            mutation(conn, data)
            report = verify_log(conn, KEY.public_key())
            assert not report.ok, f"{mutation.__name__} went undetected"  # ...and every tampering is caught
        finally:
            transaction.rollback()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MUTATIONS), st.data())
def test_every_mutation_is_detected_sqlite(sqlite_log, mutation, data):
    _check_detected(sqlite_log, mutation, data)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MUTATIONS), st.data())
def test_every_mutation_is_detected_postgresql(pg_log, mutation, data):
    _check_detected(pg_log, mutation, data)


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.__name__)
def test_each_kind_of_mutation_is_detected(sqlite_log, mutation):
    """Deterministic pass over every mutation kind, so none depends on hypothesis drawing it."""

    @settings(max_examples=10, deadline=None, database=None)
    @given(st.data())
    def run(data):
        _check_detected(sqlite_log, mutation, data)

    run()
