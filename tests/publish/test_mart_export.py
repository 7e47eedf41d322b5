"""A mart is exported again only when its content changed: same rows in another order, same file."""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from swps_pipeline.publish.warehouse import CONTENT_DIGEST_KEY, read_mart, write_parquet_atomically


def _table(connection, rows: list[tuple]) -> None:
    frame = pd.DataFrame(rows, columns=["department_code", "year", "new_cases", "cost_eur"])
    connection.register("incoming", frame)
    connection.execute("CREATE OR REPLACE TABLE main.cost AS SELECT * FROM incoming")
    connection.unregister("incoming")


def test_an_unchanged_table_keeps_its_mart_and_a_changed_one_is_written_again(tmp_path):
    mart = tmp_path / "cost.parquet"
    rows = [("01", 2024, 12, 52_000.0), ("77", 2024, None, 104_000.0), ("2A", 2025, 0, None)]
    with duckdb.connect() as connection:
        _table(connection, rows)
        assert write_parquet_atomically(connection, "cost", mart)
        written = mart.stat().st_ino
        _table(connection, list(reversed(rows)))  # the same rows, stored in another order
        assert not write_parquet_atomically(connection, "cost", mart)
        assert mart.stat().st_ino == written
        changes = {"a count": ("77", 2024, 0, 104_000.0),  # a missing count become 0 is a change
                   "an amount": ("77", 2024, None, 104_000.5), "a code": ("78", 2024, None, 104_000.0)}
        for change, row in changes.items():
            _table(connection, [rows[0], row, rows[2]])
            assert write_parquet_atomically(connection, "cost", mart), change
            assert read_mart(tmp_path, "cost")["department_code"].tolist() == ["01", "2A", row[0]]
        _table(connection, rows[:2])  # a row fewer
        assert write_parquet_atomically(connection, "cost", mart)
        assert write_parquet_atomically(connection, "cost", mart, "PLN")  # the money column renamed
        assert "cost_pln" in read_mart(tmp_path, "cost").columns


def test_a_mart_without_a_recorded_digest_is_written_again(tmp_path):
    """A mart of an older version (or written by hand) records no digest: it is replaced, not trusted."""
    mart = tmp_path / "cost.parquet"
    pd.DataFrame({"department_code": ["01"], "year": [2024], "new_cases": [12], "cost_eur": [52_000.0]}).to_parquet(mart)
    with duckdb.connect() as connection:
        _table(connection, [("01", 2024, 12, 52_000.0)])
        assert write_parquet_atomically(connection, "cost", mart)
    assert CONTENT_DIGEST_KEY.encode() in pq.ParquetFile(mart).metadata.metadata
