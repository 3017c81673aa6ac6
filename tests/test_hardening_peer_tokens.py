"""Peer tokens are sealed at rest with the node key, migrated from plain text, never printed.

A missing, wrong or unsafe key stops what needs the token with one line; nothing falls back to
plain text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from accord.audit.tables import audit_leaf
from accord.config import Settings
from accord.node import open_node
from accord.store.engine import create_engine, ensure_database, read_transaction, write_transaction
from accord.store.migrate import alembic_config
from accord.store.schema import peer
from accord.sync.peers import add_peer, get_peer, set_peer
from accord.sync.sealing import KEY_FILE, PeerKeyError

SECRET = "issued-by-cert-b-0c4f1d2e9a7b"


def accord(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "accord.cli", *args], capture_output=True, text=True, timeout=120
    )


def dump(conn: sa.Connection) -> str:
    """Every row of the tables that could hold the token, as text."""
    rows = [*conn.execute(sa.select(peer)), *conn.execute(sa.text("SELECT * FROM node_setting"))]
    rows += list(conn.execute(sa.select(audit_leaf.c.record)))
    return "\n".join(map(str, rows))


def test_peer_tokens_are_sealed_with_a_0600_key_and_open_for_calls(db_url: str, tmp_path: Path) -> None:
    node, _ = open_node(Settings(tmp_path / "data", db_url))
    try:
        with write_transaction(node.engine) as conn:
            add_peer(conn, "cert-b", "https://b.example/default/", SECRET)
        key = tmp_path / "data" / KEY_FILE
        assert key.stat().st_mode & 0o777 == 0o600
        with read_transaction(node.engine) as conn:
            assert SECRET not in dump(conn)
            stored = conn.execute(sa.select(peer.c.token_sealed)).scalar_one()
            found = get_peer(conn, "cert-b")
        assert stored.startswith("v1.") and found is not None and found.token == SECRET
        assert SECRET not in repr(found)
        # A new token and a new URL are sealed again (the token is bound to the URL).
        with write_transaction(node.engine) as conn:
            set_peer(conn, "cert-b", url="https://b2.example/default/")
            assert get_peer(conn, "cert-b").token == SECRET
            set_peer(conn, "cert-b", token="second-" + SECRET)
        with read_transaction(node.engine) as conn:
            assert SECRET not in dump(conn)
            assert get_peer(conn, "cert-b").token == "second-" + SECRET
        # A URL changed in the database alone: the token no longer opens (cannot be redirected).
        with write_transaction(node.engine) as conn:
            conn.execute(peer.update().values(url="https://attacker.example/default/"))
        with read_transaction(node.engine) as conn:
            with pytest.raises(PeerKeyError, match="does not open"):
                _ = get_peer(conn, "cert-b").token
    finally:
        node.close()


def test_peer_list_never_prints_tokens_and_key_faults_are_one_line(tmp_path: Path) -> None:
    data = tmp_path / "node"
    node = ["--data-dir", str(data)]
    assert accord("init", *node).returncode == 0
    # --no-check: nothing listens on that URL (the set-up check is tested in tests/federation).
    url = "http://127.0.0.1:9/default/"
    added = accord("peer", "add", "cert-b", "--url", url, "--token", SECRET, "--no-check", *node)
    assert added.returncode == 0, added.stderr
    listed = accord("peer", "list", *node)
    assert listed.returncode == 0 and "cert-b" in listed.stdout
    assert SECRET not in listed.stdout + listed.stderr
    assert SECRET not in (data / "accord.db").read_bytes().decode("latin-1")

    key = data / KEY_FILE
    original = key.read_bytes()

    def one_line_failure(*args: str, expect: str) -> None:
        result = accord(*args, *node)
        assert result.returncode == 1
        # `sync` also logs the failure (the node log's line): the same one line, no traceback.
        lines = result.stderr.strip().splitlines()
        assert lines and all(expect in line for line in lines), result.stderr
        assert len(set(line.split("failed: ", 1)[-1] for line in lines)) == 1, result.stderr
        assert SECRET not in result.stdout + result.stderr

    # Missing: never replaced by a new key (that would orphan the sealed tokens).
    key.unlink()
    one_line_failure("sync", "--once", expect="is missing")
    one_line_failure("audit", "witness", "--peer", "cert-b", expect="is missing")
    one_line_failure(
        "peer", "set", "cert-b", "--url", "http://127.0.0.1:8/default/", "--no-check", expect="is missing"
    )
    assert not key.exists()
    assert accord("peer", "list", *node).returncode == 0  # listing needs no key
    # Wrong: another node's key.
    fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"ZmFrZS1rZXktZmFrZS1rZXktZmFrZS1rZXktZmFrZS0=\n")
    os.close(fd)
    one_line_failure("sync", "--once", expect="sealed with key")
    # Unsafe: readable by others.
    key.write_bytes(original)
    key.chmod(0o644)
    one_line_failure("sync", "--once", expect="chmod 600")
    key.chmod(0o600)
    # The right key: the token opens (the peer has no links yet, so the pass makes no call).
    synced = accord("sync", "--once", *node)
    assert synced.returncode == 0 and synced.stdout.startswith("cert-b: pulled 0"), synced.stderr
    # Without the key not even a new token is sealed: a second key would orphan the other peers'.
    key.unlink()
    fixed = accord("peer", "set", "cert-b", "--token", "x", "--no-check", *node)
    assert fixed.returncode == 1 and "is missing" in fixed.stderr


def _at_revision_0001(db_url: str, data_dir: Path) -> sa.Engine:
    ensure_database(db_url)
    engine = create_engine(db_url)
    engine.update_execution_options(accord_data_dir=str(data_dir))
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    return engine


def _migrate(engine: sa.Engine, target: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.upgrade if target == "head" else command.downgrade)(cfg, target)


def test_migration_seals_plain_tokens_and_moves_the_sightings_cursor(db_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    engine = _at_revision_0001(db_url, data)
    try:
        with engine.begin() as conn:
            meta = sa.MetaData()
            t = {n: sa.Table(n, meta, autoload_with=conn) for n in ("org", "api_root", "collection", "peer")}
            conn.execute(
                t["org"].insert().values(id=1, name="cert-b", identity_id="identity--b", created_us=1)
            )
            conn.execute(t["org"].insert().values(id=2, name="soc", identity_id="identity--s", created_us=1))
            conn.execute(t["api_root"].insert().values(id=1, name="default", title="d", max_content_length=9))
            for cid in (1, 2):
                conn.execute(
                    t["collection"]
                    .insert()
                    .values(id=cid, uuid=f"c{cid}", root_id=1, title="c", default_tlp=1)
                )
            # seq 1..4: times 100, 200 (collection 1), 200 (collection 2), 300; the old cursor is 200.
            for seq, (cid, added) in enumerate(((1, 100), (1, 200), (2, 200), (1, 300)), start=1):
                conn.execute(
                    sa.text(
                        "INSERT INTO stix_object (seq, collection_id, stix_id, type, version, version_us,"
                        " spec_version, date_added_us, producer_org_id, tlp, body) VALUES (:seq, :cid,"
                        " :sid, 'sighting', 'v', 1, '2.1', :added, 2, 1, '{}')"
                    ),
                    {"seq": seq, "cid": cid, "sid": f"sighting--{seq}", "added": added},
                )
            conn.execute(
                t["peer"]
                .insert()
                .values(
                    name="cert-b",
                    org_id=1,
                    url="https://b.example/default/",
                    token=SECRET,
                    max_tlp=1,
                    interval_s=60,
                    enabled=True,
                    sightings_cursor_us=200,
                    failures=0,
                )
            )
        _migrate(engine, "head")
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT token_sealed, sightings_cursor_seq FROM peer")).one()
            assert SECRET not in row.token_sealed
            # Both sightings at the old cursor's time are considered again (re-posts are harmless).
            assert row.sightings_cursor_seq == 1
            assert get_peer(conn, "cert-b").token == SECRET
            epoch = conn.execute(sa.text("SELECT value FROM node_setting WHERE key = 'auth_epoch'")).scalar()
            assert epoch == "0"
        assert (data / KEY_FILE).stat().st_mode & 0o777 == 0o600
        # And back: the plain token and a date_added cursor that skips nothing.
        _migrate(engine, "0001")
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT token, sightings_cursor_us FROM peer")).one()
            assert (row.token, row.sightings_cursor_us) == (SECRET, 199)
    finally:
        engine.dispose()


def test_migrating_plain_tokens_without_the_data_directory_fails_clearly(tmp_path: Path) -> None:
    engine = _at_revision_0001(f"sqlite:///{tmp_path / 'a.db'}", tmp_path)
    try:
        engine.update_execution_options(accord_data_dir="")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO org VALUES (1, 'cert-b', 'identity--b', 1)"))
            conn.execute(
                sa.text(
                    "INSERT INTO peer (name, org_id, url, token, max_tlp, interval_s, enabled,"
                    " sightings_cursor_us, failures) VALUES ('cert-b', 1, 'https://b/', 't', 1, 60, 1, 0, 0)"
                )
            )
        with pytest.raises(PeerKeyError, match="data directory is unknown"):
            _migrate(engine, "head")
        with engine.connect() as conn:  # nothing half-done: still at 0001 with the plain row
            assert conn.execute(sa.text("SELECT token FROM peer")).scalar() == "t"
    finally:
        engine.dispose()


def test_rotate_key_reseals_every_token_and_an_interrupted_rotation_names_its_recovery(
    db_url: str, tmp_path: Path
) -> None:
    from accord.sync.sealing import PENDING_KEY_FILE, rotate_key

    data = tmp_path / "data"
    node, _ = open_node(Settings(data, db_url))
    key = data / KEY_FILE
    try:
        with write_transaction(node.engine) as conn:
            add_peer(conn, "cert-b", "https://b.example/default/", SECRET)
            add_peer(conn, "cert-c", "https://c.example/default/", "c-" + SECRET)
        original = key.read_bytes()
        with read_transaction(node.engine) as conn:
            before = dict(conn.execute(sa.select(peer.c.name, peer.c.token_sealed)).all())

        # Through the command line: every token re-sealed under a new key, the old key gone.
        args = ["--data-dir", str(data), "--db", db_url]
        done = accord("peer", "rotate-key", *args)
        assert done.returncode == 0, done.stderr
        assert "re-sealed 2 peer token(s)" in done.stderr and SECRET not in done.stdout + done.stderr
        assert key.read_bytes() != original and key.stat().st_mode & 0o777 == 0o600
        assert not (data / PENDING_KEY_FILE).exists()
        with read_transaction(node.engine) as conn:
            after = dict(conn.execute(sa.select(peer.c.name, peer.c.token_sealed)).all())
            assert get_peer(conn, "cert-b").token == SECRET
            assert get_peer(conn, "cert-c").token == "c-" + SECRET
        assert all(after[name] != before[name] for name in before)

        # Interrupted after the commit, before the new key was put in place: one line names the fix.
        with write_transaction(node.engine) as conn:
            rotation = rotate_key(conn)
        with read_transaction(node.engine) as conn, pytest.raises(PeerKeyError, match="interrupted") as exc:
            get_peer(conn, "cert-b").token  # noqa: B018
        assert f"mv {data / PENDING_KEY_FILE} {key}" in str(exc.value)
        rotation.install()
        with read_transaction(node.engine) as conn:
            assert get_peer(conn, "cert-b").token == SECRET

        # A token that no longer opens stops the rotation with nothing changed.
        with write_transaction(node.engine) as conn:
            conn.execute(peer.update().where(peer.c.name == "cert-c").values(token_sealed="v1.AAAA"))
        current = key.read_bytes()
        refused = accord("peer", "rotate-key", *args)
        assert refused.returncode == 1 and refused.stderr.count("\n") == 1
        assert "cert-c" in refused.stderr and "does not open" in refused.stderr
        assert key.read_bytes() == current
        with read_transaction(node.engine) as conn:
            assert get_peer(conn, "cert-b").token == SECRET
    finally:
        node.close()
