"""Fetching indicators from, and posting sightings to, a real TAXII 2.1 server (medallion, memory backend)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from medallion_server import medallion
from taxii2client.v21 import Collection

from .test_cli import EVENTS, INDICATORS, invoke

COLL = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
AUTH = ("sweeper", "s3cret")


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with medallion(tmp_path_factory.mktemp("medallion"), COLL, AUTH, max_page_size=2) as root:
        coll = Collection(f"{root}collections/{COLL}/", user=AUTH[0], password=AUTH[1])
        extra = [
            dict(
                INDICATORS[0],
                id=f"indicator--33333333-3333-4333-8333-33333333333{i}",
                pattern=f"[ipv4-addr:value = '198.51.100.{i}']",
            )
            for i in range(1, 4)
        ]
        coll.add_objects({"objects": [*INDICATORS, *extra]}, wait_for_completion=True, poll_interval=0.2)
        yield root, coll


def _sightings(coll: Collection) -> list[dict]:
    return coll.get_objects(type="sighting").get("objects", [])


def test_fetch_from_node_and_post_sightings(node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, coll = node
    log = tmp_path / "eve.json"
    log.write_text("\n".join(json.dumps(e) for e in EVENTS) + "\n")
    token = f"{AUTH[0]}:{AUTH[1]}"
    r = invoke(
        str(log), "--node", url, "--collection", COLL, "--token", token, "--post", "--identity-name", "CERT-Y"
    )
    assert r.exit_code == 0, r.output
    assert "posted 2 sightings" in r.stdout  # evil.com and 198.51.100.1 (fetched over 3 pages of 2)
    posted = _sightings(coll)
    assert {s["sighting_of_ref"] for s in posted} == {
        "indicator--11111111-1111-4111-8111-111111111111",
        "indicator--33333333-3333-4333-8333-333333333331",
    }
    ident = coll.get_objects(type="identity")["objects"]
    assert [i["name"] for i in ident] == ["CERT-Y"]


def test_nothing_is_posted_when_the_sweep_fails(node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, coll = node
    before = len(_sightings(coll))
    bad = tmp_path / "bad.json.gz"
    bad.write_bytes(gzip.compress(b'{"timestamp": "x"}\n')[:-6])  # truncated gzip: unreadable mid-way
    r = invoke(
        str(bad),
        "--indicators",
        str(tmp_path / "missing.json"),
        "--node",
        url,
        "--collection",
        COLL,
        "--token",
        f"{AUTH[0]}:{AUTH[1]}",
        "--post",
    )
    assert r.exit_code != 0
    bundle = tmp_path / "ind.json"
    bundle.write_text(json.dumps({"type": "bundle", "objects": INDICATORS}))
    r = invoke(
        str(bad),
        "--indicators",
        str(bundle),
        "--format",
        "eve",
        "--node",
        url,
        "--collection",
        COLL,
        "--token",
        f"{AUTH[0]}:{AUTH[1]}",
        "--post",
    )
    assert r.exit_code != 0 and "cannot read" in r.stderr
    assert len(_sightings(coll)) == before


def test_wrong_credentials_are_a_clear_error(node, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url, _ = node
    log = tmp_path / "eve.json"
    log.write_text(json.dumps(EVENTS[0]) + "\n")
    r = invoke(str(log), "--node", url, "--collection", COLL, "--token", "sweeper:wrong")
    assert r.exit_code != 0 and "cannot fetch indicators" in r.stderr
