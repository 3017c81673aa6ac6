"""`accord misp`: MISP feeds in and out, and a MISP server's REST API both ways (docs/misp.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from accord.cli_support import DataDir, Db, find_collection, one_line_errors, opened
from accord.gc_tuning import settle
from accord.misp.feed import open_feed
from accord.misp.publish import publish_feed
from accord.misp.pull import PullReport, pull_feed
from accord.misp.rest import PAGE_EVENTS, MispClient, pull_rest, push_rest
from accord.node import Node
from accord.policy import Reader
from accord.store import admin
from accord.store.engine import read_transaction

misp_app = typer.Typer(
    help="MISP interoperability: feeds and the REST API, in and out (docs/misp.md).", no_args_is_help=True
)
feed_app = typer.Typer(
    help="MISP feeds: manifest.json + <uuid>.json events + hashes.csv.", no_args_is_help=True
)
misp_app.add_typer(feed_app, name="feed")

# the organization whose view of the collection is sent (publish, push): the policy applied
AsOrg = Annotated[str, typer.Option("--as", help="Only what this organization may see (policy applied)")]


@feed_app.command("pull")
@one_line_errors
def feed_pull(
    source: Annotated[str, typer.Argument(help="Feed directory or base URL (holding manifest.json)")],
    collection: Annotated[str, typer.Option(help="Collection id to store the events in")],
    producer: Annotated[str, typer.Option(help="Organization recorded as producer")] = admin.ADMIN_ORG,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Store a MISP feed's events as STIX 2.1 (misp-stix), each event whole or not at all."""
    with opened(data_dir, db) as node:
        with read_transaction(node.engine) as conn:
            coll = find_collection(conn, collection)
            org = admin.require_org(conn, producer)
        feed = open_feed(source)
        import misp_stix_converter  # noqa: F401  (loaded before settle(): frozen with the rest)

        settle()  # as `accord import`: the collector skips what start-up loaded, runs less often
        try:
            report = pull_feed(node.engine, coll, org, feed)
        finally:
            feed.source.close()
    _pulled(report)


def _failed_events(failed: list[tuple[str, str]]) -> None:
    """One line per event that failed, and exit status 1 when any did (the summary line is printed)."""
    for uid, message in failed:
        print(f"  event {uid}: {message}", file=sys.stderr)
    if failed:
        raise typer.Exit(1)


def _readable(node: Node, collection: str, as_org: str) -> tuple[admin.Collection, Reader]:
    """The collection and the reader `--as` names: what `feed publish` and `push` send is that reader's."""
    with read_transaction(node.engine) as conn:
        coll = find_collection(conn, collection)
        return coll, admin.reader_of(conn, coll, as_org)


def _pulled(report: PullReport, extra: str = "") -> None:
    """The summary line of a pull, one line per failed event, exit status 1 when any failed."""
    print(
        f"events {report.events}: stored {report.stored} objects, already present {report.already}, "
        f"unchanged events {report.unchanged}, unpublished {report.unpublished}, "
        f"deleted versions {report.deleted}, failed events {len(report.failed)}{extra}",
        file=sys.stderr,
    )
    _failed_events(report.failed)


@feed_app.command("publish")
@one_line_errors
def feed_publish(
    collection: Annotated[str, typer.Option(help="Collection id")],
    out: Annotated[Path, typer.Option(help="Directory to write the feed to")],
    as_org: AsOrg,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Write a MISP feed of what an organization may see in a collection."""
    with opened(data_dir, db) as node:
        coll, reader = _readable(node, collection, as_org)
        report = publish_feed(node.engine, coll, reader, out)
    print(f"events {report.events} ({report.objects} objects), failed {len(report.failed)}", file=sys.stderr)
    _failed_events(report.failed)


Url = Annotated[str, typer.Option(help="The MISP server's base URL, e.g. https://misp.example.org")]
Key = Annotated[
    str,
    typer.Option(
        envvar="ACCORD_MISP_KEY",
        help="API key of a MISP user (env ACCORD_MISP_KEY keeps it off the command line)",
    ),
]


@misp_app.command("pull")
@one_line_errors
def rest_pull(
    url: Url,
    key: Key,
    collection: Annotated[str, typer.Option(help="Collection id to store the events in")],
    producer: Annotated[str, typer.Option(help="Organization recorded as producer")] = admin.ADMIN_ORG,
    limit: Annotated[int, typer.Option(min=1, help="Events per restSearch page")] = PAGE_EVENTS,
    since: Annotated[
        int | None, typer.Option(min=0, help="Ask from this event timestamp, not the cursor (0: all)")
    ] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Store the events a MISP server changed since the last pull (restSearch, by timestamp)."""
    with opened(data_dir, db) as node:
        with read_transaction(node.engine) as conn:
            coll = find_collection(conn, collection)
            org = admin.require_org(conn, producer)
        import misp_stix_converter  # noqa: F401  (loaded before settle(): frozen with the rest)

        settle()
        with MispClient(url, key) as client:
            pulled = pull_rest(node.engine, coll, org, client, limit=limit, since=since)
    _pulled(pulled.report, f", pages {pulled.pages}, cursor {pulled.since} -> {pulled.cursor}")


@misp_app.command("push")
@one_line_errors
def rest_push(
    url: Url,
    key: Key,
    collection: Annotated[str, typer.Option(help="Collection id")],
    as_org: AsOrg,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """Send what an organization may see in a collection to a MISP server, as events."""
    with opened(data_dir, db) as node:
        coll, reader = _readable(node, collection, as_org)
        with MispClient(url, key) as client:
            report = push_rest(node.engine, coll, reader, client)
    print(
        f"events {report.events}: added {report.added}, edited {report.edited}, "
        f"unchanged {report.unchanged}, failed {len(report.failed)}; deleted in MISP: {report.deleted} "
        f"attributes or objects, {report.retracted} events",
        file=sys.stderr,
    )
    _failed_events(report.failed)
