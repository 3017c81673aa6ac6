"""Filing a request for assistance from the console, through ``accord.cases.service.file_request``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from starlette.responses import RedirectResponse, Response

from accord.cases import service
from accord.cases.objects import DATA_KINDS, InvalidRequest
from accord.store import admin
from accord.store.admin import Principal
from accord.web import errors, labels
from accord.web.routes import Ctx

TEXT_LIMIT = 8000


def counterparts(conn: Connection, principal: Principal) -> list[str]:
    return [o.name for o in admin.list_orgs(conn) if o.id != principal.org.id and o.name != admin.ADMIN_ORG]


def parse_data(text: str) -> list[dict[str, str]]:
    """'kind value' per line, e.g. 'domain kit.example.net'."""
    items = []
    for line in text.splitlines():
        kind, _, value = line.strip().partition(" ")
        if kind:
            items.append({"kind": kind.lower(), "value": value.strip()})
    return items


def fields_from(form: Any) -> dict[str, Any]:
    def text(key: str) -> str:
        return str(form.get(key, "")).strip()[:TEXT_LIMIT]

    fields: dict[str, Any] = {
        "request_type": text("request_type"),
        "urgency": text("urgency") or "normal",
        "legal_basis": {"kind": text("legal_basis")},
        "summary_of_facts": text("summary_of_facts"),
        "data": parse_data(text("data")),
    }
    for key in labels.ARTICLE_29_2_LABELS:
        fields[key] = text(key)
    if fields["request_type"] == "preservation":
        fields["formal_request_to_follow"] = form.get("formal_request_to_follow") == "on"
    return fields


def _render(
    ctx: Ctx, names: list[str], status: int = 200, error: str | None = None, **values: Any
) -> Response:
    return ctx.render(
        "file_request.html",
        status,
        counterparts=names,
        types=labels.REQUEST_TYPE_LABELS,
        urgencies=labels.URGENCY_LABELS,
        bases=labels.LEGAL_BASIS_LABELS,
        article=labels.ARTICLE_29_2_LABELS,
        data_kinds=DATA_KINDS,
        error=error,
        values=values,
    )


async def file_form(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None
    return _render(ctx, await ctx.read(lambda conn: counterparts(conn, principal)))


async def file(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None and ctx.form is not None
    form = ctx.form
    names = await ctx.read(lambda conn: counterparts(conn, principal))
    to = str(form.get("to", ""))
    fields = fields_from(form)
    if to not in names:
        error = ctx.lang.gettext("Choose the organization the request is for.")
        return _render(ctx, names, 400, error, to=to, form=dict(form))
    try:
        case = await ctx.write(lambda conn: service.file_request(conn, principal.org, to, fields))
    except InvalidRequest as exc:
        return _render(ctx, names, 400, errors.explain(ctx.lang, exc), to=to, form=dict(form))
    return RedirectResponse(f"/requests/{case['id']}", status_code=303)
