"""The embedded DuckDB warehouse and the Parquet marts published from it.

Every asset's DataFrame is stored in DuckDB (table = asset name) and the whole
table is then exported to `marts/<table>.parquet` through a temporary file
and a rename, so a reader (a notebook, another tool) never sees half a file
and never needs a lock on the warehouse (`shared/contract/outputs.md`). The
export is where money columns take the profile's currency in their names
(`publish.currency`: `cost_pln` for Poland); the warehouse keeps the canonical
names, and `read_mart` gives them back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster import (
    DagsterInvariantViolationError,
    Failure,
    InputContext,
    OutputContext,
    TableColumn,
    TableSchema,
)
from dagster._core.definitions.metadata import TableMetadataSet
from dagster._core.storage.db_io_manager import DbIOManager, DbTypeHandler, TableSlice
from dagster._utils.backoff import backoff
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb.io_manager import DuckDbClient

from swps_pipeline.columns import describe
from swps_pipeline.profiles import active_profile
from swps_pipeline.publish.currency import canonical_columns, published_name
from swps_pipeline.publish.provenance import OFFICIAL
from swps_pipeline.publish.stored import duckdb_ready
from swps_pipeline.settings import Settings

SCHEMA = "main"


#: Hidden, so a reader globbing `*.parquet` never sees one; the writer's pid keeps two writers apart.
TEMPORARY_MART = ".{name}.{pid}.tmp"


#: The key, in a mart's Parquet metadata, of the digest of the content it was exported from (`_table_digest`).
CONTENT_DIGEST_KEY = "swps_content_digest"


def write_parquet_atomically(connection, table: str, path: Path, currency: str | None = None) -> bool:
    """Export a warehouse table to Parquet: write a temporary file, then rename it into place; with `currency`
    (ISO 4217), the money columns are named in it (`publish.currency.published_name`).

    A mart already at `path` exported from the same content (the digest its metadata records) is kept as it
    is: the export is sorted (`ORDER BY ALL`), so it would be written again byte for byte. A year's re-run
    rewrites each table it touches, most of them unchanged, and their exports were a fifth of its warehouse
    time (issue 17). Returns whether the mart was written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = _published_columns(connection, table, currency)
    digest = _table_digest(connection, table, columns)
    if _recorded_digest(path) == digest:
        return False
    select = ", ".join(f'"{column}" AS "{name}"' for column, (name, _) in columns.items())
    temporary = path.with_name(TEMPORARY_MART.format(name=path.name, pid=os.getpid()))
    connection.execute(
        f"COPY (SELECT {select} FROM {SCHEMA}.{table} ORDER BY ALL) "
        f"TO '{temporary}' (FORMAT parquet, KV_METADATA {{{CONTENT_DIGEST_KEY}: '{digest}'}})"
    ).fetchall()  # (the rows written) the connection is free for the next statement
    os.replace(temporary, path)
    return True


def _published_columns(connection, table: str, currency: str | None) -> dict[str, tuple[str, str]]:
    """Every column of the table in order: its name in the mart (money columns renamed when the currency
    changes a name) and its type."""
    rows = connection.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position", [SCHEMA, table]).fetchall()
    return {column: (published_name(column, currency) if currency else column, kind) for column, kind in rows}


def _table_digest(connection, table: str, columns: dict[str, tuple[str, str]]) -> str:
    """A digest of what the table's mart publishes: its columns (names as published, types) and its rows as a
    multiset (their number, and two order-free sums of DuckDB's hash of each row), so rows read in another
    order give the same digest. One scan of the table, a fraction of a sorted Parquet export."""
    [(count, total, combined)] = connection.execute(
        f"SELECT count(*), sum(hash(t)::HUGEINT), bit_xor(hash(t, 'row')) FROM {SCHEMA}.{table} t").fetchall()
    described = json.dumps([list(columns.values()), count, str(total), combined])
    return hashlib.sha256(described.encode()).hexdigest()


