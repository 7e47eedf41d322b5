"""Estimators of the roll-out's effect on the impact panel (docs/methods_impact.md).

Binary designs (TWFE on the treated dummy, the event study, Callaway–Sant'Anna,
the placebo) use the staggered sample: départements not yet treated in the
panel's first year (earlier adopters have no pre-treatment year) with the
outcome observed every year. TWFE on intensity uses every département with
the outcome observed every year. Standard errors are clustered by département.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

ESTIMATE_COLUMNS: dict[str, str] = {
    "model": "object",
    "term": "object",
    "estimate": "float64",
    "std_error": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "p_value": "float64",
    "n_obs": "int64",
    "n_clusters": "int64",
    "outcome": "object",
}
EVENT_STUDY_COLUMNS: dict[str, str] = {
    "model": "object",
    "event_time": "int64",
    "estimate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}
GROUP_TIME_COLUMNS: dict[str, str] = {
    "model": "object",
    "cohort": "int64",
    "year": "int64",
    "event_time": "int64",
    "estimate": "float64",
    "std_error": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "n_treated": "int64",
    "n_control": "int64",
}

LEVEL = 0.95
Z = stats.norm.ppf(0.5 + LEVEL / 2)
#: Event-study window: leads up to -MAX_LEAD and lags up to MAX_LAG, the end points binned; -1 is the reference.
MAX_LEAD = 4
MAX_LAG = 4
REFERENCE_EVENT_TIME = -1
EVENT_TERM = "event_time_"
PRETREND_TERM = "pretrend_joint_f"
OVERALL_TERM = "att_overall"
OUTCOME_COLUMN = "log_outcome_rate"
PLACEBO_COLUMN = "log_placebo_rate"


def _conform(rows: list[dict] | pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows).reindex(columns=list(dtypes)).astype(dtypes)


def outcome_label(panel: pd.DataFrame, y: str) -> str:
    """`log_<indicator>_per_1000` for the panel's outcome or placebo column."""
    name_column = y.removeprefix("log_").removesuffix("_rate")
    names = panel[name_column].dropna()
    return f"log_{names.iloc[0] if len(names) else name_column}_per_1000"


