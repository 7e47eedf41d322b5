"""The figures the indicators issue fixes: Seine-et-Marne 2021 and the national standard in 2022."""

from __future__ import annotations

import pandas as pd
from pytest import approx

from swps_pipeline import contract, panel
from swps_pipeline.indicators import build_indicators
from swps_pipeline.reference import departements

# ECPA application: 7 social workers in Seine-et-Marne, 1,030 new cases, 1,256 persons, 4,349 actions,
# 109 child-in-danger reports; 59 % victims, 10 % offenders, 30 % third parties; 75 % women;
# 952 cases of domestic violence.
SEINE_ET_MARNE_2021 = {
    "new_cases": 1030, "persons_received": 1256, "actions": 4349, "child_in_danger_reports": 109,
    "ongoing_cases": 210, "cases_victim": 608, "cases_offender": 103, "cases_third_party": 309,
    "cases_public_unknown": 10, "persons_women": 942, "persons_men": 300, "persons_sex_unknown": 14,
    "problem_domestic_violence": 952,
}


def _split(total: int, parts: int) -> list[int]:
    """`total` spread over `parts` positions, the remainder on the last one."""
    return [total // parts] * (parts - 1) + [total - (total // parts) * (parts - 1)]


def _programme(registry_rows: list[tuple[str, int]], returns: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Indicators for a registry of (position_id, first year) and returns, everyone active since then."""
    registry = pd.DataFrame({
        "position_id": [p for p, _ in registry_rows],
        "department_code": [p.split("-")[0] for p, _ in registry_rows],
        "host_type": "police", "host_site": "site", "employer_type": "association",
        "start_date": pd.to_datetime([f"{y}-01-01" for _, y in registry_rows]),
        "end_date": pd.NaT, "local_funders": pd.array([0] * len(registry_rows), dtype="Int64"),
    })
    population = departements()[["department_code"]].assign(year=min(years), population=500_000,
                                                             population_year=min(years))
    position_year = panel.position_year(registry, returns, years)
    department_year = panel.department_year(position_year)
    return build_indicators(position_year, department_year, panel.national_year(department_year), population)


def _returns(ids: list[str], year: int, counts: dict[str, list[int]]) -> pd.DataFrame:
    frame = pd.DataFrame({"position_id": ids, "year": year, "fte": 1.0, **counts}).reindex(
        columns=contract.COLUMN_NAMES)
    frame["department_code"] = frame["position_id"].str.split("-").str[0]
    frame["months_active"] = 12
    frame["source_file"] = "returns/x.csv"
    frame["source_row"] = range(2, len(frame) + 2)
    return frame.astype({**dict.fromkeys(contract.INT_COLUMNS, "Int64"), "fte": "float64", "cost_eur": "float64"})


def _value(indicators: pd.DataFrame, level: str, entity: str, year: int, indicator: str) -> pd.Series:
    rows = indicators[(indicators["level"] == level) & (indicators["entity"] == entity)
                      & (indicators["year"] == year) & (indicators["indicator"] == indicator)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_seine_et_marne_2021():
    ids = [f"77-{i:03d}" for i in range(1, 8)]
    counts = {column: _split(total, 7) for column, total in SEINE_ET_MARNE_2021.items()}
    indicators = _programme([(p, 2019) for p in ids], _returns(ids, 2021, counts), [2021])
    at = lambda indicator: _value(indicators, "department", "77", 2021, indicator)  # noqa: E731
    assert at("new_cases_per_fte")["value"] == approx(1030 / 7)
    assert at("new_cases_per_fte")["value"] == approx(147.14, abs=0.005)
    assert at("share_victims")["value"] == approx(0.59, abs=0.005)
    assert at("share_offenders")["value"] == approx(0.10, abs=0.005)
    assert at("share_third_parties")["value"] == approx(0.30, abs=0.005)
    assert at("share_women")["value"] == approx(0.75, abs=0.005)
    assert at("share_domestic_violence")["value"] == approx(952 / (1030 + 210))
    assert at("persons_received")["value"] == 1256 and at("positions_active")["value"] == 7


def test_national_2022_share_of_departments_meeting_the_standard():
    codes = list(departements()["department_code"])
    # Two positions in every département but the first two, which have one.
    registry = [(f"{code}-001", 2020) for code in codes] + [(f"{code}-002", 2020) for code in codes[2:]]
    returns = _returns([p for p, _ in registry], 2022, {"persons_received": [10] * len(registry),
                                                         "new_cases": [5] * len(registry),
                                                         "actions": [20] * len(registry)})
    found = _value(_programme(registry, returns, [2022]), "national", "FR", 2022,
                   "share_departments_meeting_standard")
    assert (found["value"], found["numerator"], found["denominator"]) == (approx(99 / 101), 99, 101)


def test_share_of_positions_flagged_as_activity_outliers():
    ids = [f"01-{i:03d}" for i in range(1, 11)]
    persons = [50, 52, 54, 56, 58, 60, 62, 64, 66, 1000]  # median 59, MAD 5: 1000 is ~127 robust z away
    returns = _returns(ids, 2021, {"persons_received": persons, "new_cases": [40] * 10, "actions": [100] * 10})
    found = _value(_programme([(p, 2019) for p in ids], returns, [2021]), "department", "01", 2021,
                   "share_positions_outlier")
    assert (found["value"], found["numerator"], found["denominator"]) == (approx(0.1), 1, 10)
