"""The TAXII 2.1 API against the specification, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64

import pytest
from stixgen import indicator, stix_id
from taxiiclient import TAXII, Api

from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.engine import write_transaction
from accord.taxii import auth


@pytest.fixture
def api(opened_node) -> Api:
    return Api(opened_node.node)


@pytest.fixture
def setup(api: Api):
    alice = api.org("alice")
    coll = api.collection("Shared", read=["alice"], write=["alice"])
    return api, alice, coll


def objects_url(coll: str) -> str:
    return f"/default/collections/{coll}/objects/"


# -- discovery, roots, collections ------------------------------------------------------------------


def test_discovery_lists_roots_with_absolute_urls(setup) -> None:
    api, alice, _ = setup
    r = api.get("/taxii2/", alice)
    assert r.status_code == 200
    assert r.headers["content-type"] == TAXII
    body = r.json()
    assert body["api_roots"] == ["http://testserver/default/"]
    assert body["default"] == "http://testserver/default/"


def test_api_root_information(setup) -> None:
    api, alice, _ = setup
    body = api.get("/default/", alice).json()
    assert body["versions"] == [TAXII]
    assert body["max_content_length"] > 0
    assert api.get("/nowhere/", alice).status_code == 404
    assert api.get("/taxii2x/collections/", alice).status_code == 404


def test_collections_lists_only_those_with_rights(setup) -> None:
    api, alice, coll = setup
    api.org("bob")
    hidden = api.collection("Bob only", read=["bob"], write=["bob"])
    write_only = api.collection("Drop box", write=["alice"])
    listed = {c["id"]: c for c in api.get("/default/collections/", alice).json()["collections"]}
    assert set(listed) == {coll, write_only}
    assert listed[coll]["can_read"] and listed[coll]["can_write"]
    assert listed[write_only] == {
        "id": write_only,
        "title": "Drop box",
        "can_read": False,
        "can_write": True,
        "media_types": ["application/stix+json;version=2.1"],
    }
    # A collection the organization cannot use does not exist for it: 404, not 403.
    for path in ("", "objects/", "manifest/", f"objects/{stix_id('indicator', 'x')}/"):
        r = api.get(f"/default/collections/{hidden}/{path}", alice)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == TAXII
    assert api.get(f"/default/collections/{write_only}/objects/", alice).status_code == 403


def test_collection_addressable_by_alias(api: Api) -> None:
    alice = api.org("alice")
    coll = api.collection("Aliased", read=["alice"], write=["alice"], alias="shared")
    assert api.get("/default/collections/shared/", alice).json()["id"] == coll


# -- media types and authentication ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "accept,status",
    [
        ("application/taxii+json;version=2.1", 200),
        ("application/taxii+json", 200),
        ("application/taxii+json; version=2.1", 200),
        ("*/*", 200),
        ("application/json", 406),
        ("application/taxii+json;version=2.0", 406),
        ("text/html", 406),
    ],
)
def test_accept_negotiation(setup, accept: str, status: int) -> None:
    api, alice, coll = setup
    r = api.get(objects_url(coll), alice, headers={"Accept": accept})
    assert r.status_code == status
    assert r.headers["content-type"] == TAXII
    if status != 200:
        assert r.json()["http_status"] == str(status)


def test_post_needs_taxii_content_type(setup) -> None:
    api, alice, coll = setup
    r = api.request(
        "POST",
        objects_url(coll),
        alice,
        headers={"Content-Type": "application/json"},
        content=b'{"objects": []}',
    )
    assert r.status_code == 415
    assert r.json()["title"] == "Unsupported Media Type"
    r = api.request(
        "POST",
        objects_url(coll),
        alice,
        headers={"Content-Type": "application/taxii+json"},
        content=b'{"objects": [%s]}' % __import__("orjson").dumps(indicator("bare-ct")),
    )
    assert r.status_code == 202


def test_authentication_basic_and_bearer(setup) -> None:
    api, alice, coll = setup
    name, token = alice
    r = api.get("/taxii2/", None)
    assert r.status_code == 401
    assert "Basic" in r.headers["www-authenticate"] and "Bearer" in r.headers["www-authenticate"]
    assert r.headers["content-type"] == TAXII
    assert api.get("/taxii2/", (name, "wrong")).status_code == 401
    assert api.get("/taxii2/", ("bob", token)).status_code == 401  # token of another organization
    bearer = api.client.get("/taxii2/", headers={"Accept": TAXII, "Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200
    garbage = api.client.get("/taxii2/", headers={"Authorization": "Basic !!!notbase64"})
    assert garbage.status_code == 401
    no_colon = base64.b64encode(token.encode()).decode()
    assert api.client.get("/taxii2/", headers={"Authorization": f"Basic {no_colon}"}).status_code == 401


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_credentials_are_read_off_the_event_loop(setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database round trip on the event loop stalls every other request: the counter's read and a
    token's lookup run in the thread pool; and a revocation still holds from the next request."""
    api, alice, coll = setup
    on_loop: dict[str, list[bool]] = {"counter": [], "lookup": []}
    read_counter, look_up = auth.EpochWatch._read, auth.authenticate

    def spied_read(self: auth.EpochWatch) -> str | None:
        on_loop["counter"].append(_on_event_loop())
        return read_counter(self)

    def spied_lookup(*args, **kwargs) -> admin.Principal | None:
        on_loop["lookup"].append(_on_event_loop())
        return look_up(*args, **kwargs)

    monkeypatch.setattr(auth.EpochWatch, "_read", spied_read)
    monkeypatch.setattr(auth, "authenticate", spied_lookup)
    assert api.get(objects_url(coll), alice).status_code == 200
    assert api.post_objects(coll, alice, indicator("off-the-loop"))["success_count"] == 1  # remembered rights
    assert len(on_loop["counter"]) >= 3 and len(on_loop["lookup"]) == 1
    assert not any(on_loop["counter"]) and not any(on_loop["lookup"])
    with write_transaction(api.node.engine) as conn:
        assert admin.revoke_token(conn, alice[1]) == 1
    assert api.get(objects_url(coll), alice).status_code == 401


