"""Private sweep: agreement with the plain sweep, partner view, quota, bad input."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from accord.app import create_app
from accord.audit.tables import audit_leaf
from accord.config import Settings
from accord.node import open_node
from accord.private_sweep import keys, oprf, published
from accord.private_sweep.client import Client
from accord.private_sweep.partner import private_sweep
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.objects import add_objects
from accord.sweep import api as sweep_api
from accord.sweep.falsepositives import FalsePositives
from accord.sweep.indicators import compile_indicators
from accord.sweep.runner import SweepOptions
from accord.sync.peers import add_peer


def indicator(pattern: str, **extra: object) -> dict:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.uuid4()}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
        "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"],  # TLP:RED
        **extra,
    }


PROTECTED = [
    indicator("[ipv4-addr:value = '203.0.113.7']"),
    indicator("[ipv4-addr:value = '198.51.100.99']"),  # not in the log
    indicator("[domain-name:value = 'Evil.Example.ORG']"),
    indicator("[domain-name:value = 'secret-not-in-log.example']"),
    indicator("[url:value = 'http://bad.example.net/a/../x?q=1']"),
    indicator("[file:hashes.'SHA-256' = '" + "ab" * 32 + "']"),
    indicator("[email-addr:value = 'Boss@Corp.example']"),
    indicator("[ipv6-addr:value = '2001:db8::1']"),
    indicator("[ipv4-addr:value = '192.0.2.50']", valid_until="2024-03-01T00:00:00Z"),
    indicator("[ipv4-addr:value = '203.0.113.0/24']"),  # a range: not protected (and not compared)
]
ABSENT = ["198.51.100.99", "secret-not-in-log.example"]


def write_log(path: Path) -> None:
    events = [
        {
            "@timestamp": "2024-02-01T10:00:00Z",
            "source": {"ip": "10.1.1.1"},
            "destination": {"ip": "203.0.113.7"},
        },
        {"@timestamp": "2024-02-01T10:05:00Z", "dns": {"question": {"name": "WWW.evil.example.org."}}},
        {"@timestamp": "2024-02-02T10:00:00Z", "url": {"full": "HTTP://Bad.Example.NET:80/x?q=1#frag"}},
        {"@timestamp": "2024-02-03T10:00:00Z", "file": {"hash": {"sha256": "AB" * 32}}},
        {"@timestamp": "2024-02-04T10:00:00Z", "email": {"from": {"address": "boss@corp.example"}}},
        {"@timestamp": "2024-02-05T10:00:00Z", "source": {"ip": "2001:0db8:0:0::1"}},
        {"@timestamp": "2024-02-06T10:00:00Z", "destination": {"ip": "192.0.2.50"}},
        {"@timestamp": "2024-04-06T10:00:00Z", "destination": {"ip": "192.0.2.50"}},  # after valid_until
        {
            "@timestamp": "2024-02-07T10:00:00Z",
            "source": {"ip": "203.0.113.7"},
            "dns": {"question": {"name": "x.org"}},
        },
        {"@timestamp": "2024-02-08T10:00:00Z", "source": {"ip": "203.0.113.8"}},
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in events))


class Holder:
    """A holder node in process (TestClient), with peer "partner" allowed to sweep privately."""

    def __init__(self, db_url: str, data_dir: Path, quota: int = 1000) -> None:
        self.node, _ = open_node(Settings(data_dir, db_url))
        with write_transaction(self.node.engine) as conn:
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            producer = admin.add_org(conn, "cert")
            coll = admin.add_collection(conn, root, "red")
            add_objects(conn, coll, producer, PROTECTED)
            add_peer(conn, "partner", "http://partner.invalid/default/", "unused")
            self.token = admin.create_token(conn, admin.require_org(conn, "partner"))
            self.ps = keys.configure(conn, "partner", coll.uuid, quota)
        self.http = TestClient(create_app(self.node), headers={"Authorization": f"Bearer {self.token}"})

    def client(self) -> Client:
        client = Client("http://testserver/default/", self.token)
        client.http.close()
        client.http = self.http
        return client

    def post(self, elements: list[str], request_id: str | None = None, key_id: str | None = None):
        body = {
            "request_id": request_id or uuid.uuid4().hex,
            "key_id": key_id or self.ps.key_id,
            "elements": elements,
        }
        return self.http.post("/private-sweep/evaluate", json=body)

    def audit(self, kind: str) -> list[dict]:
        with read_transaction(self.node.engine) as conn:
            rows = conn.execute(sa.select(audit_leaf).where(audit_leaf.c.kind == kind)).all()
        return [orjson.loads(r.record) if hasattr(r, "record") else dict(r._mapping) for r in rows]

    def close(self) -> None:
        self.http.close()
        self.node.close()


@pytest.fixture
def holder(db_url: str, tmp_path: Path):
    h = Holder(db_url, tmp_path / "holder")
    yield h
    h.close()


def _elements(n: int) -> list[str]:
    blinded = oprf.blind([f"v{i}".encode() for i in range(n)])
    return [base64.b64encode(e).decode() for e in blinded.elements]


def test_private_sweep_agrees_with_the_plain_sweep(holder: Holder, tmp_path: Path) -> None:
    log = tmp_path / "log.ndjson"
    write_log(log)
    opts = SweepOptions(fmt="ndjson")
    private = private_sweep([str(log)], holder.client(), opts)
    comp = compile_indicators(PROTECTED, FalsePositives.load())
    plain = sweep_api.sweep([str(log)], comp, opts)
    # the range indicator is not protected: compare the indicators the private sweep can see
    protected_ids = {o["id"] for o in PROTECTED[:-1]}
    expect = {
        (comp.ids[i], c, f, last)
        for i, c, f, last in plain.counts.iter_rows()
        if comp.ids[i] in protected_ids
    }
    got = {(private.ids[i], c, f, last) for i, c, f, last in private.counts.iter_rows()}
    assert got == expect
    assert len(got) == 7  # every protected indicator present in the log, 192.0.2.50 counted once
    from accord.sweep import sightings

    who = sightings.identity("partner")
    built = sightings.build_sightings(private.counts, private.comp, who)
    assert {s["sighting_of_ref"] for s in built} == {g[0] for g in got}


def test_the_partner_never_holds_a_value_it_did_not_have(holder: Holder, tmp_path: Path) -> None:
    raw = holder.http.get("/private-sweep/")
    assert raw.status_code == 200, raw.text
    body = raw.json()
    everything = raw.content.lower()
    for value in ABSENT + ["evil.example.org", "203.0.113.7", "boss@corp.example", "ab" * 32]:
        assert value.encode() not in everything  # no protected value in any readable form
    for o in PROTECTED:
        assert o["id"].encode() not in everything  # ids only inside the sealed entries
    log = tmp_path / "log.ndjson"
    write_log(log)
    seen: list[bytes] = []
    client = holder.client()
    original = client.evaluate

    def spy(key_id: str, elements: list[bytes], request_id: str | None = None) -> bytes:
        answer = original(key_id, elements, request_id)
        seen.append(answer)
        return answer

    client.evaluate = spy  # type: ignore[method-assign]
    result = private_sweep([str(log)], client, SweepOptions(fmt="ndjson"))
    for answer in seen:  # evaluations are points and a proof: no value, no id
        for value in ABSENT:
            assert value.encode() not in answer
    # the opened ids are exactly those of protected values present in the log
    absent_ids = {o["id"] for o in PROTECTED if any(a.lower() in o["pattern"].lower() for a in ABSENT)}
    assert not absent_ids & set(result.ids)
    assert len(result.ids) == 7
    # entries the partner could not evaluate stay closed: no PRF output of ours opens them
    assert len(body["entries"]) == 9 and result.matched_values < len(body["entries"])
    outputs_tried = {published.tag_of(oprf.Holder.from_seed(bytes(32)).prf(b"x"))}
    assert not outputs_tried & {base64.b64decode(t) for t, _ in body["entries"]}


def test_quota_refuses_with_429_records_it_and_evaluates_nothing(db_url: str, tmp_path: Path) -> None:
    h = Holder(db_url, tmp_path / "holder", quota=5)
    try:
        over = h.post(_elements(6))
        assert over.status_code == 429 and over.json()["title"] == "Quota exceeded"
        assert "evaluated" not in over.json()
        ok = h.post(_elements(5))
        assert ok.status_code == 200 and ok.json()["quota_left"] == 0
        again = h.post(_elements(1))
        assert again.status_code == 429 and "0 of the daily quota of 5 left" in again.json()["description"]
        with read_transaction(h.node.engine) as conn:
            kinds = [r.kind for r in conn.execute(sa.select(audit_leaf.c.kind).order_by(audit_leaf.c.idx))]
        assert kinds.count("private_sweep.refused") == 2 and kinds.count("private_sweep.evaluate") == 1
        assert h.http.get("/private-sweep/").json()["quota_left"] == 0
    finally:
        h.close()


def test_bad_input_is_refused_with_taxii_errors(holder: Holder) -> None:
    good = _elements(1)
    cases = {
        "not base64": (["@@@"], 400, "Malformed element"),
        "identity": ([base64.b64encode(bytes(32)).decode()], 400, "Malformed element"),
        "off curve": ([base64.b64encode(b"\xff" * 32).decode()], 400, "Malformed element"),
        "short": ([base64.b64encode(b"\x01" * 31).decode()], 400, "Malformed element"),
    }
    for name, (elements, status, title) in cases.items():
        r = holder.post(elements)
        assert (r.status_code, r.json()["title"]) == (status, title), name
        assert r.json()["http_status"] == str(status)
    big = holder.post(good * 4097)
    assert big.status_code == 413 and big.json()["title"] == "Batch too large"
    rid = uuid.uuid4().hex
    assert holder.post(good, rid).status_code == 200
    replay = holder.post(good, rid)
    assert replay.status_code == 409 and replay.json()["title"] == "Replayed request"
    stale = holder.post(good, key_id="0" * 16)
    assert stale.status_code == 409 and stale.json()["title"] == "Key rotated"
    bad_json = holder.http.post("/private-sweep/evaluate", content=b"{")
    assert bad_json.status_code == 400 and bad_json.json()["title"] == "Malformed JSON"
    anon = TestClient(create_app(holder.node)).get("/private-sweep/")
    assert anon.status_code == 401
    with read_transaction(holder.node.engine) as conn:
        used = conn.execute(sa.text("SELECT used FROM private_sweep_usage")).scalar()
    assert used == 1  # malformed, oversized and replayed requests cost nothing


def test_rotation_changes_every_tag(holder: Holder) -> None:
    before = {t for t, _ in holder.http.get("/private-sweep/").json()["entries"]}
    with write_transaction(holder.node.engine) as conn:
        old, new = keys.rotate(conn, "partner")
    after = holder.http.get("/private-sweep/").json()
    assert after["key_id"] == new != old
    assert not before & {t for t, _ in after["entries"]}


def test_the_first_failed_batch_stops_the_exchange() -> None:
    from accord.private_sweep.client import PublishedSet, RemoteError
    from accord.private_sweep.partner import evaluate_all

    holder = oprf.Holder.from_seed(oprf.new_seed())
    pset = PublishedSet("k", holder.public_key, set(), 2, 100, 100, {})
    calls: list[int] = []

    def call(elements: list[bytes]) -> bytes:
        calls.append(len(elements))
        if len(calls) == 2:
            raise RemoteError("answered 429 (Quota exceeded)")
        return holder.evaluate(elements)

    outputs: dict[str, bytes] = {}
    keys_asked = [f"v{i}" for i in range(40)]
    with pytest.raises(RemoteError, match="429"):
        evaluate_all(
            keys_asked,
            pset,
            call,
            threads=1,
            on_outputs=lambda ks, ys: outputs.update(zip(ks, ys, strict=True)),
        )
    assert len(calls) <= 4  # 20 batches; at most the window (2) after the failing one
    # the batches evaluated (and paid for) before and beside the failure are kept, and right
    assert 2 <= len(outputs) <= 2 * (len(calls) - 1) and set(outputs) <= set(keys_asked[: 2 * len(calls)])
    assert all(y == holder.prf(k.encode()) for k, y in outputs.items())


def test_a_repeated_sweep_asks_nothing_until_the_key_rotates(holder: Holder, tmp_path: Path) -> None:
    from accord.private_sweep.cache import Cache
    from accord.private_sweep.tables import private_sweep_cache

    log = tmp_path / "log.ndjson"
    write_log(log)
    partner, _ = open_node(Settings(tmp_path / "partner", f"sqlite:///{tmp_path / 'partner.db'}"))
    try:
        with write_transaction(partner.engine) as conn:
            peer_id = add_peer(conn, "cert", "http://testserver/default/", holder.token).id
        cache = Cache(partner.engine, peer_id)
        client = holder.client()
        asked: list[int] = []
        original = client.evaluate

        def counting(key_id: str, elements: list[bytes], request_id: str | None = None) -> bytes:
            asked.append(len(elements))
            return original(key_id, elements, request_id)

        client.evaluate = counting  # type: ignore[method-assign]

        def used() -> int:
            with read_transaction(holder.node.engine) as conn:
                return int(
                    conn.execute(sa.text("SELECT coalesce(sum(used), 0) FROM private_sweep_usage")).scalar()
                )

        def rows(result) -> set:  # noqa: ANN001
            return {(result.ids[i], c, f, last) for i, c, f, last in result.counts.iter_rows()}

        opts = SweepOptions(fmt="ndjson")
        first = private_sweep([str(log)], client, opts, cache)
        assert first.values > 0 and first.cached == 0 and used() == first.values == sum(asked)
        assert len(rows(first)) == 7
        second = private_sweep([str(log)], client, opts, cache)
        assert second.values == 0 and second.cached == first.values
        assert used() == first.values and sum(asked) == first.values  # no request, no quota spent
        assert rows(second) == rows(first) and second.matched_values == first.matched_values
        with read_transaction(partner.engine) as conn:
            stored = conn.execute(sa.select(private_sweep_cache)).all()
        assert len(stored) == first.values and {r.key_id for r in stored} == {holder.ps.key_id}
        dump = b"".join(bytes(r.digest) + bytes(r.output) for r in stored)
        assert b"203.0.113.7" not in dump and b"evil.example.org" not in dump  # no log value in clear

        with write_transaction(holder.node.engine) as conn:
            old, new = keys.rotate(conn, "partner")
        third = private_sweep([str(log)], client, opts, cache)
        assert third.values == first.values and third.cached == 0  # the old outputs match nothing now
        assert used() == 2 * first.values
        assert rows(third) == rows(first)
        with read_transaction(partner.engine) as conn:
            kids = {r.key_id for r in conn.execute(sa.select(private_sweep_cache.c.key_id))}
        assert kids == {new} != {old}
    finally:
        partner.close()


def test_worker_processes_give_what_threads_give(monkeypatch: pytest.MonkeyPatch) -> None:
    """Large exchanges blind and finalize in worker processes: the same matches and PRF outputs as in
    threads, and a bad answer still stops the exchange with BadEvaluation."""
    from accord.private_sweep import partner
    from accord.private_sweep.client import PublishedSet

    holder = oprf.Holder.from_seed(oprf.new_seed())
    keys_asked = [f"ipv4-addr:value\0198.51.{i // 256}.{i % 256}" for i in range(600)]
    protected = {k.encode(): [(f"indicator--{i}", None, None)] for i, k in enumerate(keys_asked[::50])}
    entries = dict(published.build(holder, protected))
    pset = PublishedSet("k", holder.public_key, {"ipv4-addr:value"}, 100, 10**6, 10**6, entries)
    runs = {}
    for name, start in (("threads", 10**9), ("processes", 0)):
        monkeypatch.setattr(partner, "PROCESSES_FROM", start)
        outputs: dict[str, bytes] = {}
        found = partner.evaluate_all(
            keys_asked,
            pset,
            holder.evaluate,
            threads=2,
            on_outputs=lambda ks, ys, into=outputs: into.update(zip(ks, ys, strict=True)),
        )
        runs[name] = (found, outputs)
    assert runs["threads"] == runs["processes"]
    found, outputs = runs["processes"]
    assert set(found) == {k.decode() for k in protected} and len(outputs) == 600
    assert all(outputs[k] == holder.prf(k.encode()) for k in keys_asked[:20])
    with pytest.raises(oprf.BadEvaluation):
        partner.evaluate_all(keys_asked, pset, lambda elements: bytes(32) * len(elements), threads=2)
