"""Alembic environment: the node's metadata on the connection handed in by ``accord.store.migrate``."""

from alembic import context

import accord.store.tables  # noqa: F401  (registers every capability's tables on the metadata)
from accord.store.schema import metadata

connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
