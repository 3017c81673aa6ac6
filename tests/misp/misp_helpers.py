"""Helpers for the MISP tests: feeds on disk from the shipped MISP event files, the CLI (a module of
its own name: ``from conftest import`` finds whichever test directory's conftest came first)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from accord.cli import app

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
