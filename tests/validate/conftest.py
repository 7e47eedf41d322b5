"""A return that breaks no rule, and a writer of returns files under a temporary data root."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tests.validate.returns import VALID_RETURN


@pytest.fixture
def valid_return() -> dict[str, str]:
    return dict(VALID_RETURN)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "raw"


@pytest.fixture
def write_return(data_dir):
    """`write_return(rows, name=..., year=...)`: a CSV of `rows` (dicts of text) under returns/<year>/."""

    def write(rows: list[dict[str, str]], name: str = "return.csv", year: int = 2021) -> Path:
        path = data_dir / "returns" / str(year) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = list(dict.fromkeys(column for row in rows for column in row))
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, restval="")
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


@pytest.fixture
def registry() -> pd.DataFrame:
    """The registry as `read_registry` returns it, with positions 77-001 to 77-030."""
    ids = [f"77-{i:03d}" for i in range(1, 31)]
    return pd.DataFrame({
        "position_id": ids, "department_code": "77", "host_type": "police", "host_site": None,
        "employer_type": "association", "start_date": pd.Timestamp("2020-01-01"), "end_date": pd.NaT,
        "local_funders": pd.array([1] * len(ids), dtype="Int64"),
    })
