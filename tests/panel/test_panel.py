"""The national panel on a hand-built registry and returns."""

from __future__ import annotations

import pandas as pd
import pytest

from swps_pipeline import contract, panel

REGISTRY = pd.DataFrame({
    "position_id": ["77-001", "77-002", "77-003", "01-001", "2A-001"],
    "department_code": ["77", "77", "77", "01", "2A"],
    "host_type": ["police", "gendarmerie", "police", "mixed", "police"],
    "host_site": "site",
    "employer_type": ["association", "local_authority", "association", "association", "other_public"],
    "start_date": pd.to_datetime(["2019-01-01", "2021-03-15", "2020-01-01", "2018-01-01", "2023-01-01"]),
    "end_date": pd.to_datetime([None, None, "2021-08-10", None, None]),
    "local_funders": pd.array([1, 0, 2, 1, 0], dtype="Int64"),
})


def _returns(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(records).reindex(columns=contract.COLUMN_NAMES)
    frame["department_code"] = frame["position_id"].str.split("-").str[0]
    frame["source_file"] = [f"returns/{r['year']}/{r['position_id']}.csv" for r in records]
    frame["source_row"] = 2
    return frame.astype({**dict.fromkeys(contract.INT_COLUMNS, "Int64"), "fte": "float64", "cost_eur": "float64"})


# 2021: 77-001 and 77-002 report; 77-003 (ended in August) and 01-001 do not (missing or quarantined);
# 02-001 is not in the registry but reports. 2022: 77-003 reports although the registry ended it in 2021.
RETURNS = _returns([
    {"position_id": "77-001", "year": 2021, "fte": 1.0, "months_active": 12, "persons_received": 100,
     "new_cases": 80, "actions": 300, "persons_age_minor": 10},
    {"position_id": "77-002", "year": 2021, "host_type": "mixed", "fte": 0.5, "months_active": 8,
     "persons_received": 40, "new_cases": 30, "actions": 90},
    {"position_id": "02-001", "year": 2021, "host_type": "gendarmerie", "fte": 0.8, "months_active": 12,
     "persons_received": 20, "new_cases": 10, "actions": 25},
    {"position_id": "77-003", "year": 2022, "fte": 1.0, "months_active": 2, "persons_received": 5,
     "new_cases": 4, "actions": 9},
])


@pytest.fixture(scope="module")
def position_year() -> pd.DataFrame:
    return panel.position_year(REGISTRY, RETURNS, [2021, 2022])


def _at(table: pd.DataFrame, **keys) -> pd.Series:
    mask = pd.Series(True, index=table.index)
    for column, value in keys.items():
        mask &= table[column] == value
    assert mask.sum() == 1, keys
    return table[mask].iloc[0]


def test_rows_are_expected_positions_plus_every_return(position_year):
    rows = set(zip(position_year["position_id"], position_year["year"]))
    assert rows == {
        ("77-001", 2021), ("77-002", 2021), ("77-003", 2021), ("01-001", 2021), ("02-001", 2021),
        ("77-001", 2022), ("77-002", 2022), ("01-001", 2022), ("77-003", 2022),
    }  # 2A-001 starts in 2023: not expected in 2021-2022
    assert list(position_year.columns) == list(panel.tables.POSITION_YEAR_DTYPES)
    flags = _at(position_year, position_id="02-001", year=2021)
    assert (flags["registered"], flags["expected"], flags["has_return"]) == (False, False, True)
    late = _at(position_year, position_id="77-003", year=2022)
    assert (late["registered"], late["expected"], late["has_return"], late["months_registered"]) == (
        True, False, True, 0)


def test_months_registered_fte_years_and_types(position_year):
    assert _at(position_year, position_id="77-002", year=2021)["months_registered"] == 10  # March to December
    assert _at(position_year, position_id="77-003", year=2021)["months_registered"] == 8  # January to August
    assert _at(position_year, position_id="77-001", year=2022)["months_registered"] == 12
    assert pd.isna(_at(position_year, position_id="02-001", year=2021)["months_registered"])
    second = _at(position_year, position_id="77-002", year=2021)
    assert second["fte_years"] == pytest.approx(0.5 * 8 / 12)
    assert (second["host_type"], second["employer_type"]) == ("mixed", "local_authority")  # return, then registry
    assert _at(position_year, position_id="02-001", year=2021)["department_code"] == "02"


def test_a_position_without_return_has_null_activity_never_zero(position_year):
    silent = _at(position_year, position_id="01-001", year=2021)
    assert silent[["fte", "fte_years"]].isna().all() and silent[contract.COUNT_COLUMNS].isna().all()
    assert (silent["host_type"], silent["start_date"]) == ("mixed", pd.Timestamp("2018-01-01"))
    missing = panel.missing_returns(position_year)
    assert list(missing.columns) == ["position_id", "department_code", "year"]
    assert set(zip(missing["position_id"], missing["year"])) == {
        ("77-003", 2021), ("01-001", 2021), ("77-001", 2022), ("77-002", 2022), ("01-001", 2022)}


def test_department_year_sums_over_reporting_positions(position_year):
    table = panel.department_year(position_year)
    assert len(table) == 101 * 2 and list(table.columns) == list(panel.tables.DEPARTMENT_YEAR_DTYPES)
    seine = _at(table, department_code="77", year=2021)
    assert (seine["positions_active"], seine["positions_reporting"], seine["positions_missing"]) == (3, 2, 1)
    assert (seine["persons_received"], seine["new_cases"], seine["fte"]) == (140, 110, 1.5)
    assert seine["fte_years"] == pytest.approx(1.0 + 0.5 * 8 / 12)
    assert seine["persons_age_minor"] == 10  # only 77-001 reported it; 77-002's blank is not a 0
    assert seine["meets_standard"] and seine["department_name"] == "Seine-et-Marne"
    ain = _at(table, department_code="01", year=2021)
    assert (ain["positions_active"], ain["positions_reporting"]) == (1, 0) and not ain["meets_standard"]
    assert pd.isna(ain["persons_received"]) and pd.isna(ain["fte"])  # nobody reported: null, not 0
    empty = _at(table, department_code="2A", year=2022)
    assert empty["positions_active"] == 0 and pd.isna(empty["actions"])


def test_national_year(position_year):
    national = panel.national_year(panel.department_year(position_year)).set_index("year")
    assert list(national.reset_index().columns) == list(panel.tables.NATIONAL_YEAR_DTYPES)
    first = national.loc[2021]
    assert (first["positions_active"], first["positions_reporting"], first["positions_missing"]) == (5, 3, 2)
    assert (first["departments_covered"], first["departments_meeting_standard"],
            first["departments_below_standard"]) == (3, 1, 100)
    assert first["mean_positions_per_department"] == pytest.approx(5 / 101)
    assert (first["persons_received"], first["new_cases"]) == (160, 120)
    assert pd.isna(first["ongoing_cases"])  # nobody reported it anywhere
    second = national.loc[2022]
    assert (second["positions_active"], second["persons_received"], second["departments_meeting_standard"]) == (
        4, 5, 1)


def test_empty_inputs_keep_every_column_and_dtype():
    empty = panel.position_year(REGISTRY.iloc[:0], RETURNS.iloc[:0], [2021])
    assert empty.empty and dict(empty.dtypes.astype(str)) == panel.tables.POSITION_YEAR_DTYPES
    department = panel.department_year(empty)
    assert department.empty and dict(department.dtypes.astype(str)) == panel.tables.DEPARTMENT_YEAR_DTYPES
    national = panel.national_year(department)
    assert national.empty and dict(national.dtypes.astype(str)) == panel.tables.NATIONAL_YEAR_DTYPES
    assert panel.missing_returns(empty).empty
