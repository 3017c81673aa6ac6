import json
from base64 import b64decode
from datetime import UTC, datetime

import sqlalchemy as sa
from typer.testing import CliRunner

from accord.audit import merkle
from accord.audit.command import audit_app
from accord.audit.heads import sign_tree_head
from accord.audit.keys import PUBLIC_KEY_FILE, load_or_create_key
from accord.audit.log import append, current_head
from accord.config import Settings
from accord.node import open_node

runner = CliRunner()
AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _node(tmp_path, size=12, db_url=None):
    """A real node (its own administration is already in the log), then ``size`` more records."""
    node, _ = open_node(Settings(tmp_path, db_url or f"sqlite:///{tmp_path}/accord.db"))
    key = load_or_create_key(tmp_path)
    with node.engine.begin() as conn:
        base = current_head(conn).tree_size
        for i in range(size):
            append(conn, "object", {"i": i}, AT)
        sign_tree_head(conn, key, AT)
    return node.engine, base


def test_verify_export_and_offline_verify(tmp_path):
    engine, base = _node(tmp_path)
    assert base > 0
    result = runner.invoke(audit_app, ["verify", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    out = tmp_path / "export.jsonl"
    result = runner.invoke(audit_app, ["export", str(out), "--db", f"sqlite:///{tmp_path}/accord.db"])
    assert result.exit_code == 0 and f"{base + 12} records" in result.output
    offline = ["verify", "--from", str(out), "--public-key", str(tmp_path / PUBLIC_KEY_FILE)]
    assert runner.invoke(audit_app, offline).exit_code == 0
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audit_leaf SET record = :r WHERE idx = :i"), {"r": '{"i":99}', "i": base + 3}
        )
    result = runner.invoke(audit_app, ["verify", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"record {base + 3}" in result.output and "FAILED" in result.output


def test_proof_prints_a_verifiable_inclusion_proof(tmp_path):
    _, base = _node(tmp_path, size=13)
    size = base + 13
    result = runner.invoke(audit_app, ["proof", str(base + 5), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["entry"]["record"] == {"i": 5} and doc["tree_size"] == size
    path = [b64decode(node) for node in doc["inclusion_path"]]
    leaf, root = b64decode(doc["leaf_hash"]), b64decode(doc["signed_tree_head"]["root_hash"])
    assert merkle.verify_inclusion(leaf, base + 5, size, path, root)
    assert runner.invoke(audit_app, ["proof", str(size), "--data-dir", str(tmp_path)]).exit_code == 1


def test_commands_against_postgresql(pg_url, tmp_path):
    _, base = _node(tmp_path, size=9, db_url=pg_url)
    common = ["--data-dir", str(tmp_path), "--db", pg_url]
    assert runner.invoke(audit_app, ["verify", *common]).exit_code == 0
    result = runner.invoke(audit_app, ["export", str(tmp_path / "pg.jsonl"), *common])
    assert result.exit_code == 0 and f"{base + 9} records" in result.output
    assert (
        runner.invoke(
            audit_app, ["verify", "--from", str(tmp_path / "pg.jsonl"), "--data-dir", str(tmp_path)]
        ).exit_code
        == 0
    )
    assert (
        json.loads(runner.invoke(audit_app, ["proof", str(base + 8), *common]).output)["tree_size"]
        == base + 9
    )
