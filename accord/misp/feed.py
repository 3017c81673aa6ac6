"""The MISP feed format: ``manifest.json`` (event uuid -> summary), one ``<uuid>.json`` per event
(``{"Event": {...}}``), ``hashes.csv`` (``md5 of a value,event uuid`` per line; both halves of a
composite ``a|b`` value) — read from a directory or over HTTP(S), and written to a directory."""

from __future__ import annotations

import hashlib
import io
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson

TIMEOUT = 60.0


class FeedError(ValueError):
    """The feed as a whole cannot be read (no manifest, unreachable); one line."""


@dataclass
class FeedSource:
    """Where a feed is: a directory or a base URL; reads its files."""

    location: str
    _client: httpx.Client | None = None

    @property
    def remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    def read(self, name: str) -> bytes | None:
        """The file ``name`` of the feed, None when it does not exist; FeedError when unreachable."""
        if not self.remote:
            try:
                return (Path(self.location) / name).read_bytes()
            except FileNotFoundError:
                return None
            except OSError as exc:
                raise FeedError(f"{self.location}/{name}: cannot read: {exc.strerror}") from None
        if self._client is None:
            self._client = httpx.Client(timeout=TIMEOUT, follow_redirects=True)
        url = self.location.rstrip("/") + "/" + name
        try:
            response = self._client.get(url)
        except httpx.HTTPError as exc:
            raise FeedError(f"{url}: {' '.join(str(exc).split()) or type(exc).__name__}") from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise FeedError(f"{url}: HTTP {response.status_code}")
        return response.content

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


@dataclass
class Feed:
    source: FeedSource
    manifest: dict[str, dict[str, Any]]
    # event uuid -> the 16-byte md5s hashes.csv lists for it, end to end (a million attributes
    # take 16 MB, not the 120 MB of a set of hex strings); empty: no file.
    hashes: dict[str, bytes] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)  # events with a line that is no md5 in hashes.csv

    def hashes_match(self, uid: str, event: dict[str, Any]) -> bool:
        """Whether every md5 hashes.csv lists for the event is one of its values' (True if none)."""
        if uid in self.unreadable:
            return False
        listed = self.hashes.get(uid)
        if not listed:
            return True
        have = {bytes.fromhex(h) for h in value_hashes(event)}
        return all(listed[i : i + 16] in have for i in range(0, len(listed), 16))

    def event_uuids(self) -> list[str]:
        """Oldest first (by the manifest's timestamp), so a later pull finds newer versions after."""
        return sorted(self.manifest, key=lambda u: (_int(self.manifest[u].get("timestamp")), u))

    def event(self, uid: str) -> Any:
        """The parsed ``<uuid>.json``; ValueError (a per-event error) when missing or not JSON."""
        raw = self.source.read(f"{uid}.json")
        if raw is None:
            raise ValueError("the manifest lists it but the feed has no event file for it")
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"the event file is not JSON: {exc}") from None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def open_feed(location: str) -> Feed:
    source = FeedSource(str(location))
    raw = source.read("manifest.json")
    if raw is None:
        raise FeedError(f"{location}: no manifest.json: not a MISP feed")
    try:
        manifest = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise FeedError(f"{location}/manifest.json is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or not all(isinstance(v, dict) for v in manifest.values()):
        raise FeedError(f"{location}/manifest.json is not a MISP manifest (event uuid -> event summary)")
    hashes: dict[str, bytearray] = defaultdict(bytearray)
    unreadable: set[str] = set()
    for number, line in enumerate(io.BytesIO(source.read("hashes.csv") or b""), 1):  # a line at a time
        if not line.strip():
            continue
        digest, _, uid = line.strip().partition(b",")
        if not uid:
            raise FeedError(f"{location}/hashes.csv line {number}: expected 'md5,event uuid'")
        name = uid.strip().decode("utf-8", "replace")
        try:
            raw = bytes.fromhex(digest.strip().decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            raw = b""
        if len(raw) == 16:
            hashes[name] += raw
        else:  # matches no value: the event is reported as not matching the feed's hashes.csv
            unreadable.add(name)
    return Feed(source, manifest, {uid: bytes(digests) for uid, digests in hashes.items()}, unreadable)


def value_hashes(event: dict[str, Any]) -> set[str]:
    """MD5s of the event's attribute values as hashes.csv lists them (PyMISP's ``hash_values``)."""
    out: set[str] = set()
    attributes = list(event.get("Attribute") or [])
    for obj in event.get("Object") or []:
        if isinstance(obj, dict):
            attributes.extend(obj.get("Attribute") or [])
    for attr in attributes:
        if not isinstance(attr, dict) or attr.get("value") is None:
            continue
        value, typ = str(attr["value"]), str(attr.get("type", ""))
        parts = value.split("|") if "|" in typ or typ == "malware-sample" else [value]
        out.update(hashlib.md5(p.encode("utf-8"), usedforsecurity=False).hexdigest() for p in parts)
    return out


def write_feed(out: Path, events: Iterator[dict[str, Any]]) -> int:
    """Write ``events`` (PyMISP ``to_feed(with_meta=True)`` dicts) as a feed in ``out``; the count.

    Event files first, ``hashes.csv`` and then ``manifest.json`` last, each written to a temporary
    name and renamed: a subscriber reading while it is written sees the previous manifest."""
    out.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    lines: list[str] = []
    for doc in events:
        event = dict(doc["Event"])
        digests = event.pop("_hashes", [])
        summary = event.pop("_manifest", {})
        uid = event["uuid"]
        _write(out / f"{uid}.json", orjson.dumps({"Event": event}, option=orjson.OPT_INDENT_2))
        manifest.update(summary)
        lines.extend(f"{d},{uid}\n" for d in digests)
    _write(out / "hashes.csv", "".join(lines).encode())
    _write(out / "manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return len(manifest)


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
