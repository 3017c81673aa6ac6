"""Helpers for the MISP tests: feeds on disk from the shipped MISP event files, the CLI (a module of
its own name: ``from conftest import`` finds whichever test directory's conftest came first)."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner

from accord.cli import app
from accord.misp.mapping import is_tlp_tag

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def load(name: str) -> dict[str, Any]:
    """A shipped event file as {"Event": {...}}, published (two of PyMISP's files are drafts)."""
    doc = json.loads((DATA / name).read_text(encoding="utf-8"))
    event = doc.get("Event", doc)
    event["published"] = True
    return {"Event": event}


def write_feed(directory: Path, docs: list[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for doc in docs:
        event = doc["Event"]
        (directory / f"{event['uuid']}.json").write_text(json.dumps(doc), encoding="utf-8")
        manifest[event["uuid"]] = {"info": event["info"], "timestamp": event["timestamp"]}
    (directory / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return directory


def accord(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.stderr + result.stdout
    return result


def new_collection(node_args: list[str], title: str = "MISP") -> str:
    return accord(
        "collection",
        "add",
        title,
        "--read",
        "cert-a,cert-b",
        "--write",
        "cert-a",
        "--tlp",
        "green",
        *node_args,
    ).stdout.strip()


def read_feed(directory: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((directory / "manifest.json").read_text())
    return {uid: json.loads((directory / f"{uid}.json").read_text())["Event"] for uid in manifest}


# Events misp-stix converts, with what it cannot bring back (asserted below, everything else kept).
ROUND_TRIP = [
    "to_delete1.json",  # PyMISP: 75 attributes, CIRCL OSINT event
    "existing_event.json",  # PyMISP: 49 objects, 113 object attributes, galaxies
    "misp-stix_event_with_sightings.json",
    "misp-stix_event_with_tags.json",
    "misp-stix_event_with_tlp2_tags.json",
    "misp-stix_event_with_hash_attributes.json",
    "misp-stix_event_with_email_attributes.json",
    "misp-stix_event_with_malware_galaxy.json",
    "misp-stix_event_with_domain_ip_object.json",
    "misp-stix_event_with_file_object.json",
    "misp-stix_event_with_ip_port_object.json",
    "misp-stix_event_with_url_object.json",
]
# misp-stix's STIX 2.1 -> MISP parser drops the tags of 'link', 'comment' and 'text' attributes.
UNTAGGED_TYPES = {"link", "comment", "text", "other"}


def tags_of(element: dict[str, Any]) -> set[str]:
    """Tags other than TLP (mapped to one effective tag) and galaxy tags (rebuilt from galaxies)."""
    return {
        t["name"]
        for t in element.get("Tag") or []
        if not is_tlp_tag(t["name"]) and not t["name"].startswith("misp-galaxy:")
    }


def sightings_of(attr: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (str(s.get("type", "0")), str(s["date_sighting"]), (s.get("Organisation") or {}).get("name", ""))
        for s in attr.get("Sighting") or []
    }


def attributes_of(event: dict[str, Any]) -> dict[str, tuple]:
    return {
        a["uuid"]: (
            a["type"],
            a["category"],
            str(a["value"]),
            frozenset(tags_of(a)),
            frozenset(sightings_of(a)),
        )
        for a in event.get("Attribute") or []
    }


def object_attributes_of(event: dict[str, Any]) -> list[tuple]:
    # misp-stix gives object attributes new uuids; it fills a missing category from the template and
    # writes datetimes with +00:00 for Z: compared by value within each (object, relation, type).
    return sorted(
        (
            o["name"],
            a["type"],
            str(a["value"]).replace("+00:00", "Z"),
        )  # relations may be renamed (ip-dst -> ip)
        for o in event.get("Object") or []
        for a in o.get("Attribute") or []
    )


def galaxy_tags_of(event: dict[str, Any]) -> set[str]:
    # misp-stix makes one STIX object per galaxy, from its first cluster: the others are lost.
    return {
        g["GalaxyCluster"][0].get("tag_name") for g in event.get("Galaxy") or [] if g.get("GalaxyCluster")
    } - {None}


def assert_keeps(original: dict[str, Any], back: dict[str, Any]) -> None:
    """``back`` (a MISP event after a round trip) keeps what misp-stix can bring back of ``original``:
    info, every attribute's type, category, value, non-TLP tags and sightings, object attributes'
    values and types, galaxy tags (docs/misp.md lists what is lost)."""
    assert back["info"] == original["info"]
    assert tags_of(back) == tags_of(original)
    assert galaxy_tags_of(original) <= {t["name"] for t in back["Tag"]}
    before, after = attributes_of(original), attributes_of(back)
    assert before.keys() == after.keys()
    for uid, (typ, category, value, tags, sightings) in before.items():
        assert after[uid][:3] == (typ, category, value)
        if typ in UNTAGGED_TYPES:  # misp-stix may drop these attributes' tags, never invents any
            assert after[uid][3] <= tags
        else:
            assert after[uid][3] == tags
        assert after[uid][4] == sightings
    assert object_attributes_of(back) == [
        (o, t, v.replace("+00:00", "Z")) for o, t, v in object_attributes_of(original)
    ]


DOUBLE_KEY = "b" * 40  # the API key the MISP doubles accept unless told another


@dataclass
class Double:
    """A running ``misp_double.py`` server, and what a MISP user or admin would do on it."""

    url: str
    key: str
    proc: subprocess.Popen

    def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> httpx.Response:
        headers = {"Authorization": key or self.key, "Accept": "application/json"}
        return httpx.request(method, self.url + path, json=body, headers=headers, timeout=30)

    def events(self) -> dict[str, dict[str, Any]]:
        """Every event it holds (restSearch), by uuid."""
        found = self.call("POST", "/events/restSearch", {"returnFormat": "json"}).json()["response"]
        return {doc["Event"]["uuid"]: doc["Event"] for doc in found}

    def requests(self, path: str) -> list[dict[str, Any]]:
        """The calls it received on ``path``, oldest first."""
        return [r for r in httpx.get(self.url + "/_double/requests", timeout=30).json() if r["path"] == path]

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_double(directory: Path, docs: list[dict[str, Any]], key: str) -> Double:
    """Start the MISP double seeded with ``docs`` ({"Event": ...} each) and wait until it listens."""
    directory.mkdir(parents=True, exist_ok=True)
    seed = directory / "seed.json"
    seed.write_text(json.dumps(docs), encoding="utf-8")
    script = Path(__file__).parent / "misp_double.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), "--key", key, "--seed", str(seed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("PORT "):
        proc.kill()
        raise AssertionError(f"the MISP double did not start: {proc.stderr.read() if proc.stderr else ''}")
    return Double(f"http://127.0.0.1:{int(line.split()[1])}", key, proc)
