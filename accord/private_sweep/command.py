"""`accord sweep LOG --private-from PEER`: the partner's whole exchange, then sightings or counts.

With ``--report-hits`` the sightings are posted to the collection the peer named for sightings
(``accord peer add --sightings-collection``), as a plain sweep's ``--post`` does; without it
nothing is sent to the holder beyond the blinded values, and only aggregate counts are printed.
The PRF outputs obtained are kept in this node's cache (``cache``): the next sweep against the same
holder key asks only the values not asked before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import typer

from accord.sweep.runner import SweepOptions


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def run(
    logs: list[str],
    peer_name: str,
    opts: SweepOptions,
    *,
    report_hits: bool,
    out: Path | None,
    who: dict[str, Any],
    data_dir: Path | None,
    db: str | None,
) -> None:
    from accord.config import Settings
    from accord.node import open_node
    from accord.private_sweep.cache import Cache
    from accord.private_sweep.client import Client, RemoteError
    from accord.private_sweep.oprf import BadEvaluation, LibraryMissing, require
    from accord.private_sweep.partner import private_sweep
    from accord.store.engine import StoreError, read_transaction
    from accord.sweep import post, sightings
    from accord.sweep.readers import LogError
    from accord.sync.peers import get_peer
    from accord.sync.sealing import PeerKeyError

    try:
        require()
    except LibraryMissing as exc:
        raise _fail(str(exc), 1) from None
    try:
        node, _ = open_node(Settings.load(data_dir, db))
    except (StoreError, ValueError, OSError) as exc:
        raise _fail(f"cannot open this node's data ({exc}): give --data-dir/--db") from None
    try:
        with read_transaction(node.engine) as conn:
            peer = get_peer(conn, peer_name)
            if peer is None:
                raise _fail(f"no peer named {peer_name!r} on this node")
            token, url, home = peer.token, peer.url, peer.sightings_collection
        if report_hits and not home:
            raise _fail(
                f"peer {peer_name!r} names no sightings collection (accord peer add --sightings-collection)"
            )
        client = Client(url, token)
        try:
            result = private_sweep(logs, client, opts, Cache(node.engine, peer.id))
        except (RemoteError, BadEvaluation, LogError, ValueError) as exc:
            raise _fail(str(exc), 1 if isinstance(exc, RemoteError | BadEvaluation) else 2) from None
        finally:
            client.close()
    except PeerKeyError as exc:
        raise _fail(str(exc)) from None
    finally:
        node.close()
    sights = sightings.build_sightings(result.counts, result.comp, who)
    bundle = sightings.bundle(sights, who)
    if out:
        out.write_bytes(orjson.dumps(bundle))
    matches = int(result.counts["count"].sum() or 0)
    typer.echo(
        f"private sweep against {peer_name}: {result.events:,} events, {result.values:,} distinct values"
        f" evaluated, {result.cached:,} known from earlier sweeps (not asked),"
        f" {result.matched_values:,} protected, {len(sights)} indicators sighted,"
        f" {matches:,} event matches"
    )
    if result.cache_error:
        typer.echo(f"warning: the outputs were not cached ({result.cache_error})", err=True)
    for m in result.malformed[:10]:
        typer.echo(f"malformed {m.file}:{m.line}: {m.reason}", err=True)
    if report_hits and sights:
        try:
            status = post.post_objects(url, home or "", token, bundle["objects"])
        except post.NodeError as exc:
            raise _fail(str(exc), 1) from exc
        typer.echo(f"reported {len(sights)} sightings to {peer_name} ({home}): {status}")
    elif not report_hits:
        typer.echo("not reported (give --report-hits to send the sightings to the holder)")
