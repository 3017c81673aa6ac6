"""The console in a real browser (Debian's chromium driven by Playwright): sign in, search, open an
object, switch to Arabic then Chinese; sweep a log, send its sightings, verify the audit log; check a
peer link.
Set ACCORD_SCREENSHOTS=docs/screenshots to refresh the documentation's screenshots; otherwise they
go to a temporary directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from web_world import FROM_PEER, World, countersigned_by_peer, eve

from accord.store import admin
from accord.store.engine import write_transaction
from accord.sync.peers import add_peer

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (required under CI=true)")
        pytest.skip(f"{CHROMIUM} not installed (set CI=true to make this a failure)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def test_sign_in_search_open_and_switch_languages(
    browser, base_url: str, world: World, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("ACCORD_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 720})
    page = context.new_page()
    page.goto(base_url + "/")
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.screenshot(path=shots / "signin-en.png")
    page.fill("input[name=token]", world.fr_token)
    page.click("form[action='/signin'] button")
    page.wait_for_url("**/dashboard")
    assert page.locator("h1").inner_text() == "Dashboard"

    page.click("nav a[href='/intel']")
    page.fill("input[name=q]", "kit")
    page.click("form.search button")
    page.wait_for_url("**/intel?q=kit*")
    rows = page.locator("table.results tbody tr")
    assert rows.count() == 1 and "fr-phishing-kit" in rows.first.inner_text()
    badge = rows.first.locator(".tlp")
    assert badge.inner_text() == "TLP:GREEN"
    assert badge.evaluate("e => getComputedStyle(e).color") == "rgb(51, 255, 0)"
    rows.first.locator("a").click()
    page.wait_for_url("**/intel/*/indicator--*")
    assert page.locator("h1").inner_text() == "fr-phishing-kit"
    object_url = page.url

    for code, heading, search in (("ar", "المعلومات الاستخباراتية", "بحث"), ("zh", "情报", "搜索")):
        page.click(f"nav.langs a[lang={code}]")
        page.wait_for_url(f"**lang={code}")
        assert page.locator("html").get_attribute("lang") == code
        assert page.locator("html").get_attribute("dir") == ("rtl" if code == "ar" else "ltr")
        assert page.locator("header nav a[href='/intel']").inner_text() == heading
        page.screenshot(path=shots / f"object-{code}.png")
        page.goto(base_url + "/intel")  # no ?lang=: the choice is remembered
        assert page.locator("form.search button").inner_text() == search
        page.screenshot(path=shots / f"intel-{code}.png")
        page.goto(base_url + "/dashboard")
        page.screenshot(path=shots / f"dashboard-{code}.png")
        page.goto(base_url + f"/requests/{world.request_id}")
        page.screenshot(path=shots / f"request-{code}.png")
        page.goto(base_url + "/requests/new")
        assert page.locator("form[action='/requests/new'] select[name=to] option").all_inner_texts() == [
            "efcc-ng",
            "node-ke",
        ]
        page.screenshot(path=shots / f"new-request-{code}.png")
        page.goto(object_url)

    page.goto(base_url + "/publish?lang=en")
    page.fill(
        "textarea[name=text]", "Mule accounts\nPayments went through 198.51.100.23 and mule-pay.example.net."
    )
    page.click("button[value=preview]")
    preview = page.locator("form.preview")
    assert "Payments went through 198.51.100.23 and mule-pay.example.net." in preview.inner_text()
    domain = preview.locator("tr", has=page.locator("input[value='mule-pay.example.net']"))
    domain.locator("input[type=text]").fill("mule-pay2[.]example.net")  # corrected by the analyst
    preview.locator("select[name=tlp]").select_option("TLP:GREEN")
    page.screenshot(path=shots / "publish-en.png", full_page=True)
    page.click("button[value=publish]")  # the button's name/value must survive the double-submit guard
    assert "stored in Shared" in page.locator("main").inner_text()
    page.click("main a")
    assert page.locator("h1").inner_text() == "Mule accounts"
    page.goto(base_url + "/intel?q=mule-pay")
    results = " ".join(page.locator("table.results tbody tr").all_inner_texts())
    assert "mule-pay2.example.net" in results and "Mule accounts" in results  # the edit, and its report

    page.goto(base_url + "/dashboard?lang=en")
    for name in ("dashboard", "intel", "object", "request"):
        path = {"dashboard": "/dashboard", "intel": "/intel?q=kit", "object": object_url}.get(name)
        page.goto(path if name == "object" else base_url + (path or f"/requests/{world.request_id}"))
        page.screenshot(path=shots / f"{name}-en.png")
    assert all(
        (shots / f"{n}-{c}.png").stat().st_size > 1000 for n in ("dashboard",) for c in ("en", "ar", "zh")
    )
    context.close()


def test_sweep_a_log_send_the_sightings_and_verify_the_audit_log(
    browser, base_url: str, world: World, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("ACCORD_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "eve.json"
    log.write_bytes(
        eve("www.kit.example.net", "kit.example.net", f"{FROM_PEER}.example.com", "quiet.example.org")
    )
    countersigned_by_peer(world)
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/signin")
    page.fill("input[name=token]", world.fr_token)
    page.click("form[action='/signin'] button")
    page.wait_for_url("**/dashboard")

    page.click("nav a[href='/sweep']")
    page.select_option("select[name=collection]", label="Shared")
    page.set_input_files("input[name=upload]", str(log))
    page.screenshot(path=shots / "sweep-form-en.png")
    page.click("form.sweep button[type=submit]")
    page.wait_for_url("**/sweep/*")
    # the progress fragment is polled by console.js, which reloads the page once the sweep is done
    page.wait_for_selector("table.sighted", timeout=120_000)
    assert page.locator("#sighted-count").inner_text() == "2"
    sighted = page.locator("table.sighted tbody tr").all_inner_texts()
    assert any("fr-phishing-kit" in row and "\t2\t" in row for row in sighted)
    assert "www.kit.example.net" in page.locator("table.hits").inner_text()
    job_url = page.url
    page.select_option("form.send select[name=tlp]", "TLP:GREEN")
    page.screenshot(path=shots / "sweep-en.png", full_page=True)
    page.click("form.send button")
    page.wait_for_selector("p.sent")
    assert page.locator("p.sent").inner_text() == "2 sightings stored in \u2068Shared\u2069."

    page.click("nav a[href='/audit']")
    page.click("form[action='/audit/verify'] button")
    page.wait_for_selector("#verify-outcome")
    assert page.locator("#verify-outcome").inner_text().startswith("The log verifies:")
    page.screenshot(path=shots / "audit-en.png", full_page=True)

    for code, verified in (("ar", "اجتاز السجل التحقق"), ("zh", "日志验证通过")):
        page.goto(f"{job_url}?lang={code}")
        assert page.locator("html").get_attribute("dir") == ("rtl" if code == "ar" else "ltr")
        assert page.locator("header nav a[href='/sweep']").inner_text() == {"ar": "المسح", "zh": "扫描"}[code]
        page.screenshot(path=shots / f"sweep-{code}.png", full_page=True)
        page.goto(base_url + "/audit")
        page.click("form[action='/audit/verify'] button")
        page.wait_for_selector("#verify-outcome")
        assert page.locator("#verify-outcome").inner_text().startswith(verified)
        page.screenshot(path=shots / f"audit-{code}.png", full_page=True)
    context.close()


def test_check_a_peer_from_the_peers_page(browser, base_url: str, world: World, tmp_path: Path) -> None:
    """The console's node as its own peer (its TAXII API is served next to the console): "Check"
    calls it with the token it issued, and the outcome shows under that peer's card."""
    with write_transaction(world.node.engine) as conn:
        loop = admin.add_org(conn, "loopback")
        token = admin.create_token(conn, loop)
        admin.grant(conn, admin.collection_by_uuid(conn, world.shared_uuid), loop, read=True, write=True)
        add_peer(conn, "loopback", f"{base_url}/default/", token, pushes=[f"{world.shared_uuid}:shared"])
    context = browser.new_context(locale="en-GB", viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.goto(base_url + "/signin")
    page.fill("input[name=token]", world.admin_token)
    page.click("form[action='/signin'] button")
    page.wait_for_url("**/dashboard")
    page.click("nav a[href='/peers']")
    card = page.locator("section.card", has=page.locator("h2", has_text="loopback"))
    card.locator("form.peer-check button").click()
    page.wait_for_selector("#check-result")
    result = card.locator("#check-result")
    assert result.locator("#check-outbound").inner_text() == "ok"
    assert result.locator("table.crossing td[data-tlp='TLP:GREEN']").inner_text() != "0"
    assert page.locator("#check-result").count() == 1
    page.screenshot(path=tmp_path / "peers-check-en.png")  # not one of the documentation's screenshots
    context.close()
