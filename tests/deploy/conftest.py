"""The team deployment's test fixtures: a throw-away PostgreSQL cluster, free ports, a deployment folder.

PostgreSQL is Debian's (`make test` installs it through `system-deps`): a
cluster in a temporary folder, listening on a free 127.0.0.1 port only, run by
the unprivileged user `nobody` when the tests run as root (PostgreSQL refuses
root), with password authentication over TCP.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUNDLED_DATA = REPO / "data" / "raw"
PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.5):
    """Poll `condition()` until it returns something truthy; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    password: str
    db: str

    def connect(self, db: str | None = None):
        import psycopg2

        connection = psycopg2.connect(host=self.host, port=self.port, user=self.user, password=self.password,
                                      dbname=db or self.db)
        connection.autocommit = True
        return connection

    def query(self, sql: str, db: str | None = None) -> list[tuple]:
        with self.connect(db) as connection, connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall()


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server of its own for the session, with a database `swps` owned by user `swps`."""
    if PG_BIN is None:
        pytest.fail("PostgreSQL is not installed: run `make system-deps` (Debian package postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="swps-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(folder, nobody.pw_uid, nobody.pw_gid)
        as_user = ["runuser", "-u", "nobody", "--"]
    password = "s3cret-for-tests"
    password_file = folder / "pwfile"
    password_file.write_text(password + "\n")
    if as_user:
        os.chown(password_file, pwd.getpwnam("nobody").pw_uid, -1)
    data = folder / "data"
    port = free_port()
    subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-U", "swps", f"--pwfile={password_file}",
                    "--auth=scram-sha-256", "--encoding=UTF8", "--no-instructions"],
                   check=True, capture_output=True)
    subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
                    "-o", f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off", "start"],
                   check=True, capture_output=True)
    server = Postgres("127.0.0.1", port, "swps", password, "swps")
    try:
        server.connect("postgres").cursor().execute("CREATE DATABASE swps")
        yield server
    finally:
        subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def write_server_env(path: Path, **settings: str) -> Path:
    path.write_text("".join(f"{key}={value}\n" for key, value in settings.items()), encoding="utf-8")
    return path


def one_year_folder(root: Path, year: int = 2021) -> Path:
    """The bundled registry and crime file with one year of returns: a run takes seconds."""
    root.mkdir(parents=True)
    shutil.copy2(BUNDLED_DATA / "positions.csv", root / "positions.csv")
    shutil.copytree(BUNDLED_DATA / "crime", root / "crime")
    shutil.copytree(BUNDLED_DATA / "returns" / str(year), root / "returns" / str(year))
    return root


def swps_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "swps_pipeline.cli", *arguments]


def venv_program(name: str) -> str:
    """A program of the venv running the tests (dagster, dagster-webserver)."""
    return str(Path(sys.executable).parent / name)


def swps(*arguments: str, env: dict[str, str] | None = None, timeout: float = 300,
         **options) -> subprocess.CompletedProcess:
    """`swps ...` of the venv running the tests, from the repo folder (where workspace.yaml is)."""
    return subprocess.run(swps_command(*arguments), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, **options)


def clean_environment(**extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("SWPS_", "DAGSTER_"))}
    environment.update(PYTHONUNBUFFERED="1", **extra)
    return environment


@pytest.fixture(scope="session")
def deploy():
    """The helpers above, for the test modules (with --import-mode=importlib they cannot import this file)."""
    from types import SimpleNamespace

    return SimpleNamespace(free_port=free_port, wait_for=wait_for, write_server_env=write_server_env,
                           one_year_folder=one_year_folder, swps=swps, clean_environment=clean_environment,
                           swps_command=swps_command, venv_program=venv_program,
                           REPO=REPO, BUNDLED_DATA=BUNDLED_DATA, PG_BIN=PG_BIN)
