"""The team deployment (README, "Deploying for a team"): one configuration file, `swps serve`, status, backup.

`deploy/server.env` (git-ignored; `deploy/server.env.example` documents every
key) says where the data, outputs and logs are, which ports to use and, when a
team shares the server, which PostgreSQL database holds the Dagster instance.
From it `swps serve` writes `$DAGSTER_HOME/dagster.yaml` (PostgreSQL run,
event-log and schedule storage when configured, else Dagster's embedded
SQLite; a queued run coordinator letting one run at a time through per output
folder; run logs kept by the compute log manager) and starts the webserver,
bound to 127.0.0.1, and `dagster-daemon` as two processes, plus nginx in front
when a proxy port is configured (basic authentication, TLS with a certificate).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from swps_pipeline.defs.automation import OUTPUT_FOLDER_TAG, SCHEDULE_RUNNING_VARIABLE

#: Every key of the configuration file, with its default ("" = unset). Paths are relative to the folder
#: `swps serve` runs in (the repo, where `workspace.yaml` is).
CONFIG_DEFAULTS: dict[str, str] = {
    "SWPS_DATA_DIR": "data/raw",  # returns, registry, crime/
    "SWPS_OUTPUT_DIR": "data/warehouse",  # warehouse, marts, evaluation pack
    "DAGSTER_HOME": ".dagster_home",  # the instance's dagster.yaml (and its SQLite files without PostgreSQL)
    "SWPS_LOG_DIR": "",  # run logs (stdout/stderr of each step); default $DAGSTER_HOME/logs
    "SWPS_BACKUP_DIR": "backups",  # `make backup` writes a dated folder here
    "SWPS_WEB_HOST": "127.0.0.1",  # never a public address: the team comes in through the proxy
    "SWPS_WEB_PORT": "3000",
    "SWPS_MAX_RUNS": "1",  # runs at once in the whole instance (and always one per output folder)
    "SWPS_POSTGRES_HOST": "",  # set it to use PostgreSQL; unset: the embedded SQLite instance
    "SWPS_POSTGRES_PORT": "5432",
    "SWPS_POSTGRES_DB": "swps",
    "SWPS_POSTGRES_USER": "swps",
    "SWPS_POSTGRES_PASSWORD": "",
    "SWPS_PROXY_LISTEN": "",  # e.g. 443 or 0.0.0.0:8443: nginx in front of the webserver; unset: no proxy
    "SWPS_PROXY_UPSTREAM": "",  # where nginx finds the webserver; default SWPS_WEB_HOST:SWPS_WEB_PORT
    "SWPS_SERVER_NAME": "_",
    "SWPS_HTPASSWD": "deploy/htpasswd",  # basic-auth users (htpasswd -B); git-ignored
    "SWPS_TLS_CERT": "",  # certificate and key: with both, the proxy speaks HTTPS only
    "SWPS_TLS_KEY": "",
}
DEFAULT_CONFIG_FILE = Path("deploy/server.env")
NGINX_TEMPLATE = Path(__file__).resolve().parents[1] / "deploy" / "nginx" / "swps.conf.template"
HEARTBEAT_RECENT_SECONDS = 120


class ServerError(Exception):
    """A configuration or environment problem, in one line."""


def read_env_file(path: Path) -> dict[str, str]:
    """`KEY=VALUE` lines (`#` comments, optional quotes), as systemd's EnvironmentFile and compose's env_file."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if not equals or key not in CONFIG_DEFAULTS:
            known = "" if equals else " (expected KEY=VALUE)"
            raise ServerError(f"{path}, line {number}: unknown setting {key!r}{known}; the settings are listed in "
                              "deploy/server.env.example")
        values[key] = value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value
    return values


@dataclass(frozen=True)
class ServerConfig:
    values: dict[str, str]
    source: str  # the file read, or why none

    @classmethod
    def load(cls, path: Path | None = None) -> "ServerConfig":
        """The file's settings over the environment's over the defaults. No file: the defaults (SQLite)."""
        path = Path(path or os.environ.get("SWPS_SERVER_CONFIG") or DEFAULT_CONFIG_FILE)
        from_file = read_env_file(path) if path.is_file() else {}
        values = {key: from_file.get(key, os.environ.get(key, default)) for key, default in CONFIG_DEFAULTS.items()}
        return cls(values, str(path.resolve()) if path.is_file() else f"defaults (no {path})")

    def path(self, key: str) -> Path:
        return Path(self.values[key]).expanduser().resolve()

    @property
    def dagster_home(self) -> Path:
        return self.path("DAGSTER_HOME")

    @property
    def log_dir(self) -> Path:
        return self.path("SWPS_LOG_DIR") if self.values["SWPS_LOG_DIR"] else self.dagster_home / "logs"

    @property
    def postgres(self) -> dict[str, object] | None:
        if not self.values["SWPS_POSTGRES_HOST"]:
            return None
        return {"hostname": self.values["SWPS_POSTGRES_HOST"], "port": int(self.values["SWPS_POSTGRES_PORT"]),
                "db_name": self.values["SWPS_POSTGRES_DB"], "username": self.values["SWPS_POSTGRES_USER"],
                "password": self.values["SWPS_POSTGRES_PASSWORD"],
                "scheme": "postgresql+psycopg2"}  # the driver dagster-postgres installs (SQLAlchemy 2.1 would pick psycopg 3)

    def describe_instance(self) -> str:
        pg = self.postgres
        if pg:
            return f"PostgreSQL {pg['username']}@{pg['hostname']}:{pg['port']}/{pg['db_name']}"
        return f"SQLite in {self.dagster_home} (single analyst; set SWPS_POSTGRES_HOST for a team)"


