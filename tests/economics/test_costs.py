"""The cost model against figures computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.economics import build_cost_tables, load_parameters
from swps_pipeline.economics.costs import COST_PER_CASE_COLUMNS, COST_POSITION_YEAR_COLUMNS

MONTH = 52_500 / 12  # default cost of one full-time month: 4,375 EUR


@pytest.fixture
def costs(position_year_of, registry_of):
    """Cost tables of hand-written returns and registry start (and end) dates, with parameter overrides."""

    def build(rows: list[dict], starts: dict[str, str], ends: dict[str, str] | None = None, **overrides):
        params = load_parameters(overrides=overrides or None)
        return build_cost_tables(position_year_of(rows), registry_of(starts, ends), params)

    return build


def refund_of(tables, position_id: str, year: int) -> float:
    table = tables["cost_position_year"]
    return float(table.loc[(table["position_id"] == position_id) & (table["year"] == year), "state_refund_eur"].iloc[0])


def test_seine_et_marne_2021_default_cost(seine_et_marne_2021):
    position_year, registry = seine_et_marne_2021
    tables = build_cost_tables(position_year, registry, load_parameters())
    department = tables["cost_department_year"].set_index(["department_code", "year"]).loc[("77", 2021)]
    assert department["total_cost_eur"] == pytest.approx(367_500.0)
    assert department["positions_costed"] == 7
    per_case = tables["cost_per_case"]
    row = per_case[(per_case["level"] == "department") & (per_case["entity"] == "77")].iloc[0]
    assert round(row["cost_per_new_case"], 2) == 356.80
    assert round(row["cost_per_person_received"], 2) == 292.60
    assert round(row["cost_per_action"], 2) == round(367_500 / 4_349, 2) == 84.50
    assert round(row["cost_per_domestic_violence_case"], 2) == round(367_500 / 952, 2)
    assert row["positions_covered"] == 7
    national = per_case[per_case["level"] == "national"].iloc[0]
    assert national["entity"] == "FR" and national["cost_per_new_case"] == row["cost_per_new_case"]
    assert list(per_case.columns) == COST_PER_CASE_COLUMNS
    # Started 2016, before the national scheme: no refund, the local share is the whole cost.
    assert department["state_refund_eur"] == 0.0 and department["local_share_eur"] == pytest.approx(367_500.0)


def test_position_started_1_october_2020_gets_9_months_at_80_and_3_at_50_in_2021(costs):
    tables = costs(
        [{"position_id": "77-001", "year": 2020, "fte": 1.0, "months_active": 3},
         {"position_id": "77-001", "year": 2021, "fte": 1.0, "months_active": 12}],
        {"77-001": "2020-10-01"},
    )
    assert MONTH == 4_375.0
    assert refund_of(tables, "77-001", 2020) == pytest.approx(3 * 4_375 * 0.8) == 10_500.0
    assert refund_of(tables, "77-001", 2021) == pytest.approx(31_500.0 + 6_562.50) == 38_062.50
    table = tables["cost_position_year"].set_index("year")
    assert table.loc[2021, "local_share_eur"] == pytest.approx(52_500 - 38_062.50)
    assert table.loc[2020, "cost_eur"] == pytest.approx(13_125.0)


def test_part_time_mid_year_start_over_two_calendar_years(costs):
    # Half-time from 1 April 2021: 2,187.50 EUR a month.
    tables = costs(
        [{"position_id": "13-001", "year": 2021, "fte": 0.5, "months_active": 9},
         {"position_id": "13-001", "year": 2022, "fte": 0.5, "months_active": 12}],
        {"13-001": "2021-04-15"},
    )
    half = 2_187.50
    assert refund_of(tables, "13-001", 2021) == pytest.approx(9 * half * 0.8)  # 15,750
    assert refund_of(tables, "13-001", 2022) == pytest.approx(half * (3 * 0.8 + 9 * 0.5))  # 15,093.75


def test_third_year_at_30_percent_then_nothing(costs):
    rows = [{"position_id": "59-001", "year": y, "fte": 1.0, "months_active": 12} for y in (2021, 2022, 2023)]
    tables = costs(rows, {"59-001": "2020-07-01"})
    # 2021: Jan-Jun months 7-12 (80 %), Jul-Dec months 13-18 (50 %); 2022: 6 × 50 % + 6 × 30 %; 2023: 6 × 30 %.
    assert refund_of(tables, "59-001", 2021) == pytest.approx(MONTH * (6 * 0.8 + 6 * 0.5))
    assert refund_of(tables, "59-001", 2022) == pytest.approx(MONTH * (6 * 0.5 + 6 * 0.3))
    assert refund_of(tables, "59-001", 2023) == pytest.approx(MONTH * 6 * 0.3)


def test_position_ending_early_counts_its_months_back_from_the_end(costs):
    # Started March 2020, ended June 2021: 2021 months are Jan-Jun = months 11-16 of activity.
    tables = costs(
        [{"position_id": "33-001", "year": 2021, "fte": 1.0, "months_active": 6}],
        {"33-001": "2020-03-01"}, {"33-001": "2021-06-30"},
    )
    assert refund_of(tables, "33-001", 2021) == pytest.approx(MONTH * (2 * 0.8 + 4 * 0.5)) == 15_750.0


def test_before_the_scheme_no_refund_and_scheme_start_configurable(costs):
    rows = [{"position_id": "69-001", "year": 2019, "fte": 1.0, "months_active": 12}]
    assert refund_of(costs(rows, {"69-001": "2018-12-01"}), "69-001", 2019) == 0.0
    moved = costs(rows, {"69-001": "2018-12-01"}, settings={"national_scheme_start": "2018-01-01"})
    # Jan-Nov 2019 are months 2-12 (80 %), Dec 2019 is month 13 (50 %).
    assert refund_of(moved, "69-001", 2019) == pytest.approx(MONTH * (11 * 0.8 + 1 * 0.5))


def test_reported_cost_eligible_share_and_no_return(costs):
    rows = [
        {"position_id": "75-001", "year": 2021, "fte": 1.0, "months_active": 12, "cost_eur": 60_000.0},
        {"position_id": "75-002", "year": 2021},  # expected, no valid return
        {"position_id": "75-003", "year": 2021, "fte": 0.8, "months_active": None},  # null months = 12
    ]
    tables = costs(rows, {"75-001": "2021-01-01", "75-002": "2021-01-01", "75-003": "2021-01-01"},
                   parameters={"eligible_share": 0.5})
    table = tables["cost_position_year"].set_index("position_id")
    assert list(tables["cost_position_year"].columns) == COST_POSITION_YEAR_COLUMNS
    assert table.loc["75-001", "cost_source"] == "reported"
    assert table.loc["75-001", "state_refund_eur"] == pytest.approx(60_000 * 0.5 * 0.8)
    assert table.loc["75-001", "local_share_eur"] == pytest.approx(60_000 - 24_000)
    assert table.loc["75-002", "cost_source"] == "no_return"
    assert np.isnan(table.loc["75-002", "cost_eur"]) and np.isnan(table.loc["75-002", "state_refund_eur"])
    assert table.loc["75-003", "cost_source"] == "default"
    assert table.loc["75-003", "months_active"] == 12
    assert table.loc["75-003", "cost_eur"] == pytest.approx(42_000.0)
    national = tables["cost_national_year"].iloc[0]
    assert (national["positions"], national["positions_costed"]) == (3, 2)
    assert national["cost_eur"] == pytest.approx(102_000.0)


def test_unregistered_position_is_costed_without_refund(costs):
    tables = costs([{"position_id": "06-009", "year": 2021, "fte": 1.0, "months_active": 12}], {"06-001": "2021-01-01"})
    table = tables["cost_position_year"].iloc[0]
    assert table["cost_eur"] == pytest.approx(52_500.0) and table["state_refund_eur"] == 0.0


def test_office_costs_are_off_by_default_and_not_refunded(costs):
    rows = [{"position_id": "44-001", "year": 2021, "fte": 0.5, "months_active": 12, "new_cases": 100,
             "persons_received": 120, "actions": 300}]
    starts = {"44-001": "2021-01-01"}
    off = costs(rows, starts)["cost_position_year"].iloc[0]
    assert off["police_office_cost_eur"] == 0.0 and off["total_cost_eur"] == pytest.approx(26_250.0)
    on = costs(rows, starts, settings={"include_office_costs": True})
    row = on["cost_position_year"].iloc[0]
    assert row["police_office_cost_eur"] == pytest.approx(2_000.0)  # 4,000 × 0.5 FTE-year
    assert row["total_cost_eur"] == pytest.approx(28_250.0)
    assert row["state_refund_eur"] == pytest.approx(26_250.0 * 0.8)
    assert on["cost_per_case"].iloc[0]["cost_per_new_case"] == pytest.approx(282.5)


def test_cost_per_case_matches_cost_and_activity_on_the_same_positions(costs):
    rows = [
        {"position_id": "31-001", "year": 2021, "fte": 1.0, "months_active": 12, "new_cases": 100,
         "persons_received": 140, "actions": 400, "problem_domestic_violence": 50},
        {"position_id": "31-002", "year": 2021, "fte": 1.0, "months_active": 6, "new_cases": 50,
         "persons_received": 70, "actions": 200},  # no domestic-violence count reported
        {"position_id": "31-003", "year": 2021},  # no return: neither cost nor activity
    ]
    tables = costs(rows, {p: "2015-01-01" for p in ("31-001", "31-002", "31-003")})
    row = tables["cost_per_case"].query("level == 'department'").iloc[0]
    assert row["positions_covered"] == 2
    assert row["cost_per_new_case"] == pytest.approx((52_500 + 26_250) / 150)
    assert row["cost_per_domestic_violence_case"] == pytest.approx(52_500 / 50)
    assert row["positions_covered_domestic_violence"] == 1
    assert row["total_cost_eur"] == pytest.approx(78_750.0)


def test_cost_per_case_is_null_when_nothing_to_divide_by(costs):
    rows = [{"position_id": "2A-001", "year": 2021, "fte": 1.0, "months_active": 12, "new_cases": 0,
             "persons_received": 0, "actions": 0}]
    row = costs(rows, {"2A-001": "2015-01-01"})["cost_per_case"].iloc[0]
    assert pd.isna(row["cost_per_new_case"]) and pd.isna(row["cost_per_domestic_violence_case"])
    assert row["entity"] == "2A"
