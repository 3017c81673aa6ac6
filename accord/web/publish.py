"""Publish: a pasted text or an uploaded report -> an editable extraction preview -> STIX objects
stored under a chosen TLP.

The preview lists each indicator with the sentence it came from. Publishing builds the objects from
what the analyst kept and corrected, each corrected value read again with the extractor's own rules
(``accord.extract.spans.canonical``), never from a fresh extraction: what is stored is what was
shown. The objects go through ``add_objects``, the store's one write path (validation, policy
columns, audit), exactly as if they had been posted over TAXII.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pycountry
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from accord.cases.service import RFA_COLLECTION_SETTING
from accord.extract.api import Extraction, title_and_description
from accord.extract.entities import KINDS, find_entities
from accord.extract.lang import detect_language
from accord.extract.readers import ReadError, read_bytes
from accord.extract.spans import Context, canonical, first_occurrences, sentence
from accord.extract.stix_bundle import to_bundle
from accord.stix.markings import RECIPIENTS_PROPERTY, TLP, TLP2_MARKING_ID
from accord.store import admin
from accord.store.admin import Collection, Principal
from accord.store.objects import add_objects
from accord.web import errors
from accord.web.i18n import Lang
from accord.web.labels import N_
from accord.web.routes import Ctx

log = logging.getLogger(__name__)

MAX_TEXT = 200_000
MAX_UPLOAD_BYTES = 20 * 1000 * 1000
# The preview form sends two fields per indicator and one per entity (Starlette parses 1,000 at
# most), and every row's sentence in one field (Starlette takes 1 MB a field): hence these caps.
MAX_INDICATORS = 400
MAX_ENTITIES = 100
CONTEXT = 80  # characters of the sentence shown on each side of an indicator, and of the indicator
MAX_DESCRIPTION = 10_000
MAX_NAME = 200
PASTED = "console"
_LANG_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")

TYPE_LABELS = {
    "ipv4": N_("IPv4 address"),
    "ipv6": N_("IPv6 address"),
    "cidr": N_("IP network"),
    "domain": N_("Domain name"),
    "url": N_("URL"),
    "email": N_("E-mail address"),
    "md5": N_("MD5 hash"),
    "sha1": N_("SHA-1 hash"),
    "sha256": N_("SHA-256 hash"),
    "sha512": N_("SHA-512 hash"),
    "cve": N_("Vulnerability (CVE)"),
    "attack": N_("ATT&CK technique"),
    "btc": N_("Bitcoin address"),
    "file": N_("File name"),
    "registry": N_("Registry key"),
    "asn": N_("Autonomous system"),
}
ENTITY_LABELS = {
    "countries": N_("Country"),
    "organizations": N_("Organization"),
    "people": N_("Person"),
    "threat_actors": N_("Threat actor"),
}


@dataclass
class Row:
    """One indicator of the preview: its type, its (possibly corrected) value, where it was found."""

    kind: str
    value: str
    keep: bool = True
    context: Context | None = None
    error: str | None = None


@dataclass
class Entity:
    kind: str
    name: str
    keep: bool = True


@dataclass
class Draft:
    """What the preview form carries from one step to the next."""

    title: str
    description: str
    lang: str
    source: str
    rows: list[Row] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    found: int = 0  # distinct indicators in the document (more than the rows when capped)

    @property
    def uploaded(self) -> bool:
        return self.source != PASTED

    def rows_json(self) -> str:
        """Each row's type and sentence, so a preview shown again after an error still has them."""
        return json.dumps(
            [
                [r.kind, *((r.context.before, r.context.hit, r.context.after) if r.context else ())]
                for r in self.rows
            ],
            ensure_ascii=False,
        )

    def entities_json(self) -> str:
        return json.dumps([[e.kind, e.name] for e in self.entities], ensure_ascii=False)


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


def _context(text: str, start: int, end: int) -> Context:
    found = sentence(text, start, end, width=CONTEXT)
    if len(found.hit) > CONTEXT:  # a very long URL: its whole value is in the field beside it
        found = Context(found.before, found.hit[: CONTEXT - 1] + "…", found.after)
    return found


