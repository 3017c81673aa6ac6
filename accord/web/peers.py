"""Peers page (administrators only): each linked node, its links, cursors, errors and refusals."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from starlette.responses import Response

from accord.sync.peers import list_peers, refusals
from accord.web.routes import Ctx


async def peers_page(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None
    if not principal.admin:
        return ctx.not_found()

    def run(conn: Connection) -> list[dict[str, Any]]:
        return [{"peer": p, "refusals": refusals(conn, p.name, limit=10)} for p in list_peers(conn)]

    return ctx.render("peers.html", peers=await ctx.read(run))
