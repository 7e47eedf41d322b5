"""Callaway & Sant'Anna (2021) on a balanced panel, as R `did` computes it, with influence functions.

Without covariates R's doubly robust, IPW and regression estimators coincide:
ATT(g, t) is the mean change of cohort g between the base year and t minus that
of its controls. Each cell's influence function (unit-level, R's scaling
n / n_cell) lets every aggregation, the Wald pre-test and the multiplier
bootstrap be exact linear algebra, reproducing `did::att_gt` and `did::aggte`
(see tests/impact/test_did_conformance.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from swps_pipeline.impact import probability
from swps_pipeline.impact.settings import ImpactSettings

#: Group-time cell status: estimated, or why not.
ESTIMATED = "estimated"
NO_CONTROL = "no_control"
NO_BASE_YEAR = "no_base_year"
REFERENCE = "reference"


@dataclass(frozen=True)
class GroupTime:
    """Every ATT(g, t) cell of the panel with its influence function (units × estimated cells)."""

    cells: pd.DataFrame  # cohort, year, base_year, event_time, estimate, n_treated, n_control, status
    influence: np.ndarray  # units × cells (zeros for cells not estimated)
    cohort_share: np.ndarray  # per cell: share of units in the cell's cohort (R's pg)
    unit_cohort: np.ndarray  # per unit: adoption year, inf if not treated in the panel
    n_units: int
    anticipation: int


@dataclass(frozen=True)
class Aggregate:
    """Aggregated effects (terms) with their influence functions (units × terms)."""

    terms: list[str]
    estimate: np.ndarray
    influence: np.ndarray


def group_time(outcome: pd.DataFrame, cohort: pd.Series, settings: ImpactSettings) -> GroupTime:
    """ATT(g, t) for every cohort and year of `outcome` (units × years, balanced; `cohort` NaN = never).

    A cohort adopting after the last year is not treated within the panel: it
    is a control throughout (never-treated for R `did`). Cells with no control
    unit or no base year are kept with their status instead of being dropped.
    """
    years = [int(y) for y in outcome.columns]
    y = outcome.to_numpy(dtype="float64")
    g_unit = cohort.reindex(outcome.index).astype("float64").fillna(np.inf).to_numpy()
    g_unit = np.where(g_unit > years[-1], np.inf, g_unit)
    n = len(g_unit)
    antic = settings.anticipation
    rows, columns, shares = [], [], []
    for g in np.unique(g_unit[np.isfinite(g_unit)]).astype(int):
        treated = g_unit == g
        first_base = g - antic - 1
        periods = years if settings.base_period == "universal" else years[1:]
        for t in periods:
            if t >= g - antic or settings.base_period == "universal":
                base = first_base
            else:
                base = years[years.index(t) - 1]
            row = {"cohort": g, "year": t, "base_year": base, "event_time": t - g, "estimate": np.nan,
                   "n_treated": int(treated.sum()), "n_control": 0}
            influence = np.zeros(n)
            if base not in years:
                row["status"] = NO_BASE_YEAR
            elif settings.base_period == "universal" and t == base:
                row.update(estimate=0.0, status=REFERENCE)
            else:
                if settings.control_group == "never_treated":
                    control = ~np.isfinite(g_unit)
                else:
                    control = (g_unit > max(t, base) + antic) & ~treated
                row["n_control"] = int(control.sum())
                if not control.any():
                    row["status"] = NO_CONTROL
                else:
                    change = y[:, years.index(t)] - y[:, years.index(base)]
                    mean_treated, mean_control = change[treated].mean(), change[control].mean()
                    row.update(estimate=mean_treated - mean_control, status=ESTIMATED)
                    influence[treated] = n / treated.sum() * (change[treated] - mean_treated)
                    influence[control] = -n / control.sum() * (change[control] - mean_control)
            rows.append(row)
            columns.append(influence)
            shares.append(treated.mean())
    cells = pd.DataFrame(rows, columns=["cohort", "year", "base_year", "event_time", "estimate", "n_treated",
                                        "n_control", "status"])
    influence = np.column_stack(columns) if columns else np.zeros((n, 0))
    return GroupTime(cells, influence, np.asarray(shares, dtype="float64"), g_unit, n, antic)


def _weight_influence(gt: GroupTime, keep: np.ndarray) -> np.ndarray:
    """R did's `wif`: influence of estimating the cohort-share weights of the kept cells (units × kept)."""
    pg = gt.cohort_share[keep]
    in_cohort = (gt.unit_cohort[:, None] == gt.cells["cohort"].to_numpy()[keep][None, :]).astype("float64")
    centred = in_cohort - pg
    return centred / pg.sum() - np.outer(centred.sum(axis=1), pg / pg.sum() ** 2)


