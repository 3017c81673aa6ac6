"""Where the sweep page's logs come from: the node's own log directory, or an upload.

Analysts may only pick files the administrator put in ``<data dir>/sweep-logs`` (the directory may
itself be a symlink, e.g. to ``/var/log/suricata``). A picked name is accepted only if it is one of
the names listed from that directory, and only if it resolves inside it: no path typed by a user
ever reaches the file system. Uploads are copied under ``<data dir>/web-sweeps`` and deleted once
swept.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO

from starlette.types import Message, Receive, Scope

LOGS_DIR = "sweep-logs"
UPLOADS_DIR = "web-sweeps"
MAX_LISTED = 500
MAX_DEPTH = 3
MAX_UPLOAD_BYTES = 1 << 30
UPLOAD_OVERHEAD = 64 * 1024  # a form's other fields and the multipart headers around the file
SUFFIXES = (".log", ".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".txt", ".gz", ".zst")


class UploadTooLarge(Exception):
    """The upload went past MAX_UPLOAD_BYTES; nothing was kept."""


def capped(scope: Scope, receive: Receive, limit: int) -> Receive:
    """``receive`` that raises UploadTooLarge once the body goes past ``limit`` + UPLOAD_OVERHEAD bytes.

    The multipart parser spools a whole body to disk before any handler sees it: counted as it
    streams, an oversized body is refused after at most one chunk more than the cap, and one whose
    Content-Length already says so before a byte of it is read.
    """
    allowed = limit + UPLOAD_OVERHEAD
    declared = dict(scope.get("headers") or []).get(b"content-length", b"")
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        if declared.isdigit() and int(declared) > allowed:
            raise UploadTooLarge
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > allowed:
                raise UploadTooLarge
        return message

    return wrapped


def logs_dir(data_dir: Path) -> Path:
    return data_dir / LOGS_DIR


def server_logs(data_dir: Path) -> list[tuple[str, int]]:
    """(name relative to the log directory, size) of the files there, sorted, at most MAX_LISTED."""
    base = logs_dir(data_dir)
    if not base.is_dir():
        return []
    root = base.resolve()
    found: list[tuple[str, int]] = []
    for current, dirs, files in os.walk(root):
        here = Path(current)
        depth = len(here.relative_to(root).parts)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if depth < MAX_DEPTH else []
        for name in sorted(files):
            path = here / name
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            resolved = path.resolve()
            if not resolved.is_relative_to(root) or not resolved.is_file():
                continue  # a symlink leading out of the directory is not offered
            found.append((path.relative_to(root).as_posix(), resolved.stat().st_size))
            if len(found) >= MAX_LISTED:
                return found
    return found


def pick(data_dir: Path, name: str) -> Path | None:
    """The file behind a listed name, or None when the name is not one of the listed files."""
    if name not in {n for n, _ in server_logs(data_dir)}:
        return None
    root = logs_dir(data_dir).resolve()
    path = (root / name).resolve()
    return path if path.is_relative_to(root) and path.is_file() else None


def save_upload(data_dir: Path, stream: BinaryIO) -> Path:
    """Copy an uploaded log under the node's data directory (private to the node's user)."""
    folder = data_dir / UPLOADS_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}.log"
    copied = 0
    with open(path, "wb") as out:
        os.chmod(path, 0o600)
        while chunk := stream.read(1 << 20):
            copied += len(chunk)
            if copied > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise UploadTooLarge
            out.write(chunk)
    return path


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)