def instance_settings(config: ServerConfig) -> dict:
    """The content of `$DAGSTER_HOME/dagster.yaml` for this configuration."""
    settings: dict = {
        "telemetry": {"enabled": False},
        "run_coordinator": {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": {
                "max_concurrent_runs": int(config.values["SWPS_MAX_RUNS"]),
                "tag_concurrency_limits": [
                    {"key": OUTPUT_FOLDER_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 1},
                ],
            },
        },
        "compute_logs": {
            "module": "dagster.core.storage.local_compute_log_manager",
            "class": "LocalComputeLogManager",
            "config": {"base_dir": str(config.log_dir)},
        },
    }
    if config.postgres:
        settings["storage"] = {"postgres": {"postgres_db": config.postgres}}
    return settings


def write_instance(config: ServerConfig) -> Path:
    """Write dagster.yaml (owner-only: it holds the database password) through a rename."""
    home = config.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config.log_dir.mkdir(parents=True, exist_ok=True)
    target, staged = home / "dagster.yaml", home / ".dagster.yaml.tmp"
    staged.write_text(f"# Written by `swps serve` from {config.source}: edit that file, not this one.\n"
                      + yaml.safe_dump(instance_settings(config), sort_keys=False), encoding="utf-8")
    staged.chmod(0o600)
    staged.replace(target)
    return target


