"""The indicators do not depend on the order of the rows they are given: a year's re-run reads its year's rows
in another order than a full run reads all years', and must give the same numbers to the last digit."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from swps_pipeline.indicators import build_indicators
from swps_pipeline.publish.warehouse import read_mart


def test_regions_sum_their_departements_in_the_same_order_whatever_the_rows_order(bundled_marts: Path):
    inputs = {name: read_mart(bundled_marts, name)
              for name in ("position_year", "department_year", "national_year", "department_population")}
    in_order = build_indicators(*inputs.values())
    department_year = inputs["department_year"]
    for shuffled in (department_year.iloc[::-1], department_year.sample(frac=1.0, random_state=7)):
        table = build_indicators(inputs["position_year"], shuffled, inputs["national_year"],
                                 inputs["department_population"])
        pd.testing.assert_frame_equal(table, in_order, check_exact=True)
    one_year = build_indicators(*(frame[frame["year"] == 2025] for frame in inputs.values()))
    regions = in_order[(in_order["level"] == "region") & (in_order["year"] == 2025)].reset_index(drop=True)
    pd.testing.assert_frame_equal(one_year[one_year["level"] == "region"].reset_index(drop=True), regions,
                                  check_exact=True)
