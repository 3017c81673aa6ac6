"""`accord sweep LOG --private-from PEER` between two real `accord serve` processes, its one-line
errors, a node without libsodium, and `accord peer rotate-key` re-sealing the private-sweep keys."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from accord.config import Settings
from accord.node import open_node
from accord.private_sweep import keys
from accord.private_sweep.tables import private_sweep_peer
from accord.store import admin
from accord.store.engine import read_transaction, write_transaction
from accord.store.objects import add_objects
from accord.store.schema import collection
from accord.sync.peers import add_peer

from .test_private_sweep import PROTECTED, write_log

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "federation"))
from nodes import NodeProc  # noqa: E402

TAXII = {"Accept": "application/taxii+json;version=2.1"}


def accord(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


class Pair:
    """Holder "cert" (TLP:RED indicators, a sightings collection) and partner "acme", both serving."""

    def __init__(self, base: Path) -> None:
        self.holder, self.partner = NodeProc("cert", base), NodeProc("acme", base)
        h, p = self.holder, self.partner
        red = h.collection("Red", tlp="red")
        h.peer("acme", p, token=p.org("cert"))
        self.sightings = h.collection("Sightings from partners", write=["acme"], tlp="amber")
        with write_transaction(h.engine) as conn:
            coll = conn.execute(sa.select(collection).where(collection.c.uuid == red)).one()
            add_objects(conn, coll, admin.add_org(conn, "producer"), PROTECTED)
            keys.configure(conn, "acme", red, 1000)
        token = h.org("acme")  # the token the holder issues to the partner
        p.peer("cert", h, token=token, sightings_collection=self.sightings)
        p.peer("cert-no-home", h, token=token)  # the same holder, no sightings collection named
        p.peer("other", h, token=h.org("nosweep"))  # an organization with no private sweep
        self.holder.start()
        self.partner.start()

    def sweep(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        p = self.partner
        return accord("sweep", *args, "--data-dir", str(p.data_dir), "--db", p.db_url, env=env)

    def close(self) -> None:
        self.partner.close()
        self.holder.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory):
    made = Pair(tmp_path_factory.mktemp("private-cli"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("logs") / "eve.ndjson"
    write_log(path)
    return str(path)


def test_counts_only_sends_nothing_then_report_hits_delivers_sightings(pair: Pair, log: str) -> None:
    quiet = pair.sweep(log, "--format", "ndjson", "--private-from", "cert")
    assert quiet.returncode == 0, quiet.stderr
    assert "7 indicators sighted" in quiet.stdout and "not reported" in quiet.stdout
    assert pair.holder.count(pair.sightings) == 0  # without --report-hits nothing goes back
    sent = pair.sweep(log, "--format", "ndjson", "--private-from", "cert", "--report-hits")
    assert sent.returncode == 0, sent.stderr
    assert "reported 7 sightings to cert" in sent.stdout
    home = [o for o in pair.holder.stored(pair.sightings) if o["type"] == "sighting"]
    protected_ids = {o["id"] for o in PROTECTED[:-1]}  # the CIDR one is not protected
    assert len(home) == 7 and {s["sighting_of_ref"] for s in home} <= protected_ids
    assert {s["count"] for s in home} == {1, 2}  # 203.0.113.7 twice; 192.0.2.50 once in validity


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--private-from", "nobody"], "no peer named 'nobody' on this node"),
        (["--private-from", "other"], "answered 403 (Forbidden: nosweep is not a peer allowed"),
        (["--private-from", "cert-no-home", "--report-hits"], "names no sightings collection"),
        (["--report-hits"], "--report-hits goes with --private-from"),
    ],
)
def test_one_line_errors(pair: Pair, log: str, args: list[str], message: str) -> None:
    stored = pair.holder.count(pair.sightings)
    done = pair.sweep(log, "--format", "ndjson", *args)
    assert done.returncode != 0 and done.stderr.count("\n") == 1, done.stderr
    assert message in done.stderr
    assert pair.holder.count(pair.sightings) == stored  # nothing sent by a failed sweep


def test_without_libsodium_the_node_starts_and_a_private_sweep_says_the_fix(
    pair: Pair, log: str, tmp_path: Path
) -> None:
    fake = tmp_path / "no-sodium" / "pysodium"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise OSError('libsodium.so.23: cannot open shared object file')\n")
    env = {"PYTHONPATH": os.pathsep.join([str(fake.parent), os.environ.get("PYTHONPATH", "")])}
    done = pair.sweep(log, "--format", "ndjson", "--private-from", "cert", env=env)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "apt-get install libsodium23" in done.stderr
    # a node without it serves as usual; only its private-sweep endpoint says what is missing
    bare = NodeProc("bare", tmp_path)
    red = bare.collection("Red", tlp="red")
    with write_transaction(bare.engine) as conn:
        add_peer(conn, "acme", "http://acme.invalid/default/", "x")
        keys.configure(conn, "acme", red, 10)
    token = bare.org("acme")
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = env["PYTHONPATH"]
    try:
        bare.start()
    finally:
        os.environ.pop("PYTHONPATH") if saved is None else os.environ.update(PYTHONPATH=saved)
    try:
        with write_transaction(bare.engine) as conn:
            add_peer(conn, "globex", "http://globex.invalid/default/", "y")
        where = ["--data-dir", str(bare.data_dir), "--db", bare.db_url]
        refused = accord("peer", "set", "globex", "--private-sweep", red, *where, env=env)
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
        assert "apt-get install libsodium23" in refused.stderr
        assert httpx.get(bare.url + "/taxii2/", timeout=10).status_code in (200, 401)
        r = httpx.get(bare.url + "/private-sweep/", headers={**TAXII, "Authorization": f"Bearer {token}"})
        assert r.status_code == 503 and "apt-get install libsodium23" in r.json()["description"]
    finally:
        bare.close()


def test_rotate_key_reseals_the_private_sweep_keys(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    node, _ = open_node(Settings(data, db_url))
    try:
        with write_transaction(node.engine) as conn:
            add_peer(conn, "acme", "https://acme.example/default/", "secret-token")
            coll = admin.add_collection(conn, admin.find_root(conn, admin.DEFAULT_ROOT), "red")
            before = keys.configure(conn, "acme", coll.uuid, 10)
            public = before.holder(conn).public_key
        done = accord("peer", "rotate-key", "--data-dir", str(data), "--db", db_url)
        assert done.returncode == 0, done.stderr
        with read_transaction(node.engine) as conn:
            after = keys.get(conn, "acme")
            assert after is not None
            assert after.sealed != before.sealed and after.key_id == before.key_id
            assert after.holder(conn).public_key == public  # the same key, sealed under the new node key
            # the old sealing no longer opens: the node key it was sealed with is gone
            conn.execute(sa.select(private_sweep_peer.c.key_sealed)).scalar_one()
        with write_transaction(node.engine) as conn:
            conn.execute(private_sweep_peer.update().values(key_sealed=before.sealed))
        with read_transaction(node.engine) as conn, pytest.raises(Exception, match="does not open"):
            keys.get(conn, "acme").holder(conn)  # type: ignore[union-attr]
    finally:
        node.close()
