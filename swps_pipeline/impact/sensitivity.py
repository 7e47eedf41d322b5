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
                  flci: SmoothnessFLCI | None = None) -> tuple[float, float]:
    """HonestDiD's Δ^SD(M) fixed-length confidence interval for θ = l'τ_post."""
    return (flci or SmoothnessFLCI(data, l_vec, alpha)).interval(m)


class SmoothnessFLCI:
    """The Δ^SD(M) fixed-length confidence interval of one event study and target, for any M (Rambachan &
    Roth 2023, section 4.1): the affine estimator of standard deviation h with the least worst-case bias
    M·b(h) is found for each h, then h·cv_α(M·b(h)/h) is minimised over h.

    Same programs, bounds and solver as moderndid's `compute_flci`, but b(h) does not depend on M, so its
    program is compiled once with h² a parameter and re-solved: moderndid compiles it anew for each of the ~30
    values of h an interval tries, which was 90 % of the sensitivity analysis' time (a breakdown value takes
    seven intervals). Agreement with moderndid (tests/impact/test_sensitivity.py; an independent review):
    1e-7 for M > 0; at M = 0 the optimum lies at the edge of h's range, where the two searches settle up to
    1e-4 apart (the pipeline's own event study); the breakdown values of the bundled data are identical.
    moderndid loses precision when the standard errors are far from 1 (1e-3 and below); this class solves
    on the scale of a standard error of 1 and scales back (the interval is homogeneous in β, Σ^½ and M).
    A nearly singular Σ remains hard for both.
    """

    def __init__(self, data: EventStudyInput, l_vec: np.ndarray, alpha: float = 0.05) -> None:
        import cvxpy as cp
        from moderndid.didhonest.fixed_length_ci import get_min_bias_h, minimize_variance

        pre, post = data.num_pre, data.num_post
        # The interval is homogeneous in (β, Σ^½, M): solved on the scale of a standard error of 1, where the
        # solver is precise, then scaled back (with standard errors of 1e-3 the bias program lost precision).
        spread = float(np.sqrt(np.mean(np.diag(data.sigma))))
        self.scale = spread if np.isfinite(spread) and spread > 0 else 1.0
        data = EventStudyInput(data.betahat / self.scale, data.sigma / self.scale**2, pre, post)
        self.data, self.l_vec, self.alpha = data, l_vec, alpha
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.h_range = (minimize_variance(data.sigma, pre, post, l_vec), get_min_bias_h(data.sigma, pre, post, l_vec))
        # moderndid's `maximize_bias`: first-difference weights w of the pre-period estimator and slacks |Σw|.
        self.slack, self.weights = cp.Variable(pre), cp.Variable(pre)
        self.variance_bound = cp.Parameter(nonneg=True)
        cumulated = np.tril(np.ones((pre, pre))) @ self.weights
        l_pre = np.eye(pre) - np.eye(pre, k=-1)  # w -> levels: l_1 = w_1, l_t = w_t − w_{t−1}
        sigma, l_post = data.sigma, l_vec
        variance = (cp.quad_form(self.weights, l_pre.T @ sigma[:pre, :pre] @ l_pre)
                    + (2 * l_pre.T @ sigma[:pre, pre:] @ l_post) @ self.weights + l_post @ sigma[pre:, pre:] @ l_post)
        steps = np.arange(1, post + 1)
        constant = sum(abs(steps[:s] @ l_post[post - s:]) for s in range(1, post + 1)) - steps @ l_post
        self.problem = cp.Problem(cp.Minimize(constant + cp.sum(self.slack)), [
            -self.slack <= cumulated, cumulated <= self.slack, cp.sum(self.weights) == steps @ l_post,
            variance <= self.variance_bound])
        self.to_levels = l_pre

    def bias(self, h: float) -> tuple[float, np.ndarray] | None:
        """Worst-case bias per unit of M of the least-biased affine estimator with standard deviation ≤ h,
        and that estimator's pre-period weights; None when the solver fails (as moderndid, which then
        treats the bias as infinite)."""
        import cvxpy as cp

        self.variance_bound.value = h**2
        with warnings.catch_warnings():  # "optimal_inaccurate" is accepted, as moderndid does
            warnings.simplefilter("ignore")
            try:
                self.problem.solve(solver=cp.CLARABEL, verbose=False)
            except (ValueError, RuntimeError, cp.error.SolverError):
                return None
        if self.problem.status not in ("optimal", "optimal_inaccurate"):
            return None
        return float(self.problem.value), self.to_levels @ self.weights.value

    def half_length(self, h: float, m: float) -> float:
        from scipy.stats import foldnorm

        bias = self.bias(h)
        return np.inf if bias is None else float(foldnorm.ppf(1 - self.alpha, m * bias[0] / h)) * h

    def interval(self, m: float) -> tuple[float, float]:
        """The minimising h by Brent's bounded search; where the solver fails along the way, by moderndid's
        fallback, the best of 100 values of h evenly spread."""
        from scipy.optimize import minimize_scalar

        m = m / self.scale
        low, high = self.h_range
        h = high
        if high - low > 1e-6 * abs(high):  # moderndid's tolerance on h
            h = minimize_scalar(self.half_length, bounds=(low, high), args=(m,), method="bounded",
                                options={"xatol": 1e-6 * abs(high)}).x
        half = self.half_length(h, m)
        if not np.isfinite(half):
            grid = np.linspace(low, high, 100)
            lengths = [self.half_length(value, m) for value in grid]
            if not np.isfinite(min(lengths)):
                raise ValueError("the FLCI's worst-case bias program failed for every standard deviation h")
            h, half = grid[int(np.argmin(lengths))], min(lengths)
        centre = float(np.concatenate([self.bias(h)[1], self.l_vec]) @ self.data.betahat)
        return (centre - half) * self.scale, (centre + half) * self.scale


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
                      flci: SmoothnessFLCI | None = None) -> bool:
    low, high = smoothness_ci(data, m, l_vec, flci=flci)
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
    else:  # one compiled bias program for every M tried
        includes_zero = partial(_sd_includes_zero, flci=SmoothnessFLCI(data, l_vec))
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
