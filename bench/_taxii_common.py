"""Shared helpers of the TAXII benchmarks: workload, servers as subprocesses, measurements, reporting.

Both `taxii_vs_medallion.py` and `taxii_scale.py` need the same deterministic STIX workload, the same
way of running a server on 127.0.0.1 (and always stopping it), and the same taxii2-client measurements,
so that the figures of the two scripts can be compared with each other.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
import requests
from taxii2client.v21 import Collection, as_pages

HOST = "127.0.0.1"
TAXII_MEDIA = "application/taxii+json;version=2.1"
STIX_MEDIA = "application/stix+json;version=2.1"
BASE_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z: fixed, so the workload is identical in every run
Obj = dict[str, Any]


# --------------------------------------------------------------------------- workload


def _ts(seconds: float) -> str:
    """STIX timestamp with millisecond precision, built by hand (much faster than datetime for 1M)."""
    whole = int(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((seconds - whole) * 1000):03d}Z"


def iter_objects(n: int, seed: int = 1) -> Iterator[Obj]:
    """Yield `n` valid STIX 2.1 objects as plain dicts, deterministic for a given (n, seed).

    Mix: ~5 % identities, ~10 % malware, ~55 % indicators with patterns, ~30 % relationships
    (indicator `indicates` malware). Dicts are built directly: building 1M stix2 objects would take
    far longer than the benchmark itself.
    """
    rng = random.Random(seed)

    def new_id(kind: str) -> str:
        return f"{kind}--{uuid.UUID(int=rng.getrandbits(128), version=4)}"

    identities: list[str] = []
    malware: list[str] = []
    indicators: list[str] = []
    families = ("emotet", "qakbot", "lockbit", "icedid", "redline", "agenttesla", "formbook", "raccoon")
    for i in range(n):
        created = _ts(BASE_TIME + i * 0.001)
        roll = rng.random()
        if i < 2 or roll < 0.05:
            oid = new_id("identity")
            identities.append(oid)
            yield {
                "type": "identity",
                "spec_version": "2.1",
                "id": oid,
                "created": created,
                "modified": created,
                "name": f"Org {i}",
                "identity_class": "organization",
            }
        elif i < 4 or roll < 0.15:
            oid = new_id("malware")
            malware.append(oid)
            yield {
                "type": "malware",
                "spec_version": "2.1",
                "id": oid,
                "created": created,
                "modified": created,
                "name": f"{rng.choice(families)}-{i}",
                "is_family": True,
                "malware_types": ["trojan"],
                "created_by_ref": rng.choice(identities),
            }
        elif roll < 0.70 or not indicators:
            oid = new_id("indicator")
            indicators.append(oid)
            kind = rng.randrange(3)
            if kind == 0:
                octets = ".".join(str(rng.randrange(256)) for _ in range(3))
                pattern = f"[ipv4-addr:value = '10.{octets}']"
            elif kind == 1:
                pattern = f"[domain-name:value = 'host{rng.getrandbits(32):08x}.example.com']"
            else:
                pattern = f"[file:hashes.'SHA-256' = '{rng.getrandbits(256):064x}']"
            yield {
                "type": "indicator",
                "spec_version": "2.1",
                "id": oid,
                "created": created,
                "modified": created,
                "name": f"Indicator {i}",
                "indicator_types": ["malicious-activity"],
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": created,
                "created_by_ref": rng.choice(identities),
            }
        else:
            yield {
                "type": "relationship",
                "spec_version": "2.1",
                "id": new_id("relationship"),
                "created": created,
                "modified": created,
                "relationship_type": "indicates",
                "source_ref": rng.choice(indicators[-5000:]),
                "target_ref": rng.choice(malware[-500:]),
            }


def make_objects(n: int, seed: int = 1) -> list[Obj]:
    """The workload as a list, for the side-by-side bench (10k objects fit in memory easily)."""
    return list(iter_objects(n, seed))


def check_valid(objects: Iterable[Obj], sample: int = 200) -> None:
    """Parse a sample with stix2 so a malformed generator fails the bench instead of skewing it."""
    import stix2  # slow import: only when checking

    for obj in list(objects)[:sample]:
        stix2.parse(obj, allow_custom=False, version="2.1")


def write_bundle(path: Path, objects: Iterable[Obj]) -> int:
    """Stream `objects` into a STIX bundle file without holding them all; returns the count."""
    count = 0
    with path.open("wb") as out:
        out.write(b'{"type":"bundle","id":"bundle--' + str(uuid.UUID(int=1, version=4)).encode() + b'",')
        out.write(b'"objects":[\n')
        for obj in objects:
            if count:
                out.write(b",\n")
            out.write(orjson.dumps(obj))
            count += 1
        out.write(b"\n]}\n")
    return count


def batches(objects: list[Obj], size: int) -> Iterator[list[Obj]]:
    for start in range(0, len(objects), size):
        yield objects[start : start + size]


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tree_pids(pid: int) -> list[int]:
    """`pid` and its descendants, so RSS is counted even if the server forks workers."""
    out, todo = [], [pid]
    while todo:
        cur = todo.pop()
        out.append(cur)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{cur}/task"):
                with open(f"/proc/{cur}/task/{task}/children") as fh:
                    todo.extend(int(c) for c in fh.read().split())
    return out


def rss_bytes(pid: int) -> int:
    """Summed VmRSS of the process tree rooted at `pid`."""
    total = 0
    for p in tree_pids(pid):
        with contextlib.suppress(OSError), open(f"/proc/{p}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


class RssSampler:
    """Samples the server's RSS every `interval` seconds in a thread, keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_bytes(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(rss_bytes(self.pid))

    @property
    def peak(self) -> int:
        return max(self.samples, default=0)