def _recorded_digest(path: Path) -> str | None:
    """The content digest a mart's metadata records; None when there is no mart or no digest (an older one)."""
    try:
        metadata = pq.ParquetFile(path).metadata.metadata or {}
    except (OSError, pa.ArrowException):
        return None
    recorded = metadata.get(CONTENT_DIGEST_KEY.encode())
    return recorded.decode() if recorded else None


def remove_stale_temporaries(marts_dir: Path) -> None:
    """Delete the temporary files a killed run left behind (call only while holding the run lock)."""
    for path in marts_dir.glob(TEMPORARY_MART.format(name="*.parquet", pid="*")):
        path.unlink(missing_ok=True)


# Publishing the marts of one run together (issue 18). `swps run` writes every mart into its own folder
# `runs/<id>/` (which starts as hard links to the current marts, so a one-year run keeps the others), then
# switches `marts`, a symbolic link to that folder, with one rename: a reader resolving `marts` sees every mart
# of one run, never two runs mixed, and a killed run leaves the previous marts whole.
RUNS = "runs"
PUBLISHED = "marts"
#: The pack writer's staging folders (`publish/pack.py`, `tempfile.mkdtemp(prefix=".evaluation_pack.")`).
TEMPORARY_PACK = ".evaluation_pack.*.tmp"
TEMPORARY_LINK = ".marts.{pid}.tmp"


def _published_folder(output_dir: Path) -> Path | None:
    marts = output_dir / PUBLISHED
    return marts.resolve() if marts.is_symlink() and marts.exists() else None


def start_run_folder(output_dir: Path) -> Path:
    """A new folder for this run's marts, holding (as hard links) the marts published so far.

    Hard links are safe because every writer replaces a mart by a rename (`write_parquet_atomically`), never
    writes into it: a writer of this folder must do the same."""
    folder = output_dir / RUNS / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    folder.mkdir(parents=True)
    for mart in sorted((output_dir / PUBLISHED).glob("*.parquet")):
        try:
            os.link(mart, folder / mart.name)
        except OSError:  # a file system without hard links
            shutil.copy2(mart, folder / mart.name)
    return folder


def publish_run_folder(output_dir: Path, folder: Path) -> None:
    """Make `folder` the published marts with one atomic rename of the `marts` link, then drop older runs.

    An output folder of an older version holds `marts/` as a plain folder: it is moved into `runs/` first
    (the only moment a reader may find no `marts`)."""
    marts = output_dir / PUBLISHED
    if marts.is_dir() and not marts.is_symlink():
        os.rename(marts, output_dir / RUNS / f"unversioned-{os.getpid()}")
    previous = _published_folder(output_dir) or output_dir / RUNS / f"unversioned-{os.getpid()}"
    link = output_dir / TEMPORARY_LINK.format(pid=os.getpid())
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(folder, output_dir), link)
    os.replace(link, marts)
    remove_stale_runs(output_dir, keep=previous)


def remove_stale_runs(output_dir: Path, keep: Path | None = None) -> None:
    """Delete what killed runs leave (run folders never published, older runs, temporary links and marts,
    the pack's staging folders); call only while holding the run lock.

    `keep`: the run folder published just before, which a reader may still be going through."""
    kept = {_published_folder(output_dir), keep.resolve() if keep else None}
    for folder in sorted((output_dir / RUNS).glob("*")):
        if folder.resolve() not in kept:
            shutil.rmtree(folder, ignore_errors=True)
    for stale in output_dir.glob(TEMPORARY_LINK.format(pid="*")):
        stale.unlink(missing_ok=True)
    for stale in output_dir.glob(TEMPORARY_PACK):
        shutil.rmtree(stale, ignore_errors=True)
    remove_stale_temporaries(output_dir / PUBLISHED)