def _weighted(gt: GroupTime, keep: np.ndarray) -> tuple[float, np.ndarray]:
    """Cohort-share-weighted mean of the kept cells and its influence function (weights' estimation included)."""
    att = gt.cells["estimate"].to_numpy()[keep]
    pg = gt.cohort_share[keep]
    influence = gt.influence[:, keep] @ (pg / pg.sum()) + _weight_influence(gt, keep) @ att
    return float(att @ pg / pg.sum()), influence


def _mean_of(parts: list[tuple[float, np.ndarray]]) -> tuple[float, np.ndarray]:
    return float(np.mean([p[0] for p in parts])), np.mean([p[1] for p in parts], axis=0)


def aggregate(gt: GroupTime, kind: str) -> Aggregate:
    """R `did::aggte` (type simple, group, dynamic or calendar) on the estimated cells; overall term last."""
    cells = gt.cells
    usable = (cells["status"].isin([ESTIMATED, REFERENCE])).to_numpy()
    cohort, year = cells["cohort"].to_numpy(), cells["year"].to_numpy()
    post = usable & (cohort <= year)
    terms: list[str] = []
    parts: list[tuple[float, np.ndarray]] = []
    if kind == "simple":
        if post.any():
            terms, parts = ["att_overall"], [_weighted(gt, post)]
        return _pack(terms, parts, gt.n_units)
    if kind == "group":
        groups = [g for g in np.unique(cohort) if (post & (cohort == g)).any()]
        for g in groups:
            keep = post & (cohort == g)
            terms.append(f"att_group_{g}")
            parts.append((float(cells["estimate"].to_numpy()[keep].mean()), gt.influence[:, keep].mean(axis=1)))
        if groups:
            pg = np.array([np.mean(gt.unit_cohort == g) for g in groups])
            att = np.array([p[0] for p in parts])
            centred = (gt.unit_cohort[:, None] == np.array(groups)[None, :]) - pg
            wif = centred / pg.sum() - np.outer(centred.sum(axis=1), pg / pg.sum() ** 2)
            influence = np.column_stack([p[1] for p in parts]) @ (pg / pg.sum()) + wif @ att
            terms.append("att_group_overall")
            parts.append((float(att @ pg / pg.sum()), influence))
        return _pack(terms, parts, gt.n_units)
    if kind == "dynamic":
        event = cells["event_time"].to_numpy()
        for e in np.unique(event[usable]):
            terms.append(f"event_time_{e}")
            parts.append(_weighted(gt, usable & (event == e)))
        positive = [p for term, p in zip(terms, parts) if int(term.removeprefix("event_time_")) >= 0]
        if positive:
            terms.append("att_dynamic_overall")
            parts.append(_mean_of(positive))
        return _pack(terms, parts, gt.n_units)
    if kind == "calendar":
        for t in np.unique(year[post]):
            terms.append(f"att_calendar_{t}")
            parts.append(_weighted(gt, post & (year == t)))
        if parts:
            terms.append("att_calendar_overall")
            parts.append(_mean_of(list(parts)))
        return _pack(terms, parts, gt.n_units)
    raise ValueError(f"unknown aggregation {kind!r}")


