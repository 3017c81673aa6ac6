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
