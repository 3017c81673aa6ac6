"""Database fixtures for the audit tests: SQLite always, PostgreSQL when reachable (mandatory in CI)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from audit_testdb import fresh_engine, pg_database


@pytest.fixture(scope="session")
def audit_pg_url() -> Iterator[str]:
    yield from pg_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    """A fresh, empty set of audit tables on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('audit')}/accord.db"
    else:
        url = request.getfixturevalue("audit_pg_url")
    eng = fresh_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(audit_pg_url: str) -> Iterator[sa.Engine]:
    eng = fresh_engine(audit_pg_url)
    yield eng
    eng.dispose()
