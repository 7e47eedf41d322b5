"""The national panel: which positions should have reported each year, and what they reported.

A position is expected to report for a year when the registry has it active on
any day of that year. A missing (or wholly quarantined) return stays visible as
a row with null activity; it is never a zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from swps_pipeline import contract
from swps_pipeline.profiles import active_profile
from swps_pipeline.reference import departements

COUNTS = contract.COUNT_COLUMNS

POSITION_YEAR_DTYPES: dict[str, str] = {
    "position_id": "object",
    "department_code": "object",
    "year": "int64",
    "registered": "bool",
    "expected": "bool",
    "has_return": "bool",
    "host_type": "object",
    "employer_type": "object",
    "start_date": "datetime64[ns]",
    "end_date": "datetime64[ns]",
    "months_registered": "Int64",
    "fte": "float64",
    "months_active": "Int64",
    "cost_eur": "float64",
    "fte_years": "float64",
    **dict.fromkeys(COUNTS, "Int64"),
    "source_file": "object",
}
MISSING_RETURNS_COLUMNS = ["position_id", "department_code", "year"]

_SUMMED_FLOATS = ["fte", "fte_years"]
DEPARTMENT_YEAR_DTYPES: dict[str, str] = {
    "department_code": "object",
    "department_name": "object",
    "region_code": "object",
    "year": "int64",
    "positions_active": "int64",
    "positions_reporting": "int64",
    "positions_missing": "int64",
    **dict.fromkeys(_SUMMED_FLOATS, "float64"),
    **dict.fromkeys(COUNTS, "Int64"),
    "meets_standard": "bool",
}
NATIONAL_YEAR_DTYPES: dict[str, str] = {
    "year": "int64",
    "positions_active": "int64",
    "positions_reporting": "int64",
    "positions_missing": "int64",
    "departments_covered": "int64",
    "departments_meeting_standard": "int64",
    "departments_below_standard": "int64",
    "mean_positions_per_department": "float64",
    **dict.fromkeys(_SUMMED_FLOATS, "float64"),
    **dict.fromkeys(COUNTS, "Int64"),
}


def _conform(frame: pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    """Fixed column order and dtypes, so an empty table still has every column."""
    return frame.reindex(columns=list(dtypes)).astype(dtypes, copy=False).reset_index(drop=True)


def _registry_years(registry: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Every (registered position, year) pair with whether the position was active in it."""
    grid = registry[["position_id", "start_date", "end_date"]].merge(
        pd.DataFrame({"year": years}, dtype="int64"), how="cross"
    )
    year_start = pd.Series((grid["year"].to_numpy() - 1970).astype("datetime64[Y]").astype("datetime64[ns]"))
    year_end = year_start + pd.offsets.YearEnd(0)
    start = grid["start_date"].fillna(year_start.min() - pd.Timedelta(days=1))
    end = grid["end_date"].fillna(year_end.max() + pd.Timedelta(days=1))
    grid["expected"] = (start <= year_end) & (end >= year_start)
    first_month = np.where(start < year_start, 1, start.dt.month)
    last_month = np.where(end > year_end, 12, end.dt.month)
    grid["months_registered"] = np.where(grid["expected"], last_month - first_month + 1, 0)
    return grid[["position_id", "year", "expected", "months_registered"]]