def run_cli(args: list[str], timeout: float = 3600) -> str:
    """Run a command, return stdout; on failure raise with stderr so the report shows the real error."""
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}{proc.stdout[-1000:]}"
        )
    return proc.stdout


def accord_cmd(*args: str) -> list[str]:
    """The Accord CLI through this interpreter (independent of PATH shims, and the pid is the server)."""
    code = "import sys; from accord.cli import main; sys.argv[0] = 'accord'; main()"
    return [sys.executable, "-c", code, *args]


def cli_startup_s() -> float:
    """Wall time of `accord --help`: the fixed cost inside every `accord import` timing."""
    t0 = time.perf_counter()
    run_cli(accord_cmd("--help"))
    return time.perf_counter() - t0


def accord_available() -> bool:
    try:
        out = subprocess.run(accord_cmd("--help"), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and "serve" in out.stdout


class Server:
    """A TAXII server in a subprocess of its own session; `stop` kills that process group only."""

    name = "server"
    user = ""
    password = ""
    collection_url = ""
    request_timeout: float | None = 600.0

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.name}.log"

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, ready_timeout: float = 120.0) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                self.command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.workdir,
            )
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.proc.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(requests.RequestException):
                resp = requests.get(
                    f"{self.base}/taxii2/",
                    auth=(self.user, self.password),
                    headers={"Accept": TAXII_MEDIA},
                    timeout=5,
                )
                if resp.status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {ready_timeout}s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(15)

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.stop()
        if exc_type is not None:  # the temporary directory goes away: show why the server failed
            print(f"--- {self.name} log (tail) ---\n{self.log_tail()}", file=sys.stderr)

    def collection(self) -> Collection:
        """A taxii2-client Collection; requests get a timeout so a stuck server cannot hang the bench."""
        coll = Collection(self.collection_url, user=self.user, password=self.password)
        session = coll._conn.session
        session.request = functools.partial(session.request, timeout=self.request_timeout)  # type: ignore[method-assign]
        return coll


