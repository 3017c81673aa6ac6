"""The console's routes: every request gets its session, language and principal here.

Pages are plain functions ``(Ctx) -> Response`` (see ``pages``); this module wraps them with the
cookie handling, the CSRF check on every POST (before an upload is read), the upload pages' body cap
(enforced while the body streams) and the sign-in requirement.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from accord.node import Node
from accord.store.admin import Principal
from accord.store.engine import read_transaction, write_transaction
from accord.web import i18n, logfiles
from accord.web.render import STATIC_DIR, render
from accord.web.session import Session, SessionCodec, csrf_ok, node_secret, principal_for

T = TypeVar("T")


@dataclass
class Ctx:
    """One console request: who, in which language, with which session and form."""

    node: Node
    request: Request
    session: Session
    lang: i18n.Lang
    principal: Principal | None
    form: FormData | None = None

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        context.setdefault("principal", self.principal)
        return render(self.request, self.lang, template, {"csrf": self.session.csrf, **context}, status)

    def not_found(self) -> Response:
        return self.render("error.html", 404, message=self.lang.gettext("Nothing here, or not for you."))

    async def read(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with read_transaction(self.node.engine) as conn:
                return fn(conn)

        return await run_in_threadpool(run)

    async def write(self, fn: Callable[[Connection], T]) -> T:
        def run() -> T:
            with write_transaction(self.node.engine) as conn:
                return fn(conn)

        return await run_in_threadpool(run)


Page = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class UploadCap:
    """An upload page's cap (read per request, so tests can lower it) and its 413 sentence."""

    limit: Callable[[], int]
    message: Callable[[i18n.Lang], str]


class CachedStatic(StaticFiles):
    """Static files with a long cache lifetime: their URLs carry a content hash."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class Console:
    def __init__(self, node: Node) -> None:
        self.node = node
        with write_transaction(node.engine) as conn:
            self.codec = SessionCodec(node_secret(conn))

    def page(
        self, handler: Page, *, signed_in: bool = True, upload: UploadCap | None = None
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            if upload is not None and request.method == "POST":
                receive = logfiles.capped(request.scope, request.receive, upload.limit())
                request = Request(request.scope, receive)
            try:
                return await serve(request)
            finally:
                await request.close()  # uploaded files are spooled to temporary files

        async def serve(request: Request) -> Response:
            code, remember = i18n.choose(request)
            session = self.codec.load(request)
            principal = None
            if session.token_sha256:
                digest = session.token_sha256

                def lookup(conn: Connection) -> Principal | None:
                    return principal_for(conn, digest)

                principal = await run_in_threadpool(self._read, lookup)
            ctx = Ctx(self.node, request, session, i18n.Lang(code), principal)
            if request.method == "POST":
                # Only a url-encoded body is read before its token is checked: any other body (a
                # multipart upload) must bring the token in the query string, as the console's upload
                # forms do in their action, so a forged upload is refused before a byte of it is read.
                try:
                    if _media_type(request) == "application/x-www-form-urlencoded":
                        ctx.form = await request.form()
                        token = ctx.form.get("csrf")
                    else:
                        token = request.query_params.get("csrf")
                    if not csrf_ok(session, token):  # type: ignore[arg-type]
                        msg = ctx.lang.gettext("This form has expired or did not come from this console.")
                        response = ctx.render("error.html", 403, message=msg)
                        return self._finish(request, response, ctx, remember)
                    if ctx.form is None:
                        ctx.form = await request.form()
                except logfiles.UploadTooLarge:
                    assert upload is not None  # only a capped body raises it
                    response = ctx.render("error.html", 413, message=upload.message(ctx.lang))
                    response.headers["connection"] = "close"  # else the server reads the rest to drop it
                    return self._finish(request, response, ctx, remember)
            if signed_in and principal is None:
                response: Response = RedirectResponse("/signin", status_code=303)
            else:
                response = await handler(ctx)
            return self._finish(request, response, ctx, remember)

        return endpoint

    def _read(self, fn: Callable[[Connection], T]) -> T:
        with read_transaction(self.node.engine) as conn:
            return fn(conn)

    def _finish(self, request: Request, response: Response, ctx: Ctx, remember: bool) -> Response:
        if ctx.session.fresh:
            self.codec.store(request, response, ctx.session)
        if remember:
            response.set_cookie(
                i18n.COOKIE,
                ctx.lang.code,
                max_age=365 * 86400,
                samesite="lax",
                secure=request.url.scheme == "https",
                httponly=True,
            )
        return response


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def web_routes(node: Node) -> list[BaseRoute]:
    """The console's routes, to add to the node's Starlette app (served at ``/``)."""
    from accord.web import audit, errors, filing, pages, peers, publish, sweep
    from accord.web.sweep_jobs import SweepJobs

    console = Console(node)
    p = console.page
    sweeps = sweep.pages(SweepJobs())
    log_cap = UploadCap(
        lambda: logfiles.MAX_UPLOAD_BYTES, lambda lang: errors.explain(lang, logfiles.UploadTooLarge())
    )
    report_cap = UploadCap(lambda: publish.MAX_UPLOAD_BYTES, publish.too_large)
    return [
        Route("/", p(pages.home, signed_in=False), methods=["GET"]),
        Route("/signin", p(pages.signin_form, signed_in=False), methods=["GET"]),
        Route("/signin", p(pages.signin, signed_in=False), methods=["POST"]),
        Route("/signout", p(pages.signout, signed_in=False), methods=["POST"]),
        Route("/dashboard", p(pages.dashboard), methods=["GET"]),
        Route("/intel", p(pages.intel), methods=["GET"]),
        Route("/intel/{collection}/{object}", p(pages.stix_object), methods=["GET"]),
        Route("/publish", p(publish.publish_form), methods=["GET"]),
        Route("/publish", p(publish.publish, upload=report_cap), methods=["POST"]),
        Route("/peers", p(peers.peers_page), methods=["GET"]),
        Route("/peers/check", p(peers.peer_check_again), methods=["GET"]),
        Route("/peers/check", p(peers.peer_check), methods=["POST"]),
        Route("/sweep", p(sweeps["form"]), methods=["GET"]),
        Route("/sweep", p(sweeps["start"], upload=log_cap), methods=["POST"]),
        Route("/sweep/{job}", p(sweeps["job"]), methods=["GET"]),
        Route("/sweep/{job}/progress", p(sweeps["progress"]), methods=["GET"]),
        Route("/sweep/{job}/sightings", p(sweeps["send"]), methods=["POST"]),
        Route("/audit", p(audit.audit_page), methods=["GET"]),
        Route("/audit/verify", p(audit.audit_verify), methods=["POST"]),
        Route("/requests", p(pages.requests), methods=["GET"]),
        Route("/requests/new", p(filing.file_form), methods=["GET"]),
        Route("/requests/new", p(filing.file), methods=["POST"]),
        Route("/requests/{id}", p(pages.request_page), methods=["GET"]),
        Route("/requests/{id}", p(pages.request_act), methods=["POST"]),
        Mount("/static", CachedStatic(directory=STATIC_DIR), name="static"),
    ]
