"""Shared fixtures: a node on SQLite and on the PostgreSQL running on this machine.

Under CI=true the PostgreSQL tests must run: an unreachable server fails them instead of skipping.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from serving import run_cli, start_server

from accord.config import Settings
from accord.node import Node, open_node

PG_ADMIN_URL = os.environ.get("ACCORD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(autouse=True, scope="session")
def _config_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The ids of sweeping organizations (accord.sweep.sightings.identities_file) kept out of the home
    directory of whoever runs the tests (processes the tests start inherit it)."""
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))


@pytest.fixture(scope="session")
def pg_server() -> str:
    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL} (required under CI=true)")
        pytest.skip("PostgreSQL not reachable (set CI=true to make this a failure)")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    name = f"accord_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.exec_driver_sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accord.db'}"
    return request.getfixturevalue("pg_url")


@dataclass
class OpenedNode:
    node: Node
    admin_token: str
    data_dir: Path


@pytest.fixture
def opened_node(db_url: str, tmp_path: Path) -> Iterator[OpenedNode]:
    node, token = open_node(Settings(tmp_path / "data", db_url))
    assert token is not None
    yield OpenedNode(node, token, tmp_path / "data")
    node.close()


@dataclass
class ServedNode:
    url: str
    data_dir: Path
    db_url: str
    admin_token: str
    process: subprocess.Popen

    def cli(self, *args: str) -> str:
        return run_cli(*args, "--data-dir", str(self.data_dir), "--db", self.db_url)


@pytest.fixture
def served_node(db_url: str, tmp_path: Path) -> Iterator[ServedNode]:
    """A real `accord serve` process on a loopback port."""
    data_dir = tmp_path / "served"
    token = run_cli("init", "--data-dir", str(data_dir), "--db", db_url)
    url, proc = start_server(data_dir, db_url)
    try:
        yield ServedNode(url, data_dir, db_url, token, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
