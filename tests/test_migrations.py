"""The Alembic migrations build exactly the schema the code declares, on SQLite and PostgreSQL."""

from __future__ import annotations

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


def test_migration_0005_keeps_rows_lowercases_recipients_and_allows_ties(db_url: str) -> None:
    """A store written before 0005: its rows survive, recipients become lowercase (matched ignoring
    case), and afterwards two producers may hold one id and one write's classes may share a time."""
    from alembic import command

    from accord.store.migrate import alembic_config
    from accord.store.schema import stix_object

    ensure_database(db_url)
    engine = create_engine(db_url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0004")
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
            row = {
                "collection_id": 1,
                "stix_id": "indicator--x",
                "type": "indicator",
                "version": "v",
                "version_us": 1,
                "spec_version": "2.1",
                "date_added_us": 10,
                "producer_org_id": 1,
                "tlp": 4,
                "recipients": "|Cert-B|IDENTITY--B|",
                "body": "{}",
            }
            conn.execute(stix_object.insert().values(**row))
        upgrade(engine)
        with engine.begin() as conn:
            assert conn.execute(sa.select(stix_object.c.recipients)).scalar_one() == "|cert-b|identity--b|"
            # The same id and version from another producer, at the same date_added: both stored.
            conn.execute(stix_object.insert().values(**{**row, "producer_org_id": 2}))
            assert conn.execute(sa.select(sa.func.count()).select_from(stix_object)).scalar_one() == 2
    finally:
        engine.dispose()
