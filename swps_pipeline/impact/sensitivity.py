"""Sensitivity to violations of parallel trends (Rambachan & Roth 2023), through `moderndid.didhonest`.

Two restrictions on the post-adoption violation δ_post, as the HonestDiD packages:
- relative magnitudes Δ^RM(M̄): no post-period change in the violation exceeds
  M̄ times the largest pre-period one (confidence set: HonestDiD's "Conditional"
  test by default, its slower "C-LF" hybrid on request: `honest_did_method`);
- smoothness Δ^SD(M): the violation's slope changes by at most M per year
  (fixed-length confidence interval, "FLCI").

The breakdown value is the smallest M̄ (or M) at which the robust confidence
set includes zero: the effect stays significant for any smaller violation.
Found by bisection (the sets grow with M̄), to `BREAKDOWN_TOLERANCE` (M̄) or that
share of the search range (M).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import partial

import numpy as np

#: Search range and precision of the breakdown values (beyond the range: reported missing, with a note).
MBAR_MAX = 4.0
BREAKDOWN_TOLERANCE = 0.05
#: Least-favourable simulations of the C-LF test are what takes time; the grid only needs to straddle zero.
ZERO_GRID = (0.0, 1e-12)


@dataclass(frozen=True)
class EventStudyInput:
    """Event-time effects and covariance, the reference period (−1) excluded: pre periods first."""

    betahat: np.ndarray
    sigma: np.ndarray
    num_pre: int
    num_post: int

    def weights(self, target: str) -> np.ndarray:
        """l_vec: the first post period ('event_time_0') or the mean of the post periods ('att_dynamic_overall')."""
        if target == "event_time_0":
            return np.eye(self.num_post)[0]
        return np.full(self.num_post, 1.0 / self.num_post)


def event_study_input(event_times: np.ndarray, estimate: np.ndarray, covariance: np.ndarray,
                      max_pre: int, max_post: int, reference: int = -1) -> EventStudyInput | None:
    """Keep event times −max_pre−1 … −2 and 0 … max_post; None without two pre periods and one post."""
    pre = (event_times < reference) & (event_times >= reference - max_pre)
    post = (event_times >= 0) & (event_times <= max_post)
    if pre.sum() < 2 or post.sum() < 1:
        return None
    keep = np.flatnonzero(pre | post)
    return EventStudyInput(estimate[keep], covariance[np.ix_(keep, keep)], int(pre.sum()), int(post.sum()))


def relative_magnitudes_ci(data: EventStudyInput, mbar: float, l_vec: np.ndarray, method: str = "c_lf",
                           grid_points: int = 1000, alpha: float = 0.05) -> tuple[float, float]:
    """HonestDiD's Δ^RM(M̄) confidence set (its hull) for θ = l'τ_post."""
    from moderndid.didhonest.delta.rm.rm import compute_conditional_cs_rm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compute_conditional_cs_rm(data.betahat, data.sigma, data.num_pre, data.num_post, l_vec=l_vec,
                                           m_bar=mbar, alpha=alpha, grid_points=grid_points,
                                           hybrid_flag=HYBRID_FLAGS[method])
    accepted = result["grid"][result["accept"].astype(bool)]
    return (float(accepted.min()), float(accepted.max())) if len(accepted) else (np.nan, np.nan)


def smoothness_ci(data: EventStudyInput, m: float, l_vec: np.ndarray, alpha: float = 0.05,
                  bias: SmoothnessBias | None = None) -> tuple[float, float]:
    """HonestDiD's Δ^SD(M) fixed-length confidence interval for θ = l'τ_post: moderndid's `compute_flci`, its
    inner worst-case-bias program replaced by `bias` (built for `data` and `l_vec`; compiled once)."""
    from unittest import mock

    from moderndid.didhonest import fixed_length_ci

    with warnings.catch_warnings(), mock.patch.object(fixed_length_ci, "maximize_bias",
                                                      bias or SmoothnessBias(data, l_vec)):
        warnings.simplefilter("ignore")
        result = fixed_length_ci.compute_flci(beta_hat=data.betahat, sigma=data.sigma, n_pre_periods=data.num_pre,
                                              n_post_periods=data.num_post, post_period_weights=l_vec,
                                              smoothness_bound=m, alpha=alpha)
    return float(result.flci[0]), float(result.flci[1])


class SmoothnessBias:
    """moderndid's worst-case bias of the FLCI under Δ^SD (`fixed_length_ci.maximize_bias`, same program and
    solver) with the variance bound h² a parameter: compiled once, then re-solved for each h.

    moderndid builds and compiles the program anew for each of the ~30 values of h one interval tries, and
    a breakdown value takes seven intervals: compiling was 90 % of the sensitivity analysis' time. The
    optimum is the same to ~1e-13; the breakdown values, which depend only on whether each interval holds
    zero, are unchanged.
    """

    def __init__(self, data: EventStudyInput, l_vec: np.ndarray) -> None:
        import cvxpy as cp
        from moderndid.didhonest.fixed_length_ci import _create_diff_matrix

        pre, post = data.num_pre, data.num_post
        self.stacked = cp.Variable(2 * pre)  # |cumulated weights| (slacks), then first-difference weights w
        self.variance_bound = cp.Parameter(nonneg=True)
        slack, weights = self.stacked[:pre], self.stacked[pre:]
        constant = sum(abs(np.dot(np.arange(1, s + 1), l_vec[post - s:post])) for s in range(1, post + 1)) - np.dot(
            np.arange(1, post + 1), l_vec)
        cumulated = np.tril(np.ones((pre, pre))) @ weights
        to_levels = np.hstack([np.zeros((pre, pre)), _create_diff_matrix(pre)])
        sigma = data.sigma
        variance = (cp.quad_form(self.stacked, to_levels.T @ sigma[:pre, :pre] @ to_levels)
                    + (2 * to_levels.T @ sigma[:pre, pre:] @ l_vec) @ self.stacked + l_vec @ sigma[pre:, pre:] @ l_vec)
        self.problem = cp.Problem(cp.Minimize(constant + cp.sum(slack)), [
            -slack <= cumulated, cumulated <= slack, cp.sum(weights) == np.dot(np.arange(1, post + 1), l_vec),
            variance <= self.variance_bound])
        self.num_pre, self.solver = pre, cp.CLARABEL

    def __call__(self, h: float, sigma: np.ndarray, n_pre_periods: int, n_post_periods: int,
                 post_period_weights: np.ndarray, smoothness_bound: float = 1.0) -> dict:
        """`maximize_bias`'s signature and result (the problem's own arrays are those given at construction)."""
        from cvxpy.error import SolverError
        from moderndid.didhonest.fixed_length_ci import _weights_to_l

        self.variance_bound.value = h**2
        try:
            self.problem.solve(solver=self.solver, verbose=False)
        except (ValueError, RuntimeError, SolverError) as error:
            return {"status": f"error: {error!s}", "value": np.inf, "optimal_x": None, "optimal_w": None,
                    "optimal_l": None}
        if self.problem.status not in ("optimal", "optimal_inaccurate"):
            return {"status": "failed", "value": np.inf, "optimal_x": None, "optimal_w": None, "optimal_l": None}
        weights = self.stacked.value[self.num_pre:]
        return {"status": "optimal", "value": self.problem.value * smoothness_bound, "optimal_x": self.stacked.value,
                "optimal_w": weights, "optimal_l": _weights_to_l(weights)}


#: HonestDiD method names -> moderndid's hybrid flag.
HYBRID_FLAGS = {"conditional": "ARP", "c_lf": "LF"}


def _rm_includes_zero(data: EventStudyInput, mbar: float, l_vec: np.ndarray, method: str) -> bool:
    from moderndid.didhonest.delta.rm.rm import compute_conditional_cs_rm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compute_conditional_cs_rm(data.betahat, data.sigma, data.num_pre, data.num_post, l_vec=l_vec,
                                           m_bar=mbar, grid_points=len(ZERO_GRID), grid_lb=ZERO_GRID[0],
                                           grid_ub=ZERO_GRID[1], hybrid_flag=HYBRID_FLAGS[method])
    return bool(result["accept"].any())


def _sd_includes_zero(data: EventStudyInput, m: float, l_vec: np.ndarray, method: str,
                      bias: SmoothnessBias | None = None) -> bool:
    low, high = smoothness_ci(data, m, l_vec, bias=bias)
    return low <= 0 <= high


@dataclass(frozen=True)
class Breakdown:
    value: float  # NaN when beyond the search range
    note: str


def breakdown(data: EventStudyInput, restriction: str, target: str, method: str = "conditional") -> Breakdown:
    """Smallest M̄ (relative magnitudes) or M (smoothness) whose robust confidence set includes zero."""
    l_vec = data.weights(target)
    if restriction == "relative_magnitudes":
        includes_zero = _rm_includes_zero
    else:  # one bias program for every M tried
        includes_zero = partial(_sd_includes_zero, bias=SmoothnessBias(data, l_vec))
    high = MBAR_MAX if restriction == "relative_magnitudes" else _smoothness_scale(data, l_vec)
    if includes_zero(data, 0.0, l_vec, method):
        return Breakdown(0.0, "the confidence set includes zero even with no violation allowed: not significant")
    if not includes_zero(data, high, l_vec, method):
        return Breakdown(np.nan, f"still significant at the largest value searched ({high:.3g})")
    low, tolerance = 0.0, BREAKDOWN_TOLERANCE * (1 if restriction == "relative_magnitudes" else high)
    while high - low > tolerance:
        middle = (low + high) / 2
        low, high = (low, middle) if includes_zero(data, middle, l_vec, method) else (middle, high)
    return Breakdown(high, f"significant for any violation below {high:.3g}")


def _smoothness_scale(data: EventStudyInput, l_vec: np.ndarray) -> float:
    """A slope change that overturns any finding: the target's size plus 4 of its standard errors (each post
    year's violation is at least M, so M above |θ| + 4 SE always lets the set reach zero)."""
    post = slice(data.num_pre, None)
    theta = float(l_vec @ data.betahat[post])
    return abs(theta) + 4 * float(np.sqrt(l_vec @ data.sigma[post, post] @ l_vec))
