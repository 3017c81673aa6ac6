"""`accord rfa`: file, answer and review requests for assistance from the command line."""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from accord.cases import service
from accord.cases.objects import InvalidRequest
from accord.cases.states import ACTIONS, InvalidTransition
from accord.config import Settings
from accord.node import Node, open_node
from accord.store import admin
from accord.store.engine import StoreError, read_transaction, write_transaction

rfa_app = typer.Typer(
    help="Requests for assistance between parties, with deadline clocks.", no_args_is_help=True
)
agreement_app = typer.Typer(
    help="Bilateral agreements: deadlines, calendars, escalation.", no_args_is_help=True
)
rfa_app.add_typer(agreement_app, name="agreement")

DataDir = Annotated[Path | None, typer.Option("--data-dir", envvar="ACCORD_DATA_DIR", help="Data directory")]
Db = Annotated[str | None, typer.Option("--db", envvar="ACCORD_DB", help="Database URL")]
As = Annotated[str, typer.Option("--as", envvar="ACCORD_ORG", help="The organization acting")]


def _node(data_dir: Path | None, db: str | None) -> Node:
    return open_node(Settings.load(data_dir, db), create=False)[0]


def _fail(message: str) -> None:
    print(f"accord: error: {' '.join(message.split())}", file=sys.stderr)
    raise typer.Exit(1)


def _run(data_dir: Path | None, db: str | None, fn: Callable[[Any], Any], write: bool = True) -> Any:
    """Run ``fn(conn)`` in one transaction; expected failures become one line and exit 1."""
    try:
        node = _node(data_dir, db)
        try:
            with (write_transaction if write else read_transaction)(node.engine) as conn:
                return fn(conn)
        finally:
            node.close()
    except (
        InvalidRequest,
        InvalidTransition,
        service.CaseNotFound,
        admin.AdminError,
        StoreError,
        ValueError,
    ) as exc:
        _fail(str(exc))


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


@agreement_app.command("add")
def agreement_add(file: Path, data_dir: DataDir = None, db: Db = None) -> None:
    """Store a bilateral agreement (TOML; see docs/agreements.md). Party ids are organization names."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        _fail(f"{file}: cannot read: {exc.strerror}")
    print(_run(data_dir, db, lambda conn: service.add_agreement(conn, text)))


def _data_items(values: list[str]) -> list[dict[str, str]]:
    items = []
    for value in values:
        kind, sep, rest = value.partition("=")
        if not sep:
            example = "ip=203.0.113.5@2026-11-29T10:00:00+01:00"
            raise InvalidRequest(f"--data {value!r}: expected KIND=VALUE[@TIMESTAMP], e.g. {example}")
        item = {"kind": kind.strip()}
        body, _, stamp = rest.partition("@")
        item["value"] = body.strip()
        if stamp:
            item["timestamp"] = stamp.strip()
        items.append(item)
    return items


@rfa_app.command("file")
def file_(
    as_org: As,
    to: Annotated[str | None, typer.Option(help="The organization asked")] = None,
    request_type: Annotated[
        str | None, typer.Option("--type", help="preservation, traffic_data, ...")
    ] = None,
    urgency: Annotated[str, typer.Option(help="normal, urgent, risk_to_life")] = "normal",
    legal_basis: Annotated[str, typer.Option(help="treaty, bilateral or voluntary")] = "treaty",
    instrument: Annotated[str | None, typer.Option(help="e.g. Budapest Convention")] = None,
    article: Annotated[str | None, typer.Option(help="e.g. Art. 29")] = None,
    authority: Annotated[str | None, typer.Option(help="The authority seeking assistance")] = None,
    offence: Annotated[str | None, typer.Option(help="The offence under investigation")] = None,
    summary: Annotated[str | None, typer.Option(help="Summary of the facts")] = None,
    data: Annotated[list[str] | None, typer.Option(help="KIND=VALUE[@TIMESTAMP] (repeatable)")] = None,
    relationship: Annotated[str | None, typer.Option(help="The data's relationship to the offence")] = None,
    custodian: Annotated[str | None, typer.Option(help="Custodian of the data, or location")] = None,
    necessity: Annotated[str | None, typer.Option(help="Why the data is needed")] = None,
    formal_request_follows: Annotated[bool, typer.Option(help="A formal request will follow")] = False,
    conditions: Annotated[str | None, typer.Option(help="Confidentiality and use conditions")] = None,
    contact: Annotated[str | None, typer.Option(help="Your 24/7 contact point")] = None,
    language: Annotated[str, typer.Option(help="Language of the request")] = "en",
    tlp: Annotated[
        str, typer.Option(help="TLP of the case: red only (a case is visible to its two parties alone)")
    ] = "red",
    from_file: Annotated[Path | None, typer.Option(help="Read the request from a TOML file")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """File a request; prints it as JSON (its id first)."""
    try:
        level = service.case_tlp(tlp)  # refused before anything is read or opened
    except service.InvalidTLP as exc:
        _fail(f"--tlp: {exc}")
    if from_file is not None:
        try:
            fields = tomllib.loads(from_file.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            _fail(f"{from_file}: {exc}")
        to = to or fields.pop("to", None)
    else:
        fields = {
            "request_type": request_type,
            "urgency": urgency,
            "legal_basis": {"kind": legal_basis, "instrument": instrument, "article": article},
            "requesting_authority": authority,
            "offence": offence,
            "summary_of_facts": summary,
            "data": _data_items(data or []) if data else None,
            "relationship_to_offence": relationship,
            "custodian": custodian,
            "necessity": necessity,
            "formal_request_to_follow": formal_request_follows or None,
            "conditions": conditions,
            "requesting_party": {"contact_24x7": contact} if contact else None,
            "language": language,
        }
    if not to:
        _fail("--to is required: the organization asked")

    def run(conn: Any) -> dict[str, Any]:
        org = admin.require_org(conn, as_org)
        return service.file_request(conn, org, to or "", fields, level)

    _print(_run(data_dir, db, run))


@rfa_app.command("collection")
def collection_(data_dir: DataDir = None, db: Db = None) -> None:
    """Print the requests collection's id (creating it): peer links for requests must target it."""
    print(_run(data_dir, db, lambda conn: service.rfa_collection(conn).uuid))


