"""Database engines and transactions, the same code on SQLite and PostgreSQL.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for writes, so a writer never fails half-way on a
lock upgrade; PostgreSQL serializes writers on the node clock row (see ``objects.allocate``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url


class StoreError(RuntimeError):
    """The database cannot be opened or created; the message says which and why."""


def normalize_url(url: str) -> str:
    """Accept ``postgresql://`` as people write it and use the psycopg 3 driver for it."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None  # transactions are begun by the listener below
        cur = dbapi_conn.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            "busy_timeout=60000",
            "foreign_keys=ON",
            "case_sensitive_like=ON",
            "cache_size=-65536",
            "wal_autocheckpoint=10000",
        ):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("accord_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist (SQLite creates itself)."""
    parsed = make_url(normalize_url(url))
    if not parsed.drivername.startswith("postgresql"):
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).first()
            if not exists:
                conn.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
    except sa.exc.OperationalError as exc:
        raise StoreError(f"cannot reach PostgreSQL at {parsed.host}:{parsed.port}: {exc.orig}") from None
    finally:
        admin.dispose()


def create_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 60},
            pool_size=16,
            max_overflow=16,
        )
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(url, pool_size=16, max_overflow=16, pool_pre_ping=True)


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for one request: everything it wrote, or nothing."""
    with engine.connect().execution_options(accord_write=True) as conn, conn.begin():
        yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A consistent snapshot for a read (one page, its `more` flag and its headers agree)."""
    with engine.connect() as conn, conn.begin():
        yield conn