def position_year(registry: pd.DataFrame, returns_valid: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """One row per (position, year) expected by the registry, plus every valid return.

    Rows are the union of the registry-expected pairs and the returns (a return
    from an unregistered position, or outside its registered dates, is kept).
    The years covered are `years` plus any year a return was filed for.
    host_type/employer_type come from the return when given, else the registry.
    """
    keys = ["position_id", "year"]
    returned = pd.DataFrame({"position_id": returns_valid["position_id"].to_numpy(),
                             "year": returns_valid["year"].astype("int64").to_numpy(),
                             "return_row": np.arange(len(returns_valid))})
    all_years = sorted({int(y) for y in years} | set(returned["year"]))
    registry_years = _registry_years(registry, all_years)
    rows = registry_years.loc[registry_years["expected"], keys].merge(returned, on=keys, how="outer")
    rows = rows.merge(registry_years, on=keys, how="left")
    registry_side = registry[["position_id", "department_code", "host_type", "employer_type",
                              "start_date", "end_date"]].assign(registered=True)
    rows = rows.merge(registry_side, on="position_id", how="left")
    rows = rows.sort_values(["year", "position_id"], ignore_index=True)
    return_columns = ["department_code", "host_type", "employer_type", "fte", "months_active", "cost_eur",
                      *COUNTS, "source_file"]
    return_row = rows.pop("return_row")
    panel = returns_valid[return_columns].reset_index(drop=True).reindex(return_row.fillna(-1).astype("int64"))
    panel = panel.reset_index(drop=True)
    panel["has_return"] = return_row.notna()
    for column in ["department_code", "host_type", "employer_type"]:
        panel[column] = panel[column].combine_first(rows.pop(column))
    for column in rows:
        panel[column] = rows[column]
    for flag in ["registered", "expected"]:
        panel[flag] = panel[flag].eq(True)
    panel["months_registered"] = panel["months_registered"].astype("Int64").where(panel["registered"])
    panel["fte_years"] = panel["fte"] * panel["months_active"].astype("float64") / 12
    return _conform(panel, POSITION_YEAR_DTYPES)


def missing_returns(position_year: pd.DataFrame) -> pd.DataFrame:
    """Expected returns that never arrived valid (missing or all rows quarantined)."""
    missing = position_year[position_year["expected"] & ~position_year["has_return"]]
    return _conform(missing, dict.fromkeys(MISSING_RETURNS_COLUMNS, "object") | {"year": "int64"})


def department_year(position_year: pd.DataFrame) -> pd.DataFrame:
    """All 101 départements × every panel year; sums over reporting positions, null if none reported.

    positions_active counts every panel row: positions the registry has active
    in the year plus unregistered positions that reported.
    """
    years = pd.DataFrame({"year": sorted(position_year["year"].astype("int64").unique())}, dtype="int64")
    grid = departements()[["department_code", "department_name", "region_code"]].merge(years, how="cross")
    keys = ["department_code", "year"]
    flags = position_year.assign(
        positions_active=1,
        positions_reporting=position_year["has_return"].astype("int64"),
        positions_missing=(position_year["expected"] & ~position_year["has_return"]).astype("int64"),
    )
    grouped = flags.groupby(keys)
    positions = grouped[["positions_active", "positions_reporting", "positions_missing"]].sum()
    sums = grouped[_SUMMED_FLOATS + COUNTS].sum(min_count=1)
    table = grid.merge(positions.join(sums).reset_index(), on=keys, how="left")
    position_counts = ["positions_active", "positions_reporting", "positions_missing"]
    table[position_counts] = table[position_counts].fillna(0)
    table["meets_standard"] = table["positions_active"] >= active_profile().positions_per_area
    return _conform(table.sort_values(["year", "department_code"]), DEPARTMENT_YEAR_DTYPES)


def national_year(department_year: pd.DataFrame) -> pd.DataFrame:
    """One row per year: national sums and how many départements meet the standard."""
    grouped = department_year.assign(
        departments_covered=department_year["positions_active"] >= 1,
        departments_meeting_standard=department_year["meets_standard"],
        departments_below_standard=~department_year["meets_standard"].astype(bool),
    ).groupby("year")
    table = grouped[["positions_active", "positions_reporting", "positions_missing", "departments_covered",
                     "departments_meeting_standard", "departments_below_standard"]].sum()
    table["mean_positions_per_department"] = table["positions_active"] / grouped.size()
    table = table.join(grouped[_SUMMED_FLOATS + COUNTS].sum(min_count=1)).reset_index()
    return _conform(table, NATIONAL_YEAR_DTYPES)
