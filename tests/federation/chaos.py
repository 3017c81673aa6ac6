"""Three real nodes, links made only with the documented CLI, and faults during a large sync.

Topology (the README's cooperation: two national CERTs and a company):

    A (cert-a) --pull, AMBER--> B (cert-b) --pull, GREEN--> C (cert-c)
    A (cert-a) --push, GREEN------------------------------> C (cert-c)

Every node is an `accord serve` process (background sync on) behind a `Gate`: a TCP forwarder on
its own port, which peers are given as the node's URL. Closing a gate is a partition (the port
refuses connections and open ones are reset) while the node behind it keeps running; a fault is
either that or `kill -9` of a node, restarted later. A's analyst keeps writing new versions,
revocations and deletions over TAXII while the faults happen.

`run_chaos` returns what was measured; the checks (nothing lost, nothing twice, nothing above a
link's TLP) are made by the caller from the nodes' own stores.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx
import orjson
import sqlalchemy as sa
from nodes import NodeProc, free_port, wait_for
from stixgen import indicator, stix_id

from accord.stix.markings import TLP
from accord.store.engine import read_transaction
from accord.store.schema import collection, stix_object

ORDER = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]


class Gate:
    """A TCP forwarder in front of one node: open, or closed like a port behind a firewall."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.open()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        """Refuse new connections and reset the open ones."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, set()
        for conn in conns:
            try:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
            except OSError:
                pass

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                client.close()  # the node behind is down: the peer sees a reset
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._conns |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                self._conns.discard(src)
                self._conns.discard(dst)


