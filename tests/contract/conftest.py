"""The contract's tests write their own tiny data folders: one valid return, changed one cell at a time.

`folder.row(fte="0,8")` is the valid return with one cell changed (a Python value, written as text; a str
is written exactly as given, None as a blank cell); `folder.csv(...)`/`folder.xlsx(...)` write files
of such rows under `returns/<year>/`, and `folder.validate()` runs the year.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from swps_pipeline.contract import BY_NAME, COLUMN_NAMES, GROUPS
from swps_pipeline.validate import ValidationResult, validate_year

YEAR = 2022

#: One return that breaks no rule and raises no warning: every group adds up, every bound holds.
VALID_RETURN: dict[str, object] = {
    "year": YEAR, "department_code": "13", "position_id": "13-002", "host_type": "police",
    "host_site": "Commissariat de Marseille Nord", "employer_type": "association", "fte": 0.8, "months_active": 12,
    "cost_eur": 48000.0, "persons_received": 120, "new_cases": 90, "ongoing_cases": 30, "actions": 400,
    "child_in_danger_reports": 4,
    "cases_victim": 60, "cases_offender": 10, "cases_third_party": 15, "cases_public_unknown": 5,
    "persons_women": 80, "persons_men": 35, "persons_sex_unknown": 5,
    "persons_age_minor": 12, "persons_age_18_25": 25, "persons_age_26_59": 60, "persons_age_60_plus": 18,
    "persons_age_unknown": 5,
    "source_police": 40, "source_gendarmerie": 5, "source_self": 15, "source_social_services": 10,
    "source_justice": 5, "source_health": 5, "source_education": 4, "source_association": 4, "source_other": 2,
    **{column: 0 for column in GROUPS["problem"] + GROUPS["orient"]},
    "problem_domestic_violence": 50, "problem_intrafamily_violence": 20, "problem_child_protection": 6,
    "problem_housing": 10, "problem_other": 4,
    "orient_social_services": 20, "orient_victim_support": 25, "orient_legal": 8, "orient_other": 3,
}
assert list(VALID_RETURN) == COLUMN_NAMES


def cell(value: object, decimal: str = ".") -> str:
    """How a person would type `value` in a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(value, "g").replace(".", decimal)
    return str(value)


class ReturnsFolder:
    """A data root under tmp_path with a writer for each kind of returns file."""

    year = YEAR
    cell = staticmethod(cell)

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir

    @staticmethod
    def row(**changes: object) -> dict[str, object]:
        return VALID_RETURN | changes

    @staticmethod
    def values(valid_row: pd.Series) -> dict[str, object]:
        """The canonical values of a `returns_valid` row as plain Python values (None when null)."""
        return {c: (None if pd.isna(valid_row[c]) else valid_row[c].item() if hasattr(valid_row[c], "item")
                    else valid_row[c]) for c in COLUMN_NAMES}

    def path(self, name: str, year: int = YEAR) -> Path:
        path = self.data_dir / "returns" / str(year) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    @staticmethod
    def header(rows: list[dict[str, object]], labels: str) -> list[str]:
        """The columns of `rows` in first-seen order; `labels="fr"` writes the French labels of the template."""
        columns = list(dict.fromkeys(column for row in rows for column in row))
        return [BY_NAME[c].label if labels == "fr" and c in BY_NAME else c for c in columns]

    def csv(self, rows: list[dict[str, object]], name: str = "return.csv", year: int = YEAR, separator: str = ",",
            encoding: str = "utf-8", decimal: str = ".", labels: str = "canonical") -> Path:
        columns = list(dict.fromkeys(column for row in rows for column in row))
        text = io.StringIO(newline="")
        writer = csv.writer(text, delimiter=separator, lineterminator="\r\n")
        writer.writerow(self.header(rows, labels))
        writer.writerows([cell(row.get(c), decimal) for c in columns] for row in rows)
        path = self.path(name, year)
        path.write_bytes(text.getvalue().encode(encoding))
        return path

    def xlsx(self, rows: list[dict[str, object]], name: str = "return.xlsx", year: int = YEAR,
             titles: list[str] = (), total: bool = False, labels: str = "fr") -> Path:
        """A workbook typed by hand: title rows, the header, one row per return (numbers as numbers),
        and optionally a `Total` row of sums at the bottom."""
        columns = list(dict.fromkeys(column for row in rows for column in row))
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for title in titles:
            sheet.append([title])
        sheet.append(self.header(rows, labels))
        for row in rows:
            sheet.append([row.get(c) for c in columns])
        if total:
            sheet.append(["Total", None, None,
                          *[sum(r[c] for r in rows) if isinstance(rows[0][c], int) else None for c in columns[3:]]])
        path = self.path(name, year)
        workbook.save(path)
        return path

    def write_bytes(self, name: str, content: bytes, year: int = YEAR) -> Path:
        path = self.path(name, year)
        path.write_bytes(content)
        return path

    def validate(self, registry=None, year: int = YEAR) -> ValidationResult:
        return validate_year(self.data_dir, year, registry)


@pytest.fixture
def folder(tmp_path) -> ReturnsFolder:
    return ReturnsFolder(tmp_path / "raw")
