"""Identification checks that fail loudly: rank check, cohorts after the panel, cells without control, few clusters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact import estimators as est
from swps_pipeline.impact.results import estimate_impact
from swps_pipeline.impact.settings import ImpactSettings

FAST = ImpactSettings(n_boot=199, seed=4)


def mpdta_panel(never_treated: bool = True) -> pd.DataFrame:
    """R did's mpdta as an impact panel (county = département, log teen employment = outcome)."""
    data = pd.read_csv(Path(__file__).parent / "data" / "mpdta.csv")
    if not never_treated:
        data = data[data["first.treat"] > 0]
    return pd.DataFrame({
        "department_code": data["countyreal"].astype(str), "year": data["year"],
        "cohort": data["first.treat"].replace(0, np.nan).astype("Int64"), "log_outcome_rate": data["lemp"],
        "outcome": "lemp",
    })


def test_rank_deficient_event_study_gives_no_row_and_says_why():
    # without never-treated counties, event time is year − cohort for everyone: one lead is not identified
    panel = mpdta_panel(never_treated=False)
    result = est.event_study(panel, settings=FAST)
    missing = [d for d in result.diagnostics if d["check"] == est.NOT_IDENTIFIED]
    assert len(missing) == 1
    term = missing[0]["term"]
    assert "collinear with the fixed effects and the other regressors (rank 6 of 7)" in missing[0]["message"]
    assert term not in set(result.table()["term"])
    assert len(result.table().query("term.str.startswith('event_time_')")) == 6
    # with never-treated counties the same design is identified: every term has a row, nothing is reported missing
    full = est.event_study(mpdta_panel(), settings=FAST)
    assert not full.diagnostics
    assert {"event_time_-4", "event_time_-3", "event_time_-2", "event_time_0", "event_time_1", "event_time_2",
            "event_time_3"} <= set(full.table()["term"])


def test_cells_without_control_are_listed():
    # not-yet-treated controls without never-treated: the last cohort (2007) has no control in 2007
    out = est.callaway_santanna(mpdta_panel(never_treated=False), settings=FAST)
    listed = {(d["term"], d["check"]) for d in out.diagnostics}
    assert ("att_gt_2007_2007", "no_control") in listed
    assert ("att_gt_2006_2007", "no_control") in listed and ("att_gt_2004_2007", "no_control") in listed
    cells = out.group_time[0].set_index(["cohort", "year"])
    assert cells.loc[(2007, 2007), "status"] == "no_control" and np.isnan(cells.loc[(2007, 2007), "estimate"])
    # never-treated controls only: none exist here, so every cell is listed and no aggregate is made up
    never = est.callaway_santanna(mpdta_panel(never_treated=False),
                                  settings=ImpactSettings(control_group="never_treated", n_boot=199))
    assert never.table().query("term == 'att_overall'").empty
    assert len([d for d in never.diagnostics if d["check"] == "no_control"]) == 12


def test_cohort_after_the_panel_is_not_yet_treated(simulate):
    panel = simulate(6, lambda e: np.full(e.shape, 0.1), {2019.0: 15, 2022.0: 15, 2027.0: 10, np.nan: 10})
    assert panel["year"].max() == 2025
    cleared = panel.assign(cohort=panel["cohort"].mask(panel["cohort"] > 2025))
    late, never = estimate_impact(panel, FAST, False), estimate_impact(cleared, FAST, False)
    pd.testing.assert_frame_equal(late.impact_estimates, never.impact_estimates)
    assert set(late.group_time["cohort"]) == {2019, 2022}  # no pre-period cells for the 2027 cohort
    # its départements serve as controls: 20 not yet treated in 2025 (10 never + 10 from 2027)
    assert late.group_time.query("model == 'callaway_santanna' and cohort == 2022 and year == 2025")["n_control"].item() == 20


def test_few_cluster_warning_in_the_outputs(simulate):
    few = estimate_impact(simulate(1, lambda e: np.zeros(e.shape), {2019.0: 4, 2021.0: 4, 2023.0: 4}), FAST, False)
    warning = few.row("callaway_santanna", "att_overall")["warning"]
    assert warning.startswith("Few clusters: 12 départements (< 30); cohort 2019 has 4, 2021 has 4, 2023 has 4 (< 5)")
    assert few.row("twfe_treated", "treated")["warning"] == warning
    assert set(few.event_study["warning"]) == {warning}
    assert few.warnings() == [warning, "Few clusters: 12 départements (< 30)."]  # the second: TWFE on intensity
    many = estimate_impact(simulate(1, lambda e: np.zeros(e.shape), {2019.0: 30, 2021.0: 30, np.nan: 41}), FAST, False)
    assert many.impact_estimates["warning"].isna().all() and not many.warnings()