def accord(node: NodeProc, *args: str) -> str:
    """One documented CLI command against a node's data directory; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli", *args, "--data-dir", str(node.data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"accord {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


@dataclass
class Federation:
    a: NodeProc
    b: NodeProc
    c: NodeProc
    gates: dict[str, Gate]
    a_out: str
    b_in: str
    c_in: str
    c_from_b: str
    analyst_token: str
    interval: float


def set_up(make_node, interval: float) -> Federation:
    """Nodes started, then organizations, tokens, collections and links through the CLI only."""
    a, b, c = make_node("cert-a"), make_node("cert-b"), make_node("cert-c")
    for node in (a, b, c):
        node.start(sync=True)
    gates = {n.name: Gate(n.port) for n in (a, b, c)}

    def token(node: NodeProc, org: str) -> str:
        accord(node, "org", "add", org)
        return accord(node, "token", "create", "--org", org)

    a_for_b, a_for_c, analyst = token(a, "cert-b"), token(a, "cert-c"), token(a, "analyst")
    b_for_a, b_for_c = token(b, "cert-a"), token(b, "cert-c")
    c_for_a, c_for_b = token(c, "cert-a"), token(c, "cert-b")
    a_out = accord(
        a, "collection", "add", "A shares", "--read", "cert-b,analyst", "--write", "analyst", "--tlp", "green"
    )
    b_in = accord(b, "collection", "add", "From A", "--read", "cert-c", "--tlp", "green")
    c_in = accord(c, "collection", "add", "A pushes", "--write", "cert-a", "--tlp", "green")
    c_from_b = accord(c, "collection", "add", "From B", "--tlp", "green")
    a_out, b_in, c_in, c_from_b = (x.split()[0] for x in (a_out, b_in, c_in, c_from_b))
    every = ["--interval", str(interval)]
    discovery = {name: f"{gate.url}/taxii2/" for name, gate in gates.items()}
    accord(a, "peer", "add", "cert-b", "--url", discovery["cert-b"], "--token", b_for_a, "--max-tlp", "amber")
    accord(b, "peer", "add", "cert-c", "--url", discovery["cert-c"], "--token", c_for_b, "--max-tlp", "green")
    accord(c, "peer", "add", "cert-a", "--url", discovery["cert-a"], "--token", a_for_c, "--max-tlp", "green")
    accord(
        a, "peer", "add", "cert-c", "--url", discovery["cert-c"], "--token", c_for_a, "--max-tlp", "green",
        "--push", f"{a_out}:{c_in}", *every,
    )  # fmt: skip
    accord(
        b, "peer", "add", "cert-a", "--url", discovery["cert-a"], "--token", a_for_b, "--max-tlp", "amber",
        "--pull", f"{a_out}:{b_in}", *every,
    )  # fmt: skip
    accord(
        c, "peer", "add", "cert-b", "--url", discovery["cert-b"], "--token", b_for_c, "--max-tlp", "green",
        "--pull", f"{b_in}:{c_from_b}", *every,
    )  # fmt: skip
    return Federation(a, b, c, gates, a_out, b_in, c_in, c_from_b, analyst, interval)


def _tlp(rng: random.Random) -> TLP:
    return rng.choices(ORDER, weights=[30, 35, 25, 5, 5])[0]


def _marked(name: str, tlp: TLP, version: int, **extra) -> dict:
    recipients = ["cert-b"] if tlp in (TLP.AMBER_STRICT, TLP.RED) else None
    stamp = f"2026-0{version}-01T00:00:00.000Z"
    return indicator(
        name, tlp=tlp, recipients=recipients, modified=stamp, value=f"{name}.example.net", **extra
    )


def corpus(objects: int, seed: int) -> tuple[list[dict], list[str]]:
    """About ``objects`` versions: every id a first version, a quarter a second (a tenth of those
    with another TLP), a twelfth revoked in a third. Returns the versions and the ids."""
    rng = random.Random(seed)
    ids = max(1, int(objects / (1 + 1 / 4 + 1 / 12)))
    versions: list[dict] = []
    names = [f"ioc-{i}" for i in range(ids)]
    for i, name in enumerate(names):
        tlp = _tlp(rng)
        versions.append(_marked(name, tlp, 1))
        if i % 4 == 1:
            versions.append(_marked(name, _tlp(rng) if rng.random() < 0.1 else tlp, 2))
        if i % 12 == 5:
            versions.append(_marked(name, tlp, 3, revoked=True))
    return versions[:objects], names


@dataclass
class ChaosResult:
    faults: list[str] = field(default_factory=list)
    writes_during: int = 0
    deletions: int = 0
    deleted: set[str] = field(default_factory=set)  # ids A's analyst deleted (some posted again later)
    faults_ended: float = 0.0
    converged_after_s: float = 0.0
    passes_after: dict[str, int] = field(default_factory=dict)


def _taxii(method: str, url: str, token: str, body: bytes | None = None) -> httpx.Response | None:
    """One call from A's analyst; None when A is down (the caller tries again)."""
    headers = {
        "Accept": "application/taxii+json;version=2.1",
        "Content-Type": "application/taxii+json;version=2.1",
    }
    try:
        return httpx.request(method, url, content=body, headers=headers, auth=("analyst", token), timeout=30)
    except httpx.TransportError:
        return None


def _analyst_at_work(
    fed: Federation, names: list[str], stop: threading.Event, rng: random.Random, result
) -> None:
    """New versions, revocations and deletions on A while the faults happen (A's own port)."""
    base = f"{fed.a.root}collections/{fed.a_out}/objects/"
    month = 4
    while not stop.is_set():
        name = rng.choice(names)
        if rng.random() < 0.3:
            result.deleted.add(stix_id("indicator", name))
            while (r := _taxii("DELETE", f"{base}{stix_id('indicator', name)}/", fed.analyst_token)) is None:
                time.sleep(0.2)
            assert r.status_code in (200, 404), r.text  # 404: deleted before, or before a kill
            result.deletions += r.status_code == 200
        else:
            batch = [_marked(n, _tlp(rng), month, revoked=rng.random() < 0.2) for n in rng.sample(names, 20)]
            body = orjson.dumps({"objects": batch})
            while (r := _taxii("POST", base, fed.analyst_token, body)) is None:
                time.sleep(0.2)
            assert r.status_code == 202, r.text
            result.writes_during += len(batch)
            month = 4 + (month - 3) % 5
        time.sleep(rng.uniform(0.05, 0.3))