def process_environment(config: ServerConfig) -> dict[str, str]:
    """What the webserver, the daemon and the runs they start see: the locations and the schedule on."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SWPS_POSTGRES_")}
    environment.update(
        DAGSTER_HOME=str(config.dagster_home), SWPS_DATA_DIR=str(config.path("SWPS_DATA_DIR")),
        SWPS_OUTPUT_DIR=str(config.path("SWPS_OUTPUT_DIR")), PYTHONUNBUFFERED="1",
        **{SCHEDULE_RUNNING_VARIABLE: "1"},
    )
    return environment


def workspace_file() -> Path:
    workspace = Path("workspace.yaml").resolve()
    if not workspace.is_file():
        raise ServerError(f"no workspace.yaml in {Path.cwd()}: run `swps serve` from the repo folder")
    return workspace


def commands(config: ServerConfig) -> dict[str, list[str]]:
    """The processes of the deployment; the proxy only when it has a port."""
    bin_dir = Path(sys.executable).parent
    workspace = str(workspace_file())
    processes = {
        "webserver": [str(bin_dir / "dagster-webserver"), "-h", config.values["SWPS_WEB_HOST"],
                      "-p", config.values["SWPS_WEB_PORT"], "-w", workspace],
        "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
    }
    if config.values["SWPS_PROXY_LISTEN"]:
        processes["proxy"] = [nginx_binary(), "-e", "stderr", "-c", str(write_nginx_main(config))]
    return processes


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if not found:
        raise ServerError("SWPS_PROXY_LISTEN is set but nginx is not installed (Debian: apt-get install nginx)")
    return found


def nginx_site(config: ServerConfig) -> str:
    """The nginx site in front of the webserver: basic auth from the htpasswd file, TLS when both files are set."""
    values = config.values
    htpasswd = config.path("SWPS_HTPASSWD")
    if not htpasswd.is_file():
        raise ServerError(f"no password file {htpasswd}: create it with `htpasswd -c -B {values['SWPS_HTPASSWD']} "
                          "NAME` (Debian package apache2-utils)")
    tls = bool(values["SWPS_TLS_CERT"] and values["SWPS_TLS_KEY"])
    tls_lines = (f"    ssl_certificate {config.path('SWPS_TLS_CERT')};\n"
                 f"    ssl_certificate_key {config.path('SWPS_TLS_KEY')};\n"
                 "    ssl_protocols TLSv1.2 TLSv1.3;\n") if tls else ""
    upstream = values["SWPS_PROXY_UPSTREAM"] or f"{values['SWPS_WEB_HOST']}:{values['SWPS_WEB_PORT']}"
    replacements = {"LISTEN": values["SWPS_PROXY_LISTEN"] + (" ssl" if tls else ""), "TLS": tls_lines,
                    "SERVER_NAME": values["SWPS_SERVER_NAME"], "HTPASSWD": str(htpasswd), "UPSTREAM": upstream}
    text = NGINX_TEMPLATE.read_text(encoding="utf-8")
    for key, value in replacements.items():
        text = text.replace(f"@@{key}@@", value)
    return text


def write_nginx_main(config: ServerConfig) -> Path:
    """A self-contained nginx configuration (no root needed): the site, with pid and temporary files kept
    under $DAGSTER_HOME/nginx and the access log with the run logs."""
    folder = config.dagster_home / "nginx"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "swps.conf").write_text(nginx_site(config), encoding="utf-8")
    temporary = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                                  "uwsgi", "scgi"))
    main = folder / "nginx.conf"
    main.write_text(
        f"# Written by `swps serve` from {config.source}.\n"
        f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log stderr;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n    access_log {config.log_dir / 'nginx-access.log'};\n{temporary}\n"
        f"    include {folder / 'swps.conf'};\n}}\n",
        encoding="utf-8",
    )
    return main


def prepare_storage(config: ServerConfig) -> None:
    """Create the instance's tables (runs, event log, schedules) once, before its processes start: the webserver
    and the daemon each create missing tables when they start, and two doing it at once on a new SQLite instance
    collide (alembic_version: UNIQUE constraint failed), which stopped the daemon and the deployment with it."""
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(config.dagster_home)) as instance:
        instance.run_storage, instance.event_log_storage, instance.schedule_storage  # noqa: B018 (made on access)


def serve(config: ServerConfig, only: str | None = None) -> int:
    """Start the deployment's processes and watch them: if one stops, stop the others and exit 1
    (systemd or compose restart it). With `only`, become that one process (a systemd unit each)."""
    write_instance(config)
    prepare_storage(config)
    environment = process_environment(config)
    processes = commands(config)
    if only:
        if only not in processes:
            raise ServerError(f"no {only} in this configuration (the proxy needs SWPS_PROXY_LISTEN)")
        os.execve(processes[only][0], processes[only], environment)
    running = {name: subprocess.Popen(command, env=environment) for name, command in processes.items()}
    print(f"swps serve: instance {config.describe_instance()}; UI on "
          f"http://{config.values['SWPS_WEB_HOST']}:{config.values['SWPS_WEB_PORT']}"
          + (f", team entrance (nginx) on {config.values['SWPS_PROXY_LISTEN']}" if "proxy" in running else "")
          + f"; data {environment['SWPS_DATA_DIR']}, outputs {environment['SWPS_OUTPUT_DIR']}, run logs "
          f"{config.log_dir}; Ctrl-C stops", flush=True)
    stopping = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.append(True))
    while not stopping and all(process.poll() is None for process in running.values()):
        time.sleep(0.5)
    for process in running.values():
        if process.poll() is None:
            process.terminate()
    for process in running.values():
        try:
            process.wait(timeout=60)  # the webserver waits up to 60 s for its code server's calls
        except subprocess.TimeoutExpired:
            process.kill()
    if stopping:
        return 0
    ended = ", ".join(f"{name} (exit {process.returncode})" for name, process in running.items()
                      if process.returncode not in (None, -signal.SIGTERM))
    print(f"swps serve: {ended} stopped; the others were stopped too", file=sys.stderr)
    return 1


def pg_tool(name: str) -> str:
    """`pg_dump` / `pg_restore` from PATH, else from Debian's versioned folder."""
    found = shutil.which(name) or next(iter(sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                                                   reverse=True)), None)
    if not found:
        raise ServerError(f"{name} not found (Debian package postgresql-client)")
    return str(found)


def backup(config: ServerConfig, stamp: str | None = None) -> Path:
    """A dated folder: the instance (pg_dump, or the SQLite files) and an archive of the outputs."""
    stamp = stamp or datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = config.path("SWPS_BACKUP_DIR") / stamp
    folder.mkdir(parents=True)
    pg = config.postgres
    if pg:
        environment = {**os.environ, "PGPASSWORD": str(pg["password"])}
        result = subprocess.run(
            [pg_tool("pg_dump"), "--format=custom", f"--file={folder / 'dagster.pgdump'}", "-h", str(pg["hostname"]),
             "-p", str(pg["port"]), "-U", str(pg["username"]), str(pg["db_name"])],
            env=environment, capture_output=True, text=True,
        )
        if result.returncode:
            raise ServerError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1]}")
    with tarfile.open(folder / "instance.tar.gz", "w:gz") as archive:  # dagster.yaml, SQLite files, run logs
        archive.add(config.dagster_home, arcname="dagster_home",
                    filter=lambda item: None if "/nginx" in item.name else item)
    with tarfile.open(folder / "outputs.tar.gz", "w:gz") as archive:
        archive.add(config.path("SWPS_OUTPUT_DIR"), arcname="outputs",
                    filter=lambda item: None if item.name.endswith(".swps-run.lock") else item)
    return folder


