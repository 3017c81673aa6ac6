"""`accord sweep`: the typer command (registered by the main app as app.command("sweep")(sweep_command))."""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.sweep import formats

err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def sweep_command(
    logs: Annotated[
        list[str], typer.Argument(help="Log files (.gz/.zst read transparently), or - for stdin.")
    ],
    indicators: Annotated[
        Path | None, typer.Option("--indicators", "-i", help="STIX bundle or TAXII envelope.")
    ] = None,
    node: Annotated[
        str | None, typer.Option(help="TAXII 2.1 API root URL (fetch indicators / post sightings).")
    ] = None,
    collection: Annotated[str | None, typer.Option(help="TAXII collection id on --node.")] = None,
    token: Annotated[
        str | None, typer.Option(envvar="ACCORD_TOKEN", help="user:password (Basic) or a Bearer token.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="auto|eve|ndjson|zeek|csv|combined")] = "auto",
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="FIELD=OBJECT_PATH, e.g. client=ipv4-addr:value")
    ] = None,
    time_field: Annotated[str | None, typer.Option(help="Field holding the event time.")] = None,
    exact_domains: Annotated[bool, typer.Option("--exact-domains", help="Do not match subdomains.")] = False,
    out: Annotated[Path | None, typer.Option(help="Write the sightings bundle here.")] = None,
    hits: Annotated[
        Path | None, typer.Option(help="Write one NDJSON line per (event, indicator) match.")
    ] = None,
    engine: Annotated[str, typer.Option(help="local|dask")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (default: a local cluster).")
    ] = None,
    post_: Annotated[bool, typer.Option("--post", help="Post the sightings to --node/--collection.")] = False,
    identity_name: Annotated[
        str | None, typer.Option(envvar="ACCORD_IDENTITY_NAME", help="Sweeping organization.")
    ] = None,
    false_positives: Annotated[
        Path | None, typer.Option(help="False-positive list (JSON) instead of the shipped one.")
    ] = None,
    no_false_positives: Annotated[
        bool, typer.Option("--no-false-positives", help="Apply no false-positive list.")
    ] = False,
    private_from: Annotated[
        str | None, typer.Option(help="Sweep privately against this peer's protected indicators.")
    ] = None,
    report_hits: Annotated[
        bool, typer.Option("--report-hits", help="With --private-from: send the sightings to the peer.")
    ] = False,
    data_dir: Annotated[
        Path | None, typer.Option(envvar="ACCORD_DATA_DIR", help="This node's data (--private-from).")
    ] = None,
    db: Annotated[str | None, typer.Option(envvar="ACCORD_DB", help="This node's database URL.")] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Threads for parsing and matching (default: all cores). 1 spends the least CPU per "
            "event; for more speed then, sweep several logs at once or use --engine dask.",
        ),
    ] = None,
) -> None:
    """Match shared indicators against local logs and report sightings."""
    if threads is not None:  # polars sizes its pool once, when first imported: below, not before
        os.environ["POLARS_MAX_THREADS"] = str(threads)
    # heavy modules (polars, DuckDB, stix2) load only when the command runs, not when the CLI starts
    import orjson

    from accord.sweep import api, post, sightings
    from accord.sweep.falsepositives import FalsePositives
    from accord.sweep.indicators import IndicatorError, compile_indicators, load_objects
    from accord.sweep.readers import LogError
    from accord.sweep.runner import SweepOptions

    if fmt not in ("auto", *formats.FORMATS):
        raise _fail(f"unknown format {fmt!r} (one of auto, {', '.join(formats.FORMATS)})")
    if engine not in ("local", "dask"):
        raise _fail(f"unknown engine {engine!r} (local or dask)")
    try:  # who sweeps: known before any work, so a set-up that cannot name it fails at once
        who = sightings.identity(identity_name)
    except sightings.IdentityError as exc:
        raise _fail(str(exc)) from None
    if private_from is not None:
        from accord.private_sweep.command import run as private_run

        if indicators is not None or node is not None or post_:
            raise _fail("--private-from takes the indicators from the peer (no --indicators/--node/--post)")
        try:
            mapping = formats.parse_map(map_ or [])
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        opts = SweepOptions(
            fmt=fmt, mapping=mapping, time_field=time_field, exact_domains=exact_domains, threads=threads
        )
        private_run(
            logs,
            private_from,
            opts,
            report_hits=report_hits,
            out=out,
            who=who,
            data_dir=data_dir,
            db=db,
        )
        return
    if report_hits:
        raise _fail("--report-hits goes with --private-from (a plain sweep posts with --post)")
    if indicators is None and node is None:
        raise _fail("give --indicators FILE, or --node URL --collection ID to fetch them")
    if (node or post_) and not (node and collection):
        raise _fail("--node and --collection are both needed to fetch or post")
    for p in logs:
        if p != "-" and not (os.path.isfile(p) and os.access(p, os.R_OK)):
            raise _fail(f"{p}: no such file" if not os.path.exists(p) else f"{p}: not a readable file")
    if engine == "dask" and "-" in logs:
        raise _fail("the dask engine cannot read standard input")
    try:
        mapping = formats.parse_map(map_ or [])
        fp = FalsePositives.empty() if no_false_positives else FalsePositives.load(false_positives)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from exc
    try:
        if indicators is not None:
            objects = load_objects(str(indicators))
        else:
            objects = post.fetch_indicators(node or "", collection or "", token)
        comp = compile_indicators(objects, fp)
    except (IndicatorError, post.NodeError) as exc:
        raise _fail(str(exc)) from exc
    for p in comp.problems:
        typer.echo(f"not evaluated {p.indicator_id}: {p.reason}", err=True)
    opts = SweepOptions(
        fmt=fmt, mapping=mapping, time_field=time_field, exact_domains=exact_domains, threads=threads
    )
    total = sum(os.path.getsize(p) for p in logs if p != "-" and os.path.isfile(p)) or None
    stats = {"events": 0, "hits": 0}
    with ExitStack() as stack:
        hits_out = stack.enter_context(open(hits, "wb")) if hits else None  # noqa: SIM115
        progress = stack.enter_context(
            Progress(
                TextColumn("sweep"),
                BarColumn(),
                DownloadColumn(),
                TextColumn("{task.fields[rate]} events/s"),
                TextColumn("{task.fields[hits]} hits"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            )
        )
        task = progress.add_task("sweep", total=total, rate="0", hits=0)

        def on_batch(nbytes: int, events: int, nhits: int) -> None:
            stats["events"] += events
            stats["hits"] += nhits
            elapsed = progress.tasks[task].elapsed or 1e-9
            progress.update(
                task, advance=nbytes, rate=f"{stats['events'] / elapsed:,.0f}", hits=stats["hits"]
            )

        try:
            result = api.sweep(
                logs, comp, opts, hits_out=hits_out, engine=engine, scheduler=scheduler, on_batch=on_batch
            )
        except LogError as exc:
            raise _fail(str(exc)) from exc
    sights = sightings.build_sightings(result.counts, comp, who)
    bundle = sightings.bundle(sights, who)
    if out:
        out.write_bytes(orjson.dumps(bundle))
    _summary(result, comp, len(sights))
    if post_:
        try:
            status = post.post_objects(node or "", collection or "", token, bundle["objects"])
        except post.NodeError as exc:
            raise _fail(str(exc), 1) from exc
        typer.echo(f"posted {len(sights)} sightings to {collection}: {status}")


def _summary(result, comp, n_sightings: int) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    console = Console()
    table = Table(title="Sweep summary")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("files", len(result.files)),
        ("bytes read", f"{result.nbytes:,}"),
        ("events", f"{result.events:,}"),
        ("malformed lines", f"{result.malformed_count:,}"),
        ("indicators compiled", f"{len(comp.ids):,}"),
        ("indicators not evaluated", len(result.problems)),
        ("indicators sighted", n_sightings),
        ("event matches", f"{int(result.counts['count'].sum() or 0):,}"),
        ("matching threads (polars)", pl.thread_pool_size()),
    ]
    rows += [(f"skipped ({k})", v) for k, v in sorted(comp.skipped.items())]
    for k, v in rows:
        table.add_row(k, str(v))
    console.print(table)
    for m in result.malformed:
        typer.echo(f"malformed {m.file}:{m.line}: {m.reason}", err=True)
    if result.malformed_count > len(result.malformed):
        typer.echo(f"... and {result.malformed_count - len(result.malformed)} more malformed lines", err=True)
    for p in result.problems[len(comp.problems) :]:
        typer.echo(f"not evaluated {p.indicator_id}: {p.reason}", err=True)
