"""Real nodes for federation tests: each an `accord serve` process with its own data directory.

Setup and inspection go straight to each node's database (SQLite, shared safely with the running
server in WAL mode); everything that crosses between nodes goes over TAXII on loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from accord.config import Settings
from accord.node import open_node
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.schema import collection, stix_object
from accord.sync.peers import add_peer, get_peer, set_peer


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class NodeProc:
    def __init__(self, name: str, base: Path) -> None:
        self.name = name
        self.data_dir = base / name
        self.db_url = f"sqlite:///{self.data_dir / 'accord.db'}"
        self.node, self.admin_token = open_node(Settings(self.data_dir, self.db_url))
        self.engine = self.node.engine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.root = f"{self.url}/default/"
        self.process: subprocess.Popen | None = None
        self.log = self.data_dir / "serve.log"

    # -- setup ------------------------------------------------------------------------------------

    def org(self, name: str, identity: str | None = None) -> str:
        """Create (if needed) an organization and return a new token for it."""
        with write_transaction(self.engine) as conn:
            found = admin.find_org(conn, name) or admin.add_org(conn, name, identity)
            return admin.create_token(conn, found)

    def identity(self, name: str) -> str:
        with read_transaction(self.engine) as conn:
            return admin.require_org(conn, name).identity_id

    def collection(
        self, title: str, *, read: list[str] = (), write: list[str] = (), tlp: str = "amber"
    ) -> str:
        with write_transaction(self.engine) as conn:
            root = admin.find_root(conn, admin.DEFAULT_ROOT)
            coll = admin.add_collection(conn, root, title, default_tlp=TLP.parse(tlp))
            for name in dict.fromkeys([*read, *write]):
                admin.grant(conn, coll, admin.require_org(conn, name), read=name in read, write=name in write)
            return coll.uuid

    def grant(self, coll_uuid: str, org_name: str, *, read: bool, write: bool) -> None:
        with write_transaction(self.engine) as conn:
            coll = admin.collection_by_uuid(conn, coll_uuid)
            admin.grant(conn, coll, admin.require_org(conn, org_name), read=read, write=write)

    def peer(self, name: str, other: NodeProc, token: str, **options: Any) -> None:
        with write_transaction(self.engine) as conn:
            add_peer(conn, name, other.root, token, **options)

    def set_peer(self, name: str, **options: Any) -> None:
        with write_transaction(self.engine) as conn:
            set_peer(conn, name, **options)

    def peer_state(self, name: str):
        with read_transaction(self.engine) as conn:
            return get_peer(conn, name)

    # -- data ---------------------------------------------------------------------------------------

    def post(self, coll: str, org_name: str, token: str, *objects: dict) -> dict:
        r = httpx.post(
            f"{self.root}collections/{coll}/objects/",
            auth=(org_name, token),
            headers={
                "Content-Type": "application/taxii+json;version=2.1",
                "Accept": "application/taxii+json;version=2.1",
            },
            content=orjson.dumps({"objects": list(objects)}),
            timeout=60,
        )
        assert r.status_code == 202, r.text
        return r.json()

    def stored(self, coll: str) -> list[dict]:
        """Every stored version in a collection, straight from the database."""
        with read_transaction(self.engine) as conn:
            rows = conn.execute(
                sa.select(stix_object.c.body)
                .join(collection, collection.c.id == stix_object.c.collection_id)
                .where(collection.c.uuid == coll)
                .order_by(stix_object.c.date_added_us)
            )
            return [orjson.loads(r.body) for r in rows]

    def count(self, coll: str) -> int:
        with read_transaction(self.engine) as conn:
            return conn.execute(
                sa.select(sa.func.count())
                .select_from(stix_object.join(collection, collection.c.id == stix_object.c.collection_id))
                .where(collection.c.uuid == coll)
            ).scalar_one()

    def versions(self, coll: str) -> set[tuple[str, str]]:
        return {(o["id"], o.get("modified", "")) for o in self.stored(coll)}

    def names(self, coll: str) -> set[str]:
        return {o["name"] for o in self.stored(coll) if "name" in o}

    # -- process ----------------------------------------------------------------------------------

    def start(self, sync: bool = False) -> NodeProc:
        args = [
            sys.executable,
            "-m",
            "accord.cli",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--db",
            self.db_url,
            "--port",
            str(self.port),
            "--log-level",
            "info",
        ]
        if not sync:
            args.append("--no-sync")
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                httpx.get(self.url + "/taxii2/", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        self.node.close()


def wait_for(check, timeout: float = 60.0, interval: float = 0.2, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except AssertionError as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}" + (f": {last}" if last else ""))
