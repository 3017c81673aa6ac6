"""A real medallion 3.0.0 TAXII 2.1 server (memory backend) on a free loopback port, for tests that
need a peer that is not Accord: one API root, ``api1``, with one empty read/write collection."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
from serving import free_port


@contextmanager
def medallion(base: Path, collection: str, user: tuple[str, str], *, max_page_size: int) -> Iterator[str]:
    """Run medallion with its files under ``base``; yields the API root URL, stops it afterwards."""
    port = free_port()
    root = f"http://127.0.0.1:{port}/api1/"
    data = {
        "/discovery": {"title": "test", "description": "", "default": root, "api_roots": [root]},
        "api1": {
            "information": {
                "title": "api1",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 10_000_000,
            },
            "status": [],
            "collections": [
                {
                    "id": collection,
                    "title": "test collection",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (base / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module_class": "MemoryBackend",
            "module": "medallion.backends.memory_backend",
            "filename": str(base / "data.json"),
        },
        "users": {user[0]: user[1]},
        "taxii": {"max_page_size": max_page_size},
    }
    (base / "config.json").write_text(json.dumps(config))
    command = [sys.executable, "-m", "medallion.scripts.run", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, str(base / "config.json")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core machine can take a while to start Flask
        while True:
            try:
                requests.get(root, auth=user, timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise AssertionError("medallion did not start") from None
                time.sleep(0.1)
        yield root
    finally:
        proc.terminate()
        proc.wait(timeout=10)
