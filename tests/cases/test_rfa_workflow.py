"""Requests for assistance between organizations: filing, every transition and refusal, clocks,
visibility, and the round trip over the HTTP API (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cases_rfa_data import AGREEMENT, PRESERVATION
from starlette.testclient import TestClient

from accord.app import create_app
from accord.cases import service
from accord.cases.objects import ARTICLE_29_2, InvalidRequest
from accord.cases.states import InvalidTransition
from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.engine import write_transaction


@pytest.fixture
def parties(opened_node):
    node = opened_node.node
    with write_transaction(node.engine) as conn:
        orgs = {name: admin.add_org(conn, name) for name in ("cert-fr", "efcc-ng", "bystander")}
        service.add_agreement(conn, AGREEMENT)
    return node, orgs


def run(node, fn):
    with write_transaction(node.engine) as conn:
        return fn(conn)


@pytest.mark.parametrize("missing", sorted(ARTICLE_29_2))
def test_preservation_requests_must_carry_every_article_29_2_element(parties, missing: str) -> None:
    node, orgs = parties
    fields = {k: v for k, v in PRESERVATION.items() if k != missing}
    with pytest.raises(InvalidRequest, match="Art. 29\\(2\\)") as err:
        run(node, lambda c: service.file_request(c, orgs["cert-fr"], "efcc-ng", fields))
    assert ARTICLE_29_2[missing] in str(err.value)
    assert str(err.value).count(";") == 0  # exactly the one missing element is named


def test_a_complete_preservation_request_is_filed_with_its_clocks(parties) -> None:
    node, orgs = parties
    case = run(node, lambda c: service.file_request(c, orgs["cert-fr"], "efcc-ng", PRESERVATION))
    assert case["state"] == "submitted" and case["from"] == "cert-fr" and case["to"] == "efcc-ng"
    submitted = parse_us(case["submitted"])
    assert parse_us(case["acknowledgement_due"]) - submitted == 2 * 3600 * 10**6
    assert parse_us(case["response_due"]) - submitted == 48 * 3600 * 10**6
    assert case["agreement"] == "fr-ng" and case["request"]["type"] == "x-accord-request"


def test_lifecycle_with_a_paused_clock_and_a_partial_answer(parties) -> None:
    node, orgs = parties
    fields = dict(PRESERVATION, request_type="information", formal_request_to_follow=None)
    case = run(node, lambda c: service.file_request(c, orgs["cert-fr"], "efcc-ng", fields))
    rid, due_before = case["id"], parse_us(case["response_due"])
    step = lambda org, action, **d: run(node, lambda c: service.act(c, orgs[org], rid, action, d))  # noqa: E731
    assert step("efcc-ng", "ack")["state"] == "acknowledged"
    paused = step("efcc-ng", "need-info", reason="Which bank accounts?")
    assert (
        paused["state"] == "needs-information" and paused["clock_paused"] and paused["seconds_left"] is None
    )
    resumed = step("cert-fr", "provide-info", content="Accounts at Banque Exemple")
    assert resumed["state"] == "acknowledged" and not resumed["clock_paused"]
    pause = parse_us(resumed["timeline"][2]["created"]) - parse_us(resumed["timeline"][1]["created"])
    assert parse_us(resumed["response_due"]) - due_before == pause  # the deadline moved by the pause
    assert step("efcc-ng", "start")["state"] == "in-progress"
    done = step("efcc-ng", "respond", partial=True, content="Subscriber data attached")
    assert done["state"] == "partially-fulfilled" and done["responded"] and done["closed"]
    assert [t["action"] for t in done["timeline"]] == ["ack", "need-info", "provide-info", "start", "respond"]
    assert all(t["actor"] for t in done["timeline"])


def test_preservation_states_and_renewal(parties) -> None:
    node, orgs = parties
    case = run(node, lambda c: service.file_request(c, orgs["cert-fr"], "efcc-ng", PRESERVATION))
    rid = case["id"]
    step = lambda org, action, **d: run(node, lambda c: service.act(c, orgs[org], rid, action, d))  # noqa: E731
    step("efcc-ng", "ack")
    too_short = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(InvalidTransition, match="at least 60 days"):
        step("efcc-ng", "preserve", expires=too_short)
    preserved = step("efcc-ng", "preserve")
    expiry = parse_us(preserved["preservation_expires"])
    assert (
        preserved["state"] == "preserved"
        and expiry - parse_us(preserved["acknowledged"]) >= 90 * 86400 * 10**6
    )
    renewed = step("cert-fr", "renew")
    assert renewed["state"] == "preserved" and parse_us(renewed["preservation_expires"]) > expiry
    assert step("efcc-ng", "await-formal")["state"] == "awaiting-formal-request"
    assert step("efcc-ng", "disclose", content="Logs delivered")["state"] == "disclosed"


@pytest.mark.parametrize(
    "org,action,details,message",
    [
        ("cert-fr", "ack", {}, "only the requested party may 'ack'"),
        ("efcc-ng", "respond", {}, "cannot 'respond' a request that is submitted"),
        ("efcc-ng", "refuse", {"reason": "no"}, "needs a ground and reasons"),
        ("efcc-ng", "postpone", {}, "cannot 'postpone' a request that is submitted"),
        ("efcc-ng", "withdraw", {}, "only the requesting party may 'withdraw'"),
        ("efcc-ng", "fly", {}, "unknown action 'fly'"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(parties, org, action, details, message) -> None:
    node, orgs = parties
    fields = dict(PRESERVATION, request_type="information")
    rid = run(node, lambda c: service.file_request(c, orgs["cert-fr"], "efcc-ng", fields))["id"]
    with pytest.raises(InvalidTransition, match=message):
        run(node, lambda c: service.act(c, orgs[org], rid, action, details))
    after = run(node, lambda c: service.show(c, orgs["cert-fr"], rid))
    assert after["state"] == "submitted" and after["timeline"] == []


def test_preservation_only_actions_and_closed_requests(parties) -> None:
    node, orgs = parties
    rid = run(
        node,
        lambda c: service.file_request(
            c, orgs["cert-fr"], "efcc-ng", dict(PRESERVATION, request_type="information")
        ),
    )["id"]
    run(node, lambda c: service.act(c, orgs["efcc-ng"], rid, "ack", {}))
    with pytest.raises(InvalidTransition, match="preservation requests only"):
        run(node, lambda c: service.act(c, orgs["efcc-ng"], rid, "preserve", {}))
    refused = run(
        node,
        lambda c: service.act(
            c, orgs["efcc-ng"], rid, "refuse", {"ground": "Art. 27(4)(a)", "reason": "political offence"}
        ),
    )
    assert refused["state"] == "refused" and refused["timeline"][-1]["ground"] == "Art. 27(4)(a)"
    with pytest.raises(InvalidTransition, match="cannot 'withdraw' a request that is refused"):
        run(node, lambda c: service.act(c, orgs["cert-fr"], rid, "withdraw", {}))


def test_only_the_two_parties_see_a_case(parties) -> None:
    node, orgs = parties
    rid = run(node, lambda c: service.file_request(c, orgs["cert-fr"], "efcc-ng", PRESERVATION))["id"]
    with pytest.raises(service.CaseNotFound):
        run(node, lambda c: service.show(c, orgs["bystander"], rid))
    with pytest.raises(service.CaseNotFound):
        run(node, lambda c: service.act(c, orgs["bystander"], rid, "ack", {}))
    assert run(node, lambda c: service.list_cases(c, orgs["bystander"])) == []
    assert [c["id"] for c in run(node, lambda c: service.list_cases(c, orgs["efcc-ng"], for_me=True))] == [
        rid
    ]
    assert run(node, lambda c: service.list_cases(c, orgs["efcc-ng"], mine=True)) == []


def test_overdue_list_follows_the_clocks(parties) -> None:
    node, orgs = parties
    rid = run(node, lambda c: service.file_request(c, orgs["cert-fr"], "efcc-ng", PRESERVATION))["id"]
    case = run(node, lambda c: service.show(c, orgs["cert-fr"], rid))
    ack_due = parse_us(case["acknowledgement_due"])
    overdue = lambda now: [  # noqa: E731
        c["id"]
        for c in run(node, lambda conn: service.list_cases(conn, orgs["efcc-ng"], overdue=True, now=now))
    ]
    assert overdue(ack_due - 1) == [] and overdue(ack_due + 1) == [rid]
    run(node, lambda c: service.act(c, orgs["efcc-ng"], rid, "ack", {}))
    response_due = parse_us(run(node, lambda c: service.show(c, orgs["cert-fr"], rid))["response_due"])
    assert overdue(ack_due + 1) == [] and overdue(response_due + 1) == [rid]


def test_round_trip_between_two_organizations_over_the_http_api(parties) -> None:
    node, orgs = parties
    with write_transaction(node.engine) as conn:
        fr, ng = (admin.create_token(conn, orgs[n]) for n in ("cert-fr", "efcc-ng"))
    client = TestClient(create_app(node))
    as_fr, as_ng = httpx.BasicAuth("cert-fr", fr), httpx.BasicAuth("efcc-ng", ng)
    r = client.post("/rfa/requests", auth=as_fr, json={"to": "efcc-ng", **PRESERVATION})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    inbox = client.get("/rfa/requests", auth=as_ng, params={"for_me": "true", "open": "true"}).json()
    assert [c["id"] for c in inbox] == [rid]
    assert client.post(f"/rfa/requests/{rid}/ack", auth=as_fr, json={}).status_code == 409
    assert client.post(f"/rfa/requests/{rid}/ack", auth=as_ng, json={}).json()["state"] == "acknowledged"
    preserved = client.post(f"/rfa/requests/{rid}/preserve", auth=as_ng, json={})
    assert preserved.json()["state"] == "preserved"
    shown = client.get(f"/rfa/requests/{rid}", auth=as_fr).json()
    assert [t["action"] for t in shown["timeline"]] == ["ack", "preserve"]
    assert client.get(f"/rfa/requests/{rid}", auth=None).status_code == 401
    assert client.post("/rfa/requests", auth=as_fr, content=b"{nope").status_code == 400
    missing = client.post(
        "/rfa/requests",
        auth=as_fr,
        json={"to": "efcc-ng", "request_type": "preservation", "legal_basis": {"kind": "treaty"}},
    )
    assert missing.status_code == 422 and "Art. 29(2)" in missing.json()["error"]
    assert client.post(f"/rfa/requests/{rid}/fly", auth=as_ng, json={}).status_code == 404
    spec = client.get("/rfa/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/rfa/requests/{id}/refuse" in spec["paths"]
    # The request and its events are STIX objects in the requests collection, visible to the parties only.
    coll = client.get(
        "/default/collections/requests/objects/",
        auth=as_ng,
        headers={"Accept": "application/taxii+json;version=2.1"},
    ).json()["objects"]
    assert {o["type"] for o in coll} == {"x-accord-request", "x-accord-request-event", "extension-definition"}
    declared = {o["id"] for o in coll if o["type"] == "extension-definition"}
    for obj in coll:
        if obj["type"].startswith("x-accord-"):
            assert set(obj["extensions"]) <= declared
