"""The cost model against figures computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.economics import build_cost_tables, load_parameters
from swps_pipeline.economics.costs import COST_PER_CASE_COLUMNS, COST_POSITION_YEAR_COLUMNS

#: INSEE consumer price index, 2015 = 100 (profiles/FR/cpi.csv). The default 52,500 EUR per FTE-year is in euros of
#: 2022 (the ECPA application); a year's default cost is in that year's euros (review of 2026-12-03, item 5):
#: 52,500 × CPI[year] / CPI[2022], e.g. 49,905.03 EUR in 2021.
CPI = {2019: 104.16, 2020: 104.68, 2021: 106.35, 2022: 111.88, 2023: 117.37}


def default_cost(year: int) -> float:
    """The default cost of one full-time year in euros of `year`."""
    return 52_500 * CPI[year] / CPI[2022]


def month(year: int) -> float:
    """The default cost of one full-time month in euros of `year` (4,158.75 EUR in 2021)."""
    return default_cost(year) / 12


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
    # 7 × 52,500 × 106.35 / 111.88 = 349,335.23 EUR of 2021 (367,500 EUR of 2022)
    total = 7 * 52_500 * 106.35 / 111.88
    assert department["total_cost_eur"] == pytest.approx(total) == pytest.approx(349_335.23, abs=0.01)
    assert department["positions_costed"] == 7
    per_case = tables["cost_per_case"]
    row = per_case[(per_case["level"] == "department") & (per_case["entity"] == "77")].iloc[0]
    assert round(row["cost_per_new_case"], 2) == round(total / 1_030, 2) == 339.16
    assert round(row["cost_per_person_received"], 2) == round(total / 1_256, 2) == 278.13
    assert round(row["cost_per_action"], 2) == round(total / 4_349, 2) == 80.33
    assert round(row["cost_per_domestic_violence_case"], 2) == round(total / 952, 2)
    assert row["positions_covered"] == 7
    national = per_case[per_case["level"] == "national"].iloc[0]
    assert national["entity"] == "FR" and national["cost_per_new_case"] == row["cost_per_new_case"]
    assert list(per_case.columns) == COST_PER_CASE_COLUMNS
    # Started 2016, before the national scheme: no refund, the local share is the whole cost.
    assert department["state_refund_eur"] == 0.0 and department["local_share_eur"] == pytest.approx(total)


def test_position_started_1_october_2020_gets_9_months_at_80_and_3_at_50_in_2021(costs):
    tables = costs(
        [{"position_id": "77-001", "year": 2020, "fte": 1.0, "months_active": 3},
         {"position_id": "77-001", "year": 2021, "fte": 1.0, "months_active": 12}],
        {"77-001": "2020-10-01"},
    )
    # 2020: 52,500 × 104.68 / 111.88 / 12 = 4,093.45 EUR a month; 2021: 4,158.75 EUR a month.
    assert month(2020) == pytest.approx(4_093.45, abs=0.01) and month(2021) == pytest.approx(4_158.75, abs=0.01)
    assert refund_of(tables, "77-001", 2020) == pytest.approx(3 * month(2020) * 0.8)  # 9,824.28
    # 9 × 4,158.75 × 80 % + 3 × 4,158.75 × 50 % = 29,943.02 + 6,238.13 = 36,181.15
    assert refund_of(tables, "77-001", 2021) == pytest.approx(9 * month(2021) * 0.8 + 3 * month(2021) * 0.5) == \
        pytest.approx(36_181.15, abs=0.01)
    table = tables["cost_position_year"].set_index("year")
    assert table.loc[2021, "local_share_eur"] == pytest.approx(default_cost(2021) - 36_181.148, abs=0.01)
    assert table.loc[2020, "cost_eur"] == pytest.approx(3 * month(2020))


def test_part_time_mid_year_start_over_two_calendar_years(costs):
    # Half-time from 1 April 2021: half a month's default cost of each year (2,187.50 EUR in 2022).
    tables = costs(
        [{"position_id": "13-001", "year": 2021, "fte": 0.5, "months_active": 9},
         {"position_id": "13-001", "year": 2022, "fte": 0.5, "months_active": 12}],
        {"13-001": "2021-04-15"},
    )
    assert refund_of(tables, "13-001", 2021) == pytest.approx(9 * month(2021) / 2 * 0.8)  # 14,971.51
    assert refund_of(tables, "13-001", 2022) == pytest.approx(2_187.50 * (3 * 0.8 + 9 * 0.5))  # 15,093.75


def test_third_year_at_30_percent_then_nothing(costs):
    rows = [{"position_id": "59-001", "year": y, "fte": 1.0, "months_active": 12} for y in (2021, 2022, 2023)]
    tables = costs(rows, {"59-001": "2020-07-01"})
    # 2021: Jan-Jun months 7-12 (80 %), Jul-Dec months 13-18 (50 %); 2022: 6 × 50 % + 6 × 30 %; 2023: 6 × 30 %.
    assert refund_of(tables, "59-001", 2021) == pytest.approx(month(2021) * (6 * 0.8 + 6 * 0.5))
    assert refund_of(tables, "59-001", 2022) == pytest.approx(4_375 * (6 * 0.5 + 6 * 0.3))  # 2022: 52,500 / 12
    assert refund_of(tables, "59-001", 2023) == pytest.approx(month(2023) * 6 * 0.3)


def test_position_ending_early_counts_its_months_back_from_the_end(costs):
    # Started March 2020, ended June 2021: 2021 months are Jan-Jun = months 11-16 of activity.
    tables = costs(
        [{"position_id": "33-001", "year": 2021, "fte": 1.0, "months_active": 6}],
        {"33-001": "2020-03-01"}, {"33-001": "2021-06-30"},
    )
    assert refund_of(tables, "33-001", 2021) == pytest.approx(month(2021) * (2 * 0.8 + 4 * 0.5))  # 14,971.51


def test_before_the_scheme_no_refund_and_scheme_start_configurable(costs):
    rows = [{"position_id": "69-001", "year": 2019, "fte": 1.0, "months_active": 12}]
    assert refund_of(costs(rows, {"69-001": "2018-12-01"}), "69-001", 2019) == 0.0
    moved = costs(rows, {"69-001": "2018-12-01"}, settings={"national_scheme_start": "2018-01-01"})
    # Jan-Nov 2019 are months 2-12 (80 %), Dec 2019 is month 13 (50 %).
    assert refund_of(moved, "69-001", 2019) == pytest.approx(month(2019) * (11 * 0.8 + 1 * 0.5))


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
    assert table.loc["75-003", "cost_eur"] == pytest.approx(0.8 * default_cost(2021))  # 39,924.03
    national = tables["cost_national_year"].iloc[0]
    assert (national["positions"], national["positions_costed"]) == (3, 2)
    assert national["cost_eur"] == pytest.approx(60_000 + 0.8 * default_cost(2021))  # a reported cost is as reported


def test_unregistered_position_is_costed_without_refund(costs):
    tables = costs([{"position_id": "06-009", "year": 2021, "fte": 1.0, "months_active": 12}], {"06-001": "2021-01-01"})
    table = tables["cost_position_year"].iloc[0]
    assert table["cost_eur"] == pytest.approx(default_cost(2021)) and table["state_refund_eur"] == 0.0


def test_office_costs_are_off_by_default_and_not_refunded(costs):
    rows = [{"position_id": "44-001", "year": 2021, "fte": 0.5, "months_active": 12, "new_cases": 100,
             "persons_received": 120, "actions": 300}]
    starts = {"44-001": "2021-01-01"}
    off = costs(rows, starts)["cost_position_year"].iloc[0]
    half_year = 0.5 * default_cost(2021)  # 24,952.52 EUR of 2021
    assert off["police_office_cost_eur"] == 0.0 and off["total_cost_eur"] == pytest.approx(half_year)
    on = costs(rows, starts, settings={"include_office_costs": True})
    row = on["cost_position_year"].iloc[0]
    office = 4_000 * 106.35 / 111.88 * 0.5  # 4,000 EUR of 2022 × 0.5 FTE-year, in 2021 euros: 1,901.14
    assert row["police_office_cost_eur"] == pytest.approx(office)
    assert row["total_cost_eur"] == pytest.approx(half_year + office)
    assert row["state_refund_eur"] == pytest.approx(half_year * 0.8)
    assert on["cost_per_case"].iloc[0]["cost_per_new_case"] == pytest.approx((half_year + office) / 100)


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
    assert row["cost_per_new_case"] == pytest.approx(1.5 * default_cost(2021) / 150)  # a year and half a year
    assert row["cost_per_domestic_violence_case"] == pytest.approx(default_cost(2021) / 50)
    assert row["positions_covered_domestic_violence"] == 1
    assert row["total_cost_eur"] == pytest.approx(1.5 * default_cost(2021))


def test_cost_per_case_is_null_when_nothing_to_divide_by(costs):
    rows = [{"position_id": "2A-001", "year": 2021, "fte": 1.0, "months_active": 12, "new_cases": 0,
             "persons_received": 0, "actions": 0}]
    row = costs(rows, {"2A-001": "2015-01-01"})["cost_per_case"].iloc[0]
    assert pd.isna(row["cost_per_new_case"]) and pd.isna(row["cost_per_domestic_violence_case"])
    assert row["entity"] == "2A"


def test_a_year_without_a_price_index_cannot_be_costed(costs):
    from swps_pipeline.economics import ParameterError

    with pytest.raises(ParameterError, match="no consumer price index for 2031"):
        costs([{"position_id": "77-001", "year": 2031, "fte": 1.0, "months_active": 12}], {"77-001": "2030-01-01"})


def test_a_year_with_every_return_missing_needs_no_price_index(costs):
    """Next year's folder exists before its files arrive: its positions are all missing, nothing is costed, and
    the run must not ask for a price index that is not published yet (2031 has none in the profile)."""
    rows = [{"position_id": "77-001", "year": 2021, "fte": 1.0, "months_active": 12},
            {"position_id": "77-001", "year": 2031}]  # no return in 2031
    table = costs(rows, {"77-001": "2015-01-01"})["cost_position_year"].set_index("year")
    assert table.loc[2021, "cost_eur"] == pytest.approx(default_cost(2021))
    assert pd.isna(table.loc[2031, "cost_eur"]) and table.loc[2031, "cost_source"] == "no_return"
    assert pd.isna(table.loc[2031, "total_cost_eur"]) and pd.isna(table.loc[2031, "state_refund_eur"])
