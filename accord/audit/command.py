"""``accord audit`` commands: verify the log (live or an export), export it, print an inclusion proof."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer

from accord.audit.export import export as export_log
from accord.audit.export import verify_export
from accord.audit.heads import latest_head
from accord.audit.keys import PUBLIC_KEY_FILE, load_or_create_key, load_public_key
from accord.audit.log import current_head, get_entry, inclusion_proof
from accord.audit.verify import VerifyReport, verify_log
from accord.config import DEFAULT_DATA_DIR, Settings
from accord.node import open_node

audit_app = typer.Typer(help="Tamper-evident audit log.", no_args_is_help=True)

DataDir = Annotated[Path, typer.Option("--data-dir", envvar="ACCORD_DATA_DIR", help="Node data directory.")]
Db = Annotated[
    str | None,
    typer.Option("--db", envvar="ACCORD_DB", help="Database URL (default: SQLite in the data dir)."),
]


def _engine(data_dir: Path, db: str | None) -> sa.Engine:
    """The node's engine, through the shared configuration (the node must exist)."""
    node, _ = open_node(Settings.load(data_dir, db), create=False)
    return node.engine


def _snapshot(conn: sa.Connection) -> sa.Connection:
    """Read the whole log from one snapshot on PostgreSQL (SQLite transactions already are)."""
    if conn.dialect.name == "postgresql":
        return conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _print_report(report: VerifyReport) -> None:
    typer.echo(f"records: {report.tree_size}  root: {_b64(report.root_hash)}")
    typer.echo(f"signed heads checked: {report.heads_checked}  unsigned tail: {report.unsigned_tail}")
    for problem in report.problems:
        typer.echo(f"PROBLEM: {problem}", err=True)
    typer.echo("OK" if report.ok else "FAILED")


@audit_app.command()
def verify(
    data_dir: DataDir = Path(DEFAULT_DATA_DIR),
    db: Db = None,
    source: Annotated[Path | None, typer.Option("--from", help="Verify this export offline.")] = None,
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="PEM public key of the log (default: this node's).")
    ] = None,
) -> None:
    """Recompute every record's hash and the whole tree; check them against the signed tree heads."""
    if public_key is not None:
        key = load_public_key(public_key.read_bytes())
    elif source is not None and (data_dir / PUBLIC_KEY_FILE).exists():
        key = load_public_key((data_dir / PUBLIC_KEY_FILE).read_bytes())
    else:
        key = load_or_create_key(data_dir).public_key()
    if source is not None:
        report = verify_export(source, key)
    else:
        with _engine(data_dir, db).connect() as conn, _snapshot(conn).begin():
            report = verify_log(conn, key)
    _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command()
def export(
    out: Annotated[Path, typer.Argument(help="File to write (JSON Lines).")],
    data_dir: DataDir = Path(DEFAULT_DATA_DIR),
    db: Db = None,
) -> None:
    """Write the whole log, its signed heads and countersignatures to a file for offline checking."""
    with _engine(data_dir, db).connect() as conn, _snapshot(conn).begin():
        count = export_log(conn, out)
    typer.echo(f"exported {count} records to {out}")


@audit_app.command()
def proof(
    record: Annotated[int, typer.Argument(help="Index of the record in the log.")],
    data_dir: DataDir = Path(DEFAULT_DATA_DIR),
    db: Db = None,
) -> None:
    """Print (JSON) an inclusion proof of a record against the newest signed tree head."""
    with _engine(data_dir, db).connect() as conn:
        head = latest_head(conn)
        if head is not None:
            size, root, signed = head.tree_size, head.root_hash, head.to_json()
        else:  # nothing signed yet: prove against the live head, flagged as unsigned
            live = current_head(conn)
            size, root, signed = live.tree_size, live.root_hash, None
        entry = get_entry(conn, record)
        if entry is None or record >= size:
            typer.echo(f"record {record} is not covered by the newest tree head (size {size})", err=True)
            raise typer.Exit(1)
        path = inclusion_proof(conn, record, size)
    document = {
        "leaf_index": record,
        "tree_size": size,
        "leaf_hash": _b64(entry.leaf_hash),
        "root_hash": _b64(root),
        "inclusion_path": [_b64(node) for node in path],
        "signed_tree_head": signed,
        "entry": {"at": entry.at, "kind": entry.kind, "record": entry.record},
    }
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


@audit_app.command()
def witness(
    peer: Annotated[str, typer.Option("--peer", help="The peer whose log to countersign")],
    data_dir: DataDir = Path(DEFAULT_DATA_DIR),
    db: Db = None,
) -> None:
    """Fetch a peer's signed tree head, check it extends the last one seen, and countersign it."""
    import httpx

    from accord.audit.witness import WitnessError, audit_base
    from accord.audit.witness import witness as run_witness
    from accord.store.engine import read_transaction
    from accord.sync.peers import get_peer
    from accord.sync.sealing import PeerKeyError

    engine = _engine(data_dir, db)
    with read_transaction(engine) as conn:
        found = get_peer(conn, peer)
    if found is None:
        typer.echo(f"accord: error: no peer named {peer!r}", err=True)
        raise typer.Exit(1)
    settings_dir = Settings.load(data_dir, db).data_dir
    try:
        token = found.token
    except PeerKeyError as exc:  # missing or wrong peer-token key: one line, no traceback
        typer.echo(f"accord: error: {exc}", err=True)
        raise typer.Exit(1) from None
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        try:
            head = run_witness(engine, settings_dir, peer, client, audit_base(found.url))
        except (WitnessError, httpx.HTTPError) as exc:
            typer.echo(f"accord: error: {' '.join(str(exc).split())}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"countersigned {peer}'s log at {head.tree_size} records")