@rfa_app.command("list")
def list_(
    as_org: As,
    open_only: Annotated[bool, typer.Option("--open", help="Open requests only")] = False,
    overdue: Annotated[bool, typer.Option(help="Past a deadline")] = False,
    mine: Annotated[bool, typer.Option("--mine", help="Requests I filed")] = False,
    for_me: Annotated[bool, typer.Option("--for-me", help="Requests I must answer")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table")] = False,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """List requests with their state and the time left on each clock."""

    def run(conn: Any) -> list[dict[str, Any]]:
        org = admin.require_org(conn, as_org)
        return service.list_cases(conn, org, open_only=open_only, overdue=overdue, mine=mine, for_me=for_me)

    cases = _run(data_dir, db, run, write=False)
    if as_json:
        _print(cases)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "type", "urgency", "from", "to", "state", "due", "left")
    for c in cases:
        due = c["acknowledgement_due"] if c["acknowledged"] is None else c["response_due"]
        left = (
            "paused"
            if c["clock_paused"]
            else ("-" if c["seconds_left"] is None else _left(c["seconds_left"]))
        )
        style = "bold red" if c["overdue"] else None
        table.add_row(
            c["id"], c["type"], c["urgency"], c["from"], c["to"], c["state"], due or "-", left, style=style
        )
    Console(width=220).print(table)


def _left(seconds: int) -> str:
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds >= 86400:
        return f"{sign}{seconds / 86400:.1f}d"
    return f"{sign}{seconds / 3600:.1f}h"


@rfa_app.command("show")
def show(request_id: str, as_org: As, data_dir: DataDir = None, db: Db = None) -> None:
    """A request, its clocks and its timeline, as JSON."""

    def run(conn: Any) -> dict[str, Any]:
        return service.show(conn, admin.require_org(conn, as_org), request_id)

    _print(_run(data_dir, db, run, write=False))


def _action_command(name: str) -> None:
    def command(
        request_id: str,
        as_org: As,
        reason: Annotated[str | None, typer.Option(help="Why (required to refuse, postpone, ask)")] = None,
        ground: Annotated[str | None, typer.Option(help="Ground for refusal (treaty article...)")] = None,
        content: Annotated[str | None, typer.Option(help="The answer or the information given")] = None,
        partial: Annotated[bool, typer.Option(help="respond: partially fulfilled")] = False,
        expires: Annotated[str | None, typer.Option(help="preserve/renew: until (UTC timestamp)")] = None,
        data_dir: DataDir = None,
        db: Db = None,
    ) -> None:
        details = {
            "reason": reason,
            "ground": ground,
            "content": content,
            "partial": partial,
            "expires": expires,
        }

        def run(conn: Any) -> dict[str, Any]:
            return service.act(conn, admin.require_org(conn, as_org), request_id, name, details)

        _print(_run(data_dir, db, run))

    command.__doc__ = ACTIONS[name].help.capitalize() + "."
    rfa_app.command(name)(command)


for _name in ACTIONS:
    if _name not in ("submit",):
        _action_command(_name)


@rfa_app.command("report")
def report(
    since: Annotated[
        str | None, typer.Option(help="Only requests submitted from this date (ISO, UTC if no zone)")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html, csv or json")] = "html",
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout")] = None,
    as_org: Annotated[str | None, typer.Option("--as", help="Only this organization's requests")] = None,
    data_dir: DataDir = None,
    db: Db = None,
) -> None:
    """The timeliness review: per party and request type, counts, times, share on time, outcomes."""
    from datetime import UTC, datetime

    from accord.cases.report import FORMATS, build_report

    if fmt not in FORMATS:
        _fail(f"--format {fmt!r}: one of {', '.join(FORMATS)}")
    start = None
    if since:
        try:
            start = datetime.fromisoformat(since)
        except ValueError:
            _fail(f"--since {since!r} is not an ISO date")
        assert start is not None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)

    def run(conn: Any) -> list[Any]:
        return service.timelines(conn, admin.require_org(conn, as_org) if as_org else None)

    text = FORMATS[fmt](
        build_report(_run(data_dir, db, run, write=False), since=start, now=datetime.now(UTC))
    )
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")


@rfa_app.command("escalate")
def escalate(data_dir: DataDir = None, db: Db = None) -> None:
    """Send the escalation steps due now (`accord serve` does this every minute) and record them."""
    from accord.cases.scheduler import escalate_now

    node = _node(data_dir, db)
    try:
        records = escalate_now(node.engine, node.settings.data_dir)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        node.close()
    for r in records:
        failed = sum(1 for d in r.deliveries if not d.ok)
        print(
            f"{r.request_id}: {r.escalation.step} ({r.deadline_kind} deadline), "
            f"{len(r.deliveries) - failed} delivered, {failed} failed"
        )
    if not records:
        print("nothing to escalate")