def draft_of(text: str, source: str) -> Draft:
    """The preview of a document: the first occurrence of each indicator with its sentence."""
    title, description = title_and_description(text)
    normalised, spans = first_occurrences(text)
    rows = [Row(kind, value, context=_context(normalised, s, e)) for kind, value, s, e in spans]
    entities = [Entity(kind, name) for kind, names in find_entities(text).items() for name in names]
    return Draft(
        title=title,
        description=description,
        lang=detect_language(text),
        source=source,
        rows=rows[:MAX_INDICATORS],
        entities=entities[:MAX_ENTITIES],
        found=len(rows),
    )


def _loads(value: object) -> list[Any]:
    try:
        loaded = json.loads(str(value or "[]"))
    except ValueError:
        return []
    return loaded if isinstance(loaded, list) else []


def draft_from_form(form: FormData) -> Draft:
    """The preview as the analyst left it: corrected values, unchecked rows, edited title."""
    kept = {str(v) for v in form.getlist("keep")}
    rows = []
    for i, item in enumerate(_loads(form.get("rows"))[:MAX_INDICATORS]):
        if not (isinstance(item, list) and item and all(isinstance(x, str) for x in item)):
            continue
        context = Context(*item[1:4]) if len(item) == 4 else None
        rows.append(Row(item[0], str(form.get(f"value-{i}", ""))[:2048], str(i) in kept, context))
    ticked = {str(v) for v in form.getlist("entity")}
    entities = [
        Entity(item[0], item[1][:MAX_NAME], str(i) in ticked)
        for i, item in enumerate(_loads(form.get("entities"))[:MAX_ENTITIES])
        if isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)
    ]
    lang = str(form.get("lang", ""))
    return Draft(
        title=str(form.get("title", "")).strip()[:MAX_NAME],
        description=str(form.get("description", "")).strip()[:MAX_DESCRIPTION],
        lang=lang if _LANG_TAG.match(lang) else "und",
        source=str(form.get("source", "")).strip()[:MAX_NAME] or PASTED,
        rows=rows,
        entities=entities,
        found=len(rows),
    )


def _known_entity(entity: Entity) -> bool:
    if entity.kind == "countries":
        return pycountry.countries.get(alpha_2=entity.name) is not None
    return entity.kind in KINDS and bool(entity.name.strip())


def checked(draft: Draft, message: str) -> Extraction | None:
    """The extraction to publish: kept rows, each value canonical for its type; None (and `message`
    on each faulty row) when a kept value is not one the extractor would read as that type."""
    indicators: dict[str, set[str]] = {}
    for row in draft.rows:
        if not row.keep:
            continue
        value = canonical(row.kind, row.value)
        if value is None:
            row.error = message
        else:
            row.value = value
            indicators.setdefault(row.kind, set()).add(value)
    if any(row.error for row in draft.rows):
        return None
    entities: dict[str, set[str]] = {}
    for entity in draft.entities:
        if entity.keep and _known_entity(entity):
            entities.setdefault(entity.kind, set()).add(entity.name)
    return Extraction(
        file=draft.source,
        lang=draft.lang,
        indicators={k: sorted(v) for k, v in indicators.items()},
        entities={k: sorted(v) for k, v in entities.items()},
        title=draft.title,
        description=draft.description,
    )


def too_large(lang: Lang) -> str:
    """Why a report was refused: also the console's 413 page when the body outgrew the cap as it came."""
    return lang.gettext("The file is too large (at most %(size)s).", size=lang.size(MAX_UPLOAD_BYTES))


def _read_capped(stream: BinaryIO) -> bytes | None:
    """The upload's bytes, or None when it is larger than MAX_UPLOAD_BYTES."""
    data = stream.read(MAX_UPLOAD_BYTES + 1)
    return None if len(data) > MAX_UPLOAD_BYTES else data


def destination(form: FormData | None, principal: Principal) -> tuple[TLP, list[str]]:
    """The TLP and the TLP:RED recipients chosen on a form (the poster's organization always among them)."""
    try:
        tlp = TLP.parse(str(form.get("tlp", "amber")) if form else "amber")
    except ValueError:
        tlp = TLP.AMBER
    typed = str(form.get("recipients", "")) if form else ""
    recipients = sorted({r.strip() for r in typed.split(",") if r.strip()} | {principal.org.name})
    return tlp, recipients