def _success_lines(node: NodeProc, peer: str, offset: int) -> int:
    text = node.log.read_bytes()[offset:].decode(errors="replace")
    return text.count(f"sync with {peer}: pulled")


def run_chaos(fed: Federation, versions: list[dict], names: list[str], faults: int, seed: int) -> ChaosResult:
    """Import the corpus on A, then faults at random points while the links sync it."""
    rng = random.Random(seed)
    result = ChaosResult()
    bundle = fed.a.data_dir / "corpus.json"
    bundle.write_bytes(orjson.dumps({"type": "bundle", "id": "bundle--1", "objects": versions}))
    accord(fed.a, "import", str(bundle), "--collection", fed.a_out, "--producer", "analyst")
    wait_for(lambda: fed.b.count(fed.b_in) > 0, timeout=120, interval=0.05, what="the pull under way")

    stop = threading.Event()
    writer_rng = random.Random(seed + 1)  # its own: the faults stay the same whatever it does
    writer = threading.Thread(
        target=_analyst_at_work, args=(fed, names, stop, writer_rng, result), daemon=True
    )
    writer.start()
    nodes = {n.name: n for n in (fed.a, fed.b, fed.c)}
    try:
        for number in range(faults):
            time.sleep(rng.uniform(0.2, 1.5))
            name = rng.choice(sorted(nodes))
            down = rng.uniform(0.5, 2.5)
            if number % 2 == 0:
                result.faults.append(f"kill -9 {name} ({down:.1f} s)")
                nodes[name].kill9()
                time.sleep(down)
                nodes[name].start(sync=True)
            else:
                result.faults.append(f"partition {name} ({down:.1f} s)")
                fed.gates[name].close()
                time.sleep(down)
                fed.gates[name].open()
    finally:
        stop.set()
        writer.join(timeout=60)
    offsets = {n.name: n.log.stat().st_size for n in nodes.values()}
    result.faults_ended = time.monotonic()
    wait_for(lambda: converged(fed), timeout=20 * fed.interval + 120, interval=0.3, what="convergence")
    result.converged_after_s = time.monotonic() - result.faults_ended
    for node, peer in ((fed.b, "cert-a"), (fed.c, "cert-b"), (fed.a, "cert-c")):
        result.passes_after[f"{node.name}<->{peer}"] = _success_lines(node, peer, offsets[node.name])
    return result


def rows(node: NodeProc, coll: str) -> list[tuple[str, str, int]]:
    """(id, version, TLP) of every version stored in a collection."""
    with read_transaction(node.engine) as conn:
        found = conn.execute(
            sa.select(stix_object.c.stix_id, stix_object.c.version, stix_object.c.tlp)
            .join(collection, collection.c.id == stix_object.c.collection_id)
            .where(collection.c.uuid == coll)
        )
        return [(r.stix_id, r.version, r.tlp) for r in found]


def expected(fed: Federation) -> dict[str, set[tuple[str, str]]]:
    """What each receiving collection must hold, from A's store and the README's table: B (AMBER
    link) A's CLEAR, GREEN and AMBER versions; C, directly and through B (GREEN links), the CLEAR
    and GREEN ones. Deleted versions are gone from A, and so must be everywhere."""
    held = rows(fed.a, fed.a_out)
    upto = {limit: {(i, v) for i, v, t in held if t <= int(limit)} for limit in (TLP.AMBER, TLP.GREEN)}
    return {fed.b_in: upto[TLP.AMBER], fed.c_in: upto[TLP.GREEN], fed.c_from_b: upto[TLP.GREEN]}


def converged(fed: Federation) -> bool:
    want = expected(fed)
    return all(
        {(i, v) for i, v, _ in rows(node, coll)} == want[coll]
        for node, coll in ((fed.b, fed.b_in), (fed.c, fed.c_in), (fed.c, fed.c_from_b))
    )
