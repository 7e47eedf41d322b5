"""Templates written from the bundled registry, and a way to fill them as a social worker would."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from swps_pipeline.collect.template import FIRST_DATA_ROW, HEADER_ROW, write_templates
from swps_pipeline.contract import GROUPS, HEADER_ALIASES, normalise_header
from swps_pipeline.ingest.registry import read_registry

REPO = Path(__file__).resolve().parents[2]
BUNDLED = REPO / "data" / "raw"
YEAR = 2023


def filled_values(rng: np.random.Generator) -> dict[str, object]:
    """One position's figures: every group adds up, every problem under its bound, FTE in (0, 1]."""
    persons = int(rng.integers(40, 400))
    new_cases = int(rng.integers(20, persons))
    ongoing = int(rng.integers(0, 50))

    def split(total: int, parts: int) -> list[int]:
        cuts = np.sort(rng.integers(0, total + 1, parts - 1))
        return [int(x) for x in np.diff(np.concatenate([[0], cuts, [total]]))]

    values = {"fte": float(rng.choice([0.5, 0.8, 1.0])), "months_active": int(rng.integers(1, 13)),
              "cost_eur": 41250.5, "persons_received": persons, "new_cases": new_cases, "ongoing_cases": ongoing,
              "actions": new_cases * 3, "child_in_danger_reports": int(rng.integers(0, 10))}
    values |= dict(zip(GROUPS["cases"], split(new_cases, 4)))
    values |= dict(zip(GROUPS["persons_sex"], split(persons, 3)))
    values |= dict(zip(GROUPS["persons_age"], split(persons, 5)))
    values |= dict(zip(GROUPS["source"], split(new_cases, 9)))
    values |= {c: int(rng.integers(0, new_cases + ongoing + 1)) for c in GROUPS["problem"]}
    values |= {c: int(rng.integers(0, 30)) for c in GROUPS["orient"]}
    return values


def column_letters(sheet) -> dict[str, int]:
    """Canonical column -> column number, from the template's header row."""
    return {HEADER_ALIASES[normalise_header(cell.value)]: cell.column for cell in sheet[HEADER_ROW]
            if normalise_header(cell.value) in HEADER_ALIASES}


def fill_template(path: Path, seed: int, change: dict[str, dict[str, object]] | None = None) -> dict[str, dict]:
    """Fill every position row of a template with valid figures (then `change[position_id]`); return what was
    written, per position."""
    rng = np.random.default_rng(seed)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    columns = column_letters(sheet)
    written = {}
    for row in range(FIRST_DATA_ROW, sheet.max_row + 1):
        position = sheet.cell(row, columns["position_id"]).value
        values = filled_values(rng) | (change or {}).get(position, {})
        for name, value in values.items():
            sheet.cell(row, columns[name], value)
        written[position] = values
    workbook.save(path)
    return written


@pytest.fixture(scope="session")
def registry() -> pd.DataFrame:
    return read_registry(BUNDLED / "positions.csv")


def expected_positions(registry: pd.DataFrame, year: int) -> pd.DataFrame:
    """Positions active on a day of `year`, computed from the dates directly."""
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    return registry[(registry["start_date"] <= end) & (registry["end_date"].isna() | (registry["end_date"] >= start))]


@pytest.fixture
def data_dir(tmp_path, registry) -> Path:
    """A data root with the bundled registry and an empty returns/<YEAR>/ folder."""
    root = tmp_path / "raw"
    (root / "returns" / str(YEAR)).mkdir(parents=True)
    shutil.copy(BUNDLED / "positions.csv", root / "positions.csv")
    return root


@pytest.fixture
def templates(data_dir, registry) -> list[Path]:
    """The bundled registry's templates for YEAR, written straight into the year folder."""
    return write_templates(registry, YEAR, data_dir / "returns" / str(YEAR), due=dt.date(2024, 2, 15),
                           recipient="coordination@example.org", synthetic=True)
