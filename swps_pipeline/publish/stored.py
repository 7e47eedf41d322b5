"""How a DataFrame is stored in the warehouse and given back to an asset, without Dagster.

`publish.warehouse` stores and loads the assets' tables this way; `as_loaded`
gives what a step would load from a table holding a frame, for the work done
before the run has a warehouse open (`validate/ahead.py`). This module imports
neither Dagster nor the warehouse's IO manager, so the processes that validate
the returns while `swps run` starts need not import them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import pandas as pd


def duckdb_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Give text columns an explicit string type so an all-null column is not stored as INTEGER."""
    converted = {
        name: column.astype("string")
        for name, column in frame.items()
        if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")
    }
    return frame.assign(**converted) if converted else frame


def loaded_columns(table_order: Iterable[str], wanted: Iterable[str]) -> dict[str, list[str]]:
    """The `AssetIn` metadata that loads only the `wanted` columns of a warehouse table, in the table's own
    order (`table_order`): a year-partitioned table's rows come sorted by every column loaded, first to last
    (`WarehouseTypeHandler.load_input`), so with the table's leading key columns among them a consumer gets its
    rows in the whole table's order. Fewer columns are fetched, copied and digested for reuse (issue 17)."""
    order, wanted = list(table_order), set(wanted)
    unknown = sorted(wanted - set(order))
    if unknown:
        raise ValueError(f"not columns of the table: {', '.join(unknown)}")
    return {"columns": [column for column in order if column in wanted]}


def as_loaded(frame: pd.DataFrame, columns: Sequence[str] | None = None, partitioned: bool = True) -> pd.DataFrame:
    """`frame` as a warehouse table holding it gives it back to an asset: stored the way
    `WarehouseTypeHandler.handle_output` stores it, and read back the way `load_input` reads it (`columns`, by
    default all; a year-partitioned table's rows sorted by all of them, another's in the order stored), in an
    in-memory DuckDB. What a step computes from it is then what it computes from the warehouse
    (`validate/ahead.py`)."""
    with duckdb.connect(":memory:") as connection:
        connection.register("incoming", duckdb_ready(frame))
        connection.execute("CREATE TABLE stored AS SELECT * FROM incoming")
        selected = ", ".join(f'"{column}"' for column in columns) if columns is not None else "*"
        return connection.execute(f"SELECT {selected} FROM stored{' ORDER BY ALL' if partitioned else ''}").fetchdf()
