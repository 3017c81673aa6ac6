"""The console's pages: sign-in, dashboard, intelligence search and objects, requests."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.engine import Connection
from starlette.responses import RedirectResponse, Response

from accord.cases import service
from accord.cases.objects import InvalidRequest
from accord.cases.states import ACTIONS, InvalidTransition
from accord.stix.markings import TLP, TLP_MARKING_IDS
from accord.store.admin import hash_token
from accord.sync.peers import list_peers
from accord.web import data, errors
from accord.web.labels import ACTION_LABELS, STATE_LABELS
from accord.web.routes import Ctx
from accord.web.session import Session, principal_for

PAGE_SIZE = 50
HIDDEN_FIELDS = {"type", "id", "spec_version", "created", "modified", "object_marking_refs", "extensions"}


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


async def home(ctx: Ctx) -> Response:
    return _redirect("/dashboard" if ctx.principal else "/signin")


async def signin_form(ctx: Ctx) -> Response:
    if ctx.principal:
        return _redirect("/dashboard")
    return ctx.render("signin.html")


async def signin(ctx: Ctx) -> Response:
    assert ctx.form is not None
    digest = hash_token(str(ctx.form.get("token", "")).strip())
    found = await ctx.read(lambda conn: principal_for(conn, digest))
    if found is None:
        return ctx.render("signin.html", 401, error=ctx.lang.gettext("Unknown token."))
    ctx.session = Session(token_sha256=digest, fresh=True)  # a new CSRF token with the new identity
    return _redirect("/dashboard")


async def signout(ctx: Ctx) -> Response:
    ctx.session = Session(fresh=True)
    return _redirect("/signin")


async def dashboard(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None

    def run(conn: Connection) -> dict[str, Any]:
        return {
            "recent": data.recent(conn, principal),
            "sighted": data.sightings_of_mine(conn, principal),
            "cases": service.list_cases(conn, principal.org, open_only=True),
            "peers": list_peers(conn) if principal.admin else None,
        }

    return ctx.render("dashboard.html", states=STATE_LABELS, **await ctx.read(run))


def _tlp_param(value: str | None) -> TLP | None:
    try:
        return TLP.parse(value) if value else None
    except ValueError:
        return None


async def intel(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None
    q = ctx.request.query_params
    text, kind, source = q.get("q", "")[:200], q.get("type", "").strip()[:250], q.get("source", "")[:200]
    tlp = _tlp_param(q.get("tlp"))
    searched = any((text, kind, source, tlp is not None))

    before = data.Cursor.decode(q.get("before"))
    contains = q.get("match") == "contains"

    def run(conn: Connection) -> data.ResultPage:
        types = (kind,) if kind else ()
        return data.search_page(
            conn,
            principal,
            text=text,
            types=types,
            tlp=tlp,
            source=source,
            before=before,
            limit=PAGE_SIZE,
            contains=contains,
        )

    page = await ctx.read(run)
    keep = [(k, v) for k, v in q.multi_items() if k not in ("before", "lang")]
    return ctx.render(
        "intel.html",
        items=page.items,
        page=page,
        first_url="/intel?" + urlencode(keep) if before else None,
        next_url="/intel?" + urlencode([*keep, ("before", page.next.encode())]) if page.next else None,
        contains_url=_contains_url(keep) if page.exact else None,
        q=text,
        kind=kind,
        source=source,
        tlp=tlp,
        tlps=list(TLP),
        searched=searched,
    )


def _contains_url(keep: list[tuple[str, str]]) -> str:
    """The same search, for every object whose fields contain the text rather than carry it exactly."""
    return "/intel?" + urlencode([(k, v) for k, v in keep if k != "match"] + [("match", "contains")])


async def stix_object(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None
    coll, stix_id = ctx.request.path_params["collection"], ctx.request.path_params["object"]
    view = await ctx.read(lambda conn: data.find_object(conn, principal, coll, stix_id))
    if view is None:
        return ctx.not_found()
    markings = [TLP_MARKING_IDS.get(m) for m in view.latest.body.get("object_marking_refs", [])]
    return ctx.render("object.html", view=view, item=view.latest, markings=markings)


async def requests(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None
    box = "out" if ctx.request.query_params.get("box") == "out" else "in"

    def run(conn: Connection) -> list[dict[str, Any]]:
        return service.list_cases(conn, principal.org, mine=box == "out", for_me=box == "in")

    return ctx.render("requests.html", cases=await ctx.read(run), box=box, states=STATE_LABELS)


def _actions(case: dict[str, Any], org_name: str) -> list[str]:
    role = "requester" if case["from"] == org_name else "requested"
    preservation = case["type"] == "preservation"
    return [
        a.name
        for a in ACTIONS.values()
        if a.actor == role and case["state"] in a.sources and (preservation or not a.preservation_only)
    ]


async def _request_view(ctx: Ctx, status: int = 200, error: str | None = None) -> Response:
    principal = ctx.principal
    assert principal is not None
    request_id = ctx.request.path_params["id"]
    try:
        case = await ctx.read(lambda conn: service.show(conn, principal.org, request_id))
    except service.CaseNotFound:
        return ctx.not_found()
    return ctx.render(
        "request.html",
        status,
        case=case,
        actions=_actions(case, principal.org.name),
        action_labels=ACTION_LABELS,
        states=STATE_LABELS,
        error=error,
        hidden_fields=HIDDEN_FIELDS,
    )


async def request_page(ctx: Ctx) -> Response:
    return await _request_view(ctx)


async def request_act(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None and ctx.form is not None
    request_id = ctx.request.path_params["id"]
    form = ctx.form
    action = str(form.get("action", ""))
    details = {k: str(form.get(k, "")).strip()[:4000] for k in ("reason", "ground", "content")}
    details["partial"] = form.get("partial") == "on"  # type: ignore[assignment]
    try:
        await ctx.write(lambda conn: service.act(conn, principal.org, request_id, action, details))
    except service.CaseNotFound:
        return ctx.not_found()
    except (InvalidTransition, InvalidRequest) as exc:
        return await _request_view(ctx, 400, errors.explain(ctx.lang, exc))
    return _redirect(f"/requests/{request_id}")
