"""Jinja2 rendering (autoescaped, translated per request) and the headers every page carries."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from accord.stix.markings import TLP
from accord.web import labels
from accord.web.i18n import LANGUAGES, Lang

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
# Content-addressed asset URLs let the static files be cached for a long time.
ASSET_VERSION = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted(STATIC_DIR.glob("*")) if p.is_file())
).hexdigest()[:12]

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def tlp_class(tlp: TLP | int) -> str:
    return "tlp-" + TLP(tlp).name.lower().replace("_", "-")


def isolate(text: str) -> str:
    """Wrap a name in Unicode isolates (FSI…PDI) so it keeps its own direction inside a sentence."""
    return "\u2068" + text + "\u2069"


def switch_url(request: Request, code: str) -> str:
    """The current page in another language (other query parameters kept)."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"] + [("lang", code)]
    return request.url.path + "?" + urlencode(query)


def render(
    request: Request, lang: Lang, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    html = env.get_template(template).render(
        request=request,
        lang=lang,
        _=lang.gettext,
        ngettext=lang.ngettext,
        languages=LANGUAGES,
        switch_url=lambda code: switch_url(request, code),
        tlp_class=tlp_class,
        labels=labels,
        isolate=isolate,
        asset=lambda name: f"/static/{name}?v={ASSET_VERSION}",
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