def keep_only_years(warehouse_path: Path, tables: Sequence[str], years: Sequence[int]) -> set[str]:
    """Delete from the year-partitioned tables every year that no longer has a folder, so the marts of a run
    hold exactly the years of the data folder (a deleted or renamed year disappears). Returns the tables the
    warehouse holds."""
    if not warehouse_path.exists():
        return set()
    import duckdb

    with duckdb.connect(str(warehouse_path)) as connection:
        present = {row[0] for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [SCHEMA]).fetchall()}
        for table in sorted(set(tables) & present):
            connection.execute(f"DELETE FROM {SCHEMA}.{table} WHERE year NOT IN (SELECT unnest(?))", [list(years)])
    return present


#: The `AssetIn` metadata key of `loaded_rows`.
ROWS_KEY = "rows"


def loaded_rows(column: str, values: Iterable[str]) -> dict[str, dict[str, list[str]]]:
    """The `AssetIn` metadata that loads only the rows whose `column` is one of `values` (merge it with
    `loaded_columns`'s, which must then load `column`): `indicator_changes` compares two of the seven levels of
    `indicators`, and the others were 97 % of the rows it loaded, 1.4 s of the step at 100× (issue 17)."""
    return {ROWS_KEY: {column: list(values)}}


def _kept_rows(select: str, rows: dict[str, list[str]]) -> str:
    """`select` keeping only the rows `loaded_rows` asks for (the values as SQL text literals)."""
    def text(value: str) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    condition = " AND ".join(f'"{column}" IN ({", ".join(map(text, values))})' for column, values in rows.items())
    return f"SELECT * FROM ({select}) AS loaded WHERE {condition}"


def read_mart(marts_dir: Path, table: str, currency: str | None = None) -> pd.DataFrame:
    """Read a published mart (what notebooks and the evaluation pack use) with the canonical column names; its
    money columns are named in `currency` (default: the active profile's)."""
    return canonical_columns(pd.read_parquet(marts_dir / f"{table}.parquet"), currency or active_profile().currency)


@dataclass(frozen=True)
class WarehouseTarget:
    """Where a run writes: the official warehouse and marts, or a what-if scenario's own."""

    scenario: str
    database: Path
    marts_dir: Path


def overlay_marts(official_dir: Path, scenario_dir: Path, into: Path) -> Path:
    """A folder of links: the scenario's marts, and the official ones for tables the scenario did not recompute."""
    into.mkdir(parents=True, exist_ok=True)
    for folder in (official_dir, scenario_dir):  # the scenario's link replaces the official one
        for mart in folder.glob("*.parquet"):
            link = into / mart.name
            link.unlink(missing_ok=True)
            link.symlink_to(mart.resolve())
    return into