class MedallionServer(Server):
    """medallion 3.0.0 with its memory backend, configured from a generated JSON file."""

    name = "medallion"
    user, password = "bench", "bench-pass"
    api_root = "bench"  # not "default": medallion's key lookup would hit the discovery "default" URL
    collection_id = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

    def __init__(
        self, workdir: Path, page_size: int, preload: list[Obj] | None = None, label: str = "medallion"
    ) -> None:
        self.name = label
        (workdir / label).mkdir(parents=True, exist_ok=True)
        super().__init__(workdir / label)
        self.page_size = page_size
        self.preload = preload or []
        self.collection_url = f"{self.base}/{self.api_root}/collections/{self.collection_id}/"
        self.request_timeout = 3600.0  # its paged read is quadratic: minutes for 10k objects

    def _data(self) -> dict[str, Any]:
        manifest = [
            {
                "id": o["id"],
                "date_added": _ts(BASE_TIME + 86400 + i * 0.001),
                "version": o["modified"],
                "media_type": STIX_MEDIA,
            }
            for i, o in enumerate(self.preload)
        ]
        return {
            "/discovery": {
                "title": "bench",
                "description": "benchmark",
                "contact": "bench@example.org",
                "default": f"{self.base}/{self.api_root}/",
                "api_roots": [f"{self.base}/{self.api_root}/"],
            },
            self.api_root: {
                "information": {
                    "title": "bench",
                    "description": "benchmark",
                    "versions": [TAXII_MEDIA],
                    "max_content_length": 1 << 30,
                },
                "status": [],
                "collections": [
                    {
                        "id": self.collection_id,
                        "title": "bench",
                        "description": "benchmark",
                        "can_read": True,
                        "can_write": True,
                        "media_types": [STIX_MEDIA],
                        "objects": list(self.preload),
                        "manifest": manifest,
                    }
                ],
            },
        }

    def command(self) -> list[str]:
        data_path, config_path = self.workdir / "data.json", self.workdir / "config.json"
        data_path.write_text(json.dumps(self._data()))
        config = {
            "backend": {
                "module": "medallion.backends.memory_backend",
                "module_class": "MemoryBackend",
                "filename": str(data_path),
                "session_timeout": 7200,
                "check_interval": 60,
            },
            "users": {self.user: self.password},
            "taxii": {"max_page_size": self.page_size},
        }
        config_path.write_text(json.dumps(config))
        return [
            sys.executable,
            "-c",
            "from medallion.scripts.run import main; main()",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--log-level",
            "WARN",
            str(config_path),
        ]


class AccordServer(Server):
    """Accord through its CLI on a temporary data dir: init, one collection, serve."""

    name = "accord"
    user = "admin"

    def __init__(self, workdir: Path, db_url: str | None = None, label: str = "accord") -> None:
        self.name = label
        (workdir / label).mkdir(parents=True, exist_ok=True)
        super().__init__(workdir / label)
        self.data_dir = self.workdir / "data"
        self.db_args = ["--db", db_url] if db_url else []
        self.collection_id = ""

    def setup(self, title: str = "bench") -> None:
        """`accord init` + `accord collection add`; separate from start so import can run before serving."""
        out = run_cli(accord_cmd("init", "--data-dir", str(self.data_dir), *self.db_args))
        lines = [line.strip() for line in out.splitlines() if line.strip()]
        if not lines:
            raise RuntimeError("accord init printed no admin token")
        self.password = lines[-1]
        out = run_cli(
            accord_cmd(
                "collection",
                "add",
                title,
                "--data-dir",
                str(self.data_dir),
                *self.db_args,
                "--read",
                "admin",
                "--write",
                "admin",
            )
        )
        self.collection_id = out.split()[-1]
        self.collection_url = f"{self.base}/default/collections/{self.collection_id}/"

    def import_file(self, path: Path) -> float:
        """Run `accord import`; returns its wall time in seconds (process start included)."""
        t0 = time.perf_counter()
        run_cli(
            accord_cmd(
                "import",
                str(path),
                "--collection",
                self.collection_id,
                "--data-dir",
                str(self.data_dir),
                *self.db_args,
            ),
            timeout=7200,
        )
        return time.perf_counter() - t0

    def command(self) -> list[str]:
        return accord_cmd(
            "serve", "--data-dir", str(self.data_dir), *self.db_args, "--host", HOST, "--port", str(self.port)
        )


