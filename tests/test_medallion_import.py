"""Migration from medallion: after `accord import --medallion`, the node serves the same data at the
same paths. A real medallion 3.0.0 server and a real `accord serve` answer the same client calls."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from serving import free_port, run_cli, start_server
from stixgen import indicator, stix_id
from taxii2client.v21 import ApiRoot, Collection, Status

from accord.stix.timestamps import parse_us

USERS = {"alice": "alice-password", "bob": "bob-password"}
C_RW, C_RO, C_WO, C_TG = (
    "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
    "52892447-4d7e-4f70-b94d-d7f22742ff63",
    "64993447-4d7e-4f70-b94d-d7f33742ee63",
    "365fed99-08fa-fdcd-a1b3-fb247eb41d01",
)
STATUS_ID = "2d086da7-4bdc-4f91-900e-d77486753710"


def _entry(obj: dict, added: str) -> dict:
    return {
        "id": obj["id"],
        "date_added": added,
        "version": obj["modified"],
        "media_type": "application/stix+json;version=2.1",
    }


def medallion_data() -> dict:
    v1 = indicator("evil-domain", modified="2016-11-03T12:30:59.000Z", created="2016-11-03T12:30:59.000Z")
    v2 = indicator("evil-domain", modified="2017-01-27T13:49:53.935Z", created="2016-11-03T12:30:59.000Z")
    malware = {
        "type": "malware",
        "spec_version": "2.1",
        "id": stix_id("malware", "poison-ivy"),
        "created": "2017-01-27T13:49:53.997Z",
        "modified": "2017-01-27T13:49:53.997Z",
        "name": "Poison Ivy",
        "is_family": True,
    }
    ro_objs = [indicator(f"ro-{i}") for i in range(4)]
    tg = indicator("trustgroup-only")
    return {
        "/discovery": {
            "title": "Some TAXII Server",
            "description": "medallion test data",
            "default": "http://localhost:5000/api1/",
            "api_roots": ["http://localhost:5000/api1/", "http://localhost:5000/trustgroup1/"],
        },
        "api1": {
            "information": {
                "title": "Malware Research Group",
                "description": "A trust group",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 9765625,
            },
            "status": [
                {
                    "id": STATUS_ID,
                    "status": "complete",
                    "request_timestamp": "2016-11-02T12:34:34.123456Z",
                    "total_count": 1,
                    "success_count": 1,
                    "successes": [{"id": v1["id"], "version": v1["modified"]}],
                    "failure_count": 0,
                    "failures": [],
                    "pending_count": 0,
                    "pendings": [],
                }
            ],
            "collections": [
                {
                    "id": C_RW,
                    "title": "Read and write",
                    "description": "both",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [v1, v2, malware],
                    "manifest": [
                        _entry(v1, "2016-11-03T12:30:59.001000Z"),
                        _entry(v2, "2017-01-27T13:49:59.997000Z"),
                        _entry(malware, "2017-01-27T13:49:59.997000Z"),
                    ],
                },
                {
                    "id": C_RO,
                    "title": "Read only",
                    "can_read": True,
                    "can_write": False,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": ro_objs,
                    "manifest": [
                        _entry(o, f"2018-0{i + 1}-01T00:00:00.000000Z") for i, o in enumerate(ro_objs)
                    ],
                },
                {
                    "id": C_WO,
                    "title": "Write only",
                    "can_read": False,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                },
            ],
        },
        "trustgroup1": {
            "information": {
                "title": "Another trust group",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 9765625,
            },
            "status": [],
            "collections": [
                {
                    "id": C_TG,
                    "title": "TG",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [tg],
                    "manifest": [_entry(tg, "2019-01-01T00:00:00.000000Z")],
                }
            ],
        },
    }


@pytest.fixture
def medallion_config(tmp_path: Path) -> Path:
    data = tmp_path / "default_data.json"
    data.write_text(json.dumps(medallion_data()))
    config = tmp_path / "medallion.json"
    config.write_text(
        json.dumps(
            {
                "backend": {
                    "module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": str(data),
                },
                "users": USERS,
                "taxii": {"max_page_size": 100},
            }
        )
    )
    return config


@pytest.fixture
def medallion_url(medallion_config: Path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "medallion.scripts.run", "--port", str(port), str(medallion_config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                httpx.get(url + "/taxii2/", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("medallion did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _snapshot(base: str, user: str) -> dict:
    """What a client sees: collections with rights, every object version with its date_added."""
    seen: dict = {}
    for root_name in ("api1", "trustgroup1"):
        root = ApiRoot(f"{base}/{root_name}/", user=user, password=USERS[user])
        for coll in root.collections:
            entry: dict = {"title": coll.title, "can_read": coll.can_read, "can_write": coll.can_write}
            if coll.can_read:
                c = Collection(coll.url, user=user, password=USERS[user])
                objs = c.get_objects(version="all").get("objects", [])
                entry["objects"] = sorted((o["id"], o["modified"]) for o in objs)
                entry["latest"] = sorted(o["modified"] for o in c.get_objects().get("objects", []))
                manifest = c.get_manifest(version="all").get("objects", [])
                entry["added"] = sorted((m["id"], m["version"], parse_us(m["date_added"])) for m in manifest)
                for obj_id, _ in entry["objects"]:
                    entry[obj_id] = sorted(c.object_versions(obj_id)["versions"])
            seen[(root_name, coll.id)] = entry
    return seen


def test_import_serves_the_same_data_at_the_same_paths(
    medallion_config: Path, medallion_url: str, tmp_path: Path
) -> None:
    data_dir, db = tmp_path / "accord", f"sqlite:///{tmp_path / 'accord.db'}"
    run_cli("init", "--data-dir", str(data_dir), "--db", db)
    run_cli("import", "--medallion", str(medallion_config), "--data-dir", str(data_dir), "--db", db)
    # Importing twice changes nothing.
    run_cli("import", "--medallion", str(medallion_config), "--data-dir", str(data_dir), "--db", db)
    accord_url, proc = start_server(data_dir, db)
    try:
        for user in USERS:
            expected, got = _snapshot(medallion_url, user), _snapshot(accord_url, user)
            # date_added is kept, except that two objects medallion added in the same instant are
            # moved apart by a microsecond: on Accord no two objects of a collection share one.
            for key in expected:
                if "added" in expected[key]:
                    was, now = expected[key].pop("added"), got[key].pop("added")
                    assert [(i, v) for i, v, _ in was] == [(i, v) for i, v, _ in now]
                    assert all(0 <= b - a <= 1 for (_, _, a), (_, _, b) in zip(was, now, strict=True))
                    assert len({t for *_, t in now}) == len(now)
            assert got == expected
            assert len(expected) == 4 and expected[("api1", C_RO)]["can_write"] is False
        status = Status(f"{accord_url}/api1/status/{STATUS_ID}/", user="bob", password=USERS["bob"])
        assert status.status == "complete" and status.success_count == 1
        # Users keep their passwords as tokens and their rights: alice may write where medallion let her.
        c = Collection(f"{accord_url}/api1/collections/{C_RW}/", user="alice", password=USERS["alice"])
        added = c.add_objects({"objects": [indicator("after-migration")]})
        assert added.success_count == 1
        ro = httpx.post(
            f"{accord_url}/api1/collections/{C_RO}/objects/",
            auth=("alice", USERS["alice"]),
            headers={"Content-Type": "application/taxii+json;version=2.1"},
            content=json.dumps({"objects": [indicator("nope")]}),
        )
        assert ro.status_code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_import_rejects_files_that_are_not_medallion(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": "world"}')
    run_cli("init", "--data-dir", str(tmp_path / "d"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "accord.cli",
            "import",
            "--medallion",
            str(bad),
            "--data-dir",
            str(tmp_path / "d"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "not a medallion" in result.stderr
