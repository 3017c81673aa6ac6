"""The ``accord`` command line: run a node and administer it.

Ids and tokens are printed alone on stdout so scripts can capture them; every error is one line on
stderr and a non-zero exit.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from accord.audit.command import audit_app
from accord.cases.command import rfa_app
from accord.cli_support import DataDir, Db, err, fail, find_collection, one_line_errors, opened
from accord.config import DEFAULT_HOST, DEFAULT_PORT
from accord.extract.command import extract_command
from accord.gc_tuning import settle
from accord.importers import (
    import_medallion,
    import_objects,
    iter_export,
    read_medallion,
    read_objects,
)
from accord.misp.command import misp_app
from accord.node import Node
from accord.policy import Reader
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.queries import Filters, select_page
from accord.sweep.command import sweep_command

app = typer.Typer(
    help="Accord: a node for cross-border cooperation against cybercrime.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
org_app = typer.Typer(help="Organizations of this node.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens of organizations.", no_args_is_help=True)
collection_app = typer.Typer(help="TAXII collections and who may read or write them.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(token_app, name="token")
app.add_typer(collection_app, name="collection")
peer_app = typer.Typer(help="Peer nodes this node exchanges intelligence with.", no_args_is_help=True)
app.add_typer(peer_app, name="peer")
app.add_typer(audit_app, name="audit")
app.add_typer(rfa_app, name="rfa")
app.add_typer(misp_app, name="misp")
app.command("extract")(extract_command)
app.command("sweep")(sweep_command)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


# -- node ---------------------------------------------------------------------------------------


@app.command()
@one_line_errors
def init(data_dir: DataDir = None, db: Db = None) -> None:
    """Create the data directory, database, default API root and administrator (idempotent)."""
    with opened(data_dir, db, create=True):
        pass


@app.command()
@one_line_errors
def serve(
    data_dir: DataDir = None,
    db: Db = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on")] = DEFAULT_PORT,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "warning",
    sync: Annotated[
        bool,
        typer.Option(help="Background work: sync with peers, escalate overdue requests, sign tree heads"),
    ] = True,
) -> None:
    """Run the node: the TAXII 2.1 API at http://HOST:PORT/taxii2/, and sync with its peers."""
    import uvicorn

    from accord.app import create_app

    with opened(data_dir, db, create=True) as node:
        print(
            f"Accord node serving TAXII 2.1 at http://{host}:{port}/taxii2/ (data: {node.settings.data_dir})",
            file=sys.stderr,
            flush=True,
        )
        logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
        app = create_app(node, background=sync)
        settle()
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)


# -- organizations and tokens -----------------------------------------------------------------------