@contextlib.contextmanager
def postgres_database(base: str = "postgresql://postgres@127.0.0.1:5432") -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards even on failure."""
    import psycopg

    name = f"accord_bench_{os.getpid()}_{random.randrange(1 << 30)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield Path(tmp)


def resolve_db(db: str, stack: contextlib.ExitStack) -> str | None:
    """`sqlite` -> Accord's default; `postgres` -> a fresh database; anything else is used as a URL."""
    if db == "sqlite":
        return None
    if db == "postgres":
        return stack.enter_context(postgres_database())
    return db


# --------------------------------------------------------------------------- measurements


def ingest(coll: Collection, objects: list[Obj], batch: int = 1000) -> float:
    """POST `objects` in envelopes of `batch`, waiting for each status to complete; returns seconds."""
    t0 = time.perf_counter()
    for chunk in batches(objects, batch):
        try:
            status = coll.add_objects(
                {"objects": chunk}, wait_for_completion=True, poll_interval=0.05, timeout=600
            )
        except requests.HTTPError as exc:
            body = exc.response.text[:2000] if exc.response is not None else ""
            raise RuntimeError(f"POST of {len(chunk)} objects: {exc}\n{body}") from exc
        if status.status != "complete" or status.success_count != len(chunk):
            raise RuntimeError(
                f"POST of {len(chunk)} objects: status {status.status}, "
                f"success {status.success_count}, failures {status.failures[:3]}"
            )
    return time.perf_counter() - t0


def get_singles(coll: Collection, ids: list[str]) -> float:
    """One GET per id (object endpoint); returns seconds. Checks each answer is the object asked for."""
    t0 = time.perf_counter()
    for oid in ids:
        env = coll.get_object(oid)
        if not env.get("objects") or env["objects"][0]["id"] != oid:
            raise RuntimeError(f"GET {oid}: unexpected answer {str(env)[:300]}")
    return time.perf_counter() - t0


class HeaderLog:
    """Keeps the TAXII date headers of every response (taxii2-client returns only the JSON body)."""

    def __init__(self, coll: Collection) -> None:
        self.last: list[str | None] = []
        coll._conn.session.hooks["response"].append(self._hook)

    def _hook(self, resp: requests.Response, *args: object, **kwargs: object) -> None:
        self.last.append(resp.headers.get("X-TAXII-Date-Added-Last"))


def paged_read(
    coll: Collection, page_size: int, on_page: Callable[[dict[str, Any]], None] | None = None
) -> tuple[float, int, int, float]:
    """Read the whole collection with `as_pages`; returns (seconds, objects, pages, first page seconds)."""
    t0 = time.perf_counter()
    first = 0.0
    count = pages = 0
    for env in as_pages(coll.get_objects, per_request=page_size):
        if not pages:
            first = time.perf_counter() - t0
        pages += 1
        count += len(env.get("objects", []))
        if on_page is not None:
            on_page(env)
    return time.perf_counter() - t0, count, pages, first


def median_times(fns: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median wall time of each function, calls interleaved so load drift on a shared machine
    affects all of them alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, out in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


# --------------------------------------------------------------------------- reporting


def table(header: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured Markdown table, so the printout can be pasted into docs/benchmarks.md."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)])


def fmt(value: float, digits: int = 1) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}" if value >= 1 else f"{value:.3g}"


def machine() -> str:
    """One line on where the figures come from (shared machines: read the ratios)."""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"python {sys.version.split()[0]}, {os.cpu_count()} cpu, load {load}, {when}"
