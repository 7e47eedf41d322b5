"""Two-way fixed effects regressions with cluster inference that holds with few clusters.

The fixed effects are swept out (alternating projections, exact in one pass on
a balanced panel), so a regression is a small least-squares problem. Before
fitting, a rank check drops every regressor the fixed effects and the other
regressors already span, and says so. Inference:

- analytic: cluster-robust covariance with `fixest`'s small-sample factor
  G/(G−1) × (N−1)/(N−K), where K counts the regressors and the year effects
  but not the unit effects nested in the clusters; t with G − 1 df;
- wild cluster bootstrap, restricted (WCR, Cameron, Gelbach & Miller 2008;
  MacKinnon & Webb 2017): p-value of the bootstrap-t under the null imposed,
  interval by test inversion with the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from swps_pipeline.impact import probability
from swps_pipeline.impact.did import bootstrap_weights

LEVEL = 0.95


@dataclass(frozen=True)
class TwfeFit:
    """A fitted TWFE regression on the identified regressors."""

    terms: list[str]
    coefficients: np.ndarray
    covariance: np.ndarray  # fixest small-sample convention
    x: np.ndarray  # regressors after sweeping out the fixed effects (N × k)
    y: np.ndarray  # outcome after sweeping out the fixed effects
    clusters: np.ndarray  # cluster index per observation, 0..G−1
    n_clusters: int
    dropped: dict[str, str] = field(default_factory=dict)  # regressor -> why it has no estimate

    @property
    def std_errors(self) -> np.ndarray:
        return np.sqrt(np.diag(self.covariance))

    def p_values(self) -> np.ndarray:
        return 2 * probability.t_sf(np.abs(self.coefficients / self.std_errors), self.n_clusters - 1)

    def intervals(self, level: float = LEVEL) -> np.ndarray:
        half = probability.t_quantile(0.5 + level / 2, self.n_clusters - 1) * self.std_errors
        return np.column_stack([self.coefficients - half, self.coefficients + half])


def sweep_fixed_effects(values: np.ndarray, units: np.ndarray, years: np.ndarray, tol: float = 1e-13) -> np.ndarray:
    """Residuals of `values` (N × k) on unit and year dummies, by alternating projections."""
    out = np.asarray(values, dtype="float64").copy()
    for _ in range(10_000):
        before = out.copy()
        for index in (units, years):
            sums = np.zeros((index.max() + 1, out.shape[1]))
            np.add.at(sums, index, out)
            out -= (sums / np.bincount(index)[:, None])[index]
        if np.abs(out - before).max(initial=0.0) < tol:
            break
    return out


def identified_columns(x: np.ndarray, names: list[str]) -> tuple[list[int], dict[str, str]]:
    """Keep regressors in order while each adds to the rank; the others are not identified."""
    keep: list[int] = []
    dropped: dict[str, str] = {}
    scale = max(1.0, np.abs(x).max(initial=0.0))
    for j, name in enumerate(names):
        trial = x[:, keep + [j]]
        if np.linalg.matrix_rank(trial, tol=1e-9 * scale * np.sqrt(len(x))) == len(keep) + 1:
            keep.append(j)
        elif not np.any(np.abs(x[:, j]) > 1e-9 * scale):
            dropped[name] = "no variation left once département and year effects are removed"
        else:
            dropped[name] = ("collinear with the fixed effects and the other regressors (rank "
                             f"{np.linalg.matrix_rank(x, tol=1e-9 * scale * np.sqrt(len(x)))} of {len(names)})")
    return keep, dropped


def fit_twfe(y: np.ndarray, regressors: pd.DataFrame, units: pd.Series, years: pd.Series) -> TwfeFit | None:
    """OLS of y on the regressors with unit and year effects, clustered by unit; None if nothing is identified."""
    unit_index = pd.factorize(units)[0]
    year_index = pd.factorize(years)[0]
    swept = sweep_fixed_effects(np.column_stack([np.asarray(y, dtype="float64"),
                                                 regressors.to_numpy(dtype="float64")]), unit_index, year_index)
    y_tilde, x_all = swept[:, 0], swept[:, 1:]
    names = [str(c) for c in regressors.columns]
    keep, dropped = identified_columns(x_all, names)
    if not keep:
        return None
    x = x_all[:, keep]
    coefficients, *_ = np.linalg.lstsq(x, y_tilde, rcond=None)
    n_clusters = int(unit_index.max() + 1)
    n, k = x.shape
    # fixest: K = regressors + year effects (unit effects are nested in the clusters and not counted)
    df_k = k + int(year_index.max() + 1)
    factor = n_clusters / (n_clusters - 1) * (n - 1) / (n - df_k)
    covariance = factor * _sandwich(x, y_tilde - x @ coefficients, unit_index, n_clusters)
    return TwfeFit([names[j] for j in keep], coefficients, covariance, x, y_tilde, unit_index, n_clusters, dropped)


def _sandwich(x: np.ndarray, residuals: np.ndarray, clusters: np.ndarray, n_clusters: int) -> np.ndarray:
    bread = np.linalg.inv(x.T @ x)
    scores = np.zeros((n_clusters, x.shape[1]))
    np.add.at(scores, clusters, x * residuals[:, None])
    return bread @ scores.T @ scores @ bread


def wald_f(fit: TwfeFit, terms: list[str]) -> tuple[float, float, int]:
    """Joint F test that `terms` are zero, with the clustered covariance: (F, p-value, number of restrictions)."""
    index = [fit.terms.index(t) for t in terms]
    beta = fit.coefficients[index]
    statistic = float(beta @ np.linalg.solve(fit.covariance[np.ix_(index, index)], beta)) / len(index)
    return statistic, float(probability.f_sf(statistic, len(index), fit.n_clusters - 1)), len(index)


@dataclass(frozen=True)
class WildBootstrap:
    p_value: float
    ci_low: float
    ci_high: float


class _Restricted:
    """WCR draws for one coefficient: the bootstrap-t p-value of H0: beta_j = b, for any b, with fixed weights.

    Under H0 the restricted fit of y − b·x_j on the other regressors is linear in b, so each bootstrap sample is
    y*(b) = A + b·C, and its coefficient j and cluster scores are A's plus b times C's (Roodman, MacKinnon,
    Nielsen & Webb 2019, "Fast and wild", Stata Journal 19(1)). Both are computed once; a p-value, which the
    interval's inversion asks for some forty times per coefficient, then costs a few vector operations on the
    draws instead of a regression on each (issue 17: the bootstrap was most of the impact step).
    """

    def __init__(self, fit: TwfeFit, j: int, weights: np.ndarray):
        self.fit, self.j = fit, j
        self.hat = np.linalg.pinv(fit.x)  # k × N
        self.n = len(fit.y)
        self.members = [np.flatnonzero(fit.clusters == g) for g in range(fit.n_clusters)]
        v = weights[:, fit.clusters].T  # N × B
        x_j, others = fit.x[:, j], np.delete(fit.x, j, axis=1)

        def fitted(z: np.ndarray) -> np.ndarray:  # the projection of z on the other regressors
            if not others.shape[1]:
                return np.zeros(self.n)
            gamma, *_ = np.linalg.lstsq(others, z, rcond=None)
            return others @ gamma

        fitted_y = fitted(fit.y)
        residual_y, residual_x = fit.y - fitted_y, x_j - fitted(x_j)
        # y*(b) = fitted(y − b·x_j) + b·x_j + (residual of y − b·x_j) ∘ v
        self.beta_a, self.scores_a = self._coefficient_and_scores(fitted_y[:, None] + residual_y[:, None] * v)
        self.beta_c, self.scores_c = self._coefficient_and_scores(residual_x[:, None] - residual_x[:, None] * v)
        beta, scores = self._coefficient_and_scores(fit.y[:, None])
        self.observed_beta, self.observed_scale = beta[0], np.sqrt((scores**2).sum())

    def _coefficient_and_scores(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coefficient j of each column of y, and its cluster scores (clusters × columns)."""
        beta = self.hat @ y
        residuals = y - self.fit.x @ beta
        # Cluster sums row after row, as np.add.at adds them (same result to the bit) but 12 times faster.
        contributions = self.hat[self.j][:, None] * residuals
        return beta[self.j], np.stack([contributions[rows].sum(axis=0) for rows in self.members])

    def p_value(self, b: float) -> float:
        """Share of draws whose |t| reaches the observed one (the factor of the covariance cancels out)."""
        observed = (self.observed_beta - b) / self.observed_scale
        scores = self.scores_a + b * self.scores_c
        draws = (self.beta_a + b * self.beta_c - b) / np.sqrt((scores**2).sum(axis=0))
        return float(np.mean(np.abs(draws) >= np.abs(observed)))


def wild_cluster_bootstrap(fit: TwfeFit, term: str, weights: str, n_boot: int, rng: np.random.Generator,
                           level: float = LEVEL, interval: bool = True) -> WildBootstrap:
    """Restricted wild cluster bootstrap of one coefficient: p-value of beta = 0 and the inverted-test interval."""
    from scipy import optimize

    j = fit.terms.index(term)
    test = _Restricted(fit, j, bootstrap_weights(weights, (n_boot, fit.n_clusters), rng))
    p_value = test.p_value(0.0)
    if not interval:
        return WildBootstrap(p_value, np.nan, np.nan)
    alpha = 1 - level
    estimate, se = fit.coefficients[j], fit.std_errors[j]

    def bound(direction: int) -> float:
        step = se
        far = estimate + direction * step
        for _ in range(60):
            if test.p_value(far) < alpha:
                break
            step *= 2
            far = estimate + direction * step
        else:
            return np.nan
        return optimize.brentq(lambda b: test.p_value(b) - alpha + 1e-12, estimate, far, xtol=se * 1e-4)

    return WildBootstrap(p_value, bound(-1), bound(+1))
