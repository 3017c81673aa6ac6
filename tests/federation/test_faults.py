"""Faults: peers that are down, answer garbage or 5xx, and a node killed in the middle of a pull."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from nodes import NodeProc, wait_for
from stixgen import indicator

from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import write_transaction
from accord.store.objects import add_objects
from accord.sync.client import PeerError
from accord.sync.peers import add_link
from accord.sync.runner import sync_peer


def _pull_link(src: NodeProc, dst: NodeProc, name: str, *, interval: float = 0.3) -> tuple[str, str]:
    """dst pulls a new collection of src into a new collection of its own."""
    token = src.org(dst.name)
    src_coll = src.collection(f"Out to {dst.name}", read=[dst.name], tlp="green")
    dst_coll = dst.collection(f"From {name}")
    dst.peer(name, src, token=token, max_tlp=TLP.GREEN, interval_s=interval)
    with write_transaction(dst.engine) as conn:
        add_link(conn, name, "pull", src_coll, dst_coll)
    return src_coll, dst_coll


def _load(node: NodeProc, coll_uuid: str, objects: list[dict]) -> None:
    with write_transaction(node.engine) as conn:
        coll = admin.collection_by_uuid(conn, coll_uuid)
        producer = admin.require_org(conn, "admin")
        for start in range(0, len(objects), 5000):
            add_objects(conn, coll, producer, objects[start : start + 5000])


def test_a_peer_going_down_does_not_block_the_others_and_catches_up(make_node) -> None:
    a, c, b = make_node("a"), make_node("c"), make_node("b")
    a_coll, b_from_a = _pull_link(a, b, "a")
    c_coll, b_from_c = _pull_link(c, b, "c")
    a.start()
    c.start()
    b.start(sync=True)
    _load(a, a_coll, [indicator("a-1")])
    wait_for(lambda: b.names(b_from_a) == {"a-1"}, what="first pull from a")
    a.stop()
    _load(c, c_coll, [indicator("c-1")])
    _load(a, a_coll, [indicator("a-2")])  # written while A's server is down
    wait_for(lambda: b.names(b_from_c) == {"c-1"}, what="c while a is down")
    # A pass in flight when A stopped may fail first with "Server disconnected" (RemoteProtocolError);
    # the passes after it find nothing listening, and say so.
    wait_for(
        lambda: "ConnectError" in (b.peer_state("a").last_error or ""), what="a's refused connection recorded"
    )
    assert b.peer_state("a").failures >= 1
    listing = subprocess.run(
        [sys.executable, "-m", "accord.cli", "peer", "list", "--data-dir", str(b.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "failing" in listing.stdout and "ConnectError" in listing.stdout
    # Four failures: the backoff is now 16 intervals, but a peer that could not be reached is probed
    # each interval, and the pass that catches up follows the first probe it answers.
    wait_for(lambda: b.peer_state("a").failures >= 4, what="a's backoff at its cap")
    a.start()
    wait_for(lambda: b.names(b_from_a) == {"a-1", "a-2"}, timeout=60, what="catch-up after a comes back")
    wait_for(lambda: b.peer_state("a").failures == 0, what="failures reset")
    log = b.log.read_text()
    back = log.index("sync with a: the peer answers again, passing now")
    assert "sync with a: pulled 1," in log[back:]


class _Garbage(BaseHTTPRequestHandler):
    answers: list[tuple[int, str, bytes, dict]] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        status, ctype, body, headers = self.answers[0]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


TAXII = "application/taxii+json;version=2.1"


@pytest.mark.parametrize(
    "answer,message",
    [
        ((500, TAXII, b'{"title": "boom", "http_status": "500"}', {}), "HTTP 500 boom"),
        ((503, "text/html", b"<html>maintenance</html>", {}), "HTTP 503"),
        ((200, TAXII, b"\x00\xffnot json", {}), "not valid JSON"),
        ((200, "text/html", b"<html>login</html>", {}), "not a TAXII answer"),
        ((200, TAXII, b"[1, 2]", {}), "not a JSON object"),
        ((200, TAXII, b'{"objects": "x"}', {}), "'objects' is not a list"),
        ((200, TAXII, b'{"more": true, "objects": []}', {}), "more=true without a next token"),
        ((200, TAXII, b'{"objects": [{"type": "indicator"}]}', {}), "no X-TAXII-Date-Added-Last"),
    ],
)
def test_garbage_and_errors_from_a_peer_store_nothing(make_node, answer, message: str) -> None:
    b = make_node("b")
    _Garbage.answers = [answer]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake = type("Fake", (), {"root": f"http://127.0.0.1:{server.server_port}/api/"})()
        b.peer("fake", fake, token="t", max_tlp=TLP.GREEN)
        local = b.collection("From fake")
        with write_transaction(b.engine) as conn:
            add_link(conn, "fake", "pull", "11111111-1111-4111-8111-111111111111", local)
        with pytest.raises(PeerError, match=message):
            sync_peer(b.engine, "fake")
        state = b.peer_state("fake")
        assert state.failures == 1 and message.split()[0] in state.last_error
        assert state.links[0].cursor_us == 0 and b.stored(local) == []
    finally:
        server.shutdown()


def test_kill_9_during_a_pull_of_50000_objects_loses_and_duplicates_nothing(make_node) -> None:
    a, b = make_node("a"), make_node("b")
    a_coll, b_coll = _pull_link(a, b, "a")
    objects = [indicator(f"bulk-{i}", value=f"h{i}.example.org") for i in range(50_000)]
    _load(a, a_coll, objects)
    a.start()
    args = [sys.executable, "-m", "accord.cli", "sync", "--once", "--data-dir", str(b.data_dir)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: b.count(b_coll) >= 5_000, timeout=120, interval=0.02, what="pull under way")
    finally:
        proc.kill()  # SIGKILL: no cleanup of any kind
        proc.wait()
    partial = b.count(b_coll)
    assert 0 < partial < 50_000, partial
    time.sleep(0.2)
    subprocess.run(args, check=True, capture_output=True, timeout=600)
    received = b.stored(b_coll)
    assert len(received) == 50_000
    assert {(o["id"], o["modified"]) for o in received} == {(o["id"], o["modified"]) for o in objects}


def test_sync_once_prints_a_refused_connection_once(make_node) -> None:
    b = make_node("b")
    down = type("Down", (), {"root": "http://127.0.0.1:1/api/"})()  # nothing listens on port 1
    b.peer("down", down, token="t", max_tlp=TLP.GREEN)
    local = b.collection("From down")
    with write_transaction(b.engine) as conn:
        add_link(conn, "down", "pull", "11111111-1111-4111-8111-111111111111", local)
    done = subprocess.run(
        [sys.executable, "-m", "accord.cli", "sync", "--once", "--data-dir", str(b.data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("down: failed: ") and "ConnectError" in lines[0]
    assert done.stdout == ""
