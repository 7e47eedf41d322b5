"""The team instance on a real PostgreSQL server: `swps run`, the run queue, the daemon, status, backup.

One throw-away cluster for the module (conftest `postgres`); the deployment's
settings file points the instance at it, as `deploy/server.env` would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tarfile
from pathlib import Path

import pytest

from swps_pipeline.definitions import build_definitions
from swps_pipeline.server import ServerConfig, write_instance
from swps_pipeline.settings import Settings

pytestmark = pytest.mark.slow
YEAR = 2021


@pytest.fixture(scope="module")
def team(tmp_path_factory, postgres, deploy):
    """A deployment folder: one year of data, its settings file (PostgreSQL) and the instance it describes."""
    root = tmp_path_factory.mktemp("team")
    data = deploy.one_year_folder(root / "raw", YEAR)
    config_file = deploy.write_server_env(
        root / "server.env", SWPS_DATA_DIR=str(data), SWPS_OUTPUT_DIR=str(root / "out"),
        DAGSTER_HOME=str(root / "home"), SWPS_LOG_DIR=str(root / "logs"), SWPS_BACKUP_DIR=str(root / "backups"),
        SWPS_POSTGRES_HOST=postgres.host, SWPS_POSTGRES_PORT=str(postgres.port), SWPS_POSTGRES_DB=postgres.db,
        SWPS_POSTGRES_USER=postgres.user, SWPS_POSTGRES_PASSWORD=postgres.password,
    )
    config = ServerConfig.load(config_file)
    write_instance(config)  # what `make serve` does first
    environment = deploy.clean_environment(DAGSTER_HOME=str(root / "home"), SWPS_DATA_DIR=str(data),
                                           SWPS_OUTPUT_DIR=str(root / "out"), SWPS_SERVER_CONFIG=str(config_file))
    return root, config, environment


def asset_and_check_counts(data: Path, output: Path) -> tuple[int, int]:
    graph = build_definitions(Settings(data, output)).resolve_asset_graph()
    return len(graph.get_all_asset_keys()), len(graph.asset_check_keys)


def test_swps_run_stores_runs_materialisations_and_checks_in_postgres(team, postgres, deploy):
    root, config, environment = team
    instance_file = (root / "home" / "dagster.yaml")
    assert oct(instance_file.stat().st_mode & 0o777) == "0o600"  # it holds the password

    result = deploy.swps("run", env=environment)

    assert result.returncode == 0, result.stderr
    assert f"  {YEAR}: " in result.stdout
    (run_id, status), = postgres.query("SELECT run_id, status FROM runs")
    assert status == "SUCCESS"
    assets, checks = asset_and_check_counts(root / "raw", root / "out")
    materialised = postgres.query(
        "SELECT count(DISTINCT asset_key) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION' "
        f"AND run_id = '{run_id}'")
    assert materialised == [(assets,)]
    executions = postgres.query(f"SELECT count(*), count(DISTINCT check_name) FROM asset_check_executions "
                                f"WHERE run_id = '{run_id}'")
    assert executions == [(checks, checks)] and checks > 0
    # The run's logs are kept with it (compute log manager) and the event the UI finds them by is stored.
    assert list((root / "logs" / run_id / "compute_logs").glob("*.err"))
    assert postgres.query("SELECT count(*) FROM event_logs WHERE dagster_event_type = 'LOGS_CAPTURED' "
                          f"AND run_id = '{run_id}'")[0][0] >= 1
    # Nothing went to SQLite: the instance folder holds only the settings (and the run logs folder).
    assert not list((root / "home").rglob("*.db"))


def test_concurrent_launches_queue_and_the_daemon_runs_them_one_at_a_time(team, postgres, deploy):
    """Two launches at once: both queue, the daemon lets one through at a time (one per output folder),
    both succeed. Then the sensor, switched on, ticks; `swps status` shows the daemon's heartbeat."""
    root, config, environment = team
    daemon = subprocess.Popen(
        [*deploy.swps_command("serve", "--only", "daemon")], cwd=deploy.REPO, env=environment,
        stdout=subprocess.DEVNULL, stderr=open(root / "daemon.log", "w"), start_new_session=True,
    )
    try:
        tags = json.dumps({"dagster/partition": str(YEAR)})
        launches = [subprocess.Popen([deploy.venv_program("dagster"), "job", "launch", "-w", "workspace.yaml",
                                      "-j", "swps_all", "--tags", tags], cwd=deploy.REPO, env=environment,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                    for _ in range(2)]
        for launch in launches:
            output, _ = launch.communicate(timeout=180)
            assert launch.returncode == 0, output
        launched = postgres.query(f"SELECT run_id FROM run_tags WHERE key = 'dagster/partition' AND value = '{YEAR}'")
        assert len(launched) == 2
        done = deploy.wait_for(lambda: finished(postgres, [row[0] for row in launched]), 400,
                               "both queued runs to finish")
        assert [status for _, status, _, _ in done] == ["SUCCESS", "SUCCESS"], done
        (_, _, _, first_end), (_, _, second_start, _) = sorted(done, key=lambda row: row[2])
        assert second_start >= first_end  # one at a time: the second waited in the queue
        queued_events = postgres.query(
            "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'PIPELINE_ENQUEUED' AND run_id IN ("
            + ",".join(f"'{row[0]}'" for row in launched) + ")")
        assert queued_events == [(2,)]

        started = subprocess.run([deploy.venv_program("dagster"), "sensor", "start", "returns_folder_sensor", "-w",
                                  "workspace.yaml"], cwd=deploy.REPO, env=environment, capture_output=True, text=True)
        assert started.returncode == 0, started.stdout + started.stderr

        def status_after_a_tick():
            status = deploy.swps("status", env=environment)
            assert status.returncode == 0, status.stderr
            return None if "sensor returns_folder_sensor: running; last tick never" in status.stdout else status

        lines = deploy.wait_for(status_after_a_tick, 240, "a sensor tick", interval=5).stdout.splitlines()
        assert lines[0].startswith(f"instance: PostgreSQL swps@127.0.0.1:{postgres.port}/swps (DAGSTER_HOME ")
        assert "  swps_all launched by hand (UI or swps run): SUCCESS" in "\n".join(lines)
        assert "schedule yearly_returns_schedule: running; next tick 2027-03-01 06:00 Europe/Paris" in lines
        assert any(line.startswith("sensor returns_folder_sensor: running; last tick ") for line in lines), lines
        assert any(line.startswith("daemon: running — last heartbeat ") and "SENSOR" in line for line in lines)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)


