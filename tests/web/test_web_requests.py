"""Filing a request from the console, and the refusals of the service shown on the form."""

from __future__ import annotations

import re

from starlette.testclient import TestClient
from web_world import World, csrf_of, sign_in

from accord.stix.timestamps import now_us
from accord.store.engine import write_transaction
from accord.store.schema import rfa_case


def test_file_an_information_request_then_the_other_side_sees_it(app, world: World) -> None:
    fr, ng = TestClient(app), TestClient(app)
    sign_in(fr, world.fr_token)
    sign_in(ng, world.ng_token)
    form = fr.get("/requests/new")
    assert form.status_code == 200 and '<option value="efcc-ng"' in form.text
    assert '<option value="cert-fr"' not in form.text  # not to itself
    filed = fr.post(
        "/requests/new",
        data={
            "csrf": csrf_of(form.text),
            "to": "efcc-ng",
            "request_type": "subscriber_information",
            "urgency": "urgent",
            "legal_basis": "bilateral",
            "summary_of_facts": "طلب معلومات المشترك <b>عاجل</b>",
            "data": "account victim-mule-17\ndomain mule.example.org",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303
    request_id = filed.headers["location"].rsplit("/", 1)[1]
    inbox = ng.get("/requests", params={"box": "in"}).text
    assert request_id in inbox and "subscriber information" in inbox and "urgent" in inbox
    page = ng.get(f"/requests/{request_id}").text
    assert "طلب معلومات المشترك &lt;b&gt;عاجل&lt;/b&gt;" in page and "mule.example.org" in page


def test_preservation_without_article_29_2_elements_is_refused_on_the_form(app, world: World) -> None:
    fr = TestClient(app)
    sign_in(fr, world.fr_token)
    form = fr.get("/requests/new")
    data = {
        "csrf": csrf_of(form.text),
        "to": "efcc-ng",
        "request_type": "preservation",
        "legal_basis": "treaty",
        "summary_of_facts": "Logs of a phishing server.",
    }
    refused = fr.post("/requests/new", data=data)
    assert refused.status_code == 400 and "Art. 29(2)" in refused.text
    assert "Logs of a phishing server." in refused.text  # what was typed is kept
    before = fr.get("/requests", params={"box": "out"}).text
    assert len(re.findall(r'href="/requests/x-accord-request--', before)) == 1  # only the fixture's
    assert fr.post("/requests/new", data={**data, "csrf": "x"}).status_code == 403
    unknown = fr.post("/requests/new", data={**data, "to": "nobody"})
    assert unknown.status_code == 400 and "Choose the organization" in unknown.text


def _set_ack_due(world: World, due_us: int) -> None:
    with write_transaction(world.node.engine) as conn:
        conn.execute(
            rfa_case.update().where(rfa_case.c.request_id == world.request_id).values(ack_due_us=due_us)
        )


def test_time_left_and_overdue_are_unmistakable(app, world: World) -> None:
    ng = TestClient(app)
    sign_in(ng, world.ng_token)
    _set_ack_due(world, now_us() + 3 * 86_400_000_000 + 60_000_000)
    assert "3 days left" in ng.get("/dashboard").text
    assert "剩余 3天" in ng.get("/dashboard", params={"lang": "zh"}).text
    _set_ack_due(world, now_us() - 3_600_000_000)
    for path in ("/dashboard?lang=en", "/requests?box=in"):
        text = ng.get(path).text
        row = next(r for r in text.split("<tr") if f"/requests/{world.request_id}" in r)
        assert 'class="is-overdue"' in row and '<span class="overdue">OVERDUE</span>' in row
    assert '<span class="overdue">متأخر</span>' in ng.get("/dashboard", params={"lang": "ar"}).text
