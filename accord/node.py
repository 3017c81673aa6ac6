"""A node: its settings, its database, opened (and created on first use) in one call."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from accord.config import Settings
from accord.store import admin
from accord.store.engine import StoreError, create_engine, ensure_database, normalize_url, write_transaction
from accord.store.migrate import upgrade


@dataclass
class Node:
    settings: Settings
    engine: Engine
    page_secret: bytes

    def close(self) -> None:
        self.engine.dispose()


def _exists(settings: Settings) -> bool:
    """Has this node been initialized? (Without creating anything while looking.)"""
    url = make_url(normalize_url(settings.db_url))
    if url.drivername.startswith("sqlite") and url.database and not Path(url.database).exists():
        return False
    engine = create_engine(settings.db_url)
    try:
        with engine.connect() as conn:
            return (
                bool(sa.inspect(conn).has_table("node_setting"))
                and admin.get_setting(conn, "initialized") is not None
            )
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


def open_node(settings: Settings, *, create: bool = True) -> tuple[Node, str | None]:
    """Open the node, creating data directory, database, schema and admin on first use.

    Returns the node and the administrator token when it was just created (else None). With
    ``create=False`` a node that does not exist yet is an error rather than created.
    """
    if not create and not _exists(settings):
        raise StoreError(f"no node at {settings.data_dir} ({settings.db_url}): run 'accord init' first")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(settings.db_url)
    engine = create_engine(settings.db_url)
    # Every connection knows the node's data directory: it holds the key sealing peer tokens.
    engine.update_execution_options(accord_data_dir=str(settings.data_dir.resolve()))
    upgrade(engine)
    with write_transaction(engine) as conn:
        token = admin.initialize(conn)
        secret = admin.get_setting(conn, "page_secret")
    assert secret is not None
    return Node(settings, engine, bytes.fromhex(secret)), token
