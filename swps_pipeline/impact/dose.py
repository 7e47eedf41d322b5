"""Dose-response: the effect of the programme's intensity, valid when effects differ across départements.

Callaway, Goodman-Bacon & Sant'Anna (2024), continuous treatment DiD with
staggered adoption, parametric (linear) in the dose. The dose of a
département is its mean FTE per 100,000 inhabitants over its adoption years
in the panel (CGBS need a dose fixed over time). For each post-adoption cell
(g, t), the change since g − 1 − anticipation of the cohort's départements is
regressed on the dose; its slope is ACRT(g, t), the average causal response
(effect of one more FTE per 100,000) among départements at that dose. The
control départements (not yet treated, dose 0) only shift the level, so the
slope needs no parallel trends across doses of the controls but does need
CGBS's *strong* parallel trends to be read causally across doses. The cells are
averaged with cohort-size weights (as the simple ATT), with the slopes' and
the weights' influence functions, and bootstrapped like Callaway–Sant'Anna.

TWFE on intensity (`twfe_intensity`) instead weights comparisons between
départements whose intensity changes at different times, with weights that can
be negative under heterogeneous effects (de Chaisemartin & D'Haultfœuille 2020):
it is reported beside, not instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.impact import did
from swps_pipeline.impact import estimators as est
from swps_pipeline.impact.settings import ImpactSettings

MODEL = "dose_response_cgbs"
TERM = "acrt_overall"


def unit_dose(data: pd.DataFrame, cohort: str = "cohort") -> pd.Series:
    """Mean FTE per 100,000 over each département's adoption years in the panel (0 before adoption / never)."""
    adopted = data[data["year"] >= data[cohort]]
    return adopted.groupby("department_code")["fte_per_100k"].mean()


def dose_slopes(wide: pd.DataFrame, groups: pd.Series, dose: pd.Series, settings: ImpactSettings) -> did.GroupTime:
    """ACRT(g, t) for every post-adoption cell, with influence functions (R did's n / n_cell scaling)."""
    base_cells = did.group_time(wide, groups, ImpactSettings(**{**settings.__dict__, "base_period": "universal"}))
    years = [int(y) for y in wide.columns]
    y = wide.to_numpy(dtype="float64")
    d = dose.reindex(wide.index).fillna(0.0).to_numpy()
    n = len(d)
    cells = base_cells.cells.copy()
    post = (cells["year"] >= cells["cohort"]).to_numpy()
    influence = np.zeros((n, len(cells)))
    for i, cell in enumerate(cells.itertuples()):
        if not post[i] or cell.status != did.ESTIMATED:
            cells.loc[cells.index[i], ["estimate", "status"]] = [np.nan, cell.status if post[i] else "pre_period"]
            continue
        treated = base_cells.unit_cohort == cell.cohort
        x = d[treated]
        if np.ptp(x) <= 0:
            cells.loc[cells.index[i], ["estimate", "status"]] = [np.nan, "no_dose_variation"]
            continue
        change = y[treated, years.index(cell.year)] - y[treated, years.index(cell.base_year)]
        centred = x - x.mean()
        slope = centred @ (change - change.mean()) / (centred @ centred)
        residual = change - change.mean() - slope * centred
        cells.loc[cells.index[i], "estimate"] = slope
        influence[treated, i] = n / treated.sum() * centred * residual / (centred @ centred / treated.sum())
    return did.GroupTime(cells, influence, base_cells.cohort_share, base_cells.unit_cohort, n, settings.anticipation)


def dose_response(panel: pd.DataFrame, y: str = est.OUTCOME_COLUMN, cohort: str = "cohort",
                  settings: ImpactSettings | None = None) -> est.Estimates:
    """The overall average causal response (per FTE per 100,000) of the staggered sample."""
    settings = settings or ImpactSettings()
    out = est.Estimates()
    data = est.staggered_sample(panel, y, cohort)
    if data.empty or data[cohort].dropna().empty:
        out.note(MODEL, TERM, est.NOT_IDENTIFIED, "no département adopts inside the panel: no dose-response")
        return out
    wide = data.pivot(index="department_code", columns="year", values=y)
    groups = data.groupby("department_code")[cohort].first().reindex(wide.index).astype("float64")
    gt = dose_slopes(wide, groups, unit_dose(data, cohort), settings)
    for cell in gt.cells[gt.cells["status"] == "no_dose_variation"].itertuples():
        out.note(MODEL, f"acrt_gt_{cell.cohort}_{cell.year}", "no_dose_variation",
                 f"ACRT(g={cell.cohort}, t={cell.year}) not estimated: every département of the cohort has the "
                 "same dose")
    aggregate = did.aggregate(gt, "simple")
    if not aggregate.terms:
        out.note(MODEL, TERM, est.NOT_IDENTIFIED, "no post-adoption cell with dose variation: no dose-response")
        return out
    rng = np.random.default_rng(settings.seed)
    boot = did.multiplier_bootstrap(aggregate.influence, settings.bootstrap_weights, settings.n_boot, rng)
    inference = est.BootstrapInference(gt.n_units, settings.bootstrap_weights)
    out.rows += inference.rows(MODEL, [TERM], aggregate.estimate, boot.std_error, n_obs=len(data),
                               n_clusters=gt.n_units, outcome=est.outcome_label(panel, y),
                               **{**settings.columns(), "base_period": "universal"},
                               warning=est.few_cluster_warning(data, cohort))
    return out
