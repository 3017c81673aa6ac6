"""The MISP tests' fixtures (their helpers are in misp_helpers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from misp_helpers import DOUBLE_KEY, Double, accord, start_double


@pytest.fixture
def node_args(db_url: str, tmp_path: Path) -> list[str]:
    args = ["--data-dir", str(tmp_path / "node"), "--db", db_url]
    accord("init", *args)
    accord("org", "add", "cert-a", *args)
    accord("org", "add", "cert-b", *args)
    return args


@pytest.fixture
def misp_double(tmp_path: Path) -> Iterator[Callable[..., Double]]:
    """Start MISP doubles (real HTTP servers on loopback ports): ``misp_double(docs, key=...)``."""
    started: list[Double] = []

    def start(docs: list[dict[str, Any]], key: str = DOUBLE_KEY) -> Double:
        double = start_double(tmp_path / f"double-{len(started)}", docs, key)
        started.append(double)
        return double

    yield start
    for double in started:
        double.stop()