def _complete(panel: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Départements observed in every panel year on `columns` (a balanced panel)."""
    years = panel["year"].nunique()
    ok = panel.dropna(subset=columns).groupby("department_code")["year"].transform("nunique").eq(years)
    full = panel.dropna(subset=columns)[ok]
    return full.sort_values(["department_code", "year"]).reset_index(drop=True)


def staggered_sample(panel: pd.DataFrame, y: str, cohort: str) -> pd.DataFrame:
    """Départements not treated in the first panel year (cohort later or none), balanced on `y`."""
    later = panel[cohort].isna() | (panel[cohort] > panel["year"].min())
    return _complete(panel[later.astype(bool)], [y])


def _row(model: str, term: str, estimate: float, std_error: float, ci: tuple[float, float], p_value: float,
         n_obs: int, n_clusters: int, outcome: str) -> dict:
    return {"model": model, "term": term, "estimate": estimate, "std_error": std_error, "ci_low": ci[0],
            "ci_high": ci[1], "p_value": p_value, "n_obs": n_obs, "n_clusters": n_clusters, "outcome": outcome}


def _identified(data: pd.DataFrame, regressors: pd.DataFrame) -> bool:
    """Some regressor varies within départements (else the fixed effects absorb it and OLS would return noise)."""
    if regressors.empty or not len(regressors.columns):
        return False
    by_department = regressors.astype("float64").groupby(data["department_code"])
    return bool(((by_department.max() - by_department.min()) > 0).any().all())


def _fit_twfe(data: pd.DataFrame, y: str, regressors: pd.DataFrame):
    """OLS of `y` on `regressors` with département and year dummies, clustered by département (t with G−1 df)."""
    effects = [pd.get_dummies(data[k], prefix=k, drop_first=True, dtype="float64") for k in ("department_code", "year")]
    design = sm.add_constant(pd.concat([regressors.astype("float64"), *effects], axis=1))
    clusters = pd.factorize(data["department_code"])[0]
    return sm.OLS(data[y].astype("float64"), design).fit(cov_type="cluster", cov_kwds={"groups": clusters},
                                                          use_t=True)


def _coefficient_rows(fit, model: str, terms: dict[str, str], data: pd.DataFrame, outcome: str) -> list[dict]:
    """One row per regressor; `terms` maps regressor column -> reported term."""
    ci = fit.conf_int(1 - LEVEL)
    n_clusters = data["department_code"].nunique()
    return [
        _row(model, term, fit.params[c], fit.bse[c], (ci.loc[c, 0], ci.loc[c, 1]), fit.pvalues[c], int(fit.nobs),
             n_clusters, outcome)
        for c, term in terms.items()
    ]


def twfe_treated(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, cohort: str = "cohort",
                 model: str = "twfe_treated") -> pd.DataFrame:
    """Two-way fixed effects on the treated dummy (year ≥ cohort), staggered sample."""
    data = staggered_sample(panel, y, cohort)
    treated = (data["year"] >= data[cohort]).fillna(False).rename("treated")
    if not _identified(data, treated.to_frame()):
        return _conform([], ESTIMATE_COLUMNS)
    fit = _fit_twfe(data, y, treated.to_frame())
    return _conform(_coefficient_rows(fit, model, {"treated": "treated"}, data, outcome_label(panel, y)),
                    ESTIMATE_COLUMNS)


def twfe_intensity(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, model: str = "twfe_intensity") -> pd.DataFrame:
    """Two-way fixed effects on FTE per 100,000 inhabitants, every département observed throughout."""
    data = _complete(panel, [y, "fte_per_100k"])
    if not _identified(data, data[["fte_per_100k"]]):
        return _conform([], ESTIMATE_COLUMNS)
    fit = _fit_twfe(data, y, data[["fte_per_100k"]])
    return _conform(_coefficient_rows(fit, model, {"fte_per_100k": "fte_per_100k"}, data, outcome_label(panel, y)),
                    ESTIMATE_COLUMNS)


def event_study(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, cohort: str = "cohort",
                max_lead: int = MAX_LEAD, max_lag: int = MAX_LAG, model: str = "event_study") -> pd.DataFrame:
    """Leads and lags of adoption (end points binned, −1 the reference), TWFE, staggered sample.

    Rows: one per event time (`event_time_<k>`) and the joint F test that every
    lead is zero (`pretrend_joint_f`: estimate = F statistic, p_value).
    """
    data = staggered_sample(panel, y, cohort)
    event_time = (data["year"] - data[cohort]).clip(-max_lead, max_lag)
    dummies = pd.get_dummies(event_time.astype("float64"), dtype="float64")
    dummies.columns = dummies.columns.astype(int)
    dummies = dummies.drop(columns=[REFERENCE_EVENT_TIME], errors="ignore")
    dummies = dummies.loc[:, dummies.sum() > 0].rename(columns=lambda k: f"{EVENT_TERM}{k}")
    if not _identified(data, dummies):
        return _conform([], ESTIMATE_COLUMNS)
    fit = _fit_twfe(data, y, dummies)
    label = outcome_label(panel, y)
    rows = _coefficient_rows(fit, model, {c: c for c in dummies.columns}, data, label)
    leads = [c for c in dummies.columns if int(c.removeprefix(EVENT_TERM)) < REFERENCE_EVENT_TIME]
    if leads:
        restriction = np.zeros((len(leads), len(fit.params)))
        for i, lead in enumerate(leads):
            restriction[i, fit.params.index.get_loc(lead)] = 1.0
        test = fit.wald_test(restriction, use_f=True, scalar=True)
        rows.append(_row(model, PRETREND_TERM, float(test.statistic), np.nan, (np.nan, np.nan), float(test.pvalue),
                         int(fit.nobs), data["department_code"].nunique(), label))
    return _conform(rows, ESTIMATE_COLUMNS)


@dataclass(frozen=True)
class _Cells:
    """The group-time cells of Callaway–Sant'Anna as unit × cell matrices."""

    keys: pd.DataFrame  # cohort, year, base_year per cell
    treated: np.ndarray  # unit in the cohort (0/1), units × cells
    control: np.ndarray  # unit not yet treated at max(year, base_year), units × cells
    change: np.ndarray  # Y[year] − Y[base_year], units × cells


def _cells(data: pd.DataFrame, y: str, cohort: str) -> _Cells:
    """ATT(g, t) cells: base year g−1 for t ≥ g, t−1 before (the 'varying' base); not-yet-treated controls."""
    wide = data.pivot(index="department_code", columns="year", values=y)
    groups = data.groupby("department_code")[cohort].first().reindex(wide.index).astype("float64").fillna(np.inf)
    years = list(wide.columns)
    keys, treated, control, change = [], [], [], []
    for g in sorted(groups[np.isfinite(groups)].unique()):
        for t in years:
            base = g - 1 if t >= g else t - 1
            if base not in wide.columns:
                continue
            in_group = (groups == g).to_numpy()
            not_yet = ((groups > max(t, base)) & (groups != g)).to_numpy()
            if not not_yet.any():
                continue
            keys.append((int(g), int(t), int(base)))
            treated.append(in_group)
            control.append(not_yet)
            change.append((wide[t] - wide[base]).to_numpy())

    def stack(arrays: list[np.ndarray]) -> np.ndarray:
        return np.column_stack(arrays).astype("float64") if arrays else np.zeros((len(wide), 0))

    return _Cells(pd.DataFrame(keys, columns=["cohort", "year", "base_year"]), stack(treated), stack(control),
                  stack(change))


def _weighted_att(weights: np.ndarray, cells: _Cells) -> np.ndarray:
    """ATT(g, t) for each row of unit weights: weighted mean change of the cohort minus that of its controls."""
    treated_mean = (weights @ (cells.treated * cells.change)) / (weights @ cells.treated)
    control_mean = (weights @ (cells.control * cells.change)) / (weights @ cells.control)
    return treated_mean - control_mean


def _aggregate(att: np.ndarray, group_size: np.ndarray, select: np.ndarray) -> np.ndarray:
    """Average of the selected cells, weighted by cohort size (per row of draws)."""
    w = group_size[:, select]
    return (att[:, select] * w).sum(axis=1) / w.sum(axis=1)


def _bootstrap_rows(draws: np.ndarray) -> tuple[float, float, tuple[float, float], float]:
    """Estimate (row 0), bootstrap standard error, normal CI and p-value."""
    estimate, se = draws[0], draws[1:].std(ddof=1)
    p_value = 2 * stats.norm.sf(abs(estimate / se)) if se > 0 else np.nan
    return estimate, se, (estimate - Z * se, estimate + Z * se), p_value


@dataclass(frozen=True)
class CallawaySantAnna:
    estimates: pd.DataFrame  # att_overall and event_time_<e> rows (ESTIMATE_COLUMNS)
    group_time: pd.DataFrame  # ATT(g, t) (GROUP_TIME_COLUMNS)


def callaway_santanna(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, cohort: str = "cohort", seed: int = 0,
                      n_boot: int = 999, model: str = "callaway_santanna") -> CallawaySantAnna:
    """Group-time ATTs against not-yet-treated départements, aggregated overall and by event time.

    Overall: the cohort-size-weighted mean of the post-adoption ATT(g, t)
    (every treated département-year with a comparison counts once). Standard
    errors: a département-clustered weighted bootstrap — each draw gives every
    département an Exp(1) weight and recomputes every ATT(g, t) and its
    aggregation as matrix products, so all draws are one computation.
    """
    data = staggered_sample(panel, y, cohort)
    cells = _cells(data, y, cohort)
    n_units = cells.treated.shape[0]
    rng = np.random.default_rng(seed)
    weights = np.vstack([np.ones(n_units), rng.exponential(1.0, (n_boot, n_units))])
    with np.errstate(invalid="ignore", divide="ignore"):
        att = _weighted_att(weights, cells)
    group_size = weights @ cells.treated
    keys = cells.keys.assign(event_time=cells.keys["year"] - cells.keys["cohort"])
    common = {"n_obs": len(data), "n_clusters": n_units, "outcome": outcome_label(panel, y)}
    rows = []
    post = (keys["event_time"] >= 0).to_numpy()
    if post.any():
        estimate, se, ci, p = _bootstrap_rows(_aggregate(att, group_size, post))
        rows.append(_row(model, OVERALL_TERM, estimate, se, ci, p, **common))
    for e in sorted(keys["event_time"].unique()):
        estimate, se, ci, p = _bootstrap_rows(_aggregate(att, group_size, (keys["event_time"] == e).to_numpy()))
        rows.append(_row(model, f"{EVENT_TERM}{e}", estimate, se, ci, p, **common))
    cell_se = att[1:].std(axis=0, ddof=1) if n_boot > 1 else np.full(att.shape[1], np.nan)
    group_time = keys.drop(columns="base_year").assign(
        model=model, estimate=att[0], std_error=cell_se, ci_low=att[0] - Z * cell_se, ci_high=att[0] + Z * cell_se,
        n_treated=cells.treated.sum(axis=0).astype(int), n_control=cells.control.sum(axis=0).astype(int),
    )
    return CallawaySantAnna(_conform(rows, ESTIMATE_COLUMNS), _conform(group_time, GROUP_TIME_COLUMNS))
