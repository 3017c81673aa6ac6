"""Who sees what: organizations x TLP x rights, through every read path, on SQLite and PostgreSQL.

The expected visibility is computed here from the rules (independently of accord.policy), and every
read path — objects, paging, manifest, by-id, versions, the date headers and `more` — must show
exactly that and nothing more.
"""

from __future__ import annotations

import pytest
from stixgen import indicator
from taxiiclient import Api

from accord.stix.markings import TLP

V1, V2 = "2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z"


@pytest.fixture
def world(opened_node):
    api = Api(opened_node.node)
    orgs = {name: api.org(name) for name in ("producer", "reader", "recipient", "writer", "outsider")}
    admin_token = ("admin", opened_node.admin_token)
    with __import__("accord.store.engine", fromlist=["x"]).read_transaction(api.node.engine) as conn:
        from accord.store import admin

        recipient_identity = admin.require_org(conn, "recipient").identity_id
    coll = api.collection(
        "Matrix", read=["producer", "reader", "recipient", "admin"], write=["producer", "writer"], tlp="amber"
    )
    red_default = api.collection(
        "Red by default", read=["producer", "reader", "recipient"], write=["producer"], tlp="red"
    )
    objects = [
        indicator("clear", tlp=TLP.CLEAR),
        indicator("green", tlp=TLP.GREEN),
        indicator("amber", tlp=TLP.AMBER),
        indicator("amber-strict", tlp=TLP.AMBER_STRICT),
        indicator("red-named", tlp=TLP.RED, recipients=["recipient"]),
        indicator("red-by-identity", tlp=TLP.RED, recipients=[recipient_identity]),
        indicator("red-alone", tlp=TLP.RED),
        indicator("unmarked"),
        # TLP 1.0 WHITE is read as CLEAR; several markings: the most restrictive wins.
        indicator("white", object_marking_refs=["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]),
        indicator(
            "green-and-red",
            object_marking_refs=[
                "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
                "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
            ],
        ),
        # Version 1 shared, version 2 restricted: others keep seeing version 1 as the latest.
        indicator("downgraded", modified=V1, tlp=TLP.GREEN),
        indicator("downgraded", modified=V2, tlp=TLP.RED),
        # Version 1 restricted, version 2 shared.
        indicator("released", modified=V1, tlp=TLP.RED),
        indicator("released", modified=V2, tlp=TLP.CLEAR),
    ]
    # The writer-only organization adds one too: the producer of that one is "writer".
    writer_obj = indicator("from-writer", tlp=TLP.RED, recipients=["reader"])
    for obj in objects:
        api.post_objects(coll, orgs["producer"], obj)
    api.post_objects(coll, orgs["writer"], writer_obj)
    red_unmarked = indicator("red-unmarked")
    api.post_objects(red_default, orgs["producer"], red_unmarked, indicator("green-in-red", tlp=TLP.GREEN))
    producers = {id(o): "producer" for o in objects} | {id(writer_obj): "writer"}
    return api, orgs, admin_token, coll, red_default, objects + [writer_obj], producers, recipient_identity


def _tlp(obj: dict, default: TLP) -> TLP:
    levels = {
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": TLP.CLEAR,
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": TLP.GREEN,
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": TLP.AMBER,
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": TLP.AMBER_STRICT,
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": TLP.RED,
    }
    found = [levels[m] for m in obj.get("object_marking_refs", [])]
    return max(found) if found else default


def expected_visible(obj: dict, producer: str, reader: str, reader_identity: str, default: TLP) -> bool:
    if reader == producer:
        return True
    if _tlp(obj, default) < TLP.RED:
        return True
    return reader in obj.get("x_accord_recipients", []) or reader_identity in obj.get(
        "x_accord_recipients", []
    )


def _stored_dates(api: Api) -> dict[tuple[str, str], str]:
    """date_added of every stored version, read from the database itself."""
    import sqlalchemy as sa

    from accord.stix.timestamps import format_us
    from accord.store.engine import read_transaction
    from accord.store.schema import stix_object

    with read_transaction(api.node.engine) as conn:
        rows = conn.execute(
            sa.select(stix_object.c.stix_id, stix_object.c.version, stix_object.c.date_added_us)
        )
        return {(r.stix_id, r.version): format_us(r.date_added_us) for r in rows}


def _identity(api: Api, name: str) -> str:
    from accord.store import admin
    from accord.store.engine import read_transaction

    with read_transaction(api.node.engine) as conn:
        return admin.require_org(conn, name).identity_id


@pytest.mark.parametrize("who", ["producer", "reader", "recipient", "admin"])
def test_every_read_path_shows_exactly_the_visible_versions(world, who: str) -> None:
    api, orgs, admin_token, coll, _, objects, producers, _ = world
    cred = admin_token if who == "admin" else orgs[who]
    identity = _identity(api, who)
    visible_versions = [o for o in objects if expected_visible(o, producers[id(o)], who, identity, TLP.AMBER)]
    # Latest visible version of each object, in date_added order of that version.
    latest: dict[str, dict] = {}
    for o in visible_versions:
        if o["id"] not in latest or o["modified"] > latest[o["id"]]["modified"]:
            latest[o["id"]] = o
    order = [o for o in objects if o in latest.values()]
    expected_ids = [o["id"] for o in order]

    for page_size in (1, 3, 100):
        got = api.all_objects(coll, cred, limit=page_size)
        assert [o["id"] for o in got] == expected_ids
        assert [o["modified"] for o in got] == [o["modified"] for o in order]
        manifest = api.all_objects(coll, cred, endpoint="manifest", limit=page_size)
        assert [m["id"] for m in manifest] == expected_ids
    all_versions = api.all_objects(coll, cred, limit=2, **{"match[version]": "all"})
    assert sorted((o["id"], o["modified"]) for o in all_versions) == sorted(
        (o["id"], o["modified"]) for o in visible_versions
    )
    # An exact-size page says there is no more: hidden rows after it do not leak through `more`.
    exact = api.get(f"/default/collections/{coll}/objects/", cred, params={"limit": len(expected_ids)})
    assert exact.json()["more"] is False
    # The date headers span exactly the visible page.
    date_of = _stored_dates(api)
    assert exact.headers["X-TAXII-Date-Added-First"] == date_of[(order[0]["id"], order[0]["modified"])]
    assert exact.headers["X-TAXII-Date-Added-Last"] == date_of[(order[-1]["id"], order[-1]["modified"])]
    # By id and versions: hidden objects are unknown ids, hidden versions are absent.
    for obj in {o["id"]: o for o in objects}.values():
        mine = [o for o in visible_versions if o["id"] == obj["id"]]
        r = api.get(
            f"/default/collections/{coll}/objects/{obj['id']}/", cred, params={"match[version]": "all"}
        )
        v = api.get(f"/default/collections/{coll}/objects/{obj['id']}/versions/", cred)
        if mine:
            assert sorted(o["modified"] for o in r.json()["objects"]) == sorted(o["modified"] for o in mine)
            assert sorted(v.json()["versions"]) == sorted(o["modified"] for o in mine)
        else:
            assert r.status_code == 404 and v.status_code == 404


def test_admin_of_the_node_does_not_see_red(world) -> None:
    api, _, admin_token, coll, *_ = world
    names = {o["name"] for o in api.all_objects(coll, admin_token, limit=100, **{"match[version]": "all"})}
    assert not names & {"red-named", "red-by-identity", "red-alone", "green-and-red", "from-writer"}
    assert {"clear", "green", "amber", "amber-strict", "unmarked", "white"} <= names


def test_unmarked_objects_take_the_collection_default(world) -> None:
    api, orgs, _, _, red_default, *_ = world
    assert [o["name"] for o in api.all_objects(red_default, orgs["reader"])] == ["green-in-red"]
    assert [o["name"] for o in api.all_objects(red_default, orgs["producer"])] == [
        "red-unmarked",
        "green-in-red",
    ]


def test_write_only_and_outsiders(world) -> None:
    api, orgs, _, coll, *_ = world
    for path in ("objects/", "manifest/"):
        assert api.get(f"/default/collections/{coll}/{path}", orgs["writer"]).status_code == 403
        assert api.get(f"/default/collections/{coll}/{path}", orgs["outsider"]).status_code == 404
    listed = api.get("/default/collections/", orgs["outsider"]).json()
    assert listed == {}


def test_statuses_are_private_to_the_poster(world) -> None:
    api, orgs, _, coll, *_ = world
    status = api.post_objects(coll, orgs["producer"], indicator("status-check", tlp=TLP.RED))
    for other in ("reader", "recipient", "outsider"):
        assert api.get(f"/default/status/{status['id']}/", orgs[other]).status_code == 404
    assert api.get(f"/default/status/{status['id']}/", orgs["producer"]).status_code == 200


def test_recipients_must_be_a_list_of_names(world) -> None:
    api, orgs, _, coll, *_ = world
    status = api.post_objects(
        coll, orgs["producer"], indicator("bad-recipients", x_accord_recipients="reader")
    )
    assert status["failure_count"] == 1
