"""Hand-built panels and registries for the economics tests (schemas of docs/ARCHITECTURE.md)."""

from __future__ import annotations

import pandas as pd
import pytest

from swps_pipeline import contract


def make_position_year(rows: list[dict]) -> pd.DataFrame:
    """A `position_year` table: each row gives position_id, year and what it reported; the rest is null.

    A row without `fte` has no valid return.
    """
    frame = pd.DataFrame(rows)
    frame["department_code"] = frame["position_id"].str.split("-").str[0]
    frame["has_return"] = frame["fte"].notna() if "fte" in frame else False
    for column in ("fte", "months_active", "cost_eur"):
        if column not in frame:
            frame[column] = float("nan")
    frame["fte"] = frame["fte"].astype(float)
    frame["cost_eur"] = frame["cost_eur"].astype(float)
    frame["months_active"] = frame["months_active"].astype("Float64").astype("Int64")
    for column in contract.COUNT_COLUMNS:
        frame[column] = (frame[column] if column in frame else pd.Series(pd.NA, index=frame.index)).astype("Int64")
    frame["year"] = frame["year"].astype(int)
    return frame


def make_registry(starts: dict[str, str], ends: dict[str, str] | None = None,
                  employers: dict[str, str] | None = None, funders: dict[str, int | None] | None = None) -> pd.DataFrame:
    """A registry; employers default to local authorities, local co-funders to none."""
    ends, employers, funders = ends or {}, employers or {}, funders or {}
    return pd.DataFrame({
        "position_id": list(starts),
        "department_code": [p.split("-")[0] for p in starts],
        "start_date": pd.to_datetime(list(starts.values())),
        "end_date": pd.to_datetime([ends.get(p) for p in starts]),
        "employer_type": [employers.get(p, "local_authority") for p in starts],
        "local_funders": pd.array([funders.get(p, 0) for p in starts], dtype="Int64"),
    })


@pytest.fixture
def seine_et_marne_2021() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The 7 positions of Seine-et-Marne in 2021 (ECPA application): 1,030 new cases, 1,256 persons, 4,349 actions.

    Counts are split over the positions; all full-time, 12 months, no reported cost.
    """
    new_cases = [150, 150, 150, 150, 150, 140, 140]
    persons = [180, 180, 180, 180, 180, 178, 178]
    actions = [620, 620, 620, 620, 620, 625, 624]
    dv = [140, 140, 140, 130, 130, 136, 136]
    rows = [
        {"position_id": f"77-00{i + 1}", "year": 2021, "fte": 1.0, "months_active": 12, "new_cases": new_cases[i],
         "persons_received": persons[i], "actions": actions[i], "problem_domestic_violence": dv[i]}
        for i in range(7)
    ]
    registry = make_registry({f"77-00{i + 1}": "2016-01-01" for i in range(7)})
    return make_position_year(rows), registry


@pytest.fixture
def position_year_of():
    return make_position_year


@pytest.fixture
def registry_of():
    return make_registry


#: A small panel for the cost-benefit tests: Seine-et-Marne (a local authority employs 77-001, started in 2021,
#: so refunded 80 % then 50 %) and an association-employed half-time position in 13 with a reported cost. Police
#: and gendarmerie referred 70 of 77-001's 100 new cases in 2021, 90 of its 120 in 2022, 20 of 13-001's 40.
CBA_ROWS = [
    {"position_id": "77-001", "year": 2021, "fte": 1.0, "months_active": 12, "new_cases": 100, "ongoing_cases": 50,
     "source_police": 50, "source_gendarmerie": 20,
     "persons_received": 110, "actions": 300, "cases_victim": 50, "problem_domestic_violence": 75,
     "orient_perpetrator_programme": 10, "orient_emergency_housing": 4, "child_in_danger_reports": 5},
    {"position_id": "77-001", "year": 2022, "fte": 1.0, "months_active": 12, "new_cases": 120, "ongoing_cases": 60,
     "source_police": 60, "source_gendarmerie": 30,
     "persons_received": 130, "actions": 320, "cases_victim": 60, "problem_domestic_violence": 90,
     "orient_perpetrator_programme": 20, "orient_emergency_housing": 6, "child_in_danger_reports": 5},
    {"position_id": "77-002", "year": 2022},  # no valid return: neither cost nor benefit
    {"position_id": "13-001", "year": 2021, "fte": 0.5, "months_active": 12, "cost_eur": 30_000.0, "new_cases": 40,
     "source_police": 10, "source_gendarmerie": 10,
     "ongoing_cases": 10, "persons_received": 45, "actions": 90, "cases_victim": 20, "problem_domestic_violence": 25,
     "orient_perpetrator_programme": 0, "orient_emergency_housing": 2, "child_in_danger_reports": 1},
]


@pytest.fixture(scope="module")
def cba_rows() -> list[dict]:
    return [dict(row) for row in CBA_ROWS]


@pytest.fixture(scope="module")
def cba_panel(cba_rows) -> tuple[pd.DataFrame, pd.DataFrame]:
    starts = {"77-001": "2021-01-01", "77-002": "2015-01-01", "13-001": "2015-01-01"}
    return make_position_year(cba_rows), make_registry(starts, employers={"13-001": "association"})