def _pack(terms: list[str], parts: list[tuple[float, np.ndarray]], n_units: int) -> Aggregate:
    influence = np.column_stack([p[1] for p in parts]) if parts else np.zeros((n_units, 0))
    return Aggregate(terms, np.array([p[0] for p in parts], dtype="float64"), influence)


def analytic_se(influence: np.ndarray) -> np.ndarray:
    """R's analytic standard error, sqrt(mean(IF²) / n), per column."""
    return np.sqrt((influence**2).mean(axis=0) / influence.shape[0])


#: Webb (2014) six-point distribution: ±√(1/2), ±1, ±√(3/2), each with probability 1/6.
WEBB_POINTS = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


def bootstrap_weights(kind: str, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Mean-zero, variance-one multiplier weights (Rademacher, Mammen or Webb's six points)."""
    if kind == "rademacher":
        return rng.choice([-1.0, 1.0], size=size)
    if kind == "mammen":
        root5 = np.sqrt(5.0)
        low, high = (1 - root5) / 2, (1 + root5) / 2
        return np.where(rng.random(size) < (root5 + 1) / (2 * root5), low, high)
    if kind == "webb":
        return rng.choice(WEBB_POINTS, size=size)
    raise ValueError(f"unknown bootstrap weights {kind!r}")


@dataclass(frozen=True)
class Bootstrap:
    std_error: np.ndarray
    uniform_critical_value: float


def multiplier_bootstrap(influence: np.ndarray, weights: str, n_boot: int, rng: np.random.Generator,
                         level: float = 0.95) -> Bootstrap:
    """R did's `mboot`: clustered by unit, SE from the bootstrap interquartile range, sup-t critical value.

    Columns without variability (a reference cell) get a NaN SE and do not enter the sup-t.
    """
    n = influence.shape[0]
    draws = np.sqrt(n) * (bootstrap_weights(weights, (n_boot, n), rng) @ influence) / n
    q75, q25 = np.quantile(draws, [0.75, 0.25], axis=0)
    sigma = (q75 - q25) / (probability.normal_quantile(0.75) - probability.normal_quantile(0.25))
    varies = np.isfinite(sigma) & ((draws**2).sum(axis=0) > np.sqrt(np.finfo(float).eps) * 10) & (sigma > 0)
    se = np.where(varies, sigma / np.sqrt(n), np.nan)
    if varies.any():
        sup_t = np.abs(draws[:, varies] / sigma[varies]).max(axis=1)
        critical = float(np.quantile(sup_t, level, method="inverted_cdf"))
    else:
        critical = np.nan
    return Bootstrap(se, critical)


@dataclass(frozen=True)
class WaldPretest:
    statistic: float
    p_value: float
    df: int
    note: str = ""


def wald_pretest(gt: GroupTime) -> WaldPretest:
    """R did's Wald pre-test: every estimated pre-adoption cell (g − anticipation > t) jointly zero.

    Without a statistic (NaN) when there is no such cell or their covariance is
    singular (as R, which then warns); `note` says which.
    """
    cells = gt.cells
    pre = ((cells["status"] == ESTIMATED) & (cells["cohort"] - gt.anticipation > cells["year"])).to_numpy()
    se = analytic_se(gt.influence)
    pre &= se > np.sqrt(np.finfo(float).eps) * 10
    if not pre.any():
        return WaldPretest(np.nan, np.nan, 0, "no estimated pre-adoption cell with sampling variability")
    att = cells["estimate"].to_numpy()[pre]
    covariance = gt.influence[:, pre].T @ gt.influence[:, pre] / gt.n_units
    if 1 / np.linalg.cond(covariance, 1) <= np.finfo(float).eps:
        return WaldPretest(np.nan, np.nan, int(pre.sum()), f"the covariance of the {pre.sum()} pre-adoption cells "
                           "is singular (more cells than départements can vary independently)")
    statistic = float(gt.n_units * att @ np.linalg.solve(covariance, att))
    return WaldPretest(statistic, float(probability.chi2_sf(statistic, pre.sum())), int(pre.sum()))