def _ago(timestamp: float, now: float) -> str:
    seconds = max(0, int(now - timestamp))
    return f"{seconds} s ago" if seconds < 120 else f"{seconds // 60} min ago" if seconds < 7200 else \
        f"{seconds // 3600} h ago"


def _when(timestamp: float | None) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if timestamp else "—"


def run_kind(run) -> str:
    """What started a run: the schedule, the sensor, or a person (UI, `swps run`)."""
    for tag, what in (("dagster/schedule_name", "schedule"), ("dagster/sensor_name", "sensor"),
                      ("dagster/backfill", "backfill")):
        if tag in run.tags:
            return f"{run.job_name} by {what} {run.tags[tag]}" if what != "backfill" else f"{run.job_name} backfill"
    return f"{run.job_name} launched by hand (UI or swps run)"


def status_lines(config: ServerConfig, instance, now: float | None = None) -> list[str]:
    """The instance in use, the last run of each kind, the schedule's next tick, the daemon's heartbeat."""
    from dagster import DagsterRunStatus, RunsFilter
    from dagster._core.scheduler.instigation import InstigatorType
    from dagster._utils.schedules import cron_string_iterator

    from swps_pipeline.defs.automation import returns_folder_sensor, yearly_returns_schedule

    now = now or time.time()
    lines = [f"instance: {config.describe_instance()} (DAGSTER_HOME {config.dagster_home}; settings: "
             f"{config.source})", f"run logs: {config.log_dir}/<run id>/ (also in the UI: a run's step, "
                                  "stdout / stderr)"]
    latest: dict[str, object] = {}
    for run in instance.get_runs(limit=500):  # newest first
        latest.setdefault(run_kind(run), run)
    queued = instance.get_runs_count(RunsFilter(statuses=[DagsterRunStatus.QUEUED]))
    lines.append(f"last runs ({queued} queued):" if latest else "last runs: none yet")
    for kind, run in sorted(latest.items()):
        record = instance.get_run_record_by_id(run.run_id)
        started, ended = record.start_time, record.end_time
        took = f", {ended - started:.0f} s" if started and ended else ""
        lines.append(f"  {kind}: {run.status.value} (started {_when(started)}{took}; run {run.run_id[:8]})")

    states = {state.instigator_name: state for kind in (InstigatorType.SCHEDULE, InstigatorType.SENSOR)
              for state in instance.all_instigator_state(instigator_type=kind)}
    schedule = yearly_returns_schedule
    state = states.get(schedule.name)
    next_tick = next(cron_string_iterator(now, schedule.cron_schedule, schedule.execution_timezone))
    running = state.is_running if state else None
    said = {True: "running", False: "stopped", None: "not yet seen by a daemon"}[running]
    lines.append(f"schedule {schedule.name}: {said}; next tick {next_tick:%Y-%m-%d %H:%M} "
                 f"{schedule.execution_timezone}" + ("" if running else " (if running)"))
    sensor = states.get(returns_folder_sensor.name)
    if sensor is None:
        lines.append(f"sensor {returns_folder_sensor.name}: never started (switch it on in the UI)")
    else:
        data = sensor.sensor_instigator_data
        last = data.last_tick_timestamp if data else None
        lines.append(f"sensor {returns_folder_sensor.name}: {'running' if sensor.is_running else 'stopped'}; "
                     f"last tick {_ago(last, now) if last else 'never'}")

    heartbeats = instance.get_daemon_heartbeats()
    if not heartbeats:
        lines.append("daemon: no heartbeat ever — start it (`make serve`, or the swps-daemon service)")
    else:
        newest = max(beat.timestamp for beat in heartbeats.values())
        recent = now - newest < HEARTBEAT_RECENT_SECONDS
        lines.append(f"daemon: {'running' if recent else 'NOT RUNNING'} — last heartbeat {_ago(newest, now)} "
                     f"({', '.join(sorted(heartbeats))})")
    return lines


def status(config: ServerConfig) -> list[str]:
    """`status_lines` of the configured instance."""
    from dagster import DagsterInstance

    if not (config.dagster_home / "dagster.yaml").is_file():
        raise ServerError(f"no Dagster instance in {config.dagster_home}: start it with `make serve` or run "
                          "`swps run` first")
    os.environ["DAGSTER_HOME"] = str(config.dagster_home)
    with DagsterInstance.get() as instance:
        return status_lines(config, instance)
