"""The Dagster instance of one analyst: SQLite files under $DAGSTER_HOME, so the UI shows the runs of `swps run`.

Dagster's SQLite event log opens a connection, commits and closes it for every event, and SQLite waits for the
disk (fsync) at each commit and at each close. A run writes about 400 events (one planned and one materialised
per year partition of each yearly table), and these waits were the largest single cost of a whole run
(bench/results.md, "Where the time goes"). `LocalEventLogStorage` writes the same files, in the same layout, with
`PRAGMA synchronous=OFF`: a crash of the run loses nothing (SQLite has handed every write to the operating
system), an operating-system crash or a power cut during a run can lose or damage that run's history. The
warehouse and the marts are written by DuckDB and pyarrow, not here, and keep their own guarantees. A team
deployment (`swps serve`) does not use this class: it writes its own dagster.yaml (PostgreSQL, or SQLite with
Dagster's defaults).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

#: What `swps run` writes to a new $DAGSTER_HOME/dagster.yaml ({home} is the folder): no telemetry, and the event
#: log above in Dagster's own location (history/runs), so Dagster's default storage reads the same files.
INSTANCE_SETTINGS = """\
telemetry:
  enabled: false
event_log_storage:
  module: swps_pipeline.instance
  class: LocalEventLogStorage
  config:
    base_dir: {home}/history/runs
"""


class LocalEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log without a wait for the disk at each event (module docstring)."""

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "LocalEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        with super()._connect(shard) as connection:
            # pysqlite begins the transaction at the first write, so the pragma applies to this connection
            connection.exec_driver_sql("PRAGMA synchronous=OFF")
            yield connection


def write_instance_settings(home: Path) -> Path:
    """$DAGSTER_HOME/dagster.yaml for one analyst, unless one exists (the team server's, or the user's own)."""
    home.mkdir(parents=True, exist_ok=True)
    settings_file = home / "dagster.yaml"
    if not settings_file.exists():
        settings_file.write_text(INSTANCE_SETTINGS.format(home=home.resolve().as_posix()), encoding="utf-8")
    return settings_file
