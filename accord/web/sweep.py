"""Sweep page: a log (uploaded, or picked from the node's log directory) against a collection's
indicators, followed while it runs, then its hits and the sightings to send.

Sightings are stored through ``accord.sync.peers.receive``, the function the TAXII API posts
through, so the audit log records them and sync routes them home to the indicators' producers.
"""

from __future__ import annotations

import copy
from functools import partial
from pathlib import Path

from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response

from accord.cases.service import RFA_COLLECTION_SETTING
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.admin import Collection, Principal
from accord.store.objects import Outcome
from accord.sync.peers import receive
from accord.web import data, errors, logfiles
from accord.web.labels import SWEEP_STAGES
from accord.web.publish import destination, marked, writable
from accord.web.routes import Ctx, Page
from accord.web.sweep_jobs import Job, Sent, SweepBusy, SweepJobs, new_id, run_sweep

FORMATS = ("auto", "eve", "ndjson", "zeek", "csv", "combined")  # accord.sweep.formats, without loading it


def sweepable(conn: Connection, principal: Principal) -> list[Collection]:
    """Collections the organization may read, except the one requests for assistance live in."""
    requests = admin.get_setting(conn, RFA_COLLECTION_SETTING)
    return [c for c in data.readable(conn, principal) if c.uuid != requests]


async def _form(ctx: Ctx, jobs: SweepJobs, status: int = 200, error: str | None = None) -> Response:
    principal = ctx.principal
    assert principal is not None
    collections = await ctx.read(lambda conn: sweepable(conn, principal))
    form = ctx.form
    return ctx.render(
        "sweep.html",
        status,
        collections=collections,
        server_logs=logfiles.server_logs(ctx.node.settings.data_dir),
        formats=FORMATS,
        jobs=jobs.mine(principal),
        stages=SWEEP_STAGES,
        error=error,
        chosen=str(form.get("collection", "")) if form else "",
    )


async def sweep_form(jobs: SweepJobs, ctx: Ctx) -> Response:
    return await _form(ctx, jobs)


async def start(jobs: SweepJobs, ctx: Ctx) -> Response:
    principal = ctx.principal
    assert principal is not None and ctx.form is not None
    form, data_dir = ctx.form, ctx.node.settings.data_dir
    collections = await ctx.read(lambda conn: sweepable(conn, principal))
    coll = next((c for c in collections if c.uuid == form.get("collection")), None)
    if coll is None:
        return await _form(
            ctx, jobs, 400, ctx.lang.gettext("Choose a collection your organization may read.")
        )
    upload = form.get("upload")
    uploaded = isinstance(upload, UploadFile) and bool(upload.filename)
    picked = str(form.get("server_log") or "")
    if uploaded == bool(picked):
        return await _form(
            ctx, jobs, 400, ctx.lang.gettext("Upload a log or pick one on the server (one of the two).")
        )
    fmt = str(form.get("format", "auto"))
    if fmt not in FORMATS:
        fmt = "auto"
    if uploaded:
        assert isinstance(upload, UploadFile)
        try:
            path = await run_in_threadpool(logfiles.save_upload, data_dir, upload.file)
        except logfiles.UploadTooLarge as exc:
            return await _form(ctx, jobs, 413, errors.explain(ctx.lang, exc))
        name = Path(upload.filename or "upload").name
    else:
        found = logfiles.pick(data_dir, picked)
        if found is None:
            return await _form(
                ctx, jobs, 400, ctx.lang.gettext("That log is not in the node's log directory.")
            )
        path, name = found, picked
    job = Job(
        id=new_id(),
        org_id=principal.org.id,
        collection=coll,
        source=name,
        fmt=fmt,
        exact_domains=form.get("exact_domains") == "on",
        total_bytes=path.stat().st_size,
    )
    engine = ctx.node.engine

    def work(job: Job) -> None:
        try:
            run_sweep(engine, job, principal, path)
        finally:
            if uploaded:
                logfiles.discard(path)

    try:
        jobs.start(job, work)
    except SweepBusy as exc:
        if uploaded:
            logfiles.discard(path)
        return await _form(ctx, jobs, 503, errors.explain(ctx.lang, exc))
    return RedirectResponse(f"/sweep/{job.id}", status_code=303)


def _job(jobs: SweepJobs, ctx: Ctx) -> Job | None:
    assert ctx.principal is not None
    return jobs.get(ctx.request.path_params["job"], ctx.principal)


async def job_page(jobs: SweepJobs, ctx: Ctx, status: int = 200, error: str | None = None) -> Response:
    principal = ctx.principal
    assert principal is not None
    job = _job(jobs, ctx)
    if job is None:
        return ctx.not_found()
    targets = await ctx.read(lambda conn: writable(conn, principal)) if job.stage == "done" else []
    return ctx.render(
        "sweep_job.html",
        status,
        job=job,
        stages=SWEEP_STAGES,
        problem=errors.explain(ctx.lang, job.error) if job.error else None,
        targets=targets,
        tlps=list(TLP),
        error=error,
        outcome=lambda o: errors.outcome(ctx.lang, o.message),
    )


async def progress(jobs: SweepJobs, ctx: Ctx) -> Response:
    """The fragment the job page polls while the sweep runs."""
    job = _job(jobs, ctx)
    if job is None:
        return ctx.not_found()
    return ctx.render("sweep_progress.html", job=job, stages=SWEEP_STAGES)


async def send(jobs: SweepJobs, ctx: Ctx) -> Response:
    """Store the sightings in a collection the organization may write to, as TAXII would."""
    principal = ctx.principal
    assert principal is not None and ctx.form is not None
    job = _job(jobs, ctx)
    if job is None:
        return ctx.not_found()
    if job.stage != "done" or not job.sighted:
        return await job_page(jobs, ctx, 400, ctx.lang.gettext("This sweep has no sightings to send."))
    if job.sent is not None:
        return await job_page(jobs, ctx, 409, ctx.lang.gettext("These sightings were already sent."))
    form = ctx.form
    targets = await ctx.read(lambda conn: writable(conn, principal))
    target = next((c for c in targets if c.uuid == form.get("collection")), None)
    if target is None:
        return await job_page(
            jobs, ctx, 400, ctx.lang.gettext("Choose a collection your organization may write to.")
        )
    tlp, recipients = destination(form, principal)
    objects = marked(copy.deepcopy(job.sightings), tlp, recipients)

    def store(conn: Connection) -> list[Outcome]:
        return receive(conn, target, principal.org, None, objects)

    outcomes = await ctx.write(store)
    sightings = [o for o, obj in zip(outcomes, objects, strict=True) if obj["type"] == "sighting"]
    # "already stored" is no new sighting: a second sweep of the same log stores nothing
    job.sent = Sent(target, sum(1 for o in sightings if o.stored), [o for o in sightings if not o.ok])
    return RedirectResponse(f"/sweep/{job.id}", status_code=303)


def pages(jobs: SweepJobs) -> dict[str, Page]:
    """The handlers, bound to the node's job list."""
    return {
        "form": partial(sweep_form, jobs),
        "start": partial(start, jobs),
        "job": partial(job_page, jobs),
        "progress": partial(progress, jobs),
        "send": partial(send, jobs),
    }
