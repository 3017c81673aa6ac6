"""Peers page (administrators only): each linked node, its links, cursors, errors and refusals, and a
button per peer that checks the link both ways (``accord.sync.setup_check.check_peer``, the check
``accord peer check`` runs) and shows the outcome under that peer's card."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from accord.stix.markings import TLP
from accord.store.admin import AdminError, list_collections
from accord.sync.peers import list_peers, refusals
from accord.sync.sealing import PeerKeyError
from accord.sync.setup_check import LinkReport, check_peer
from accord.web.routes import Ctx

# A check calls the peer in a worker thread (each call may wait 5 s to connect, 30 s for the answer):
# only a few at a time, so that pressing "Check" on dead peers cannot take the whole thread pool.
MAX_CHECKS = 4
_checks = threading.BoundedSemaphore(MAX_CHECKS)


@dataclass
class CheckView:
    """A ``LinkReport`` as the page shows it: collections with their titles, TLP levels as levels."""

    peer: str
    outbound: str  # "ok", "root" (ok, but the stored URL is not the API root) or "failed"
    detail: str  # the API root for "root"; the check's one-line error (in English) for "failed"
    tokens_here: int
    readable_here: list[tuple[str, str]]  # (uuid, title)
    writable_here: list[tuple[str, str]]
    crossing: list[tuple[str, str, list[tuple[TLP, int]]]]  # (uuid, title, [(level, versions)])
    last_error: str | None
    lag_s: float | None


def check_view(name: str, report: LinkReport, titles: dict[str, str]) -> CheckView:
    if report.other_root is not None:
        outbound, detail = "root", report.other_root
    elif report.outbound == "ok":
        outbound, detail = "ok", ""
    else:
        outbound, detail = "failed", report.outbound

    def named(uuids: list[str]) -> list[tuple[str, str]]:
        return [(uuid, titles.get(uuid, "")) for uuid in uuids]

    crossing = [
        (uuid, titles.get(uuid, ""), [(TLP.parse(label), n) for label, n in counts.items()])
        for uuid, counts in report.crossing.items()
    ]
    return CheckView(
        name,
        outbound,
        detail,
        report.tokens_here,
        named(report.readable_here),
        named(report.writable_here),
        crossing,
        report.last_error,
        report.lag_s,
    )


async def _page(
    ctx: Ctx, status: int = 200, checked: tuple[str, LinkReport] | None = None, **extra: Any
) -> Response:
    def run(conn: Connection) -> dict[str, Any]:
        peers = [{"peer": p, "refusals": refusals(conn, p.name, limit=10)} for p in list_peers(conn)]
        return {"peers": peers, "titles": {c.uuid: c.title for c in list_collections(conn)}}

    view = await ctx.read(run)
    check = check_view(*checked, view["titles"]) if checked else None
    return ctx.render("peers.html", status, peers=view["peers"], check=check, **extra)


async def peers_page(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None
    if not principal.admin:
        return ctx.not_found()
    return await _page(ctx)


def _check(ctx: Ctx, name: str) -> LinkReport | None:
    """The check (run in a worker thread); None when ``MAX_CHECKS`` are running already."""
    if not _checks.acquire(blocking=False):
        return None
    try:
        return check_peer(ctx.node.engine, name)
    finally:
        _checks.release()


async def peer_check(ctx: Ctx) -> Response:
    """Check one peer's link both ways (``peer`` in the form); the peers page shows the outcome."""
    principal = ctx.principal
    assert principal is not None and ctx.form is not None
    if not principal.admin:
        return ctx.not_found()
    lang = ctx.lang
    name = str(ctx.form.get("peer", "")).strip()
    unknown = lang.gettext("There is no peer named “%(name)s”.", name=name)
    known = await ctx.read(lambda conn: {p.name for p in list_peers(conn)})
    if name not in known:
        return await _page(ctx, 400, error=unknown)
    try:
        report = await run_in_threadpool(_check, ctx, name)
    except AdminError:  # removed since it was listed
        return await _page(ctx, 400, error=unknown)
    except PeerKeyError as exc:  # the node's peer-token key is missing or wrong: the peer was not called
        lead = lang.gettext("The token for peer “%(name)s” cannot be opened on this node:", name=name)
        return await _page(ctx, 500, error=lead, error_detail=str(exc))
    if report is None:
        busy = lang.gettext("Other checks are running. Try again when they have finished.")
        return await _page(ctx, 503, error=busy)
    view = (name, report)
    return await _page(ctx, 200 if report.outbound.startswith("ok") else 409, checked=view)


async def peer_check_again(ctx: Ctx) -> Response:
    """GET of the check's address (the language links of a check's page): back to the peers page."""
    return RedirectResponse("/peers", status_code=303)
