"""Shared fixtures for the sweep tests: random EVE logs and indicator bundles written to tmp files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from . import sweep_gen


def write_eve(path: Path, events: list[dict], bad_lines: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(e, ensure_ascii=False) for e in events]
    for pos, text in sorted((bad_lines or {}).items()):
        lines.insert(pos, text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_bundle(path: Path, objects: list[dict]) -> Path:
    path.write_text(
        json.dumps(
            {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001", "objects": objects}
        )
    )
    return path


@pytest.fixture(scope="session")
def random_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict], Path]:
    rng = random.Random(20240301)
    d = tmp_path_factory.mktemp("random")
    events = [sweep_gen.eve_event(rng) for _ in range(2500)]
    general = [
        "[ipv4-addr:value != '203.0.113.1']",
        "[ipv4-addr:value = '203.0.113.1' AND domain-name:value = 'evil.com']",
        "[network-traffic:dst_port > 1000]",
        "[domain-name:value NOT LIKE '%evil%']",
        "[file:size > 0]",
    ]
    inds = sweep_gen.indicators(rng, 300, general)
    log = write_eve(d / "eve.json", events, {100: "{broken", 1500: "[1, 2]"})
    return log, inds, write_bundle(d / "ind.json", inds)