# -- POST ----------------------------------------------------------------------------------------------


def test_post_stores_valid_objects_and_reports_each(setup) -> None:
    api, alice, coll = setup
    good = [indicator(f"ok-{i}") for i in range(3)]
    bad_pattern = indicator("bad-pattern", pattern="[ipv4-addr:value = ")
    no_id = {"type": "indicator", "spec_version": "2.1"}
    status = api.post_objects(coll, alice, good[0], bad_pattern, good[1], no_id, good[2], "not an object")
    assert status["status"] == "complete"
    assert (status["total_count"], status["success_count"], status["failure_count"]) == (6, 3, 3)
    assert [s["id"] for s in status["successes"]] == [g["id"] for g in good]
    failures = {f["id"]: f["message"] for f in status["failures"]}
    assert "invalid STIX pattern" in failures[bad_pattern["id"]]
    assert all(f["message"] for f in status["failures"])
    stored = api.all_objects(coll, alice, limit=100)
    assert [o["id"] for o in stored] == [g["id"] for g in good]
    # The status resource can be fetched again by whoever posted.
    again = api.get(f"/default/status/{status['id']}/", alice).json()
    assert again == status


def test_bundle_accepted_like_an_envelope(setup) -> None:
    api, alice, coll = setup
    bundle = {
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [indicator("in-bundle")],
    }
    r = api.request("POST", objects_url(coll), alice, json=bundle)
    assert r.status_code == 202 and r.json()["success_count"] == 1


