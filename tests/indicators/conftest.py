"""A small programme built by hand: four positions, one missing return, one age group not reported.

Registry (2021): 77-001 police/association, 77-002 gendarmerie/local_authority
(its return says `mixed`), 77-003 police/association started 2021-07-01 and
ended 2022-03-31, 01-001 mixed/association whose 2021 return is missing
(never arrived, or was quarantined: either way it is absent from returns_valid).
"""

from __future__ import annotations

import pandas as pd
import pytest

from swps_pipeline import contract, panel
from swps_pipeline.indicators import build_indicators, indicator_changes
from swps_pipeline.reference import departements

POPULATION = {"77": 1_400_000, "01": 650_000}
OTHER_POPULATION = 500_000


def registry_frame(rows: list[tuple[str, str, str, str, str | None]]) -> pd.DataFrame:
    """(position_id, host_type, employer_type, start, end) -> registry with the contract's columns."""
    ids, hosts, employers, starts, ends = zip(*rows, strict=True)
    return pd.DataFrame({
        "position_id": list(ids),
        "department_code": [i.split("-")[0] for i in ids],
        "host_type": list(hosts),
        "host_site": "site",
        "employer_type": list(employers),
        "start_date": pd.to_datetime(list(starts)),
        "end_date": pd.to_datetime(list(ends)),
        "local_funders": pd.array([1] * len(ids), dtype="Int64"),
    })


def returns_frame(records: list[dict]) -> pd.DataFrame:
    """returns_valid rows: every canonical column, counts Int64, unspecified counts null (not reported)."""
    frame = pd.DataFrame(records).reindex(columns=contract.COLUMN_NAMES)
    frame["department_code"] = frame["position_id"].str.split("-").str[0]
    frame = frame.astype({**dict.fromkeys(contract.INT_COLUMNS, "Int64"), "fte": "float64", "cost_eur": "float64"})
    frame["months_active"] = frame["months_active"].fillna(12)
    frame["source_file"] = [f"returns/{r['year']}/{r['position_id']}.csv" for r in records]
    frame["source_row"] = 2
    return frame


def group(name: str, values: list[int]) -> dict[str, int]:
    return dict(zip(contract.GROUPS[name], values, strict=True))


def zeros_but(name: str, **given: int) -> dict[str, int]:
    """A fully reported group: the given members, every other member 0."""
    return {c: given.get(c.split("_", 1)[1], 0) for c in contract.GROUPS[name]}


RETURNS_2021 = [
    {"position_id": "77-001", "year": 2021, "fte": 1.0, "months_active": 12, "persons_received": 100,
     "new_cases": 80, "ongoing_cases": 20, "actions": 300, "child_in_danger_reports": 5,
     **group("cases", [40, 10, 25, 5]), **group("persons_sex", [70, 25, 5]),
     **group("persons_age", [10, 20, 60, 8, 2]), **group("source", [30, 10, 20, 5, 5, 4, 3, 2, 1]),
     **zeros_but("problem", domestic_violence=30, intrafamily_violence=10),
     **zeros_but("orient", social_services=20, victim_support=15, legal=5)},
    {"position_id": "77-002", "year": 2021, "host_type": "mixed", "fte": 0.5, "months_active": 12,
     "persons_received": 60, "new_cases": 50, "actions": 150,  # ongoing, child reports, age, orient: not reported
     **group("cases", [20, 10, 15, 5]), **group("persons_sex", [40, 20, 0]),
     **zeros_but("source", police=10, gendarmerie=30, self=10),
     **zeros_but("problem", domestic_violence=25, intrafamily_violence=5)},
    {"position_id": "77-003", "year": 2021, "fte": 1.0, "months_active": 6, "persons_received": 30,
     "new_cases": 20, "ongoing_cases": 5, "actions": 60, "child_in_danger_reports": 1,
     **group("cases", [10, 2, 8, 0]), **group("persons_sex", [20, 10, 0]),
     **group("persons_age", [2, 5, 20, 3, 0]), **zeros_but("source", police=5, self=15),
     **zeros_but("problem", domestic_violence=8), **zeros_but("orient", social_services=4, health=2)},
]
RETURNS_2022 = [
    {"position_id": "77-001", "year": 2022, "fte": 1.0, "months_active": 12, "persons_received": 120,
     "new_cases": 90, "actions": 310},
    {"position_id": "77-003", "year": 2022, "fte": 1.0, "months_active": 3, "persons_received": 10,
     "new_cases": 8, "actions": 20},
    {"position_id": "01-001", "year": 2022, "fte": 1.0, "months_active": 12, "persons_received": 40,
     "new_cases": 30, "actions": 90},
]


def population_frame() -> pd.DataFrame:
    """Populations of 2020 only: later years must carry 2020 forward."""
    codes = departements()["department_code"]
    return pd.DataFrame({
        "department_code": codes,
        "year": 2020,
        "population": [POPULATION.get(c, OTHER_POPULATION) for c in codes],
        "population_year": 2020,
    })


@pytest.fixture(scope="session")
def small_programme() -> dict[str, pd.DataFrame]:
    registry = registry_frame([
        ("77-001", "police", "association", "2019-01-01", None),
        ("77-002", "gendarmerie", "local_authority", "2020-06-01", None),
        ("77-003", "police", "association", "2021-07-01", "2022-03-31"),
        ("01-001", "mixed", "association", "2018-01-01", None),
    ])
    returns = returns_frame(RETURNS_2021 + RETURNS_2022)
    position_year = panel.position_year(registry, returns, [2021, 2022])
    department_year = panel.department_year(position_year)
    national_year = panel.national_year(department_year)
    indicators = build_indicators(position_year, department_year, national_year, population_frame())
    return {"registry": registry, "returns": returns, "position_year": position_year,
            "department_year": department_year, "national_year": national_year, "indicators": indicators,
            "indicator_changes": indicator_changes(indicators)}


def _pick(indicators: pd.DataFrame, level: str, entity: str, year: int, indicator: str) -> pd.Series:
    """The one row of an indicator for an entity-year."""
    rows = indicators[(indicators["level"] == level) & (indicators["entity"] == entity)
                      & (indicators["year"] == year) & (indicators["indicator"] == indicator)]
    assert len(rows) == 1, (level, entity, year, indicator, len(rows))
    return rows.iloc[0]


@pytest.fixture(scope="session")
def pick():
    return _pick


@pytest.fixture(scope="session")
def row(small_programme):
    """The small programme's row for (level, entity, year, indicator)."""
    return lambda level, entity, year, indicator: _pick(small_programme["indicators"], level, entity, year, indicator)
