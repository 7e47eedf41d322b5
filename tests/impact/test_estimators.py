"""Estimators on panels where the truth is known: hand-computed ATT(g, t), simulated effects recovered."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact import estimators as est
from swps_pipeline.impact.dose import unit_dose
from swps_pipeline.impact.results import estimate_impact, interpretation_markdown
from swps_pipeline.impact.settings import ImpactSettings

#: Staggered adoption over 101 départements × 2016–2025, with never-treated ones.
STAGGERED = {2018.0: 20, 2020.0: 20, 2022.0: 20, 2024.0: 20, np.nan: 21}
SEED = 2


def _true_att(panel: pd.DataFrame) -> float:
    """Mean true effect over treated département-years (what the overall ATT aggregates)."""
    return panel.loc[panel["treated"], "true_effect"].mean()


def _within(row, value) -> bool:
    return row["ci_low"] <= value <= row["ci_high"]


def test_group_time_att_by_hand(simulate):
    panel = simulate(0, lambda e: np.zeros(e.shape), {2017.0: 1, 2018.0: 1, np.nan: 2})
    panel = panel[panel["year"] <= 2018].copy()
    y = {("000", 2016): 1.0, ("000", 2017): 3.0, ("000", 2018): 4.0,   # cohort 2017
         ("001", 2016): 2.0, ("001", 2017): 2.5, ("001", 2018): 5.0,   # cohort 2018
         ("002", 2016): 1.0, ("002", 2017): 1.5, ("002", 2018): 2.5,   # never
         ("003", 2016): 0.0, ("003", 2017): 1.0, ("003", 2018): 1.5}   # never
    panel["log_outcome_rate"] = [y[k] for k in zip(panel["department_code"], panel["year"])]
    result = est.callaway_santanna(panel, settings=ImpactSettings(seed=1, n_boot=99))
    cells = result.group_time[0].set_index(["cohort", "year"])["estimate"]
    # ATT(2017, 2017): 000 changes by 2; controls 001, 002, 003 (not yet treated in 2017) by 0.5, 0.5, 1 -> 2 - 2/3
    assert cells[(2017, 2017)] == pytest.approx(2 - 2 / 3)
    # ATT(2017, 2018), base 2016: 000 by 3; controls 002, 003 (001 treated in 2018) by 1.5, 1.5 -> 1.5
    assert cells[(2017, 2018)] == pytest.approx(1.5)
    # ATT(2018, 2018), base 2017: 001 by 2.5; controls 002, 003 by 1, 0.5 -> 1.75
    assert cells[(2018, 2018)] == pytest.approx(1.75)
    # ATT(2018, 2017), pre-period with base 2016: 001 by 0.5; controls 002, 003 by 0.5, 1 -> -0.25
    assert cells[(2018, 2017)] == pytest.approx(-0.25)
    overall = result.table().set_index("term").loc["att_overall", "estimate"]
    assert overall == pytest.approx(np.mean([2 - 2 / 3, 1.5, 1.75]))  # cohorts of one: equal weights
    # same seed, same bootstrap
    again = est.callaway_santanna(panel, settings=ImpactSettings(seed=1, n_boot=99)).table()
    pd.testing.assert_frame_equal(result.table(), again)


def test_constant_effect_recovered_by_twfe_and_callaway_santanna(simulate):
    panel = simulate(SEED, lambda e: np.full(e.shape, 0.10), STAGGERED)
    result = estimate_impact(panel, ImpactSettings(seed=SEED, n_boot=499), sensitivity_analysis=False)
    twfe = result.row("twfe_treated", "treated")
    cs = result.row("callaway_santanna", "att_overall")
    assert _within(twfe, 0.10) and _within(cs, 0.10)
    assert (twfe["n_clusters"], cs["n_clusters"], cs["n_obs"]) == (101, 101, 1010)
    # 1 FTE per 100,000 when treated: the intensity slope is the same effect
    assert _within(result.row("twfe_intensity", "fte_per_100k"), 0.10)


def test_growing_effects_twfe_biased_down_callaway_santanna_not(simulate):
    panel = simulate(SEED, lambda e: 0.04 * (e + 1), STAGGERED)
    truth = _true_att(panel)
    assert truth == pytest.approx(0.14)  # cohorts 2018-2024 observed 8, 6, 4, 2 years: mean (e + 1) = 3.5
    result = estimate_impact(panel, ImpactSettings(seed=SEED, n_boot=499), sensitivity_analysis=False)
    cs = result.row("callaway_santanna", "att_overall")
    twfe = result.row("twfe_treated", "treated")
    assert _within(cs, truth)
    # already-treated départements serve as controls while their effect grows: TWFE is pulled towards zero
    assert twfe["ci_high"] < truth and twfe["estimate"] < 0.6 * truth
    by_event = result.event_study.query("model == 'callaway_santanna'").set_index("event_time")
    assert by_event.loc[0, "ci_low"] <= 0.04 <= by_event.loc[0, "ci_high"]
    assert by_event.loc[5, "ci_low"] <= 0.24 <= by_event.loc[5, "ci_high"]


def test_no_effect_placebo_and_pretrends_do_not_reject(simulate):
    panel = simulate(SEED, lambda e: np.zeros(e.shape), STAGGERED)
    result = estimate_impact(panel, ImpactSettings(seed=SEED, n_boot=499), sensitivity_analysis=False)
    placebo = result.row("placebo", "att_overall")
    pretrend = result.row("event_study", "pretrend_joint_f")
    assert placebo["p_value"] > 0.05 and _within(placebo, 0.0)
    assert placebo["outcome"] == "log_vehicle_theft_per_1000"
    assert pretrend["p_value"] > 0.05
    leads = result.impact_estimates.query("model == 'event_study' and term in "
                                          "['event_time_-4', 'event_time_-3', 'event_time_-2']")
    assert len(leads) == 3


def test_pretrend_test_rejects_an_anticipation_effect(simulate):
    # the outcome moves two years before adoption: the leads must show it
    panel = simulate(SEED, lambda e: np.zeros(e.shape), STAGGERED)
    early = (panel["year"] - panel["cohort"].astype("float64")).between(-2, -1)
    panel.loc[early.fillna(False), "log_outcome_rate"] += 0.10
    pretrend = est.event_study(panel).table().set_index("term").loc["pretrend_joint_f"]
    pretest = est.callaway_santanna(panel).table().set_index("term").loc["pretest_wald_chi2"]
    assert pretrend["p_value"] < 0.01
    assert pretest["p_value"] < 0.01  # the Callaway–Sant'Anna pre-period cells show it too


def test_staggered_sample_drops_departements_treated_at_the_start(simulate):
    panel = simulate(SEED, lambda e: np.zeros(e.shape), {2016.0: 5, 2012.0: 5, 2019.0: 10, np.nan: 10})
    assert est.staggered_sample(panel, est.OUTCOME_COLUMN, "cohort")["department_code"].nunique() == 20
    assert est.twfe_intensity(panel).table()["n_clusters"].item() == 30


def test_no_adopter_in_the_panel_gives_no_estimate_rather_than_noise(simulate):
    panel = simulate(SEED, lambda e: np.zeros(e.shape), {2012.0: 10, np.nan: 10})
    result = estimate_impact(panel, ImpactSettings(seed=SEED, n_boot=99), sensitivity_analysis=False)
    # adopters before the panel only, and FTE constant within each département: nothing is identified
    assert result.impact_estimates.empty and result.event_study.empty and result.group_time.empty
    assert "not identified on these data" in interpretation_markdown(result)
    # and the diagnostics say why, model by model
    reasons = result.diagnostics.set_index("model")["message"]
    assert "no adoption inside the panel" in reasons["event_study"]
    assert "no département adopts inside the panel" in reasons["callaway_santanna"]
    assert "nothing is identified" in reasons["twfe_intensity"]


def test_dose_response_recovers_the_effect_per_fte(simulate):
    # each département's effect is 0.05 per FTE per 100,000, doses 0.5-2: ACRT = 0.05, ATT = 0.05 × mean dose
    panel = simulate(SEED, lambda e: np.zeros(e.shape), STAGGERED)
    codes = panel["department_code"].unique()
    dose = pd.Series(np.random.default_rng(3).uniform(0.5, 2.0, len(codes)), index=codes)
    panel["fte_per_100k"] = np.where(panel["treated"], panel["department_code"].map(dose), 0.0)
    panel["log_outcome_rate"] += 0.05 * panel["fte_per_100k"]
    result = estimate_impact(panel, ImpactSettings(seed=SEED, n_boot=499), sensitivity_analysis=False)
    acrt = result.row("dose_response_cgbs", "acrt_overall")
    assert _within(acrt, 0.05) and acrt["ci_low"] > 0.02
    assert acrt["inference"] == "multiplier_bootstrap_rademacher" and acrt["n_clusters"] == 101
    assert _within(result.row("twfe_intensity", "fte_per_100k"), 0.05)
    # the dose is each département's mean FTE per 100,000 once adopted
    assert unit_dose(panel)["000"] == pytest.approx(dose["000"])
