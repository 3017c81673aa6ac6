"""Federation throughput: two real nodes on loopback, N objects pulled (and pushed) end to end.

Prints objects/s for a full pull and a full push of N objects between two `accord serve`
processes, and the time of an incremental sync with nothing new (goal: under 1 s per peer and
collection). Usage: python bench/sync_bench.py [--objects 100000] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import sqlalchemy as sa

from accord.config import Settings
from accord.node import open_node
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects
from accord.sync.peers import add_peer
from accord.sync.runner import sync_peer

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def objects(n: int) -> list[dict]:
    return [
        {
            "type": "indicator",
            "spec_version": "2.1",
            "id": f"indicator--{uuid.UUID(int=i + 1)}",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": f"bench-{i}",
            "pattern": f"[domain-name:value = 'h{i}.example.org']",
            "pattern_type": "stix",
            "valid_from": "2026-01-01T00:00:00Z",
        }
        for i in range(n)
    ]


def db_url(kind: str, base: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{base / name / 'accord.db'}"
    dbname = f"accord_syncbench_{name}_{uuid.uuid4().hex[:8]}"
    return PG + dbname


def drop(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(PG + "postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    engine.dispose()


def serve(data_dir: Path, url: str) -> tuple[str, subprocess.Popen]:
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
            url,
            "--port",
            str(port),
            "--no-sync",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    root = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(root + "/taxii2/", timeout=1)
            return root + "/default/", proc
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("node did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="accord-syncbench-"))
    urls = {name: db_url(args.db, base, name) for name in ("a", "b")}
    procs: list[subprocess.Popen] = []
    try:
        nodes = {name: open_node(Settings(base / name, urls[name]))[0] for name in urls}
        a, b = nodes["a"], nodes["b"]
        with write_transaction(a.engine) as conn:
            b_org = admin.add_org(conn, "b")
            token_for_b = admin.create_token(conn, b_org)
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            source = admin.add_collection(conn, root, "Source", default_tlp=TLP.GREEN)
            admin.grant(conn, source, b_org, read=True, write=False)
        with write_transaction(b.engine) as conn:
            a_org = admin.add_org(conn, "a")
            token_for_a = admin.create_token(conn, a_org)
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            pulled = admin.add_collection(conn, root, "Pulled")
            pushed = admin.add_collection(conn, root, "Pushed")
            admin.grant(conn, pushed, a_org, read=False, write=True)
        batch = objects(args.objects)
        with write_transaction(a.engine) as conn:
            coll = admin.collection_by_uuid(conn, source.uuid)
            producer = admin.require_org(conn, "admin")
        for start in range(0, len(batch), 5000):
            with write_transaction(a.engine) as conn:
                add_objects(conn, coll, producer, batch[start : start + 5000])
        a_root, pa = serve(base / "a", urls["a"])
        b_root, pb = serve(base / "b", urls["b"])
        procs += [pa, pb]
        with write_transaction(b.engine) as conn:
            add_peer(
                conn, "a", a_root, token_for_b, max_tlp=TLP.GREEN, pulls=[f"{source.uuid}:{pulled.uuid}"]
            )
        with write_transaction(a.engine) as conn:
            add_peer(
                conn, "b", b_root, token_for_a, max_tlp=TLP.GREEN, pushes=[f"{source.uuid}:{pushed.uuid}"]
            )

        t = time.perf_counter()
        pull = sync_peer(b.engine, "a")
        pull_s = time.perf_counter() - t
        t = time.perf_counter()
        push = sync_peer(a.engine, "b")
        push_s = time.perf_counter() - t
        incremental = []
        for _ in range(5):
            t = time.perf_counter()
            sync_peer(b.engine, "a")
            incremental.append(time.perf_counter() - t)
        assert pull.pulled == args.objects and push.pushed == args.objects, (pull, push)
        results = {
            "objects": args.objects,
            "db": args.db,
            "pull_objects_per_s": round(args.objects / pull_s),
            "pull_s": round(pull_s, 2),
            "push_objects_per_s": round(args.objects / push_s),
            "push_s": round(push_s, 2),
            "incremental_nothing_new_s": round(sorted(incremental)[2], 4),
        }
        print(f"{args.objects} objects, {args.db}")
        print(f"  pull  {results['pull_objects_per_s']:>8} objects/s ({pull_s:.1f} s)   goal >= 5,000")
        print(f"  push  {results['push_objects_per_s']:>8} objects/s ({push_s:.1f} s)   goal >= 5,000")
        print(
            f"  incremental sync, nothing new: {results['incremental_nothing_new_s'] * 1000:.1f} ms (median)"
            "   goal < 1 s"
        )
        if args.json:
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        for node in list(locals().get("nodes", {}).values()):
            node.close()
        for url in urls.values():
            drop(url)
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
