from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))

from nodes import NodeProc  # noqa: E402


@pytest.fixture
def make_node(tmp_path: Path):
    made: list[NodeProc] = []

    def make(name: str) -> NodeProc:
        node = NodeProc(name, tmp_path)
        made.append(node)
        return node

    yield make
    for node in made:
        node.close()