def finished(postgres, run_ids: list[str]):
    rows = postgres.query("SELECT run_id, status, start_time, end_time FROM runs WHERE run_id IN ("
                          + ",".join(f"'{run_id}'" for run_id in run_ids) + ")")
    return rows if all(status in ("SUCCESS", "FAILURE", "CANCELED") for _, status, _, _ in rows) else None


def test_backup_dumps_the_instance_and_archives_the_outputs_and_restores(team, postgres, deploy):
    root, config, environment = team
    result = deploy.swps("backup", env=environment)
    assert result.returncode == 0, result.stderr
    folder = Path(result.stdout.strip().removeprefix("swps backup: "))
    assert folder.parent == root / "backups"
    with tarfile.open(folder / "outputs.tar.gz") as archive:
        names = archive.getnames()
    assert "outputs/marts/position_year.parquet" in names and "outputs/swps.duckdb" in names
    # Restore, as the README says, into a new database: the same runs.
    postgres.connect("postgres").cursor().execute("CREATE DATABASE swps_restored")
    restored = subprocess.run([str(deploy.PG_BIN / "pg_restore"), "--no-owner", "-h", postgres.host, "-p",
                               str(postgres.port), "-U", postgres.user, "-d", "swps_restored",
                               str(folder / "dagster.pgdump")],
                              env={**os.environ, "PGPASSWORD": postgres.password}, capture_output=True, text=True)
    assert restored.returncode == 0, restored.stderr
    original = postgres.query("SELECT run_id, status FROM runs ORDER BY run_id")
    assert len(original) >= 3
    assert postgres.query("SELECT run_id, status FROM runs ORDER BY run_id", db="swps_restored") == original
