"""The administration command line: scriptable output, one-line errors, import and export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stixgen import indicator
from typer.testing import CliRunner

from accord.cli import app
from accord.cli_support import opened
from accord.stix.markings import TLP
from accord.store import admin
from accord.store.engine import write_transaction

runner = CliRunner()


@pytest.fixture
def node_args(db_url: str, tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "node"), "--db", db_url]


def accord(*args: str, ok: bool = True):
    result = runner.invoke(app, list(args))
    if ok:
        assert result.exit_code == 0, result.stderr + result.stdout
    return result


def test_init_prints_the_admin_token_once(node_args: list[str]) -> None:
    first = accord("init", *node_args)
    token = first.stdout.strip()
    assert len(token) >= 40 and "\n" not in token
    second = accord("init", *node_args)
    assert second.stdout == ""


def test_commands_need_an_initialized_node(tmp_path: Path) -> None:
    result = accord("org", "add", "acme", "--data-dir", str(tmp_path / "none"), ok=False)
    assert result.exit_code == 1
    where = tmp_path / "none"
    assert result.stderr.strip() == (
        f"accord: error: no node at {where} (sqlite:///{where.resolve()}/accord.db): run 'accord init' first"
    )
    assert not (tmp_path / "none").exists()


def test_environment_variables_choose_the_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path / "env-node"))
    accord("init")
    assert (tmp_path / "env-node" / "accord.db").exists()
    assert accord("org", "add", "from-env").stdout.startswith("identity--")


def test_tokens_never_begin_with_a_dash_and_an_older_one_is_still_revoked(node_args: list[str]) -> None:
    """A token is typed as an argument; one that began with "-" read as an unknown option."""
    accord("init", *node_args)
    accord("org", "add", "cert-a", *node_args)
    made = [accord("token", "create", "--org", "cert-a", *node_args).stdout.strip() for _ in range(20)]
    assert all(t.startswith(admin.TOKEN_PREFIX) and len(t) >= 40 for t in made)
    older = "-DLsNv19BHsEZ8NIKJKNbQ2McUOro3Vgtqbc7a2j0dk"  # as token_urlsafe made one, drawn in CI
    with opened(Path(node_args[1]), node_args[3]) as node, write_transaction(node.engine) as conn:
        admin.create_token(conn, admin.require_org(conn, "cert-a"), value=older)
    revoked = accord("token", "revoke", older, *node_args)
    assert revoked.stderr.strip() == "revoked 1 token"
    again = accord("token", "revoke", older, *node_args, ok=False)
    assert again.exit_code == 1 and again.stderr.strip() == "accord: error: no such token"
    assert accord("token", "revoke", made[0], *node_args).stderr.strip() == "revoked 1 token"


def test_org_token_collection_administration(node_args: list[str]) -> None:
    accord("init", *node_args)
    identity = accord("org", "add", "cert-a", *node_args).stdout.strip()
    assert identity.startswith("identity--")
    dup = accord("org", "add", "cert-a", *node_args, ok=False)
    assert dup.exit_code == 1 and dup.stderr.strip() == "accord: error: organization 'cert-a' already exists"
    token = accord("token", "create", "--org", "cert-a", *node_args).stdout.strip()
    admin_token = accord("token", "create", "--org", "cert-a", "--admin", *node_args).stdout.strip()
    assert token != admin_token and len(token) >= 40
    missing = accord("token", "create", "--org", "nobody", *node_args, ok=False)
    assert missing.stderr.strip() == "accord: error: no organization named 'nobody'"
    cid = "0f8a1e2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
    out = accord(
        "collection",
        "add",
        "Shared intel",
        "--id",
        cid,
        "--alias",
        "shared",
        "--read",
        "cert-a",
        "--write",
        "cert-a",
        "--tlp",
        "green",
        "--description",
        "d",
        *node_args,
    ).stdout.strip()
    assert out == cid
    listing = accord("collection", "list", *node_args).stdout
    assert f"{cid}\tdefault\tshared\tTLP:GREEN\tShared intel" in listing
    other_root = accord("collection", "add", "Elsewhere", "--root", "trustgroup", *node_args).stdout.strip()
    assert f"{other_root}\ttrustgroup" in accord("collection", "list", *node_args).stdout
    for bad_args, message in (
        (["--tlp", "purple"], "unknown TLP level 'purple'"),
        (["--id", "not-a-uuid"], "--id 'not-a-uuid' is not a UUID"),
        (["--read", "ghost"], "no organization named 'ghost'"),
        (["--id", cid], f"collection {cid} already exists"),
    ):
        result = accord("collection", "add", "Bad", *bad_args, *node_args, ok=False)
        assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1
    # A failed command changed nothing.
    assert accord("collection", "list", *node_args).stdout.count("\n") == 2


@pytest.fixture
def collection(node_args: list[str]) -> str:
    accord("init", *node_args)
    accord("org", "add", "cert-a", *node_args)
    accord("org", "add", "cert-b", *node_args)
    return accord(
        "collection", "add", "C", "--read", "cert-a,cert-b", "--write", "cert-a", *node_args
    ).stdout.strip()


def test_import_formats_and_export_round_trip(node_args: list[str], collection: str, tmp_path: Path) -> None:
    objs = [indicator(f"imp-{i}") for i in range(6)]
    (tmp_path / "bundle.json").write_text(
        json.dumps(
            {"type": "bundle", "id": "bundle--6d0092c5-5f74-4287-9642-33f4c354e56d", "objects": objs[:2]}
        )
    )
    (tmp_path / "envelope.json").write_text(json.dumps({"objects": objs[2:4]}))
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(o) for o in objs[4:]) + "\n")
    for name in ("bundle.json", "envelope.json", "lines.jsonl"):
        result = accord(
            "import", str(tmp_path / name), "--collection", collection, "--producer", "cert-a", *node_args
        )
        assert "stored 2, already present 0, refused 0" in result.stderr
    again = accord("import", str(tmp_path / "bundle.json"), "--collection", collection, *node_args, ok=False)
    # Same ids from another producer are refused: they belong to cert-a.
    assert again.exit_code == 1 and "belongs to another organization" in again.stderr
    out = tmp_path / "backup.json"
    accord("export", "--collection", collection, "--out", str(out), *node_args)
    exported = json.loads(out.read_text())
    assert exported["type"] == "bundle" and [o["id"] for o in exported["objects"]] == [o["id"] for o in objs]
    assert exported["objects"] == objs


def test_import_stores_valid_objects_and_reports_invalid(node_args, collection, tmp_path: Path) -> None:
    good, bad = indicator("good"), indicator("bad", pattern="[nonsense")
    (tmp_path / "mixed.json").write_text(json.dumps({"objects": [good, bad]}))
    result = accord("import", str(tmp_path / "mixed.json"), "--collection", collection, *node_args, ok=False)
    assert result.exit_code == 1
    assert "stored 1, already present 0, refused 1" in result.stderr and bad["id"] in result.stderr
    exported = json.loads(accord("export", "--collection", collection, *node_args).stdout)
    assert [o["id"] for o in exported["objects"]] == [good["id"]]


@pytest.mark.parametrize(
    "content,message",
    [("{broken", "not JSON, nor JSON lines"), ('{"a": 1}', "neither a STIX bundle nor a TAXII envelope")],
)
def test_import_refuses_unreadable_files(
    node_args, collection, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "in.json"
    path.write_text(content)
    result = accord("import", str(path), "--collection", collection, *node_args, ok=False)
    assert result.exit_code == 1 and message in result.stderr and result.stderr.count("\n") == 1
    missing = accord(
        "import", str(tmp_path / "absent.json"), "--collection", collection, *node_args, ok=False
    )
    assert "cannot read" in missing.stderr
    unknown = accord("import", str(path), "--collection", "nope", *node_args, ok=False)
    assert unknown.exit_code == 1


def test_export_as_an_organization_applies_the_policy(node_args, collection, tmp_path: Path) -> None:
    objs = [
        indicator("open", tlp=TLP.GREEN),
        indicator("secret", tlp=TLP.RED),
        indicator("for-b", tlp=TLP.RED, recipients=["cert-b"]),
    ]
    (tmp_path / "in.json").write_text(json.dumps({"objects": objs}))
    accord(
        "import", str(tmp_path / "in.json"), "--collection", collection, "--producer", "cert-a", *node_args
    )
    names = lambda out: [o["name"] for o in json.loads(out)["objects"]]  # noqa: E731
    assert names(accord("export", "--collection", collection, *node_args).stdout) == [
        "open",
        "secret",
        "for-b",
    ]
    assert names(accord("export", "--collection", collection, "--as", "cert-b", *node_args).stdout) == [
        "open",
        "for-b",
    ]
    # An organization without a read right reads nothing over TAXII (404), so nothing by export either.
    refused = accord("export", "--collection", collection, "--as", "admin", *node_args, ok=False)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "admin has no read right on collection" in refused.stderr and refused.stderr.count("\n") == 1
    missing = accord("export", "--collection", collection, "--as", "nobody", *node_args, ok=False)
    assert missing.exit_code == 1 and "no organization named 'nobody'" in missing.stderr


def test_unreachable_postgres_is_a_one_line_error(tmp_path: Path) -> None:
    result = accord(
        "init", "--data-dir", str(tmp_path), "--db", "postgresql://postgres@127.0.0.1:1/x", ok=False
    )
    assert result.exit_code == 1
    assert (
        result.stderr.startswith("accord: error: cannot reach PostgreSQL") and result.stderr.count("\n") == 1
    )
