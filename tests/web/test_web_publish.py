"""Publish: paste text, preview what extraction found, store it under the chosen TLP."""

from __future__ import annotations

import re

from starlette.testclient import TestClient
from web_world import World, csrf_of, sign_in

TEXT = (
    "Campaign against West African banks\n"
    "The operators used 203.0.113.77 and evil-bank.example.com to host the kit (CVE-2024-3400)."
)


def _form(client: TestClient, world: World) -> dict[str, str]:
    page = client.get("/publish")
    assert page.status_code == 200
    assert world.shared_uuid in page.text
    assert "Requests for assistance" not in page.text  # not a place to publish intelligence
    return {"csrf": csrf_of(page.text), "text": TEXT, "collection": world.shared_uuid}


def test_preview_then_publish_under_red_for_named_recipients(app, world: World) -> None:
    fr, ng, admin = TestClient(app), TestClient(app), TestClient(app)
    for client, token in ((fr, world.fr_token), (ng, world.ng_token), (admin, world.admin_token)):
        sign_in(client, token)
    form = _form(fr, world)
    preview = fr.post("/publish", data={**form, "tlp": "TLP:RED", "recipients": "efcc-ng", "step": "preview"})
    assert preview.status_code == 200
    assert "evil-bank.example.com" in preview.text and "203.0.113.77" in preview.text
    assert (
        "evil-bank.example.com" not in fr.get("/intel", params={"q": "evil-bank"}).text
    )  # nothing stored yet
    done = fr.post("/publish", data={**form, "tlp": "TLP:RED", "recipients": "efcc-ng", "step": "publish"})
    assert done.status_code == 200 and re.search(r"\d+ objects stored in Shared", done.text)
    for client in (fr, ng):
        found = client.get("/intel", params={"q": "evil-bank", "tlp": "red"}).text
        assert "evil-bank.example.com" in found
    assert "evil-bank.example.com" not in admin.get("/intel", params={"q": "evil-bank"}).text


def test_publishing_needs_csrf_and_write_rights(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    form = _form(fr, world)
    refused = fr.post("/publish", data={**form, "csrf": "", "tlp": "green", "step": "publish"})
    assert refused.status_code == 403
    private = fr.post(
        "/publish", data={**form, "collection": "not-a-collection", "tlp": "green", "step": "publish"}
    )
    assert "stored in" not in private.text
    assert "evil-bank.example.com" not in fr.get("/intel", params={"q": "evil-bank"}).text
