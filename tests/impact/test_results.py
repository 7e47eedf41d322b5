"""Impact tables, the event-study chart and the interpretation text."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact.estimators import ESTIMATE_COLUMNS, EVENT_STUDY_COLUMNS
from swps_pipeline.impact.results import (
    estimate_impact,
    event_study_chart,
    event_study_figure,
    interpretation_markdown,
)
from swps_pipeline.impact.settings import ImpactSettings
from swps_pipeline.parallel import WORKERS_VARIABLE

STAGGERED = {2018.0: 20, 2020.0: 20, 2022.0: 20, 2024.0: 20, np.nan: 21}


@pytest.fixture
def no_effect(simulate):
    return estimate_impact(simulate(3, lambda e: np.zeros(e.shape), STAGGERED), ImpactSettings(seed=3, n_boot=199),
                           sensitivity_analysis=False)


def test_tables_have_their_columns_and_reference_year(no_effect):
    assert list(no_effect.impact_estimates.columns) == list(ESTIMATE_COLUMNS)
    assert list(no_effect.event_study.columns) == list(EVENT_STUDY_COLUMNS)
    twfe = no_effect.event_study.query("model == 'event_study'").set_index("event_time")
    assert list(twfe.index) == [-4, -3, -2, -1, 0, 1, 2, 3, 4]  # end points binned, −1 the reference
    assert twfe.loc[-1, "estimate"] == 0.0 and np.isnan(twfe.loc[-1, "ci_low"])
    assert twfe["reference"].tolist() == [False, False, False, True, False, False, False, False, False]
    # Callaway–Sant'Anna on the universal base: after adoption the same cells (base g − 1) as the varying base
    lag = no_effect.row("callaway_santanna", "event_time_2")
    cs = no_effect.event_study.query("model == 'callaway_santanna'").set_index("event_time")
    assert cs.loc[2, "estimate"] == pytest.approx(lag["estimate"], abs=1e-12)
    assert cs.loc[-1, "reference"] and cs.loc[-1, "estimate"] == 0.0 and set(cs["base_period"]) == {"universal"}
    # the uniform band contains the pointwise interval at every event time
    estimated = cs[~cs["reference"]]
    assert (estimated["ci_low_uniform"] < estimated["ci_low"]).all()
    assert (estimated["ci_high_uniform"] > estimated["ci_high"]).all()


def test_chart_is_a_reproducible_png(no_effect):
    png = event_study_chart(no_effect.event_study)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert event_study_chart(no_effect.event_study) == png


def test_chart_shows_an_estimate_without_interval_hollow_and_no_legend_over_the_plots(no_effect):
    frame = no_effect.event_study.copy()
    cs = frame.index[(frame["model"] == "callaway_santanna") & ~frame["reference"].astype(bool)]
    earliest = frame.loc[cs, "event_time"].idxmin()
    frame.loc[earliest, ["ci_low", "ci_high", "ci_low_uniform", "ci_high_uniform"]] = np.nan
    figure = event_study_figure(frame)
    figure.canvas.draw()
    top = figure.axes[0]
    hollow = [line for line in top.get_lines() if line.get_markerfacecolor() == "white"]
    assert len(hollow) == 1 and hollow[0].get_label() == "estimate, no interval (too few départements)"
    assert list(hollow[0].get_xdata()) == [frame.loc[earliest, "event_time"]]
    assert list(hollow[0].get_ydata()) == [frame.loc[earliest, "estimate"]]
    for axis in figure.axes:  # each legend lies entirely right of its plot
        assert axis.get_legend().get_window_extent().x0 > axis.get_window_extent().x1


def test_interpretation_states_assumption_pretrend_and_caveats(no_effect):
    text = interpretation_markdown(no_effect)
    pretest = no_effect.row("callaway_santanna", "pretest_wald_chi2")
    assert f"does not reject at 5 % (W = {pretest['estimate']:.2f}, p = {pretest['p_value']:.3f})" in text
    assert "parallel trends" in text and "no anticipation" in text
    assert "reporting" in text and "a rise in the recorded rate can be a success" in text
    assert "synthetic until the real registry is loaded" in text
    assert "synthetic" not in interpretation_markdown(no_effect, deployment_synthetic=False)
    overall = no_effect.row("callaway_santanna", "att_overall")
    assert f"{overall['estimate']:+.3f}" in text


def test_estimates_are_the_same_in_one_process_and_in_forked_ones(simulate, monkeypatch):
    """Each estimator seeds its own generator: shared among forked processes, the estimators give the tables of
    one process to the bit, rows in the same order (the sensitivity analysis, started first, still last), and the
    chart drawn in a worker is the one of those tables."""
    panel = simulate(5, lambda e: np.zeros(e.shape), {2019.0: 4, 2021.0: 4, 2023.0: 4, np.nan: 6})
    settings = ImpactSettings(seed=5, n_boot=99)
    monkeypatch.setenv(WORKERS_VARIABLE, "1")
    serial = estimate_impact(panel, settings)
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    forked = estimate_impact(panel, settings, draw_event_study=True)
    for table in ("impact_estimates", "event_study", "group_time", "diagnostics"):
        pd.testing.assert_frame_equal(getattr(forked, table), getattr(serial, table), check_exact=True)
    # the chart drawn beside the sensitivity analysis is the chart of the final table
    assert serial.event_study_png is None and forked.event_study_png == event_study_chart(serial.event_study)
    assert list(dict.fromkeys(forked.impact_estimates["model"])) == [
        "twfe_treated", "twfe_intensity", "event_study", "callaway_santanna", "callaway_santanna_intensity_cohort",
        "placebo", "honest_did"]  # every département has the same dose: no dose-response row
    # 18 départements: the wild cluster bootstrap, whose interval holds the true effect, none
    treated = forked.row("twfe_treated", "treated")
    assert treated["inference"] == "wild_cluster_bootstrap_wcr_rademacher"
    assert treated["ci_low"] < 0 < treated["ci_high"]
    assert forked.row("honest_did", "breakdown_mbar_att_dynamic_overall")["estimate"] == 0.0  # nothing to overturn