class RoutedDuckDbClient(DuckDbClient):
    """Connects to the run's target warehouse; a scenario reads a table it did not write from the official one.

    With `keep_open` (a run: `WarehouseIOManager.yield_for_execution`), each warehouse is opened once and every
    load and store of the run gets a cursor on it: opening a DuckDB file and checkpointing it at close cost
    tens of milliseconds, and a run loads and stores some sixty tables. Runs on one output folder never
    overlap (`swps run`'s lock, the deployment's run queue), so holding the file for a run keeps nobody out
    who could write. `close` ends it.
    """

    def __init__(self, locate: Callable[[OutputContext | InputContext], WarehouseTarget], official: Path,
                 keep_open: bool = False):
        self._locate = locate
        self._official = official
        self._keep_open = keep_open
        self._open: dict[Path, duckdb.DuckDBPyConnection] = {}

    def _database(self, context: OutputContext | InputContext, table_slice: TableSlice) -> Path:
        target = self._locate(context)
        if target.scenario == OFFICIAL:
            return self._official
        if isinstance(context, InputContext) and not self._table_exists(target.database, table_slice):
            return self._official
        target.database.parent.mkdir(parents=True, exist_ok=True)
        return target.database

    def _table_exists(self, database: Path, table_slice: TableSlice) -> bool:
        if not database.is_file():
            return False
        query = "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
        if database in self._open:
            return bool(self._open[database].cursor().execute(query, [table_slice.schema, table_slice.table])
                        .fetchone()[0])
        with duckdb.connect(str(database), read_only=True) as connection:
            return bool(connection.execute(query, [table_slice.schema, table_slice.table]).fetchone()[0])

    #: Tries to open a warehouse another process holds (from 0.1 s, doubling: about 100 s in all).
    LOCK_RETRIES = 10

    def _connect(self, database: Path, config: dict) -> duckdb.DuckDBPyConnection:
        try:
            return backoff(fn=duckdb.connect, retry_on=(RuntimeError, duckdb.IOException),
                           kwargs={"database": str(database), "read_only": False,
                                   "config": {"custom_user_agent": "dagster", **config}},
                           max_retries=self.LOCK_RETRIES)
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            holder = re.search(r"PID (\d+)", str(error))
            raise Failure(description=(
                f"the warehouse {database} is held by another process{f' (pid {holder[1]})' if holder else ''}: "
                "another run writes to this output folder (started from the UI or by `swps run`); "
                "let it end, then run again"), allow_retries=False) from None

    @contextmanager
    def connect(self, context, table_slice):  # type: ignore[override]
        database = self._database(context, table_slice)
        if not self._keep_open:
            connection = self._connect(database, context.resource_config["connection_config"])
        else:
            if database not in self._open:
                self._open[database] = self._connect(database, context.resource_config["connection_config"])
            connection = self._open[database].cursor()
        try:
            yield connection
        finally:
            connection.close()

    def close(self) -> None:
        for connection in self._open.values():
            connection.close()
        self._open.clear()


def column_schema(frame: pd.DataFrame, table: str, currency: str | None = None) -> TableSchema:
    """Every column of a published table with its type and its description from the column dictionary; with
    `currency`, under the name its mart gives it (`publish.currency`)."""
    return TableSchema(columns=[
        TableColumn(name=published_name(str(name), currency) if currency else str(name),
                    type="string" if dtype == object else str(dtype),  # pandas' "object" is text
                    description=describe(table, str(name)) or None)
        for name, dtype in frame.dtypes.items()
    ])


def _run_id(context: InputContext) -> str | None:
    try:
        return context.step_context.run_id
    except DagsterInvariantViolationError:  # an input loaded outside a run
        return None


