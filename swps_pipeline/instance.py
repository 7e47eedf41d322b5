"""The Dagster instance of one analyst: SQLite files under $DAGSTER_HOME, so the UI shows the runs of `swps run`.

Dagster's SQLite event log makes a new SQLAlchemy engine for every event (so every statement is compiled
afresh), opens a connection, commits and closes it, and SQLite waits for the disk (fsync) at the commit and the
close. A run writes about 400 events (one planned and one materialised per year partition of each yearly table):
these were the largest single cost of a whole run (bench/results.md). The run storage, which a run asks for the
year partitions each time it records a partition's row count, works the same way. `LocalEventLogStorage` and
`LocalRunStorage` write the same files, in the same layout and transactions, keeping an engine and its pooled
connections per database (a SQLite connection costs milliseconds to open and set up) and with
`PRAGMA synchronous=OFF`: a crash of the run loses nothing (SQLite has handed every write to the operating
system); an operating-system crash or a power cut during a run can lose or damage the run history. The warehouse
and the marts are written by DuckDB and pyarrow, not here, and keep their own guarantees. A team deployment
(`swps serve`) does not use these classes: it writes its own dagster.yaml (PostgreSQL, or SQLite with Dagster's
defaults).
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Iterator

import sqlalchemy as db

from swps_pipeline.startup import without

# Dagster's storage imports Alembic, whose Mako imports Pygments to colour the errors of its own templates (which
# the pipeline never renders): Pygments' import, with the plugins it looks up, took 0.3-0.5 s of every run.
with without("pygments"):
    from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
    from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
    from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

#: What `swps run` writes to a new $DAGSTER_HOME/dagster.yaml ({home} is the folder): no telemetry, and the
#: storages below in Dagster's own locations (history/runs.db, history/runs/), so Dagster's defaults read them.
INSTANCE_SETTINGS = """\
telemetry:
  enabled: false
run_storage:
  module: swps_pipeline.instance
  class: LocalRunStorage
  config:
    base_dir: {home}/history
event_log_storage:
  module: swps_pipeline.instance
  class: LocalEventLogStorage
  config:
    base_dir: {home}/history/runs
"""


class LocalEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, same files and transactions, without its two costs per event (module docstring):
    the wait for the disk, and a new SQLAlchemy engine per connection, which compiles every statement afresh
    (an engine keeps its compiled statements; a few engines are kept, one per run database in use)."""

    KEPT_ENGINES = 8

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "LocalEventLogStorage":
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as connection, connection.begin():
                yield connection

    def has_table(self, table_name: str) -> bool:
        """Asked before each query on the year partitions; a table, once made, stays (Dagster asks a new engine)."""
        present: set = self.__dict__.setdefault("_tables", set())
        if table_name not in present:
            with self._engine(INDEX_SHARD_NAME).connect() as connection:
                if connection.dialect.has_table(connection, table_name):
                    present.add(table_name)
        return table_name in present

    def _has_asset_key_col_on_connection(self, connection, column_name: str) -> bool:
        """Asked at every asset event (Dagster reads the table's columns each time: 0.3 s of a year's re-run at
        10×); a column, once a migration added it, stays."""
        present: set = self.__dict__.setdefault("_asset_key_columns", set())
        if column_name not in present and super()._has_asset_key_col_on_connection(connection, column_name):
            present.add(column_name)
        return column_name in present

    def _engine(self, shard: str):
        engines: OrderedDict = self.__dict__.setdefault("_engines", OrderedDict())
        if shard in engines:
            engines.move_to_end(shard)
            return engines[shard]
        engines[shard] = engine = _local_engine(self.conn_string_for_shard(shard))
        while len(engines) > self.KEPT_ENGINES:
            engines.popitem(last=False)[1].dispose()
        return engine


class LocalRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage (runs, their tags, the year partitions) with one engine and no wait for the
    disk: a run asks it for the year partitions each time it records a partition's row count (module docstring)."""

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "LocalRunStorage":
        return cls.from_local(inst_data=inst_data, **config_value)

    @cached_property
    def _engine(self):
        return _local_engine(self._conn_string)

    @contextmanager
    def connect(self) -> Iterator:
        with self._engine.connect() as connection, connection.begin():
            yield connection


def _local_engine(conn_string: str):
    """An engine that keeps its compiled statements and its connections (SQLAlchemy's pool for SQLite files:
    a connection is opened once, not at each event as in Dagster's, and holds no lock between transactions)."""
    engine = db.create_engine(conn_string, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    db.event.listen(engine, "connect", _without_waiting_for_the_disk)
    return engine


def _without_waiting_for_the_disk(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


def write_instance_settings(home: Path) -> Path:
    """$DAGSTER_HOME/dagster.yaml for one analyst, unless one exists (the team server's, or the user's own)."""
    home.mkdir(parents=True, exist_ok=True)
    settings_file = home / "dagster.yaml"
    if not settings_file.exists():
        settings_file.write_text(INSTANCE_SETTINGS.format(home=home.resolve().as_posix()), encoding="utf-8")
    return settings_file