def test_reposting_identical_object_is_success_and_stores_once(setup) -> None:
    api, alice, coll = setup
    obj = indicator("same")
    first = api.post_objects(coll, alice, obj)
    second = api.post_objects(coll, alice, obj, obj)
    assert first["success_count"] == 1 and second["success_count"] == 2
    assert len(api.all_objects(coll, alice, match__version="all")) == 1
    versions = api.get(objects_url(coll) + obj["id"] + "/versions/", alice).json()["versions"]
    assert len(versions) == 1


def test_same_version_with_different_content_is_refused(setup) -> None:
    api, alice, coll = setup
    api.post_objects(coll, alice, indicator("clash"))
    status = api.post_objects(coll, alice, indicator("clash", description="changed without new modified"))
    assert status["failure_count"] == 1
    assert "new 'modified'" in status["failures"][0]["message"]


@pytest.mark.parametrize(
    "body,status",
    [
        (b"{not json", 400),
        (b"[1, 2]", 422),
        (b'{"objects": "nope"}', 422),
        (b'{"type": "indicator", "objects": []}', 422),
        (b'"text"', 422),
    ],
)
def test_malformed_posts_are_refused_and_store_nothing(setup, body: bytes, status: int) -> None:
    api, alice, coll = setup
    r = api.request("POST", objects_url(coll), alice, headers={"Content-Type": TAXII}, content=body)
    assert r.status_code == status
    assert r.headers["content-type"] == TAXII
    assert r.json()["http_status"] == str(status)
    assert api.get(objects_url(coll), alice).json() == {"more": False}


def test_payload_over_max_content_length_is_413(setup) -> None:
    api, alice, coll = setup
    from accord.store.engine import write_transaction
    from accord.store.schema import api_root

    with write_transaction(api.node.engine) as conn:
        conn.execute(api_root.update().values(max_content_length=2000))
    big = {"objects": [indicator(f"big-{i}") for i in range(20)]}
    r = api.request("POST", objects_url(coll), alice, json=big)
    assert r.status_code == 413
    assert api.get(objects_url(coll), alice).json() == {"more": False}


def test_writes_need_write_rights_and_ownership(api: Api) -> None:
    alice, bob = api.org("alice"), api.org("bob")
    coll = api.collection("Shared", read=["alice", "bob"], write=["alice", "bob"])
    read_only = api.collection("Read only", read=["bob"], write=["alice"])
    obj = indicator("owned")
    api.post_objects(coll, alice, obj)
    r = api.request("POST", objects_url(read_only), bob, json={"objects": [indicator("x")]})
    assert r.status_code == 403
    # Bob cannot add a version of Alice's object, in this collection or another.
    newer = indicator("owned", modified="2026-02-01T00:00:00.000Z")
    status = api.post_objects(coll, bob, newer)
    assert status["failure_count"] == 1 and "another organization" in status["failures"][0]["message"]
    assert api.post_objects(coll, alice, newer)["success_count"] == 1
    # Statuses belong to their poster.
    assert api.get(f"/default/status/{status['id']}/", alice).status_code == 404


# -- GET filters ---------------------------------------------------------------------------------------


@pytest.fixture
def versioned(setup):
    """Three objects; 'multi' has three versions posted out of order."""
    api, alice, coll = setup
    v1, v2, v3 = ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z")
    multi = [indicator("multi", modified=v) for v in (v1, v3, v2)]
    api.post_objects(coll, alice, multi[0])
    api.post_objects(coll, alice, indicator("single-a"))
    api.post_objects(coll, alice, multi[1])
    api.post_objects(
        coll,
        alice,
        {
            "type": "malware",
            "spec_version": "2.1",
            "id": stix_id("malware", "m"),
            "created": v1,
            "modified": v1,
            "name": "m",
            "is_family": False,
        },
    )
    api.post_objects(coll, alice, multi[2])
    return api, alice, coll, multi[0]["id"]


