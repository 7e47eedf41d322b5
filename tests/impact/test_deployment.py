"""Deployment by département and year, and the impact panel, on hand-made registries (figures by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact.deployment import deployment_department_year
from swps_pipeline.impact.panel import impact_panel

REGISTRY = pd.DataFrame(
    [
        # position, département, start, end
        ("01-1", "01", "2015-07-01", None),  # cohort 2015: before the panel
        ("02-1", "02", "2017-04-01", "2018-09-30"),  # cohort 2017
        ("02-2", "02", "2018-01-01", None),
        ("05-1", "05", "2014-01-01", None),  # 2 FTE per 100,000 from 2014: intensity cohort before the panel
        ("05-2", "05", "2014-01-01", None),
        ("06-1", "06", "2030-01-01", None),  # starts after the data's span: never treated
    ],
    columns=["position_id", "department_code", "start_date", "end_date"],
).assign(start_date=lambda f: pd.to_datetime(f["start_date"]), end_date=lambda f: pd.to_datetime(f["end_date"]))
POPULATION = pd.DataFrame(
    [(code, year, pop, 2016) for code, pop in [("01", 120_000), ("02", 100_000), ("05", 100_000), ("06", 80_000)]
     for year in range(2016, 2021)],
    columns=["department_code", "year", "population", "population_year"],
).astype({"population": "Int64"})


def _by_key(table):
    return table.set_index(["department_code", "year"])


def test_positions_fte_and_cohorts_by_hand():
    table = deployment_department_year(REGISTRY, None, POPULATION, 2016, 2020)
    assert len(table) == 101 * 5
    rows = _by_key(table)
    # 02: 2017 = April-December of one position; 2018 = January-September + a full year
    assert rows.loc[("02", 2017), "fte_years"] == pytest.approx(9 / 12)
    assert rows.loc[("02", 2018), ["positions_active", "fte_years"]].tolist() == pytest.approx([2, 1.75])
    assert rows.loc[("02", 2019), ["positions_active", "fte_years"]].tolist() == pytest.approx([1, 1.0])
    assert rows.loc[("02", 2018), "fte_per_100k"] == pytest.approx(1.75)
    assert rows.loc[("01", 2016), "fte_per_100k"] == pytest.approx(100_000 / 120_000)
    # cohorts: first start year; before the panel flagged; none when no position started by the last year
    assert rows.xs(2016, level="year").loc[["01", "02", "05", "06", "03"], "cohort"].tolist() == [
        2015, 2017, 2014, pd.NA, pd.NA]
    assert rows.xs(2016, level="year").loc[["01", "02", "05", "06"], "treated_before_panel"].tolist() == [
        True, False, True, False]
    # 1 per 150,000 = 0.667 FTE per 100,000: 01 reaches it in 2016 (0.83; 0.42 in 2015), 02 in 2017 (0.75),
    # 05 in 2014 (2.0, population carried back from 2016)
    assert rows.xs(2016, level="year").loc[["01", "02", "05", "06"], "cohort_intensity"].tolist() == [
        2016, 2017, 2014, pd.NA]
    assert rows.loc[("03", 2018), ["positions_active", "fte_years"]].tolist() == [0, 0.0]
    assert np.isnan(rows.loc[("03", 2018), "fte_per_100k"])  # no population given for 03


def test_reported_fte_replaces_the_registry_months():
    position_year = pd.DataFrame({"position_id": ["02-2", "02-1"], "year": [2018, 2018],
                                  "has_return": [True, False], "fte_years": [0.5, np.nan]})
    rows = _by_key(deployment_department_year(REGISTRY, position_year, POPULATION, 2016, 2020))
    # 02-2 reported 0.5 FTE × 12 months; 02-1 has no return: registry's 9 months at 1 FTE
    assert rows.loc[("02", 2018), "fte_years"] == pytest.approx(0.75 + 0.5)
    assert rows.loc[("02", 2019), "fte_years"] == pytest.approx(1.0)


def test_impact_panel_rates_and_treatment():
    deployment = deployment_department_year(REGISTRY, None, POPULATION, 2016, 2020)
    crime = pd.DataFrame(
        [("02", 2017, "intrafamily_physical_violence", 250, 100_000), ("02", 2018, "intrafamily_physical_violence", 0,
         100_000), ("02", 2017, "vehicle_theft", 80, 100_000), ("02", 2021, "vehicle_theft", 70, 100_000)],
        columns=["department_code", "year", "indicator", "count", "population"],
    ).assign(unit="victime").astype({"count": "Int64", "population": "Int64"})
    panel = impact_panel(deployment, crime)
    assert sorted(panel["year"].unique()) == [2017, 2018]  # years both tables cover
    rows = _by_key(panel)
    assert rows.loc[("02", 2017), "outcome_rate_per_1000"] == pytest.approx(2.5)
    assert rows.loc[("02", 2017), "log_outcome_rate"] == pytest.approx(np.log(2.5))
    assert rows.loc[("02", 2017), "log_placebo_rate"] == pytest.approx(np.log(0.8))
    assert np.isnan(rows.loc[("02", 2018), "log_outcome_rate"])  # zero count: no log
    assert rows.loc[("02", 2018), "outcome_count"] == 0
    assert rows.loc[("02", 2017), "treated"] and not rows.loc[("06", 2017), "treated"]
    assert rows.loc[("01", 2017), "outcome"] == "intrafamily_physical_violence"
    assert rows.loc[("01", 2017), "outcome_count"] is pd.NA  # no crime row: missing
    with pytest.raises(ValueError, match="indicator 'homicide' is not in the recorded-crime table"):
        impact_panel(deployment, crime, outcome="homicide")
