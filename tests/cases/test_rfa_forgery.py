"""Security issue #16, item 1: requests for assistance and their events cannot be forged.

Every object here goes through the real paths (TAXII POSTs to the Starlette app, the /rfa API, the
`accord rfa` command); the case index and the inboxes are read back through the /rfa API.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cases_rfa_data import PRESERVATION
from taxiiclient import Api
from test_rfa_command import accord

from accord.cases import service
from accord.cases.objects import event_object, request_object
from accord.config import Settings
from accord.node import open_node
from accord.stix.markings import TLP, TLP2_MARKING_ID
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.sync.peers import add_peer, refusals

INFORMATION = dict(PRESERVATION, request_type="information", formal_request_to_follow=None)
PEER = "cert-ke"  # a peer node, standing for one organization


@dataclass
class World:
    api: Api
    who: dict[str, tuple[str, str]]  # organization -> (name, token)
    ids: dict[str, str]  # organization -> identity id
    shared: str  # an ordinary collection everyone may write
    requests: str  # the requests collection


@pytest.fixture
def world(opened_node) -> World:
    api = Api(opened_node.node)
    names = ("cert-fr", "efcc-ng", "bystander")
    who = {name: api.org(name) for name in names}
    shared = api.collection("Shared", read=list(names), write=list(names), tlp="clear")
    with write_transaction(opened_node.node.engine) as conn:
        peer = add_peer(conn, PEER, "https://198.51.100.9:6800/default/", "issued-by-peer", max_tlp=TLP.RED)
        who[PEER] = (PEER, admin.create_token(conn, peer.org))
        requests = service.rfa_collection(conn)
        for name in who:  # the bystander too: a party to other cases, so it may write here
            admin.grant(conn, requests, admin.require_org(conn, name), read=True, write=True)
        ids = {name: admin.require_org(conn, name).identity_id for name in who}
    return World(api, who, ids, shared, requests.uuid)


def party(world: World, name: str) -> tuple[str, str]:
    return name, world.ids[name]


def a_request(world: World, requester: str, requested: str, tlp: TLP = TLP.RED) -> dict[str, Any]:
    return request_object(
        INFORMATION, requester=party(world, requester), requested=party(world, requested), tlp=tlp
    )


def an_event(world: World, request: dict[str, Any], actor: str, action: str, state: str) -> dict[str, Any]:
    return event_object(request, action=action, state=state, actor=party(world, actor), details={})


def post(world: World, coll: str, poster: str, *objects: dict[str, Any]) -> list[str]:
    """POST over TAXII as ``poster``; the messages of the refused objects."""
    status = world.api.post_objects(coll, world.who[poster], *objects)
    return [f.get("message", "") for f in status.get("failures", [])]


def rfa(world: World, method: str, path: str, who: str, **kwargs: Any) -> httpx.Response:
    return world.api.client.request(method, path, auth=httpx.BasicAuth(*world.who[who]), **kwargs)


def inbox(world: World, who: str) -> list[str]:
    r = rfa(world, "GET", "/rfa/requests", who)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()]


def file(world: World) -> dict[str, Any]:
    """A genuine request from cert-fr to efcc-ng, filed through the /rfa API."""
    r = rfa(world, "POST", "/rfa/requests", "cert-fr", json={"to": "efcc-ng", **INFORMATION})
    assert r.status_code == 201, r.text
    return r.json()


def shown(world: World, rid: str) -> dict[str, Any]:
    r = rfa(world, "GET", f"/rfa/requests/{rid}", "cert-fr")
    assert r.status_code == 200, r.text
    return r.json()


def case_objects(world: World, who: str) -> list[dict[str, Any]]:
    """The requests and events ``who`` can read in the requests collection over TAXII."""
    objects = world.api.all_objects(world.requests, world.who[who], limit=50)
    return [o for o in objects if o["type"].startswith("x-accord-request")]


def test_a_request_posted_into_an_ordinary_collection_is_refused(world: World) -> None:
    forged = a_request(world, "cert-fr", "efcc-ng", tlp=TLP.CLEAR)
    [message] = post(world, world.shared, "bystander", forged)
    assert "requests for assistance go in the requests collection" in message
    # Not even from the party it names: requests live in the requests collection only.
    [message] = post(world, world.shared, "cert-fr", a_request(world, "cert-fr", "efcc-ng"))
    assert "requests collection" in message
    assert inbox(world, "efcc-ng") == [] and inbox(world, "cert-fr") == []
    assert world.api.all_objects(world.shared, world.who["efcc-ng"], limit=50) == []


def test_a_request_naming_another_organization_as_requester_is_refused(world: World) -> None:
    forged = a_request(world, "cert-fr", "efcc-ng")  # RED, both parties named: only the poster is wrong
    [message] = post(world, world.requests, "bystander", forged)
    assert "must be filed by its requesting party" in message and world.ids["bystander"] in message
    # Claiming oneself in created_by_ref but another as the requesting party is no better.
    forged["id"], forged["created_by_ref"] = forged["id"][:-1] + "0", world.ids["bystander"]
    assert "must be filed by its requesting party" in post(world, world.requests, "bystander", forged)[0]
    assert inbox(world, "efcc-ng") == [] and inbox(world, "cert-fr") == []
    assert case_objects(world, "efcc-ng") == []


def _marked(level: TLP | None) -> dict[str, Any]:
    return {"object_marking_refs": [TLP2_MARKING_ID[level]]} if level is not None else {}


# What the genuine requester gets wrong, given the identity ids: the change and the reason refused.
MISTAKES: dict[str, tuple[Any, str]] = {
    "clear": (lambda ids: _marked(TLP.CLEAR), "must be marked TLP:RED"),
    "amber": (lambda ids: _marked(TLP.AMBER), "must be marked TLP:RED"),
    "unmarked": (lambda ids: {"object_marking_refs": []}, "must be marked TLP:RED"),
    "a third recipient": (
        lambda ids: {"x_accord_recipients": ["cert-fr", "efcc-ng", "bystander"]},
        "exactly the two parties",
    ),
    "one recipient": (lambda ids: {"x_accord_recipients": ["cert-fr"]}, "exactly the two parties"),
    "an unknown party": (
        lambda ids: {"requested_party": {"organization": "nobody", "identity_ref": "identity--0"}},
        "another organization",
    ),
    "a name and an identity that differ": (
        lambda ids: {"requested_party": {"organization": "bystander", "identity_ref": ids["efcc-ng"]}},
        "another organization",
    ),
    "itself": (
        lambda ids: {"requested_party": {"organization": "cert-fr", "identity_ref": ids["cert-fr"]}},
        "another organization",
    ),
}


@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_a_request_marked_or_addressed_otherwise_is_refused(world: World, mistake: str) -> None:
    change, message = MISTAKES[mistake]
    request = a_request(world, "cert-fr", "efcc-ng") | change(world.ids)
    [refused] = post(world, world.requests, "cert-fr", request)
    assert message in refused
    assert inbox(world, "efcc-ng") == [] and inbox(world, "cert-fr") == []


def test_a_third_party_cannot_withdraw_a_case(world: World) -> None:
    case = file(world)
    request = case["request"]
    as_requester = an_event(world, request, "cert-fr", "withdraw", "withdrawn")
    as_itself = an_event(world, request, "bystander", "withdraw", "withdrawn")
    for forged in (as_requester, as_itself):
        [message] = post(world, world.requests, "bystander", forged)
        assert message == "this event refers to no request you are a party to"
    # The same answer for a request that does not exist: a refusal reveals nothing.
    ghost = dict(as_itself, request_ref="x-accord-request--00000000-0000-4000-8000-000000000000")
    assert post(world, world.requests, "bystander", ghost) == [
        "this event refers to no request you are a party to"
    ]
    after = shown(world, case["id"])
    assert after["state"] == "submitted" and after["timeline"] == [] and after["closed"] is None


def test_a_party_cannot_act_as_the_other_or_out_of_turn(world: World) -> None:
    case = file(world)
    request = case["request"]
    spoofed = an_event(world, request, "cert-fr", "withdraw", "withdrawn")  # posted by efcc-ng
    assert (
        "must be taken by the organization posting it" in post(world, world.requests, "efcc-ng", spoofed)[0]
    )
    refused = {
        "only the requesting party may 'withdraw'": an_event(
            world, request, "efcc-ng", "withdraw", "withdrawn"
        ),
        "cannot 'respond' a request that is submitted": an_event(
            world, request, "efcc-ng", "respond", "fulfilled"
        ),
        "leads to acknowledged, not 'fulfilled'": an_event(world, request, "efcc-ng", "ack", "fulfilled"),
    }
    clear = an_event(world, request, "efcc-ng", "ack", "acknowledged")
    clear["object_marking_refs"] = [TLP2_MARKING_ID[TLP.CLEAR]]
    refused["must be marked TLP:RED"] = clear
    widened = an_event(world, request, "efcc-ng", "ack", "acknowledged")
    widened["x_accord_recipients"] = [*widened["x_accord_recipients"], "bystander"]
    refused["exactly the two parties"] = widened
    for message, event in refused.items():
        assert message in post(world, world.requests, "efcc-ng", event)[0]
    after = shown(world, case["id"])
    assert after["state"] == "submitted" and after["timeline"] == []
    # The genuine step over TAXII is accepted and moves the case; posted again it is a re-post.
    ack = an_event(world, request, "efcc-ng", "ack", "acknowledged")
    assert post(world, world.requests, "efcc-ng", ack) == []
    assert post(world, world.requests, "efcc-ng", ack) == []
    assert shown(world, case["id"])["state"] == "acknowledged"
    assert [t["action"] for t in shown(world, case["id"])["timeline"]] == ["ack"]


def test_only_the_requester_may_post_a_new_version_of_its_request(world: World) -> None:
    request = shown(world, file(world)["id"])["request"]
    later = dict(request, modified="2099-01-01T00:00:00.000Z", summary_of_facts="rewritten")
    elsewhere = dict(
        later, requested_party={"organization": "bystander", "identity_ref": world.ids["bystander"]}
    )
    elsewhere["x_accord_recipients"] = [world.ids["cert-fr"], world.ids["bystander"]]
    assert "cannot change the party" in post(world, world.requests, "cert-fr", elsewhere)[0]
    assert post(world, world.requests, "cert-fr", later) == []
    assert shown(world, request["id"])["request"]["summary_of_facts"] == "rewritten"


def test_the_genuine_flow_answers_tlp_red_to_the_two_parties_only(world: World) -> None:
    # Asking the service (shared by the console, the CLI and /rfa) for a CLEAR case is refused, so
    # no answer can inherit a weaker marking than the case's.
    with write_transaction(world.api.node.engine) as conn:
        fr = admin.require_org(conn, "cert-fr")
        with pytest.raises(service.InvalidTLP, match="always TLP:RED"):
            service.file_request(conn, fr, "efcc-ng", INFORMATION, TLP.CLEAR)
    case = file(world)
    rid = case["id"]
    assert inbox(world, "efcc-ng") == [rid]
    for action, details in (("ack", {}), ("respond", {"content": "Subscriber: J. Doe, +234 800 000"})):
        r = rfa(world, "POST", f"/rfa/requests/{rid}/{action}", "efcc-ng", json=details)
        assert r.status_code == 200, r.text
    assert shown(world, rid)["state"] == "fulfilled"
    two = sorted([world.ids["cert-fr"], world.ids["efcc-ng"]])
    seen = case_objects(world, "cert-fr")
    answer = next(o for o in seen if o.get("action") == "respond")
    assert answer["object_marking_refs"] == [TLP2_MARKING_ID[TLP.RED]]
    assert sorted(answer["x_accord_recipients"]) == two and "J. Doe" in answer["content"]
    assert {o["type"] for o in seen} == {"x-accord-request", "x-accord-request-event"}
    # The bystander may read the collection (it has cases of its own) but sees nothing of this one.
    assert case_objects(world, "bystander") == []
    assert rfa(world, "GET", f"/rfa/requests/{rid}", "bystander").status_code == 404


@pytest.mark.parametrize("tlp", ["clear", "amber", "TLP:GREEN", "white", "purple"])
def test_filing_over_the_api_refuses_any_tlp_but_red(world: World, tlp: str) -> None:
    r = rfa(world, "POST", "/rfa/requests", "cert-fr", json={"to": "efcc-ng", "tlp": tlp, **INFORMATION})
    assert r.status_code == 400, r.text
    assert set(r.json()) == {"error"} and (
        "TLP:RED" in r.json()["error"] or "unknown TLP" in r.json()["error"]
    )
    assert inbox(world, "efcc-ng") == []
    assert (
        rfa(
            world, "POST", "/rfa/requests", "cert-fr", json={"to": "efcc-ng", "tlp": "red", **INFORMATION}
        ).status_code
        == 201
    )


def test_filing_from_the_command_line_refuses_any_tlp_but_red(tmp_path: Path) -> None:
    node = ["--data-dir", str(tmp_path / "node")]
    accord("init", *node)
    for name in ("cert-fr", "efcc-ng"):
        accord("org", "add", name, *node)
    filing = ["rfa", "file", "--as", "cert-fr", "--to", "efcc-ng", "--type", "information"]
    filing += ["--summary", "phishing kit", "--legal-basis", "bilateral", *node]
    for tlp in ("clear", "amber"):
        refused = accord(*filing, "--tlp", tlp, ok=False)
        assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
        assert "--tlp" in refused.stderr and "always TLP:RED" in refused.stderr
    assert accord("rfa", "list", "--as", "efcc-ng", "--json", *node).stdout.strip() == "[]"
    accord(*filing, "--tlp", "red")
    collection = accord("rfa", "collection", *node).stdout.strip()
    assert collection and collection == accord("rfa", "collection", *node).stdout.strip()  # one collection


def test_from_a_peer_only_its_own_requests_and_steps_are_accepted(world: World) -> None:
    forged = a_request(world, "cert-fr", "efcc-ng")  # names a local organization as requester
    own = a_request(world, PEER, "efcc-ng")
    withdrawn = an_event(world, own, PEER, "withdraw", "withdrawn")  # in the same POST as its request
    status = world.api.post_objects(world.requests, world.who[PEER], forged, own, withdrawn)
    assert [f["id"] for f in status.get("failures", [])] == [forged["id"]]
    assert "must be filed by its requesting party" in status["failures"][0]["message"]
    assert inbox(world, "efcc-ng") == [own["id"]]
    r = rfa(world, "GET", f"/rfa/requests/{own['id']}", "efcc-ng").json()
    assert r["from"] == PEER and r["state"] == "withdrawn"
    # The peer cannot speak for the local party of its case either.
    second = a_request(world, PEER, "efcc-ng")
    spoofed = an_event(world, second, "efcc-ng", "ack", "acknowledged")
    status = world.api.post_objects(world.requests, world.who[PEER], second, spoofed)
    assert [f["id"] for f in status.get("failures", [])] == [spoofed["id"]]
    with read_transaction(world.api.node.engine) as conn:
        recorded = {(row.stix_id, row.reason) for row in refusals(conn, PEER)}
    assert {stix_id for stix_id, _ in recorded} == {forged["id"], spoofed["id"]}
    assert rfa(world, "GET", f"/rfa/requests/{second['id']}", "efcc-ng").json()["state"] == "submitted"


def test_a_case_filed_on_one_node_is_answered_on_another(world: World, tmp_path: Path) -> None:
    """What sync does, step by step over TAXII: each node reads the other's requests collection as
    the organization standing for it there, and posts what it read as that organization."""
    a = world  # cert-fr's node; efcc-ng is a peer there, and cert-fr one on node B
    b_node, _ = open_node(Settings(tmp_path / "b", f"sqlite:///{tmp_path / 'b.db'}"))
    try:
        b = Api(b_node)
        with write_transaction(b_node.engine) as conn:  # the same organizations, with the same identities
            ng = admin.add_org(conn, "efcc-ng", a.ids["efcc-ng"])
            b_ng = ("efcc-ng", admin.create_token(conn, ng))
            fr = add_peer(
                conn, "cert-fr", "https://a.example/", "t", max_tlp=TLP.RED, identity_id=a.ids["cert-fr"]
            )
            b_requests = service.rfa_collection(conn)
            admin.grant(conn, b_requests, fr.org, read=True, write=True)
            fr_on_b = ("cert-fr", admin.create_token(conn, fr.org))
        with write_transaction(a.api.node.engine) as conn:  # efcc-ng now stands for node B on node A
            add_peer(conn, "efcc-ng", "https://b.example/", "t", max_tlp=TLP.RED)
        ng_on_a = a.who["efcc-ng"]

        def carry(
            src: Api, reader: tuple[str, str], coll: str, dst: Api, poster: tuple[str, str], to: str
        ) -> None:
            objects = [o for o in src.all_objects(coll, reader, limit=50) if o["type"].startswith("x-accord")]
            status = dst.post_objects(to, poster, *objects)
            assert "failures" not in status, status

        rid = file(a)["id"]
        carry(a.api, ng_on_a, a.requests, b, fr_on_b, b_requests.uuid)  # B pulls from A
        inbox_b = b.client.get("/rfa/requests", auth=httpx.BasicAuth(*b_ng)).json()
        assert [(c["id"], c["from"]) for c in inbox_b] == [(rid, "cert-fr")]
        for action in ("ack", "respond"):
            r = b.client.post(f"/rfa/requests/{rid}/{action}", auth=httpx.BasicAuth(*b_ng), json={})
            assert r.status_code == 200, r.text
        carry(b, fr_on_b, b_requests.uuid, a.api, ng_on_a, a.requests)  # B pushes to A
        assert shown(a, rid)["state"] == "fulfilled"
        assert [t["action"] for t in shown(a, rid)["timeline"]] == ["ack", "respond"]
    finally:
        b_node.close()