def test_default_returns_latest_versions_in_date_added_order(versioned) -> None:
    api, alice, coll, multi = versioned
    r = api.get(objects_url(coll), alice)
    objs = r.json()["objects"]
    assert [o["id"].split("--")[0] for o in objs] == ["indicator", "indicator", "malware"]
    assert next(o for o in objs if o["id"] == multi)["modified"] == "2026-03-01T00:00:00.000Z"
    added = [
        parse_us(m["date_added"])
        for m in api.get(f"/default/collections/{coll}/manifest/", alice).json()["objects"]
    ]
    assert added == sorted(added) and len(set(added)) == len(added)
    assert r.headers["X-TAXII-Date-Added-First"] < r.headers["X-TAXII-Date-Added-Last"]


@pytest.mark.parametrize(
    "version,expected",
    [
        ("first", ["2026-01-01T00:00:00.000Z"]),
        ("last", ["2026-03-01T00:00:00.000Z"]),
        ("all", ["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"]),
        ("2026-02-01T00:00:00Z", ["2026-02-01T00:00:00.000Z"]),
        ("first,last", ["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"]),
        (
            "2026-02-01T00:00:00.000Z,2026-01-01T00:00:00Z",
            ["2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
        ),
    ],
)
def test_match_version(versioned, version: str, expected: list[str]) -> None:
    api, alice, coll, multi = versioned
    objs = api.get(objects_url(coll), alice, params={"match[id]": multi, "match[version]": version}).json()
    assert [o["modified"] for o in objs["objects"]] == expected
    by_id = api.get(objects_url(coll) + multi + "/", alice, params={"match[version]": version}).json()
    assert [o["modified"] for o in by_id["objects"]] == expected


def test_match_type_and_id_or_within_and_across(versioned) -> None:
    api, alice, coll, multi = versioned
    mal = stix_id("malware", "m")
    get = lambda **p: [o["id"] for o in api.get(objects_url(coll), alice, params=p).json().get("objects", [])]  # noqa: E731
    assert get(**{"match[type]": "malware"}) == [mal]
    assert set(get(**{"match[type]": "malware,indicator"})) == {mal, multi, stix_id("indicator", "single-a")}
    assert set(get(**{"match[id]": f"{mal},{multi}"})) == {mal, multi}
    assert get(**{"match[id]": f"{mal},{multi}", "match[type]": "malware"}) == [mal]
    assert get(**{"match[type]": "tool"}) == []


def _stix20(name: str, **extra) -> dict:
    obj = indicator(name, labels=["malicious-activity"], **extra)
    del obj["spec_version"]
    return obj


def test_spec_version_filter_and_default_latest(setup) -> None:
    api, alice, coll = setup
    old = _stix20("two-specs")
    only20 = _stix20("only-20")
    api.post_objects(coll, alice, old, only20)
    api.post_objects(coll, alice, indicator("two-specs", modified="2026-01-02T00:00:00.000Z"))
    get = lambda **p: api.get(objects_url(coll), alice, params=p).json().get("objects", [])  # noqa: E731
    spec = lambda o: o.get("spec_version", "2.0")  # noqa: E731
    # Default: only the latest spec version of each object.
    assert sorted((o["id"], spec(o)) for o in get(**{"match[version]": "all"})) == sorted(
        [(old["id"], "2.1"), (only20["id"], "2.0")]
    )
    twenty = get(**{"match[spec_version]": "2.0", "match[version]": "all"})
    assert sorted(o["id"] for o in twenty) == sorted([old["id"], only20["id"]])
    both = get(**{"match[spec_version]": "2.0,2.1", "match[version]": "all", "match[id]": old["id"]})
    assert sorted(spec(o) for o in both) == ["2.0", "2.1"]
    manifest = api.get(
        f"/default/collections/{coll}/manifest/", alice, params={"match[spec_version]": "2.0"}
    ).json()["objects"]
    assert {m["media_type"] for m in manifest} == {"application/stix+json;version=2.0"}


def test_null_spec_version_is_invalid(setup) -> None:
    api, alice, coll = setup
    status = api.post_objects(coll, alice, indicator("null-spec", spec_version=None))
    assert status["failure_count"] == 1


def test_added_after_limit_next_paging(setup) -> None:
    api, alice, coll = setup
    objs = [indicator(f"page-{i}") for i in range(7)]
    for o in objs:
        api.post_objects(coll, alice, o)
    manifest = api.all_objects(coll, alice, endpoint="manifest", limit=3)
    assert [m["id"] for m in manifest] == [o["id"] for o in objs]
    third = manifest[2]["date_added"]
    after = api.get(objects_url(coll), alice, params={"added_after": third}).json()["objects"]
    assert [o["id"] for o in after] == [o["id"] for o in objs[3:]]
    page = api.get(objects_url(coll), alice, params={"limit": 2, "added_after": third})
    body = page.json()
    assert body["more"] is True and len(body["objects"]) == 2
    assert page.headers["X-TAXII-Date-Added-First"] == manifest[3]["date_added"]
    assert page.headers["X-TAXII-Date-Added-Last"] == manifest[4]["date_added"]
    # Objects added while paging appear at the end; nothing repeats or is skipped.
    api.post_objects(coll, alice, indicator("late"))
    rest = api.get(objects_url(coll), alice, params={"limit": 2, "added_after": third, "next": body["next"]})
    rest2 = api.get(
        objects_url(coll), alice, params={"limit": 2, "added_after": third, "next": rest.json()["next"]}
    ).json()
    ids = [o["id"] for o in body["objects"] + rest.json()["objects"] + rest2["objects"]]
    assert ids == [o["id"] for o in objs[3:]] + [stix_id("indicator", "late")]
    assert rest2["more"] is False and "next" not in rest2


def test_next_token_is_stateless_and_checked(setup) -> None:
    api, alice, coll = setup
    for i in range(3):
        api.post_objects(coll, alice, indicator(f"n-{i}"))
    first = api.get(objects_url(coll), alice, params={"limit": 1}).json()
    token = first["next"]
    # Reusable: the same token gives the same page twice.
    a = api.get(objects_url(coll), alice, params={"limit": 1, "next": token}).json()
    b = api.get(objects_url(coll), alice, params={"limit": 1, "next": token}).json()
    assert a["objects"] == b["objects"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "garbage", token.split(".")[0]):
        r = api.get(objects_url(coll), alice, params={"limit": 1, "next": bad})
        assert r.status_code == 400 and r.headers["content-type"] == TAXII
    stale = api.get(objects_url(coll), alice, params={"limit": 1, "next": token, "match[type]": "malware"})
    assert stale.status_code == 400
    other_endpoint = api.get(
        f"/default/collections/{coll}/manifest/", alice, params={"limit": 1, "next": token}
    )
    assert other_endpoint.status_code == 400


def test_limit_above_server_maximum_is_capped(setup, monkeypatch) -> None:
    api, alice, coll = setup
    import dataclasses

    api.node.settings = dataclasses.replace(api.node.settings, max_page_size=2)
    for i in range(3):
        api.post_objects(coll, alice, indicator(f"cap-{i}"))
    body = api.get(objects_url(coll), alice, params={"limit": 1000}).json()
    assert len(body["objects"]) == 2 and body["more"] is True


@pytest.mark.parametrize(
    "params",
    [
        {"added_after": "yesterday"},
        {"added_after": "2026-13-01T00:00:00Z"},
        {"limit": "0"},
        {"limit": "-5"},
        {"limit": "ten"},
        {"match[version]": "newest"},
        {"match[version]": "2026-01-01"},
        {"match[spec_version]": "two"},
    ],
)
def test_malformed_parameters_are_400(setup, params: dict) -> None:
    api, alice, coll = setup
    for path in (objects_url(coll), f"/default/collections/{coll}/manifest/"):
        r = api.get(path, alice, params=params)
        assert r.status_code == 400, (path, params)
        assert r.headers["content-type"] == TAXII
        assert r.json()["http_status"] == "400"


def test_empty_results_have_no_empty_lists(setup) -> None:
    api, alice, coll = setup
    for path in ("objects/", "manifest/"):
        r = api.get(f"/default/collections/{coll}/{path}", alice)
        assert r.status_code == 200 and r.json() == {"more": False}
        assert "X-TAXII-Date-Added-First" not in r.headers


def test_unknown_ids_are_404(setup) -> None:
    api, alice, coll = setup
    unknown = stix_id("indicator", "never")
    assert api.get(objects_url(coll) + unknown + "/", alice).status_code == 404
    assert api.get(objects_url(coll) + unknown + "/versions/", alice).status_code == 404
    assert api.get("/default/status/5d0092c5-5f74-4287-9642-33f4c354e56d/", alice).status_code == 404
    assert api.get("/default/collections/5d0092c5-5f74-4287-9642-33f4c354e56d/", alice).status_code == 404
    assert api.request("DELETE", objects_url(coll) + unknown + "/", alice).status_code == 404


def test_versions_endpoint(versioned) -> None:
    api, alice, coll, multi = versioned
    r = api.get(objects_url(coll) + multi + "/versions/", alice)
    assert r.json() == {
        "more": False,
        "versions": ["2026-01-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"],
    }
    page = api.get(objects_url(coll) + multi + "/versions/", alice, params={"limit": 2}).json()
    assert page["more"] is True and len(page["versions"]) == 2
    rest = api.get(objects_url(coll) + multi + "/versions/", alice, params={"limit": 2, "next": page["next"]})
    assert rest.json()["versions"] == ["2026-02-01T00:00:00.000Z"]


def test_manifest_entries(versioned) -> None:
    api, alice, coll, multi = versioned
    entries = api.get(
        f"/default/collections/{coll}/manifest/", alice, params={"match[id]": multi, "match[version]": "all"}
    ).json()["objects"]
    assert [e["version"] for e in entries] == [
        "2026-01-01T00:00:00.000Z",
        "2026-03-01T00:00:00.000Z",
        "2026-02-01T00:00:00.000Z",
    ]
    assert all(e["media_type"] == "application/stix+json;version=2.1" and e["id"] == multi for e in entries)


def test_delete_object_versions(versioned) -> None:
    api, alice, coll, multi = versioned
    url = objects_url(coll) + multi + "/"
    r = api.request("DELETE", url, alice, params={"match[version]": "first"})
    assert r.status_code == 200
    assert api.get(url + "versions/", alice).json()["versions"] == [
        "2026-03-01T00:00:00.000Z",
        "2026-02-01T00:00:00.000Z",
    ]
    assert api.request("DELETE", url, alice).status_code == 200
    assert api.get(url, alice).status_code == 404


def test_only_the_producer_may_delete(api: Api) -> None:
    alice, bob = api.org("alice"), api.org("bob")
    coll = api.collection("Shared", read=["alice", "bob"], write=["alice", "bob"])
    obj = indicator("keep")
    api.post_objects(coll, alice, obj)
    assert api.request("DELETE", objects_url(coll) + obj["id"] + "/", bob).status_code == 403
    assert api.get(objects_url(coll) + obj["id"] + "/", bob).status_code == 200


def test_date_added_strictly_increasing_across_concurrent_posts(setup) -> None:
    from concurrent.futures import ThreadPoolExecutor

    api, alice, coll = setup

    def post(i: int) -> None:
        api.post_objects(coll, alice, *[indicator(f"c-{i}-{j}") for j in range(20)])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(post, range(16)))
    manifest = api.all_objects(coll, alice, endpoint="manifest", limit=50)
    added = [parse_us(m["date_added"]) for m in manifest]
    assert len(added) == 320
    assert added == sorted(added) and len(set(added)) == 320
