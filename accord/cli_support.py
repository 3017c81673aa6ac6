"""What every ``accord`` command shares: the ``--data-dir``/``--db`` options, opening the node, and
turning expected failures into one line on stderr with exit status 1.

In a module of its own so that each capability's commands (``accord.misp.command`` and the others)
use these very pieces rather than copies, without importing ``accord.cli``, which imports them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import OperationalError

from accord.config import Settings
from accord.node import Node, open_node
from accord.store import admin
from accord.store.engine import StoreError

err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="ACCORD_DATA_DIR", help="Data directory [default: ./accord-data]"),
]
Db = Annotated[
    str | None,
    typer.Option(
        "--db", envvar="ACCORD_DB", help="Database URL [default: SQLite file in the data directory]"
    ),
]


class CliError(Exception):
    """Raised to stop a command with a one-line message."""


def fail(message: str) -> None:
    raise CliError(message)


def one_line_errors(fn: F) -> F:
    """Turn expected failures into one line on stderr and exit status 1 (bad input, a missing file
    or collection, a database that cannot be reached: ``ValueError`` covers the input errors of
    every capability, e.g. importers' and MISP feeds')."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CliError, admin.AdminError, StoreError, ValueError, OSError, OperationalError) as exc:
            text = str(exc.orig) if isinstance(exc, OperationalError) else str(exc)
            print(f"accord: error: {' '.join(text.split())}", file=sys.stderr)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def find_collection(conn: Any, collection_id: str) -> admin.Collection:
    """The collection of a ``--collection`` option, or the one-line error naming it."""
    coll = admin.collection_by_uuid(conn, collection_id)
    if coll is None:
        raise CliError(f"no collection {collection_id}")
    return coll


@contextmanager
def opened(data_dir: Path | None, db: str | None, *, create: bool = False) -> Iterator[Node]:
    """The node of ``--data-dir``/``--db``; only ``init`` and ``serve`` create one."""
    node, token = open_node(Settings.load(data_dir, db), create=create)
    if token:
        err.print("[bold]Node created.[/bold] Administrator token (shown once):")
        print(token, flush=True)
    try:
        yield node
    finally:
        node.close()