@org_app.command("add")
@one_line_errors
def org_add(
    name: str,
    identity: Annotated[str | None, typer.Option(help="Its STIX identity id [default: a new one]")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Add an organization; prints its STIX identity id."""
    if identity is not None and not identity.startswith("identity--"):
        fail(f"--identity {identity!r} is not an identity id (identity--UUID)")
    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        print(admin.add_org(conn, name, identity).identity_id)


@org_app.command("list")
@one_line_errors
def org_list(data_dir: DataDir = None, db: Db = None) -> None:
    """List organizations: name and identity id."""
    with opened(data_dir, db) as node, read_transaction(node.engine) as conn:
        for o in admin.list_orgs(conn):
            print(f"{o.name}\t{o.identity_id}")


@token_app.command("create")
@one_line_errors
def token_create(
    org: Annotated[str, typer.Option("--org", help="Organization the token acts for")],
    admin_token: Annotated[bool, typer.Option("--admin", help="Administrator token")] = False,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Create a token for an organization; prints the token (it is stored hashed)."""
    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        print(admin.create_token(conn, admin.require_org(conn, org), admin=admin_token))


# A token made before TOKEN_PREFIX may begin with "-": taken as the TOKEN, not as an unknown option.
@token_app.command("revoke", context_settings={"ignore_unknown_options": True})
@one_line_errors
def token_revoke(
    value: Annotated[
        str | None, typer.Argument(metavar="[TOKEN]", help="The token to revoke ('-': read it from stdin)")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="Revoke every token of this organization")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Revoke a token, or all of an organization's; running servers refuse it from the next request."""
    if (value is None) == (org is None):
        fail("give either a TOKEN or --org ORG")
    if value == "-":
        value = sys.stdin.readline().strip()
    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        owner = admin.require_org(conn, org) if org is not None else None
        count = admin.revoke_token(conn, value, owner=owner)
    print(f"revoked {count} token{'s' if count != 1 else ''}", file=sys.stderr)


# -- collections ---------------------------------------------------------------------------------


@collection_app.command("add")
@one_line_errors
def collection_add(
    title: str,
    root: Annotated[str, typer.Option(help="API root (path segment)")] = admin.DEFAULT_ROOT,
    collection_id: Annotated[str | None, typer.Option("--id", help="Collection UUID")] = None,
    alias: Annotated[str | None, typer.Option(help="Alias usable in URLs")] = None,
    description: Annotated[str | None, typer.Option(help="Description")] = None,
    read: Annotated[str | None, typer.Option(help="Organizations that may read (comma-separated)")] = None,
    write: Annotated[str | None, typer.Option(help="Organizations that may write (comma-separated)")] = None,
    tlp: Annotated[str, typer.Option(help="TLP of unmarked objects")] = "amber",
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Add a collection; prints its id. Creates the API root if it does not exist."""
    level = TLP.parse(tlp)
    if collection_id is not None:
        try:
            collection_id = str(uuid.UUID(collection_id))
        except ValueError:
            fail(f"--id {collection_id!r} is not a UUID")
    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        api_root = admin.find_root(conn, root) or admin.add_root(conn, root, f"API root {root}")
        coll = admin.add_collection(
            conn,
            api_root,
            title,
            collection_uuid=collection_id,
            alias=alias,
            description=description,
            default_tlp=level,
        )
        readers, writers = _split(read), _split(write)
        for name in dict.fromkeys(readers + writers):
            admin.grant(
                conn, coll, admin.require_org(conn, name), read=name in readers, write=name in writers
            )
        print(coll.uuid)


@collection_app.command("list")
@one_line_errors
def collection_list(data_dir: DataDir = None, db: Db = None) -> None:
    """List collections: id, API root, alias, default TLP, title."""
    with opened(data_dir, db) as node, read_transaction(node.engine) as conn:
        roots = {r.id: r.name for r in admin.list_roots(conn)}
        for c in admin.list_collections(conn):
            print(f"{c.uuid}\t{roots[c.root_id]}\t{c.alias or '-'}\t{c.default_tlp.label}\t{c.title}")


@collection_app.command("grant")
@one_line_errors
def collection_grant(
    collection_id: Annotated[str, typer.Argument(help="Collection id")],
    org: Annotated[str, typer.Option("--org", help="Organization (or peer)")],
    read: Annotated[bool, typer.Option("--read/--no-read", help="May read")] = False,
    write: Annotated[bool, typer.Option("--write/--no-write", help="May write")] = False,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Set an organization's rights on a collection (replacing what it had)."""
    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        admin.grant(
            conn, find_collection(conn, collection_id), admin.require_org(conn, org), read=read, write=write
        )


# -- import and export -----------------------------------------------------------------------------


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )


@app.command("import")
@one_line_errors
def import_(
    file: Annotated[
        Path, typer.Argument(help="STIX bundle, TAXII envelope or JSON lines; or medallion data")
    ],
    collection: Annotated[str | None, typer.Option(help="Collection id to import into")] = None,
    medallion: Annotated[
        bool, typer.Option("--medallion", help="FILE is medallion configuration or data")
    ] = False,
    producer: Annotated[str, typer.Option(help="Organization recorded as producer")] = admin.ADMIN_ORG,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Load objects straight into the store (same validation as TAXII POST)."""
    with opened(data_dir, db) as node:
        if medallion:
            report = import_medallion(node.engine, read_medallion(file), producer)
        else:
            if collection is None:
                fail("--collection is required (or --medallion)")
            objects = read_objects(file)
            settle()
            with read_transaction(node.engine) as conn:
                coll = find_collection(conn, collection or "")
                org = admin.require_org(conn, producer)
            with _progress() as bar:
                task = bar.add_task(f"importing {file.name}", total=len(objects))
                report = import_objects(
                    node.engine, coll, org, objects, progress=lambda n: bar.advance(task, n)
                )
    print(
        f"stored {report.stored}, already present {report.already}, refused {len(report.failed)}",
        file=sys.stderr,
    )
    if report.redated:
        print(
            f"  {report.redated} kept date_added older than the collection's newest object: given this "
            "node's time, so readers polling with added_after (peers' pull links) still see them",
            file=sys.stderr,
        )
    for outcome in report.failed[:10]:
        print(f"  {outcome.id or '(no id)'}: {outcome.message}", file=sys.stderr)
    if report.failed:
        raise typer.Exit(1)


@app.command()
@one_line_errors
def export(
    collection: Annotated[str, typer.Option(help="Collection id")],
    out: Annotated[Path | None, typer.Option(help="Output file [default: stdout]")] = None,
    as_org: Annotated[
        str | None, typer.Option("--as", help="Export only what this organization may see (policy applied)")
    ] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Write a STIX bundle of every version stored in a collection (the operator's backup)."""
    with opened(data_dir, db) as node:
        with read_transaction(node.engine) as conn:
            coll = find_collection(conn, collection)
            reader = admin.reader_of(conn, coll, as_org) if as_org else None
        stream = open(out, "wb") if out else sys.stdout.buffer  # noqa: SIM115
        try:
            stream.write(
                orjson.dumps({"type": "bundle", "id": f"bundle--{uuid.uuid4()}"})[:-1] + b',"objects":['
            )
            first = True
            for body in _bodies(node, coll, reader):
                stream.write(body.encode() if first else b"," + body.encode())
                first = False
            stream.write(b"]}\n")
        finally:
            if out:
                stream.close()


def _bodies(node: Node, coll: admin.Collection, reader: Reader | None) -> Iterator[str]:
    if reader is None:
        yield from iter_export(node.engine, coll)
        return
    with read_transaction(node.engine) as conn:
        rows = select_page(
            conn,
            coll.id,
            reader,
            Filters(versions=("all",), spec_versions=("2.0", "2.1")),
            after_us=None,
            limit=None,
            columns=("body",),
        ).rows
    for row in rows:
        yield row.body


# -- federation ---------------------------------------------------------------------------------


@peer_app.command("add")
@one_line_errors
def peer_add(
    name: Annotated[str, typer.Argument(help="Peer name (also the organization standing for it here)")],
    url: Annotated[
        str, typer.Option(help="The peer's API root, e.g. http://host:6800/default/ (MISP: its base URL)")
    ],
    token: Annotated[str | None, typer.Option(help="Token the peer issued to this node")] = None,
    max_tlp: Annotated[str, typer.Option(help="Highest TLP that may cross this link")] = "green",
    pull: Annotated[list[str] | None, typer.Option(help="REMOTE_COLLECTION:LOCAL_COLLECTION")] = None,
    push: Annotated[list[str] | None, typer.Option(help="LOCAL_COLLECTION:REMOTE_COLLECTION")] = None,
    interval: Annotated[float, typer.Option(help="Seconds between sync passes")] = 60.0,
    sightings: Annotated[
        str | None, typer.Option(help="The peer's collection receiving sightings of its indicators")
    ] = None,
    identity: Annotated[str | None, typer.Option(help="STIX identity id of the peer's organization")] = None,
    kind: Annotated[str, typer.Option(help="taxii (an Accord or TAXII 2.1 node) or misp (a MISP server)")] = (
        "taxii"
    ),
    key: Annotated[
        str | None,
        typer.Option(
            envvar="ACCORD_MISP_KEY", help="--kind misp: API key of a MISP user (env ACCORD_MISP_KEY)"
        ),
    ] = None,
    collection: Annotated[str | None, typer.Option(help="--kind misp: the local collection synced")] = None,
    direction: Annotated[str, typer.Option(help="--kind misp: pull, push or both")] = "pull",
    as_org: Annotated[
        str | None,
        typer.Option("--as", help="--kind misp: existing organization standing for the MISP server"),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Call the peer first: URL, token, collections")
    ] = True,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Link this node to a peer node: what to pull, what to push, and the TLP limit.

    ``--url`` may be the peer's discovery URL or its API root; with ``--check`` (the default) the
    peer is called before anything is stored, so a wrong URL, token or collection is said at once.
    ``--kind misp`` links a MISP server instead: ``--collection`` pulled into and/or pushed from."""
    from accord.sync.peers import add_peer, split_mapping

    if interval <= 0:
        fail("--interval must be positive")
    if kind == "misp":
        _add_misp_peer(
            name,
            url,
            key=key or token,
            collection=collection,
            direction=direction,
            as_org=as_org,
            max_tlp=max_tlp,
            interval=interval,
            check=check,
            data_dir=data_dir,
            db=db,
        )
        return
    if kind != "taxii":
        fail(f"--kind must be taxii or misp, not {kind!r}")
    if token is None:
        fail("--token is required: the token the peer issued to this node")
    for given, option in ((collection, "--collection"), (as_org, "--as")):
        if given is not None:
            fail(f"{option} is for --kind misp; a TAXII peer's links are --pull and --push")
    pulls, pushes = pull or [], push or []
    if check:
        reads = [split_mapping(p, "--pull")[0] for p in pulls]
        writes = [split_mapping(p, "--push")[1] for p in pushes] + ([sightings] if sightings else [])
        url = _checked_root(name, url, token, reads, writes)
    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        added = add_peer(
            conn,
            name,
            url,
            token,
            max_tlp=TLP.parse(max_tlp),
            interval_s=interval,
            pulls=pulls,
            pushes=pushes,
            sightings_collection=sightings,
            identity_id=identity,
        )
        rights = [admin.rights(conn, c, added.org) for c in admin.list_collections(conn)]
        readable = any(read for read, _ in rights)
        if not readable:
            print(
                f"note: {name} may read no collection here, so it can pull nothing from you: "
                f"accord collection grant COLLECTION --org {name} --read",
                file=sys.stderr,
            )
        if (pushes or readable) and not any(write for _, write in rights):
            print(
                f"note: {name} may write no collection here, so sightings of the indicators you share "
                f"cannot come back: accord collection grant SIGHTINGS_COLLECTION --org {name} --write "
                f"(its link to you names that collection with --sightings)",
                file=sys.stderr,
            )
        print(added.org.identity_id)


def _add_misp_peer(
    name: str,
    url: str,
    *,
    key: str | None,
    collection: str | None,
    direction: str,
    as_org: str | None,
    max_tlp: str,
    interval: float,
    check: bool,
    data_dir: Path | None,
    db: str | None,
) -> None:
    """A MISP server as a peer: its links are the REST pull and push of ``accord misp``, run by the
    sync loop; the key is sealed as a TAXII peer's token is, and checked first as a push would."""
    from accord.sync.peers import add_peer

    if not key:
        fail("--kind misp needs --key: the API key of a MISP user whose role has API access")
    if not collection:
        fail("--kind misp needs --collection: the local collection pulled into and/or pushed from")
    if direction not in ("pull", "push", "both"):
        fail(f"--direction must be pull, push or both, not {direction!r}")
    if check:
        _checked_misp(url, key)
    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        coll = find_collection(conn, collection)
        added = add_peer(
            conn,
            name,
            url,
            key,
            max_tlp=TLP.parse(max_tlp),
            interval_s=interval,
            pulls=[f"misp:{coll.uuid}"] if direction in ("pull", "both") else [],
            pushes=[f"{coll.uuid}:misp"] if direction in ("push", "both") else [],
            kind="misp",
            org_name=as_org,
        )
        print(added.org.identity_id)


def _checked_root(name: str, url: str, token: str, reads: list[str], writes: list[str]) -> str:
    """The peer's API root, found from ``url`` and checked with ``token`` against the collections
    the link will read and write there (one line naming the fix otherwise)."""
    from accord.sync.client import PeerError
    from accord.sync.setup_check import api_root_of, check_collections

    try:
        root = api_root_of(url, token)
        check_collections(root, token, reads, writes, name)
    except PeerError as exc:
        fail(f"{exc} (nothing stored; --no-check stores the link without calling the peer)")
    return root


def _checked_misp(url: str, key: str) -> None:
    """That ``url`` is a MISP server accepting ``key`` (``GET /users/view/me``), or the one-line fix."""
    from accord.sync.client import PeerError
    from accord.sync.misp_peer import check_misp

    try:
        check_misp(url, key)
    except PeerError as exc:
        fail(f"{exc} (nothing stored; --no-check stores the peer without calling MISP)")


@peer_app.command("set")
@one_line_errors
def peer_set(
    name: Annotated[str, typer.Argument(help="Peer name")],
    max_tlp: Annotated[str | None, typer.Option(help="Highest TLP that may cross this link")] = None,
    interval: Annotated[float | None, typer.Option(help="Seconds between sync passes")] = None,
    enabled: Annotated[bool | None, typer.Option("--enable/--disable", help="Open or close the link")] = None,
    token: Annotated[str | None, typer.Option(help="New token issued by the peer")] = None,
    url: Annotated[str | None, typer.Option(help="New discovery URL or API root")] = None,
    check: Annotated[
        bool, typer.Option("--check/--no-check", help="Call the peer with a new URL or token first")
    ] = True,
    private_sweep: Annotated[
        str | None, typer.Option(help="Collection whose indicators the peer may sweep privately")
    ] = None,
    private_sweep_quota: Annotated[
        int | None, typer.Option(help="Values the peer may have evaluated per UTC day (private sweep)")
    ] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Change a peer link: its TLP limit, interval, credentials, private sweep, or close it."""
    from accord.private_sweep import keys as private_keys
    from accord.sync.peers import get_peer, set_peer

    with opened(data_dir, db) as node:
        if check and (url is not None or token is not None):
            with read_transaction(node.engine) as conn:
                current = get_peer(conn, name)
                if current is None:
                    fail(f"no peer named {name!r}")
                reads = [link.remote_collection for link in current.links if link.direction == "pull"]
                writes = [link.remote_collection for link in current.links if link.direction == "push"]
                writes += [current.sightings_collection] if current.sightings_collection else []
                token = token if token is not None else current.token
            if current.kind == "misp":
                _checked_misp(url or current.url, token)
            else:
                url = _checked_root(name, url or current.url, token, reads, writes)
        with write_transaction(node.engine) as conn:
            set_peer(
                conn,
                name,
                max_tlp=TLP.parse(max_tlp) if max_tlp else None,
                interval_s=interval,
                enabled=enabled,
                token=token,
                url=url,
            )
            if private_sweep is not None or private_sweep_quota is not None:
                private_keys.configure(conn, name, private_sweep, private_sweep_quota)


@peer_app.command("rotate-oprf-key")
@one_line_errors
def peer_rotate_oprf_key(
    name: Annotated[str, typer.Argument(help="Peer name")], data_dir: DataDir = None, db: Db = None
) -> None:
    """A new private-sweep key for the peer: what it evaluated under the old key matches nothing now."""
    from accord.private_sweep.keys import rotate

    with opened(data_dir, db) as node, write_transaction(node.engine) as conn:
        old, new = rotate(conn, name)
    err.print(f"private-sweep key of {name}: {old} -> {new}")


@peer_app.command("check")
@one_line_errors
def peer_check(
    name: Annotated[str, typer.Argument(help="Peer name")], data_dir: DataDir = None, db: Db = None
) -> None:
    """Test a link both ways: calling the peer (URL, token, collections) and the peer's rights
    here, with what would cross at each TLP, the last error and the lag; exit 1 when it fails."""
    from accord.sync.setup_check import check_peer

    with opened(data_dir, db) as node:
        report = check_peer(node.engine, name)
    lag = "never synced" if report.lag_s is None else f"{report.lag_s:.0f}s since the last success"
    print(f"to {name}: {report.outbound}")
    readable, writable = ", ".join(report.readable_here), ", ".join(report.writable_here)
    print(
        f"from {name}: {report.tokens_here} token(s) here; may read {readable or 'nothing'}"
        f"; may write {writable or 'nothing'}"
    )
    for coll, counts in report.crossing.items():
        print(f"would cross to {name} from {coll}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"last error: {report.last_error or 'none'}; {lag}")
    if not report.tokens_here:
        print(
            f"note: {name} holds no token here, so it cannot call this node: accord token create --org {name}"
        )
    if not report.outbound.startswith("ok"):
        raise typer.Exit(1)


@peer_app.command("rotate-key")
@one_line_errors
def peer_rotate_key(data_dir: DataDir = None, db: Db = None) -> None:
    """Re-seal every peer token under a new peer-token key (the old key file is replaced)."""
    from accord.sync.sealing import rotate_key

    with opened(data_dir, db) as node:
        with write_transaction(node.engine) as conn:
            rotation = rotate_key(conn)
        rotation.install()
    err.print(f"re-sealed {rotation.peers} peer token(s): key {rotation.old_id} -> {rotation.new_id}")


def _ago(us: int | None) -> str:
    if us is None:
        return "never"
    from accord.stix.timestamps import now_us

    seconds = (now_us() - us) / 1e6
    return f"{seconds:.0f}s ago" if seconds < 3600 else f"{seconds / 3600:.1f}h ago"


@peer_app.command("list")
@one_line_errors
def peer_list(data_dir: DataDir = None, db: Db = None) -> None:
    """Peers with their status, cursors, last success, last error and lag."""
    from rich.table import Table

    from accord.private_sweep import keys as private_keys
    from accord.private_sweep.quota import left
    from accord.sync.peers import list_peers

    with opened(data_dir, db) as node, read_transaction(node.engine) as conn:
        peers = list_peers(conn)
        private = {n: (ps, left(conn, ps)) for n, ps in private_keys.all_by_peer(conn).items()}
    table = Table("peer", "kind", "url", "max TLP", "status", "last success", "failures", "last error")
    links = Table("peer", "direction", "remote collection", "local collection", "cursor", "objects", "lag")
    for p in peers:
        healthy = p.failures == 0 and p.last_success_us is not None
        status = (
            "disabled" if not p.enabled else ("ok" if healthy else ("failing" if p.failures else "pending"))
        )
        table.add_row(
            p.name,
            p.kind,
            p.url,
            p.max_tlp.label,
            status,
            _ago(p.last_success_us),
            str(p.failures),
            p.last_error or "",
        )
        for link in p.links:
            links.add_row(
                p.name,
                link.direction,
                link.remote_collection,
                link.local_collection,
                link.cursor_text or (f"seq {link.cursor_us}" if link.cursor_us else "-"),
                str(link.objects),
                _ago(link.last_success_us),
            )
    out = Console(width=200)
    out.print(table)
    out.print(links)
    if private:
        sweeps = Table("peer", "private sweep of", "key", "key created", "quota/day", "left today")
        for name, (ps, remaining) in private.items():
            sweeps.add_row(
                name,
                ps.collection_uuid,
                ps.key_id,
                _ago(ps.key_created_us),
                f"{ps.daily_quota:,}",
                f"{remaining:,}",
            )
        out.print(sweeps)


@app.command("sync")
@one_line_errors
def sync_command(
    peer: Annotated[str | None, typer.Option(help="Only this peer")] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Sync with peers now (`accord serve` also syncs in the background)."""
    from accord.sync.client import PeerError
    from accord.sync.peers import list_peers
    from accord.sync.runner import SyncLoop, sync_peer

    with opened(data_dir, db) as node:
        if not once:
            loop = SyncLoop(node.engine)
            loop.start()
            try:
                loop.stop_event.wait()
            except KeyboardInterrupt:
                loop.stop()
            return
        with read_transaction(node.engine) as conn:
            names = [p.name for p in list_peers(conn) if p.enabled and (peer is None or p.name == peer)]
        if peer is not None and not names:
            fail(f"no enabled peer named {peer!r}")
        failed = 0
        for name in names:
            try:
                r = sync_peer(node.engine, name)
                counts = f"pulled {r.pulled}, pushed {r.pushed}, sightings {r.sightings}, refused {r.refused}"
                print(f"{name}: {counts}")
            except PeerError as exc:
                failed += 1
                print(f"{name}: failed: {exc}", file=sys.stderr)
        if failed:
            raise typer.Exit(1)


@app.command()
def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Keep the nodes' data here [default: temporary]")
    ] = None,
    base_port: Annotated[int, typer.Option(help="First of three loopback ports (0: any free ports)")] = 6801,
    exit_after: Annotated[bool, typer.Option("--exit", help="Stop after showing the results")] = False,
) -> None:
    """Three nodes on loopback — two national CERTs and a company — sharing within TLP limits."""
    from accord.sync.demo import demo as run

    raise typer.Exit(run(directory, base_port, lambda line: print(line, flush=True), stay=not exit_after))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
