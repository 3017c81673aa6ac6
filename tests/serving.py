"""Start real `accord` processes for tests: the CLI, and `accord serve` on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(*args: str, check: bool = True) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli", *args], capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"accord {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def start_server(data_dir: Path, db_url: str) -> tuple[str, subprocess.Popen]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accord.cli",
            "serve",
            "--data-dir",
            str(data_dir),
            "--db",
            db_url,
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"accord serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            httpx.get(url + "/taxii2/", timeout=1)
            return url, proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError("accord serve did not start within 60 s")
