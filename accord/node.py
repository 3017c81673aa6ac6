"""A node: its settings, its database, opened (and created on first use) in one call."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from accord.config import Settings
from accord.store import admin
from accord.store.engine import create_engine, ensure_database, write_transaction
from accord.store.migrate import upgrade


@dataclass
class Node:
    settings: Settings
    engine: Engine
    page_secret: bytes

    def close(self) -> None:
        self.engine.dispose()


def open_node(settings: Settings) -> tuple[Node, str | None]:
    """Open the node, creating data directory, database, schema and admin on first use.

    Returns the node and the administrator token when it was just created (else None).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_database(settings.db_url)
    engine = create_engine(settings.db_url)
    upgrade(engine)
    with write_transaction(engine) as conn:
        token = admin.initialize(conn)
        secret = admin.get_setting(conn, "page_secret")
    assert secret is not None
    return Node(settings, engine, bytes.fromhex(secret)), token
