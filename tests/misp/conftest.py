"""The MISP tests' fixtures (their helpers are in misp_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from misp_helpers import accord


@pytest.fixture
def node_args(db_url: str, tmp_path: Path) -> list[str]:
    args = ["--data-dir", str(tmp_path / "node"), "--db", db_url]
    accord("init", *args)
    accord("org", "add", "cert-a", *args)
    accord("org", "add", "cert-b", *args)
    return args
