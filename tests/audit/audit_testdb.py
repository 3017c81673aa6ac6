"""Database helpers shared by the audit tests (imported by conftest and by module-scoped fixtures)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from accord.audit.tables import AUDIT_TABLES, create_audit_tables
from accord.store.schema import metadata

PG_ADMIN_URL = os.environ.get("ACCORD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pg_database() -> Iterator[str]:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as error:
        admin.dispose()
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL not reachable ({error.__class__.__name__}); CI=true makes this an error")
    name = f"accord_test_audit_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_engine(url: str) -> sa.Engine:
    eng = sa.create_engine(url)
    metadata.drop_all(eng, tables=list(AUDIT_TABLES))
    create_audit_tables(eng)
    return eng
