"""Shared fixtures: a real medallion 3.0.0 TAXII 2.1 server (memory backend) on a free local port."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from medallion_server import medallion

COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


@pytest.fixture(scope="session")
def taxii_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    with medallion(
        tmp_path_factory.mktemp("medallion"), COLLECTION, ("analyst", "secret"), max_page_size=100
    ) as root:
        yield {"root": root, "collection": COLLECTION, "token": "analyst:secret"}


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, data: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    return _write
