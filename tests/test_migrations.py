"""The Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import accord.store.tables  # noqa: F401  (every capability's tables on the metadata)
from accord.store.engine import create_engine, ensure_database
from accord.store.migrate import upgrade
from accord.store.schema import metadata


def test_migrations_match_the_declared_schema(db_url: str) -> None:
    ensure_database(db_url)
    engine = create_engine(db_url)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
            tables = set(sa.inspect(conn).get_table_names())
        assert diff == [], diff
        assert {"stix_object", "audit_leaf", "peer_link", "rfa_case"} <= tables
        upgrade(engine)  # a second run is a no-op
    finally:
        engine.dispose()


@contextmanager
def store_at(db_url: str, revision: str) -> Iterator[tuple[sa.Engine, sa.Connection]]:
    """A database migrated only to ``revision``, holding an API root, organizations a (1) and b (2)
    and collection 1: the connection writes rows as that revision had them; then ``upgrade``."""
    from alembic import command

    from accord.store.migrate import alembic_config

    ensure_database(db_url)
    engine = create_engine(db_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            conn.exec_driver_sql(
                "INSERT INTO api_root (id, name, title, max_content_length) VALUES (1, 'r', 'R', 1000)"
            )
            for oid, name in ((1, "a"), (2, "b")):
                conn.exec_driver_sql(
                    "INSERT INTO org (id, name, identity_id, created_us) "
                    f"VALUES ({oid}, '{name}', 'identity--{name}', 0)"
                )
            conn.exec_driver_sql(
                "INSERT INTO collection (id, uuid, root_id, title, default_tlp) VALUES (1, 'c', 1, 'C', 2)"
            )
            yield engine, conn
    finally:
        engine.dispose()


ROW = {
    "collection_id": 1,
    "type": "indicator",
    "version": "v",
    "version_us": 1,
    "spec_version": "2.1",
    "producer_org_id": 1,
    "tlp": 2,
    "body": "{}",
}


def test_migration_0005_keeps_rows_lowercases_recipients_and_allows_ties(db_url: str) -> None:
    """A store written before 0005: its rows survive, recipients become lowercase (matched ignoring
    case), and afterwards two producers may hold one id and one write's classes may share a time."""
    from accord.store.schema import stix_object

    row = {
        **ROW,
        "stix_id": "indicator--x",
        "date_added_us": 10,
        "tlp": 4,
        "recipients": "|Cert-B|IDENTITY--B|",
    }
    with store_at(db_url, "0004") as (engine, conn):
        conn.execute(stix_object.insert().values(**row))
    upgrade(engine)
    with engine.begin() as conn:
        assert conn.execute(sa.select(stix_object.c.recipients)).scalar_one() == "|cert-b|identity--b|"
        # The same id and version from another producer, at the same date_added: both stored.
        conn.execute(stix_object.insert().values(**{**row, "producer_org_id": 2}))
        assert conn.execute(sa.select(sa.func.count()).select_from(stix_object)).scalar_one() == 2


def test_migration_0006_turns_push_cursors_into_storage_order(db_url: str) -> None:
    """A push cursor was the last date_added pushed; it becomes the highest seq stored at or
    before that time in the link's collection, so nothing pushed is sent again."""
    from accord.store.schema import peer_link, stix_object

    with store_at(db_url, "0005") as (engine, conn):
        conn.exec_driver_sql(
            "INSERT INTO peer (id, name, org_id, url, token_sealed, max_tlp, interval_s, enabled, "
            "sightings_cursor_seq, failures) VALUES (1, 'p', 1, 'http://x/', 's', 2, 60, true, 0, 0)"
        )
        for seq, added in ((1, 10), (2, 20), (3, 30)):
            conn.execute(
                stix_object.insert().values(seq=seq, stix_id=f"x--{seq}", date_added_us=added, **ROW)
            )
        for link_id, direction, cursor in ((1, "push", 20), (2, "pull", 20), (3, "push", 0)):
            conn.execute(
                peer_link.insert().values(
                    id=link_id,
                    peer_id=1,
                    direction=direction,
                    remote_collection=f"r{link_id}",
                    collection_id=1,
                    cursor_us=cursor,
                    objects=0,
                )
            )
    upgrade(engine)
    with engine.begin() as conn:
        cursors = dict(conn.execute(sa.select(peer_link.c.id, peer_link.c.cursor_us)).all())
    assert cursors == {1: 2, 2: 20, 3: 0}  # push: seq 2 was the last pushed; pull untouched
