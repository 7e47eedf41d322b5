"""TWFE: fixest's small-sample convention by hand, and the wild cluster bootstrap with few départements."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact import estimators as est
from swps_pipeline.impact import twfe
from swps_pipeline.impact.settings import ImpactSettings


def test_clustered_covariance_uses_fixests_small_sample_factor():
    rng = np.random.default_rng(0)
    units, years = np.repeat(np.arange(8), 5), np.tile(np.arange(5), 8)
    x = rng.normal(size=40) + (units % 2) * (years > 2)
    y = 0.5 * x + rng.normal(size=40) + units * 0.3 + years * 0.1
    fit = twfe.fit_twfe(y, pd.DataFrame({"x": x}), pd.Series(units), pd.Series(years))
    # the same regression with every dummy, by plain least squares
    design = np.column_stack([x, np.eye(8)[units], np.eye(5)[years][:, 1:]])
    beta, *_ = np.linalg.lstsq(design, y, rcond=None)
    assert fit.coefficients[0] == pytest.approx(beta[0], abs=1e-10)
    residuals = y - design @ beta
    bread = np.linalg.pinv(design.T @ design)
    scores = np.array([design[units == g].T @ residuals[units == g] for g in range(8)])
    sandwich = (bread @ scores.T @ scores @ bread)[0, 0]
    # fixest: G/(G−1) × (N−1)/(N−K), K = 1 regressor + 5 year effects (unit effects nested in the clusters)
    assert fit.covariance[0, 0] == pytest.approx(sandwich * 8 / 7 * 39 / (40 - 6), rel=1e-9)
    # statsmodels' dummies count the 7 unit effects too: its SE is sqrt((40 − 6) / (40 − 13)) = 1.12 times larger
    assert np.sqrt(sandwich * 8 / 7 * 39 / (40 - 13) / fit.covariance[0, 0]) == pytest.approx(1.1222, abs=1e-4)


def test_wild_cluster_bootstrap_with_twelve_departements(simulate):
    panel = simulate(8, lambda e: np.full(e.shape, 0.10), {2019.0: 4, 2021.0: 4, 2023.0: 4})
    settings = ImpactSettings(n_boot=999, seed=8)
    row = est.twfe_treated(panel, settings=settings).table().iloc[0]
    assert row["inference"] == "wild_cluster_bootstrap_wcr_rademacher" and row["n_clusters"] == 12
    assert row["ci_low"] < 0.10 < row["ci_high"] and row["p_value"] < 0.01
    # the inverted-test interval is close to the analytic one when the errors are well behaved
    analytic = est.twfe_treated(panel, settings=ImpactSettings(twfe_inference="analytic")).table().iloc[0]
    assert analytic["inference"] == "analytic_cluster_fixest_ssc"
    assert row["estimate"] == analytic["estimate"] and row["std_error"] == analytic["std_error"]
    assert (row["ci_high"] - row["ci_low"]) == pytest.approx(analytic["ci_high"] - analytic["ci_low"], rel=0.35)


def test_wild_bootstrap_p_value_of_a_true_null_is_not_small(simulate):
    panel = simulate(9, lambda e: np.zeros(e.shape), {2019.0: 4, 2021.0: 4, 2023.0: 4})
    data = est.staggered_sample(panel, est.OUTCOME_COLUMN, "cohort")
    treated = (data["year"] >= data["cohort"]).fillna(False).astype(float).rename("treated").to_frame()
    fit = twfe.fit_twfe(data[est.OUTCOME_COLUMN].to_numpy(), treated, data["department_code"], data["year"])
    boot = twfe.wild_cluster_bootstrap(fit, "treated", "webb", 999, np.random.default_rng(1))
    assert boot.ci_low < 0 < boot.ci_high
    # the interval's ends are where the bootstrap test rejects at exactly 5 %
    test = twfe._Restricted(fit, 0, twfe.bootstrap_weights("webb", (999, 12), np.random.default_rng(1)))
    assert test.p_value(boot.ci_high * 1.01) < 0.05 <= test.p_value(boot.ci_high * 0.99)