async def _page(ctx: Ctx, status: int = 200, **context: Any) -> Response:
    principal = ctx.principal
    assert principal is not None
    collections = await ctx.read(lambda conn: writable(conn, principal))
    form = ctx.form
    tlp, recipients = destination(form, principal)
    chosen = str(form.get("collection", "")) if form else ""
    context.setdefault("text", "")
    return ctx.render(
        "publish.html",
        status,
        collections=collections,
        chosen=chosen,
        tlps=list(TLP),
        tlp=tlp,
        recipients=", ".join(r for r in recipients if r != principal.org.name),
        type_labels=TYPE_LABELS,
        entity_labels=ENTITY_LABELS,
        territory=lambda code: ctx.lang.locale.territories.get(code, code),
        max_upload=MAX_UPLOAD_BYTES,
        max_text=MAX_TEXT,
        max_rows=MAX_INDICATORS,
        **context,
    )


async def publish_form(ctx: Ctx) -> Response:
    return await _page(ctx)


async def publish(ctx: Ctx) -> Response:
    assert ctx.form is not None
    if ctx.form.get("step") == "publish":
        return await _publish(ctx)
    return await _preview(ctx)


async def _preview(ctx: Ctx) -> Response:
    """Read the pasted text or the uploaded report and show what extraction found in it."""
    form, lang = ctx.form, ctx.lang
    assert form is not None
    upload = form.get("upload")
    uploaded = isinstance(upload, UploadFile) and bool(upload.filename)
    text = str(form.get("text", ""))[:MAX_TEXT]
    if uploaded == bool(text.strip()):
        message = lang.gettext("Paste a text or upload a report (one of the two).")
        return await _page(ctx, 400, text=text, error=message)
    if not isinstance(upload, UploadFile) or not uploaded:
        draft = await run_in_threadpool(draft_of, text, PASTED)
        return await _page(ctx, text=text, draft=draft)
    name = Path(upload.filename or "").name[:MAX_NAME] or "upload"
    data = await run_in_threadpool(_read_capped, upload.file)
    if data is None:
        return await _page(ctx, 413, error=too_large(lang))
    try:
        document = await run_in_threadpool(read_bytes, data, name)
    except ReadError as exc:
        return await _page(ctx, 400, error=errors.explain(lang, exc))
    except Exception:  # a parser tripped by a malformed file in its own way: still one sentence, no 500
        log.warning("publish: %r could not be read", name, exc_info=True)
        return await _page(ctx, 400, error=lang.gettext("The file could not be read."))
    draft = await run_in_threadpool(draft_of, document, name)
    return await _page(ctx, draft=draft)


async def _publish(ctx: Ctx) -> Response:
    """Store what the analyst kept, as corrected; nothing at all if a kept value is not valid."""
    principal, form, lang = ctx.principal, ctx.form, ctx.lang
    assert principal is not None and form is not None
    draft = draft_from_form(form)
    extraction = checked(draft, lang.gettext("Not a valid value for this type: correct it or uncheck it."))
    collections = await ctx.read(lambda conn: writable(conn, principal))
    target = next((c for c in collections if c.uuid == form.get("collection")), None)
    if extraction is None:
        message = lang.gettext("Some values are not valid (marked below): nothing was published.")
        return await _page(ctx, 400, draft=draft, error=message)
    if target is None:
        message = lang.gettext("Choose a collection your organization may write to.")
        return await _page(ctx, 400, draft=draft, error=message)
    tlp, recipients = destination(form, principal)
    objects = marked(to_bundle([extraction])["objects"], tlp, recipients)
    chosen = target

    def store(conn: Connection) -> list[Any]:
        return add_objects(conn, chosen, principal.org, objects, writer=principal.reader)

    outcomes = await ctx.write(store)
    report = next((o["id"] for o in objects if o["type"] == "report"), None)
    return ctx.render(
        "published.html",
        outcome=lambda o: errors.outcome(lang, o.message),
        stored=sum(1 for o in outcomes if o.ok),
        failed=[o for o in outcomes if not o.ok],
        collection=target,
        report=report,
    )
