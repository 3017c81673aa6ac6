"""The console over HTTP: sessions and CSRF, escaping, organization isolation, requests."""

from __future__ import annotations

import html

from starlette.testclient import TestClient
from web_world import FROM_PEER, PEER, PRIVATE, RED_SECRET, XSS_NAME, World, csrf_of, sign_in

from accord.stix.markings import TLP
from accord.web.session import COOKIE


def test_pages_need_a_session(app) -> None:
    client = TestClient(app)
    for path in ("/", "/dashboard", "/intel", "/requests"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/signin", path


def test_session_cookie_flags_and_https(app, world: World) -> None:
    client = TestClient(app)
    cookie = client.get("/signin").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert world.fr_token not in cookie
    tls = TestClient(app, base_url="https://testserver")
    assert "Secure" in tls.get("/signin").headers["set-cookie"]


def test_sign_in_rotates_csrf_and_sign_out_ends_the_session(app, world: World) -> None:
    client = TestClient(app)
    before = csrf_of(client.get("/signin").text)
    sign_in(client, world.fr_token)
    page = client.get("/dashboard")
    assert page.status_code == 200 and "cert-fr" in page.text
    assert csrf_of(page.text) != before
    out = client.post("/signout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/dashboard", follow_redirects=False).headers["location"] == "/signin"


def test_unknown_token_is_refused(app) -> None:
    client = TestClient(app)
    page = client.get("/signin")
    response = client.post("/signin", data={"csrf": csrf_of(page.text), "token": "nope"})
    assert response.status_code == 401 and "Unknown token." in response.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_forms_without_a_valid_csrf_token_are_refused(app, world: World) -> None:
    client = TestClient(app)
    client.get("/signin")
    assert client.post("/signin", data={"token": world.fr_token}).status_code == 403
    assert client.post("/signin", data={"token": world.fr_token, "csrf": "forged"}).status_code == 403
    sign_in(client, world.ng_token)
    act = client.post(f"/requests/{world.request_id}", data={"action": "ack"})
    assert act.status_code == 403
    assert "acknowledged" not in client.get(f"/requests/{world.request_id}").text.split("Timeline")[1]
    assert client.post("/signout", data={}).status_code == 403
    assert client.get("/dashboard").status_code == 200  # still signed in


def test_html_in_stored_objects_is_shown_inert(app, world: World) -> None:
    client = TestClient(app)
    sign_in(client, world.fr_token)
    pages = [client.get("/dashboard"), client.get("/intel", params={"q": "xss"})]
    found = client.get("/intel", params={"q": "alert"})
    link = next(line for line in found.text.splitlines() if "/intel/" in line and "alert" in line)
    object_url = link.split('href="', 1)[1].split('"', 1)[0]
    pages.append(client.get(object_url))
    for page in pages:
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
    assert html.escape(XSS_NAME, quote=False) in pages[-1].text.replace("&#34;", '"')


def test_an_organization_never_sees_another_s_hidden_objects(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    hidden = (RED_SECRET, PRIVATE)
    for params in ({}, {"q": "ng-"}, {"tlp": TLP.RED.label}, {"type": "indicator"}, {"source": "local"}):
        text = fr.get("/intel", params=params).text
        assert not any(h in text for h in hidden), params
    assert "fr-phishing-kit" in fr.get("/intel").text
    assert not any(h in fr.get("/dashboard").text for h in hidden)
    from stixgen import stix_id

    for name in hidden:
        assert fr.get(f"/intel/{world.shared_uuid}/{stix_id('indicator', name)}").status_code == 404
    ng = TestClient(app)
    sign_in(ng, world.ng_token)
    assert RED_SECRET in ng.get("/intel", params={"tlp": "red"}).text
    assert PRIVATE in ng.get("/intel", params={"q": "private"}).text


def test_search_filters_by_value_type_and_tlp(app, world: World) -> None:
    client = TestClient(app)
    sign_in(client, world.fr_token)
    by_value = client.get("/intel", params={"q": "KIT.example"}).text
    assert "fr-phishing-kit" in by_value and "xss-holder" not in by_value
    amber = client.get("/intel", params={"tlp": "amber"}).text
    assert "fr-xss" in amber and "fr-phishing-kit" not in amber and "tlp-amber" in amber
    assert "No objects match." in client.get("/intel", params={"type": "malware"}).text


def test_object_page_shows_versions_markings_and_source(app, world: World) -> None:
    from stixgen import stix_id

    client = TestClient(app)
    sign_in(client, world.fr_token)
    page = client.get(f"/intel/{world.shared_uuid}/{stix_id('indicator', 'fr-phishing-kit')}").text
    assert (
        "TLP:GREEN" in page and "local (\u2068cert-fr\u2069)" in page and "2026-01-01T00:00:00.000Z" in page
    )


def test_requests_inbox_outbox_and_a_transition(app, world: World) -> None:
    fr, ng = TestClient(app), TestClient(app)
    sign_in(fr, world.fr_token)
    sign_in(ng, world.ng_token)
    assert world.request_id in fr.get("/requests", params={"box": "out"}).text
    assert world.request_id not in fr.get("/requests", params={"box": "in"}).text
    page = ng.get(f"/requests/{world.request_id}")
    assert 'name="action" value="ack"' in page.text
    done = ng.post(f"/requests/{world.request_id}", data={"csrf": csrf_of(page.text), "action": "ack"})
    assert done.status_code == 200 and "acknowledged" in done.text.split("Timeline")[1]
    wrong = fr.post(
        f"/requests/{world.request_id}", data={"csrf": csrf_of(fr.get("/dashboard").text), "action": "start"}
    )
    assert (
        wrong.status_code == 400
        and "Only the requested party may take this action: Start work." in wrong.text
    )


def test_admins_see_sync_health_others_do_not(app, world: World) -> None:
    admin, fr = TestClient(app), TestClient(app)
    sign_in(admin, world.admin_token)
    sign_in(fr, world.fr_token)
    assert "Sync health" in admin.get("/dashboard").text
    assert "Sync health" not in fr.get("/dashboard").text


def test_static_assets_are_cacheable(app) -> None:
    client = TestClient(app)
    page = client.get("/signin").text
    css = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    response = client.get(css)
    assert response.status_code == 200 and "max-age=31536000" in response.headers["cache-control"]
    assert client.get("/signin").headers["cache-control"] == "no-store"


def test_session_cookie_cannot_be_forged(app, world: World) -> None:
    client = TestClient(app)
    client.cookies.set(COOKIE, '{"c":"x","t":"0000"}')
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_arrivals_name_the_peer_they_came_from(app, world: World) -> None:
    client = TestClient(app)
    sign_in(client, world.fr_token)
    dashboard = client.get("/dashboard").text
    row = next(r for r in dashboard.split("<tr>") if FROM_PEER in r)
    assert f"peer \u2068{PEER}\u2069" in row
    assert FROM_PEER in client.get("/intel", params={"source": PEER}).text
    assert FROM_PEER not in client.get("/intel", params={"source": "local"}).text


def test_peer_tokens_do_not_open_console_sessions(app, world: World) -> None:
    client = TestClient(app)
    page = client.get("/signin")
    response = client.post("/signin", data={"csrf": csrf_of(page.text), "token": world.peer_token})
    assert response.status_code == 401


def test_peers_page_is_for_administrators(app, world: World) -> None:
    admin, fr = TestClient(app), TestClient(app)
    sign_in(admin, world.admin_token)
    sign_in(fr, world.fr_token)
    page = admin.get("/peers")
    assert page.status_code == 200 and PEER in page.text and "https://198.51.100.9:6800/default/" in page.text
    assert "connection refused &lt;b&gt;x&lt;/b&gt;" in page.text
    assert fr.get("/peers").status_code == 404
    assert 'href="/peers"' not in fr.get("/dashboard").text
