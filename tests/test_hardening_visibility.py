"""Regression tests for the who-sees-what holes of issue #16 (each failed on the code before the fix):
tombstones listing hidden versions, the write path as an existence oracle, date_added gaps counting
hidden rows, granular markings ignored, recipients matched case-sensitively on PostgreSQL, and
`next` tokens replayed by another organization. Export `--as` is covered in tests/test_cli.py.
"""

from __future__ import annotations

import uuid

import pytest
from stixgen import indicator
from taxiiclient import Api

from accord.stix.extensions import TOMBSTONE_TYPE
from accord.stix.markings import TLP, TLP2_MARKING_ID
from accord.stix.timestamps import parse_us
from accord.store import admin
from accord.store.engine import read_transaction

V1, V2, V3 = "2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"


@pytest.fixture
def api(opened_node) -> Api:
    return Api(opened_node.node)


def _identity(api: Api, name: str) -> str:
    with read_transaction(api.node.engine) as conn:
        return admin.require_org(conn, name).identity_id


def _ipv4(value: str, **extra: object) -> dict:
    """An SCO with its deterministic id (UUIDv5 of the value, as STIX 2.1 §2.9 prescribes)."""
    namespace = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
    sco_id = "ipv4-addr--" + str(uuid.uuid5(namespace, f'{{"value":"{value}"}}'))
    return {"type": "ipv4-addr", "spec_version": "2.1", "id": sco_id, "value": value, **extra}


def test_a_tombstone_lists_only_the_deleted_versions_each_reader_could_see(api: Api) -> None:
    producer, reader, other = api.org("producer"), api.org("reader"), api.org("other")
    coll = api.collection("Tomb", read=["producer", "reader", "other"], write=["producer"])
    versions = [
        indicator("doomed", modified=V1, tlp=TLP.GREEN),
        indicator("doomed", modified=V2, tlp=TLP.RED, recipients=["reader"]),
        indicator("doomed", modified=V3, tlp=TLP.RED),  # the producer's alone
    ]
    api.post_objects(coll, producer, *versions)
    r = api.request("DELETE", f"/default/collections/{coll}/objects/{versions[0]['id']}/", producer)
    assert r.status_code == 200, r.text

    def deleted(who: tuple[str, str]) -> list[str]:
        seen = api.all_objects(coll, who, limit=10, **{"match[type]": TOMBSTONE_TYPE})
        return sorted(v for t in seen for v in t["versions"])

    assert deleted(producer) == [V1, V2, V3]
    assert deleted(reader) == [V1, V2]
    assert deleted(other) == [V1]


def test_writing_an_id_another_organization_hides_is_no_oracle(api: Api) -> None:
    holder, prober = api.org("holder"), api.org("prober")
    coll = api.collection("Shared", read=["holder", "prober"], write=["holder", "prober"])
    secret, shared = _ipv4("198.51.100.7"), _ipv4("203.0.113.9")
    api.post_objects(coll, holder, dict(secret, object_marking_refs=[TLP2_MARKING_ID[TLP.RED]]))
    api.post_objects(coll, holder, dict(shared, object_marking_refs=[TLP2_MARKING_ID[TLP.GREEN]]))
    never_held = _ipv4("192.0.2.1")

    # The answer for an address the holder keeps under TLP:RED is the one for an address nobody holds.
    answers = [api.post_objects(coll, prober, sco) for sco in (secret, never_held)]
    assert [(a["success_count"], a["failure_count"]) for a in answers] == [(1, 0), (1, 0)]
    # The prober's own copy is its own history: it reads it back, and nothing of the holder's.
    mine = api.all_objects(coll, prober, limit=10, **{"match[id]": secret["id"]})
    assert len(mine) == 1 and "object_marking_refs" not in mine[0]
    held = api.all_objects(coll, holder, limit=10, **{"match[id]": secret["id"]})
    assert {bool(o.get("object_marking_refs")) for o in held} == {True, False}  # two histories
    # An id the prober can see there is still refused as another organization's.
    visible = api.post_objects(coll, prober, shared)
    assert visible["failure_count"] == 1
    assert "belongs to another organization" in visible["failures"][0]["message"]


