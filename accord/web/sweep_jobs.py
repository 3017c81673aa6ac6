"""Sweeps started from the console: one background thread each, inside the server process.

A job reads the collection's indicators through the sharing policy (as the organization that
started it), compiles them with ``accord.sweep``, sweeps one log and keeps what the pages show: the
progress, the sighted indicators, a sample of the hits, and the sightings ready to be sent. Jobs
live in memory, belong to the organization that started them, and are forgotten after a while.
"""

from __future__ import annotations

import io
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from accord.stix.timestamps import format_us
from accord.store.admin import Collection, Principal
from accord.store.engine import read_transaction
from accord.store.schema import org
from accord.web import data

log = logging.getLogger("accord.web")

MAX_RUNNING = 2
MAX_KEPT = 50
KEEP_S = 12 * 3600
SAMPLE_HITS = 200
SAMPLE_BYTES = 256 * 1024


class SweepBusy(Exception):
    """Too many sweeps are running on this node; the analyst is asked to try again."""


class NoIndicators(Exception):
    """The collection holds no indicator this organization may read."""


@dataclass
class Hit:
    line: int
    time: str | None
    field: str
    value: str
    indicator: str


@dataclass
class Sighted:
    indicator: str
    label: str
    count: int
    first: str | None
    last: str | None


@dataclass
class Sent:
    collection: Collection
    stored: int
    failed: list[Any]


@dataclass
class Job:
    """One sweep: written by its thread, read by the pages (plain attributes, no partial states)."""

    id: str
    org_id: int
    collection: Collection
    source: str  # what the analyst chose: the uploaded file's name or the listed name
    fmt: str
    exact_domains: bool
    total_bytes: int
    started: float = field(default_factory=time.time)
    stage: str = "queued"  # queued, indicators, sweeping, done, failed
    bytes_done: int = 0
    events: int = 0
    matches: int = 0
    indicators: int = 0
    not_evaluated: int = 0
    malformed: int = 0
    error: Exception | None = None
    sighted: list[Sighted] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # of the indicators sighted
    sightings: list[dict[str, Any]] = field(default_factory=list)
    sent: Sent | None = None

    @property
    def finished(self) -> bool:
        return self.stage in ("done", "failed")

    @property
    def percent(self) -> int:
        if self.stage == "done":
            return 100
        if not self.total_bytes:
            return 0
        return min(99, int(100 * self.bytes_done / self.total_bytes))

    def on_batch(self, nbytes: int, events: int, hits: int) -> None:
        self.bytes_done += nbytes
        self.events += events
        self.matches += hits


class HitSample(io.RawIOBase):
    """Where ``accord.sweep`` writes hits (NDJSON): keeps the first ones, counts nothing else."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        room = SAMPLE_BYTES - len(self.buffer)
        if room > 0:
            self.buffer += bytes(b)[:room]
        return len(b)

    def hits(self) -> list[Hit]:
        out = []
        for line in bytes(self.buffer).splitlines()[:SAMPLE_HITS]:
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                break  # the sample was cut in the middle of a line
            out.append(Hit(row["line"], row.get("time"), row["field"], row["value"], row["indicator"]))
        return out


def _identity(conn: Connection, principal: Principal) -> dict[str, Any]:
    """The organization's identity object, the same every time (so storing it twice is harmless)."""
    created_us = conn.execute(sa.select(org.c.created_us).where(org.c.id == principal.org.id)).scalar_one()
    stamp = format_us(int(created_us))
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": principal.org.identity_id,
        "created": stamp,
        "modified": stamp,
        "name": principal.org.name,
        "identity_class": "organization",
    }


def run_sweep(engine: Engine, job: Job, principal: Principal, path: Path) -> None:
    """The job's work; every failure ends up in ``job.error`` for the page to explain."""
    from accord import sweep  # polars and friends load with the first sweep, not with the server
    from accord.sweep.falsepositives import FalsePositives

    try:
        job.stage = "indicators"
        with read_transaction(engine) as conn:
            rows = data.every_row(conn, job.collection, principal, "indicator")
            objects = [orjson.loads(r.body) for r in rows]
            who = _identity(conn, principal)
        job.indicators = len(objects)
        if not objects:
            raise NoIndicators
        comp = sweep.compile_indicators(objects, FalsePositives.load())
        job.stage = "sweeping"
        sample = HitSample()
        opts = sweep.SweepOptions(fmt=job.fmt, exact_domains=job.exact_domains)
        result = sweep.sweep([str(path)], comp, opts, hits_out=sample, on_batch=job.on_batch)
        seen = {comp.ids[i] for i in result.counts["idx"].to_list()}
        job.labels = {o["id"]: data.label_of(o) for o in objects if o["id"] in seen}
        del objects
        job.malformed = result.malformed_count
        job.not_evaluated = len(result.problems)
        job.matches = int(result.counts["count"].sum() or 0)
        job.sightings = [who, *sweep.build_sightings(result.counts, comp, who)]
        job.sighted = sorted(
            (
                Sighted(
                    s["sighting_of_ref"],
                    job.labels.get(s["sighting_of_ref"], ""),
                    s["count"],
                    s.get("first_seen"),
                    s.get("last_seen"),
                )
                for s in job.sightings[1:]
            ),
            key=lambda s: -s.count,
        )
        job.hits = sample.hits()
        job.stage = "done"
    except Exception as exc:  # shown on the job's page, translated; unexpected ones are logged too
        if not isinstance(exc, (NoIndicators, sweep.LogError, sweep.IndicatorError)):
            log.exception("sweep %s failed", job.id)
        job.error = exc
        job.stage = "failed"


class SweepJobs:
    """The node's console sweeps, by id; at most MAX_RUNNING at a time."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, job: Job, work: Callable[[Job], None]) -> None:
        with self._lock:
            self._forget_old()
            if sum(1 for j in self._jobs.values() if not j.finished) >= MAX_RUNNING:
                raise SweepBusy
            self._jobs[job.id] = job
        threading.Thread(target=work, args=(job,), name=f"sweep-{job.id[:8]}", daemon=True).start()

    def get(self, job_id: str, principal: Principal) -> Job | None:
        """The job, only for the organization that started it."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.org_id == principal.org.id else None

    def mine(self, principal: Principal) -> list[Job]:
        jobs = [j for j in list(self._jobs.values()) if j.org_id == principal.org.id]
        return sorted(jobs, key=lambda j: -j.started)

    def _forget_old(self) -> None:
        now = time.time()
        done = sorted((j for j in self._jobs.values() if j.finished), key=lambda j: j.started)
        for job in done:
            if now - job.started > KEEP_S or len(self._jobs) >= MAX_KEPT:
                del self._jobs[job.id]


def new_id() -> str:
    return secrets.token_urlsafe(16)
