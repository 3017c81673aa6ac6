"""Publish: pasted text -> extraction preview -> STIX objects stored under a chosen TLP.

The objects go through ``add_objects``, the store's one write path (validation, policy columns,
audit), exactly as if they had been posted over TAXII.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection
from starlette.responses import Response

from accord.cases.service import RFA_COLLECTION_SETTING
from accord.extract.api import extract_text
from accord.extract.stix_bundle import to_bundle
from accord.stix.markings import RECIPIENTS_PROPERTY, TLP, TLP2_MARKING_ID
from accord.store import admin
from accord.store.admin import Collection, Principal
from accord.store.objects import add_objects
from accord.web import errors
from accord.web.routes import Ctx

MAX_TEXT = 200_000


def writable(conn: Connection, principal: Principal) -> list[Collection]:
    """Collections the organization may write to, except the one requests for assistance live in."""
    requests = admin.get_setting(conn, RFA_COLLECTION_SETTING)
    return [
        c
        for c in admin.list_collections(conn)
        if c.uuid != requests and admin.rights(conn, c, principal.org)[1]
    ]


def marked(objects: list[dict[str, Any]], tlp: TLP, recipients: list[str]) -> list[dict[str, Any]]:
    """Every object carries the chosen TLP; TLP:RED ones also name who may read them."""
    for obj in objects:
        obj["object_marking_refs"] = [TLP2_MARKING_ID[tlp]]
        if tlp == TLP.RED:
            obj[RECIPIENTS_PROPERTY] = recipients
    return objects


async def publish_form(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None
    collections = await ctx.read(lambda conn: writable(conn, principal))
    return ctx.render("publish.html", collections=collections, tlps=list(TLP), text="", chosen=None)


async def publish(ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None and ctx.form is not None
    form = ctx.form
    text = str(form.get("text", ""))[:MAX_TEXT]
    try:
        tlp = TLP.parse(str(form.get("tlp", "amber")))
    except ValueError:
        tlp = TLP.AMBER
    recipients = sorted(
        {r.strip() for r in str(form.get("recipients", "")).split(",") if r.strip()} | {principal.org.name}
    )
    collections = await ctx.read(lambda conn: writable(conn, principal))
    chosen = next((c for c in collections if c.uuid == form.get("collection")), None)
    extraction = extract_text(text, file="console")
    context = dict(
        collections=collections,
        tlps=list(TLP),
        text=text,
        chosen=chosen,
        tlp=tlp,
        recipients=", ".join(r for r in recipients if r != principal.org.name),
        extraction=extraction,
    )
    if form.get("step") != "publish" or chosen is None or not text.strip():
        return ctx.render("publish.html", **context)
    objects = marked(to_bundle([extraction])["objects"], tlp, recipients)
    target = chosen

    def store(conn: Connection) -> list[Any]:
        return add_objects(conn, target, principal.org, objects)

    outcomes = await ctx.write(store)
    report = next((o["id"] for o in objects if o["type"] == "report"), None)
    return ctx.render(
        "published.html",
        outcome=lambda o: errors.outcome(ctx.lang, o.message),
        stored=sum(1 for o in outcomes if o.ok),
        failed=[o for o in outcomes if not o.ok],
        collection=target,
        report=report,
    )