def test_date_added_gaps_do_not_count_hidden_rows_and_paging_keeps_every_row(api: Api) -> None:
    producer, reader = api.org("producer"), api.org("reader")
    coll = api.collection("Clock", read=["producer", "reader"], write=["producer"])
    green = [indicator(f"g{i}", tlp=TLP.GREEN) for i in range(3)]
    red = [indicator(f"r{i}", tlp=TLP.RED) for i in range(4)]
    for _ in range(2):  # two writes, hidden rows interleaved with the visible ones
        api.post_objects(coll, producer, red[0], green[0], red[1], red[2], green[1], red[3], green[2])
        green = [indicator(f"g{i}b", tlp=TLP.GREEN) for i in range(3)]
        red = [indicator(f"r{i}b", tlp=TLP.RED) for i in range(4)]

    manifest = api.all_objects(coll, reader, endpoint="manifest", limit=100)
    dates = [parse_us(m["date_added"]) for m in manifest]
    first_write, second_write = dates[:3], dates[3:]
    assert first_write == [first_write[0] + k for k in range(3)]
    assert second_write == [second_write[0] + k for k in range(3)]

    # The producer sees both classes of each write: they tie, and no page splits a tie.
    everything = api.all_objects(coll, producer, endpoint="manifest", limit=100)
    assert len(everything) == 14 and len({m["date_added"] for m in everything}) == 8
    for size in (1, 2, 3):
        by_next = api.all_objects(coll, producer, limit=size)
        assert [o["id"] for o in by_next] == [m["id"] for m in everything]
    # A client following X-TAXII-Date-Added-Last with added_after also gets each row once.
    got: list[str] = []
    params: dict[str, str | int] = {"limit": 1}
    while True:
        r = api.get(f"/default/collections/{coll}/objects/", producer, params=params)
        assert r.status_code == 200
        body = r.json()
        got += [o["id"] for o in body.get("objects", [])]
        if not body.get("more"):
            break
        params = {"limit": 1, "added_after": r.headers["X-TAXII-Date-Added-Last"]}
    assert got == [m["id"] for m in everything]


def test_a_granular_tlp_red_marking_restricts_the_whole_object(api: Api) -> None:
    producer, reader = api.org("producer"), api.org("reader")
    coll = api.collection("Granular", read=["producer", "reader"], write=["producer"], tlp="green")
    partly_red = indicator(
        "partly-red",
        granular_markings=[{"marking_ref": TLP2_MARKING_ID[TLP.RED], "selectors": ["pattern"]}],
    )
    plain = indicator("plain")
    api.post_objects(coll, producer, partly_red, plain)
    assert [o["name"] for o in api.all_objects(coll, reader, limit=10)] == ["plain"]
    r = api.get(f"/default/collections/{coll}/objects/{partly_red['id']}/", reader)
    assert r.status_code == 404
    assert len(api.all_objects(coll, producer, limit=10)) == 2


def test_recipients_match_names_and_identity_ids_in_any_case(api: Api) -> None:
    producer, recipient, other = api.org("producer"), api.org("Cert-Recipient"), api.org("other")
    coll = api.collection("Case", read=["producer", "Cert-Recipient", "other"], write=["producer"])
    identity = _identity(api, "Cert-Recipient")
    objs = [
        indicator("by-name-lower", tlp=TLP.RED, recipients=["cert-recipient"]),
        indicator("by-name-upper", tlp=TLP.RED, recipients=["CERT-RECIPIENT"]),
        indicator("by-identity-upper", tlp=TLP.RED, recipients=[identity.upper()]),
    ]
    api.post_objects(coll, producer, *objs)
    assert sorted(o["name"] for o in api.all_objects(coll, recipient, limit=10)) == sorted(
        o["name"] for o in objs
    )
    assert api.all_objects(coll, other, limit=10) == []


def test_organization_names_differing_only_in_case_are_refused(api: Api) -> None:
    api.org("cert-b")
    from accord.store.engine import write_transaction

    with write_transaction(api.node.engine) as conn, pytest.raises(admin.AdminError, match="ignoring case"):
        admin.add_org(conn, "CERT-B")


def test_a_next_token_replayed_by_another_organization_is_refused(api: Api) -> None:
    producer, reader = api.org("producer"), api.org("reader")
    coll = api.collection("Replay", read=["producer", "reader"], write=["producer"])
    api.post_objects(coll, producer, *(indicator(f"n{i}", tlp=TLP.GREEN) for i in range(3)))
    first = api.get(f"/default/collections/{coll}/objects/", producer, params={"limit": 1}).json()
    replay = api.get(
        f"/default/collections/{coll}/objects/", reader, params={"limit": 1, "next": first["next"]}
    )
    assert replay.status_code == 400
    assert replay.json()["http_status"] == "400" and "reader" in replay.json()["description"]
    own = api.get(
        f"/default/collections/{coll}/objects/", producer, params={"limit": 1, "next": first["next"]}
    )
    assert own.status_code == 200 and own.json()["objects"][0]["name"] == "n1"
