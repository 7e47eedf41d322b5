"""The deployment's one settings file: how it is read, what instance it gives, what `swps` says when it is wrong."""

from __future__ import annotations

import time

import dagster as dg
import pytest
import yaml

from swps_pipeline.cli import main
from swps_pipeline import server
from swps_pipeline.server import CONFIG_DEFAULTS, ServerConfig, ServerError, read_env_file, status_lines, \
    write_instance


def test_the_file_wins_over_the_environment_which_wins_over_the_defaults(tmp_path, monkeypatch):
    settings = tmp_path / "server.env"
    settings.write_text("# comment\n\nSWPS_WEB_PORT=3100\nexport SWPS_POSTGRES_PASSWORD='p w#1'\n"
                        f'DAGSTER_HOME="{tmp_path / "home"}"\n', encoding="utf-8")
    monkeypatch.setenv("SWPS_WEB_PORT", "9999")
    monkeypatch.setenv("SWPS_MAX_RUNS", "3")
    config = ServerConfig.load(settings)
    assert config.values["SWPS_WEB_PORT"] == "3100"
    assert config.values["SWPS_MAX_RUNS"] == "3"
    assert config.values["SWPS_WEB_HOST"] == "127.0.0.1"
    assert config.values["SWPS_POSTGRES_PASSWORD"] == "p w#1"
    assert config.dagster_home == tmp_path / "home" and config.log_dir == tmp_path / "home" / "logs"
    assert config.source == str(settings)


def test_an_unknown_setting_is_one_line_naming_the_file_and_line(tmp_path):
    settings = tmp_path / "server.env"
    settings.write_text("SWPS_WEB_PORT=3100\nSWPS_POSTGRES_PASWORD=x\n", encoding="utf-8")
    with pytest.raises(ServerError, match=r"server.env, line 2: unknown setting 'SWPS_POSTGRES_PASWORD'; the "
                                          r"settings are listed in deploy/server.env.example"):
        read_env_file(settings)


def test_without_postgres_the_instance_is_sqlite_with_the_queue_and_the_run_logs(tmp_path):
    config = ServerConfig({**CONFIG_DEFAULTS, "DAGSTER_HOME": str(tmp_path / "home")}, "test")
    written = yaml.safe_load(write_instance(config).read_text(encoding="utf-8"))
    assert "storage" not in written  # Dagster's default: SQLite files in DAGSTER_HOME
    assert written["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert written["run_coordinator"]["config"] == {
        "max_concurrent_runs": 1,
        "tag_concurrency_limits": [{"key": "swps/output_dir", "value": {"applyLimitPerUniqueValue": True},
                                    "limit": 1}]}
    assert written["compute_logs"]["config"] == {"base_dir": str(tmp_path / "home" / "logs")}
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.compute_log_manager).__name__ == "LocalComputeLogManager"


def test_with_postgres_the_instance_names_the_database(tmp_path):
    config = ServerConfig({**CONFIG_DEFAULTS, "DAGSTER_HOME": str(tmp_path / "home"),
                           "SWPS_POSTGRES_HOST": "db.internal", "SWPS_POSTGRES_PASSWORD": "pw"}, "test")
    path = write_instance(config)
    assert yaml.safe_load(path.read_text())["storage"]["postgres"]["postgres_db"] == {
        "hostname": "db.internal", "port": 5432, "db_name": "swps", "username": "swps", "password": "pw",
        "scheme": "postgresql+psycopg2"}
    assert path.stat().st_mode & 0o777 == 0o600
    assert config.describe_instance() == "PostgreSQL swps@db.internal:5432/swps"


def test_status_of_a_fresh_instance_says_what_is_missing(tmp_path):
    config = ServerConfig({**CONFIG_DEFAULTS, "DAGSTER_HOME": str(tmp_path / "home")}, "test")
    write_instance(config)
    now = time.mktime((2026, 11, 30, 12, 0, 0, 0, 0, -1))
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        lines = status_lines(config, instance, now)
    assert lines[2:] == [
        "last runs: none yet",
        "schedule yearly_returns_schedule: not yet seen by a daemon; next tick 2027-03-01 06:00 Europe/Paris "
        "(if running)",
        "sensor returns_folder_sensor: never started (switch it on in the UI)",
        "daemon: no heartbeat ever — start it (`make serve`, or the swps-daemon service)",
    ]


def test_status_without_an_instance_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SWPS_SERVER_CONFIG", str(tmp_path / "absent.env"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "nothing"))
    assert main(["status"]) == 2
    assert capsys.readouterr().err == (f"swps status: no Dagster instance in {tmp_path / 'nothing'}: start it with "
                                       "`make serve` or run `swps run` first\n")


def test_serve_makes_the_instance_tables_before_it_starts_the_webserver_and_the_daemon(tmp_path, monkeypatch):
    """The webserver and the daemon each create the instance's missing tables on start: two at once on a new SQLite
    instance collided (alembic_version: UNIQUE constraint failed), the daemon stopped and the deployment with it."""
    home = tmp_path / "home"
    config = ServerConfig({**CONFIG_DEFAULTS, "DAGSTER_HOME": str(home)}, "test")
    found_at_start = {}

    class Stopped:  # each process "ends" at once: serve stops them all and returns 1
        returncode = 0

        def __init__(self, command, env):
            found_at_start[command[0].rsplit("/", 1)[-1]] = sorted(
                path.relative_to(home).as_posix() for path in home.rglob("*.db"))

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(server.subprocess, "Popen", Stopped)
    assert server.serve(config) == 1
    tables = ["history/runs.db", "history/runs/index.db", "schedules/schedules.db"]
    assert found_at_start == {"dagster-webserver": tables, "dagster-daemon": tables}
