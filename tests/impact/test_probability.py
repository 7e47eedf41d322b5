"""The estimators' tail probabilities and quantiles from `scipy.special`: `scipy.stats`' values to the bit."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from swps_pipeline.impact import probability

#: Statistics as the estimators meet them, and the edges: zero of either sign, infinite, missing.
STATISTICS = np.array([0.0, -0.0, 1e-300, 0.3, 1.959963984540054, 2.5, 40.0, 1e10, np.inf, np.nan,
                       *np.abs(np.random.default_rng(17).standard_normal(2_000)) * 4])
#: Degrees of freedom: G − 1 for 2 to 101 clusters (the t and F denominators), joint tests of 1 to 12 terms.
DEGREES = (1, 2, 4, 17, 29, 100)
LEVELS = np.array([0.25, 0.5, 0.75, 0.95, 0.975, 0.995, *np.random.default_rng(3).random(200)])


@pytest.mark.parametrize("df", DEGREES)
def test_t_chi2_and_f_equal_scipy_stats_to_the_bit(df):
    np.testing.assert_array_equal(probability.t_sf(STATISTICS, df), stats.t.sf(STATISTICS, df))
    np.testing.assert_array_equal(probability.t_quantile(LEVELS, df), stats.t.ppf(LEVELS, df))
    for x in STATISTICS[:40]:
        np.testing.assert_array_equal(probability.chi2_sf(x, df), stats.chi2.sf(x, df))
        np.testing.assert_array_equal(probability.f_sf(x, df, 17), stats.f.sf(x, df, 17))


def test_normal_equals_scipy_stats_to_the_bit():
    np.testing.assert_array_equal(probability.normal_sf(STATISTICS), stats.norm.sf(STATISTICS))
    np.testing.assert_array_equal(probability.normal_quantile(LEVELS), stats.norm.ppf(LEVELS))


def test_textbook_values():
    assert probability.normal_quantile(0.975) == pytest.approx(1.95996, abs=1e-5)
    assert probability.t_quantile(0.975, 17) == pytest.approx(2.10982, abs=1e-5)  # t table, 17 df
    assert 2 * probability.t_sf(2.10982, 17) == pytest.approx(0.05, abs=1e-6)
    assert probability.chi2_sf(3.84146, 1) == pytest.approx(0.05, abs=1e-6)  # chi-squared table, 1 df
    assert probability.f_sf(3.19678, 3, 17) == pytest.approx(0.05, abs=1e-6)  # F table, (3, 17) df


def test_a_quadratic_form_rounded_below_zero_has_probability_one():
    """A Wald statistic is ≥ 0; rounding can make it −1e−17: 1, as scipy.stats, not NaN."""
    assert probability.chi2_sf(-1e-17, 3) == 1.0 == stats.chi2.sf(-1e-17, 3)
    assert probability.f_sf(-1e-17, 3, 17) == 1.0 == stats.f.sf(-1e-17, 3, 17)