class WarehouseTypeHandler(DbTypeHandler[pd.DataFrame]):
    """Stores DataFrames in DuckDB, keeping empty tables and their columns, then publishes the mart.

    A table (or the same years of it) read by several assets of one run is fetched
    from DuckDB once and handed out as copies: `position_year` feeds five assets,
    and fetching it is most of their cost at scale (bench/results.md).
    """

    def __init__(self, locate: Callable[[OutputContext], WarehouseTarget]):
        self._locate = locate
        self._fetched: dict[tuple[str, str, str], pd.DataFrame] = {}  # (run id, table, select) -> result

    def handle_output(self, context: OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection):
        frame = duckdb_ready(obj)
        name = f"{table_slice.schema}.{table_slice.table}"
        connection.register("incoming", frame)
        if table_slice.partition_dimensions:
            connection.execute(f"CREATE TABLE IF NOT EXISTS {name} AS SELECT * FROM incoming LIMIT 0")
            connection.execute(f"INSERT INTO {name} BY NAME SELECT * FROM incoming")
        else:
            connection.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM incoming")
        connection.unregister("incoming")
        self._fetched = {key: cached for key, cached in self._fetched.items() if key[1] != name}
        target, currency = self._locate(context), active_profile().currency
        mart = target.marts_dir / f"{table_slice.table}.parquet"
        write_parquet_atomically(connection, table_slice.table, mart, currency)
        if table_slice.partition_dimensions:  # each year partition of a run over several shows its own count
            counts = TableMetadataSet(storage_kind="duckdb")
            by_key = obj[table_slice.partition_dimensions[0].partition_expr].astype(str).value_counts()
            for key in context.asset_partition_keys:
                rows = int(by_key.get(key, 0))
                context.step_context.add_asset_metadata(
                    {**TableMetadataSet(row_count=rows, partition_row_count=rows)},
                    asset_key=context.asset_key, partition_key=key)
        else:
            counts = TableMetadataSet(row_count=len(obj), storage_kind="duckdb")
        context.add_output_metadata({**counts, "dagster/column_schema": column_schema(obj, table_slice.table, currency),
                                     "mart": str(mart), "scenario": target.scenario})

    def load_input(self, context: InputContext, table_slice: TableSlice, connection) -> pd.DataFrame:
        if table_slice.partition_dimensions and len(context.asset_partition_keys) == 0:
            return pd.DataFrame()
        select = DuckDbClient.get_select_statement(table_slice)
        rows = (context.definition_metadata or {}).get(ROWS_KEY)
        if rows:
            select = _kept_rows(select, rows)
        run_id = _run_id(context)
        if table_slice.partition_dimensions:
            # In a fixed order: a re-written year goes to the table's end, and sums over rows taken in another
            # order differ in their last digits (a year's re-run must give the numbers of a full run).
            select = f"{select} ORDER BY ALL"
        if run_id is None:
            return connection.execute(select).fetchdf()
        key = (run_id, f"{table_slice.schema}.{table_slice.table}", select)
        if key not in self._fetched:
            self._fetched = {k: cached for k, cached in self._fetched.items() if k[0] == run_id}
            self._fetched[key] = connection.execute(select).fetchdf()
        return self._fetched[key].copy()

    @property
    def supported_types(self):
        return [pd.DataFrame]


class WarehouseIOManager(DuckDBIOManager):
    """DuckDB IO manager of the pipeline: `database` is the warehouse, `marts_dir` the Parquet marts.

    A what-if run (`scenario()` other than "official") writes to
    `output_dir/scenarios/<name>/` instead: its own warehouse and marts.
    """

    marts_dir: str
    output_dir: str = ""

    def scenario(self, context: OutputContext | InputContext) -> str:
        """The scenario of the run `context` belongs to; the code location overrides this."""
        return OFFICIAL

    def target(self, context: OutputContext | InputContext) -> WarehouseTarget:
        name = self.scenario(context)
        if name == OFFICIAL:
            return WarehouseTarget(OFFICIAL, Path(self.database), Path(self.marts_dir))
        where = Settings(data_dir=Path(), output_dir=Path(self.output_dir)).scenario(name)
        return WarehouseTarget(name, where.warehouse_path, where.marts_dir)

    def type_handlers(self) -> Sequence[DbTypeHandler]:  # type: ignore[override]
        return [WarehouseTypeHandler(self.target)]

    def create_io_manager(self, context) -> DbIOManager:
        """An IO manager opening the warehouse for each load and store (outside a run)."""
        return self._io_manager(RoutedDuckDbClient(self.target, Path(self.database)))

    @contextmanager
    def yield_for_execution(self, context):
        """For a run: one connection to each warehouse, closed when the run ends, failed or not."""
        client = RoutedDuckDbClient(self.target, Path(self.database), keep_open=True)
        try:
            yield self._io_manager(client)
        finally:
            client.close()

    def _io_manager(self, client: RoutedDuckDbClient) -> DbIOManager:
        return DbIOManager(db_client=client, database=self.database, schema=self.schema_,
                           type_handlers=self.type_handlers(), default_load_type=self.default_load_type(),
                           io_manager_name="WarehouseIOManager")

    @staticmethod
    def default_load_type() -> type | None:
        return pd.DataFrame
