"""Shared fixtures: a real medallion 3.0.0 TAXII 2.1 server (memory backend) on a free local port."""

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def taxii_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    base = tmp_path_factory.mktemp("medallion")
    port = _free_port()
    data = {
        "/discovery": {"title": "test", "api_roots": [f"http://127.0.0.1:{port}/api1/"]},
        "api1": {
            "information": {
                "title": "api1",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10485760,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "reports",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    data_file = base / "data.json"
    data_file.write_text(json.dumps(data))
    config = {
        "backend": {
            "module_class": "MemoryBackend",
            "module": "medallion.backends.memory_backend",
            "filename": str(data_file),
        },
        "users": {"analyst": "secret"},
        "taxii": {"max_page_size": 100},
    }
    config_file = base / "config.json"
    config_file.write_text(json.dumps(config))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "medallion.scripts.run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            str(config_file),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}/api1/"
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core machine can take a while to start Flask
        while True:
            try:
                requests.get(root, auth=("analyst", "secret"), timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("medallion did not start") from None
                time.sleep(0.1)
        yield {"root": root, "collection": COLLECTION, "token": "analyst:secret"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def write(tmp_path: Path):
    def _write(name: str, data: bytes | str) -> Path:
        path = tmp_path / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    return _write
