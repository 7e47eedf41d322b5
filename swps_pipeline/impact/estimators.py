"""Estimators of the roll-out's effect on the impact panel (docs/methods_impact.md).

Binary designs (TWFE on the treated dummy, the event study, Callaway–Sant'Anna,
the placebo) use the staggered sample: départements not yet treated in the
panel's first year (earlier adopters have no pre-treatment year) with the
outcome observed every year. TWFE on intensity and the dose-response use every
département with the outcome observed every year. Inference is clustered by
département; what cannot be estimated gets no row and a diagnostic saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from swps_pipeline.impact import did, probability, twfe
from swps_pipeline.i18n import LIST_SEPARATOR, N_, Texts, filled_values
from swps_pipeline.impact.settings import FEW_CLUSTERS, SMALL_COHORT, ImpactSettings

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
    "control_group": "object",
    "base_period": "object",
    "anticipation": "Int64",
    "inference": "object",
    "warning": "object",
}
EVENT_STUDY_COLUMNS: dict[str, str] = {
    "model": "object",
    "event_time": "int64",
    "estimate": "float64",
    "std_error": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "ci_low_uniform": "float64",
    "ci_high_uniform": "float64",
    "base_period": "object",
    "reference": "bool",
    "warning": "object",
}
GROUP_TIME_COLUMNS: dict[str, str] = {
    "model": "object",
    "cohort": "int64",
    "year": "int64",
    "base_year": "int64",
    "event_time": "int64",
    "estimate": "float64",
    "std_error": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "n_treated": "int64",
    "n_control": "int64",
    "status": "object",
}
DIAGNOSTIC_COLUMNS: dict[str, str] = {"model": "object", "term": "object", "check": "object", "message": "object"}

LEVEL = 0.95
#: Event-study window: leads up to -MAX_LEAD and lags up to MAX_LAG, the end points binned; -1 is the reference.
MAX_LEAD = 4
MAX_LAG = 4
REFERENCE_EVENT_TIME = -1
EVENT_TERM = "event_time_"
PRETREND_TERM = "pretrend_joint_f"
PRETEST_TERM = "pretest_wald_chi2"
OVERALL_TERM = "att_overall"
OUTCOME_COLUMN = "log_outcome_rate"
PLACEBO_COLUMN = "log_placebo_rate"
#: Diagnostic checks (the `check` column of the diagnostics table).
FEW_CLUSTERS_CHECK = "few_clusters"
NOT_IDENTIFIED = "not_identified"


@dataclass
class Estimates:
    """Rows of `impact_estimates`, the diagnostics that explain missing or fragile ones, and extra tables."""

    rows: list[dict] = field(default_factory=list)
    diagnostics: list[dict] = field(default_factory=list)
    group_time: list[pd.DataFrame] = field(default_factory=list)
    event_study: list[pd.DataFrame] = field(default_factory=list)

    def extend(self, other: Estimates) -> Estimates:
        self.rows += other.rows
        self.diagnostics += other.diagnostics
        self.group_time += other.group_time
        self.event_study += other.event_study
        return self

    def note(self, model: str, term: str | None, check: str, message: str) -> None:
        self.diagnostics.append({"model": model, "term": term, "check": check, "message": message})

    def table(self) -> pd.DataFrame:
        return conform(self.rows, ESTIMATE_COLUMNS)


def conform(rows: list[dict] | pd.DataFrame, dtypes: dict[str, str]) -> pd.DataFrame:
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
    """Départements not treated in the first panel year (cohort later or none), balanced on `y`.

    A cohort after the panel's last year is not treated within it: its cohort is
    cleared, so every design treats it as not (yet) treated.
    """
    later = panel[cohort].isna() | (panel[cohort] > panel["year"].min())
    sample = _complete(panel[later.astype(bool)], [y])
    after_end = sample[cohort] > panel["year"].max()
    return sample.assign(**{cohort: sample[cohort].mask(after_end.fillna(False).astype(bool))})


#: The few-cluster warning of the estimates, kept in English in the marts (`warning` column) and said again in the
#: reader's language where the pack shows it (`warning_text`).
FEW_CLUSTERS_WARNING = N_("Few clusters: {reasons}. Standard errors and intervals rest on few départements; read "
                          "them as indicative, prefer the bootstrap p-values and the uniform bands.")
FEW_CLUSTERS_SHORT = N_("Few clusters: {reasons}.")
FEW_UNITS = N_("{count} départements (< {minimum})")
SMALL_COHORTS = N_("cohort {cohorts} (< {minimum})")
COHORT_SIZE = N_("{cohort} has {count}")
_REASONS, _COHORTS = LIST_SEPARATOR, ", "


def few_cluster_warning(sample: pd.DataFrame, cohort: str) -> str | None:
    """Why inference is fragile on this sample (fewer than 30 départements or a cohort below 5), or None."""
    by_unit = sample.groupby("department_code")[cohort].first()
    sizes = by_unit.dropna().astype(int).value_counts().sort_index()
    reasons = []
    if len(by_unit) < FEW_CLUSTERS:
        reasons.append(FEW_UNITS.format(count=len(by_unit), minimum=FEW_CLUSTERS))
    small = sizes[sizes < SMALL_COHORT]
    if len(small):
        sizes_text = _COHORTS.join(COHORT_SIZE.format(cohort=g, count=n) for g, n in small.items())
        reasons.append(SMALL_COHORTS.format(cohorts=sizes_text, minimum=SMALL_COHORT))
    if not reasons:
        return None
    return FEW_CLUSTERS_WARNING.format(reasons=_REASONS.join(reasons))


def warning_text(warning: str, say: Texts) -> str:
    """A warning as the marts keep it (English) in the language of `say`, read back into its parts; a text that
    is none of these warnings is shown as it is."""
    def reason(text: str) -> str:
        if values := filled_values(FEW_UNITS, text):
            return say(FEW_UNITS, **values)
        if values := filled_values(SMALL_COHORTS, text):
            cohorts = [(filled_values(COHORT_SIZE, size), size) for size in values["cohorts"].split(_COHORTS)]
            return say(SMALL_COHORTS, minimum=values["minimum"], cohorts=_COHORTS.join(
                say(COHORT_SIZE, **parts) if parts else size for parts, size in cohorts))
        return text

    for template in (FEW_CLUSTERS_WARNING, FEW_CLUSTERS_SHORT):  # the long one first: the short one matches both
        if values := filled_values(template, warning):
            reasons = say(LIST_SEPARATOR).join(reason(part) for part in values["reasons"].split(_REASONS))
            return say(template, reasons=reasons)
    return warning


@dataclass(frozen=True)
class BootstrapInference:
    """Bootstrap SE, critical value and p-values; with few clusters the SE gets the CR1 factor √(G/(G−1)) and
    the critical values Student's t with G − 1 df (Cameron & Miller 2015), else R did's normal quantiles."""

    n_clusters: int
    weights: str

    @property
    def few(self) -> bool:
        return self.n_clusters < FEW_CLUSTERS

    @property
    def name(self) -> str:
        suffix = f"_cr1_t{self.n_clusters - 1}" if self.few else ""
        return f"multiplier_bootstrap_{self.weights}{suffix}"

    def std_error(self, se: np.ndarray) -> np.ndarray:
        return np.asarray(se) * (np.sqrt(self.n_clusters / (self.n_clusters - 1)) if self.few else 1.0)

    @property
    def critical(self) -> float:
        return float(probability.t_quantile(0.5 + LEVEL / 2, self.n_clusters - 1) if self.few
                     else probability.normal_quantile(0.5 + LEVEL / 2))

    def p_value(self, estimate: float, se: float) -> float:
        if not se > 0:
            return np.nan
        t = abs(estimate / se)
        return float(2 * (probability.t_sf(t, self.n_clusters - 1) if self.few else probability.normal_sf(t)))

    def rows(self, model: str, terms, estimates, raw_se, **common) -> list[dict]:
        out = []
        for term, estimate, se in zip(terms, estimates, self.std_error(raw_se)):
            ci = (estimate - self.critical * se, estimate + self.critical * se)
            out.append(_row(model, term, estimate, se, ci, self.p_value(estimate, se), inference=self.name, **common))
        return out


def _row(model: str, term: str, estimate: float, std_error: float, ci: tuple[float, float], p_value: float,
         n_obs: int, n_clusters: int, outcome: str, **extra) -> dict:
    return {"model": model, "term": term, "estimate": estimate, "std_error": std_error, "ci_low": ci[0],
            "ci_high": ci[1], "p_value": p_value, "n_obs": n_obs, "n_clusters": n_clusters, "outcome": outcome,
            **extra}


def _twfe_rows(panel: pd.DataFrame, data: pd.DataFrame, y: str, regressors: pd.DataFrame, model: str,
               settings: ImpactSettings, warning: str | None, extra: dict | None = None) -> tuple[Estimates, object]:
    """Fit, report the terms the rank check removed, and pick analytic or wild-bootstrap inference."""
    out = Estimates()
    fit = twfe.fit_twfe(data[y].to_numpy(), regressors, data["department_code"], data["year"])
    if fit is None:
        out.note(model, None, NOT_IDENTIFIED, "no regressor varies once département and year effects are removed: "
                                              "nothing is identified on these data")
        return out, None
    for term, why in fit.dropped.items():
        out.note(model, term, NOT_IDENTIFIED, f"{term} is not identified: {why}; it has no row")
    wild = settings.twfe_inference == "wild_bootstrap" or (settings.twfe_inference == "auto"
                                                           and fit.n_clusters < FEW_CLUSTERS)
    weights = "webb" if fit.n_clusters < 12 else settings.bootstrap_weights
    rng = np.random.default_rng(settings.seed)
    intervals, p_values = fit.intervals(), fit.p_values()
    common = {"n_obs": len(data), "n_clusters": fit.n_clusters, "outcome": outcome_label(panel, y),
              "warning": warning, **(extra or {})}
    for j, term in enumerate(fit.terms):
        ci, p, inference = (intervals[j, 0], intervals[j, 1]), p_values[j], "analytic_cluster_fixest_ssc"
        if wild:
            boot = twfe.wild_cluster_bootstrap(fit, term, weights, settings.n_boot, rng)
            ci, p, inference = (boot.ci_low, boot.ci_high), boot.p_value, f"wild_cluster_bootstrap_wcr_{weights}"
        out.rows.append(_row(model, term, fit.coefficients[j], fit.std_errors[j], ci, p, inference=inference,
                             **common))
    return out, fit


def twfe_treated(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, cohort: str = "cohort",
                 model: str = "twfe_treated", settings: ImpactSettings | None = None) -> Estimates:
    """Two-way fixed effects on the treated dummy (year ≥ cohort), staggered sample."""
    settings = settings or ImpactSettings()
    data = staggered_sample(panel, y, cohort)
    treated = (data["year"] >= data[cohort]).fillna(False).astype("float64").rename("treated").to_frame()
    return _twfe_rows(panel, data, y, treated, model, settings, few_cluster_warning(data, cohort))[0]


def twfe_intensity(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, model: str = "twfe_intensity",
                   settings: ImpactSettings | None = None) -> Estimates:
    """Two-way fixed effects on FTE per 100,000 inhabitants, every département observed throughout."""
    settings = settings or ImpactSettings()
    data = _complete(panel, [y, "fte_per_100k"])
    warning = None
    if data["department_code"].nunique() < FEW_CLUSTERS:
        warning = FEW_CLUSTERS_SHORT.format(reasons=FEW_UNITS.format(count=data["department_code"].nunique(),
                                                                     minimum=FEW_CLUSTERS))
    return _twfe_rows(panel, data, y, data[["fte_per_100k"]], model, settings, warning)[0]


def event_study(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, cohort: str = "cohort",
                max_lead: int = MAX_LEAD, max_lag: int = MAX_LAG, model: str = "event_study",
                settings: ImpactSettings | None = None) -> Estimates:
    """Leads and lags of adoption (end points binned, −1 the reference), TWFE, staggered sample.

    Rows: one per identified event time (`event_time_<k>`) and the joint F test
    that every identified lead is zero (`pretrend_joint_f`: estimate = F statistic).
    """
    settings = settings or ImpactSettings()
    data = staggered_sample(panel, y, cohort)
    event_time = (data["year"] - data[cohort]).clip(-max_lead, max_lag)
    dummies = pd.get_dummies(event_time.astype("float64"), dtype="float64")
    dummies.columns = dummies.columns.astype(int)
    dummies = dummies.drop(columns=[REFERENCE_EVENT_TIME], errors="ignore")
    dummies = dummies.loc[:, dummies.sum() > 0].rename(columns=lambda k: f"{EVENT_TERM}{k}")
    warning = few_cluster_warning(data, cohort)
    extra = {"base_period": "universal"}
    if dummies.empty:
        out = Estimates()
        out.note(model, None, NOT_IDENTIFIED, "no adoption inside the panel: no event time to estimate")
        return out
    out, fit = _twfe_rows(panel, data, y, dummies, model, settings, warning, extra)
    if fit is None:
        return out
    leads = [t for t in fit.terms if int(t.removeprefix(EVENT_TERM)) < REFERENCE_EVENT_TIME]
    if leads:
        statistic, p_value, _ = twfe.wald_f(fit, leads)
        out.rows.append(_row(model, PRETREND_TERM, statistic, np.nan, (np.nan, np.nan), p_value, len(data),
                             fit.n_clusters, outcome_label(panel, y), inference="wald_f_cluster_fixest_ssc",
                             warning=warning, **extra))
    else:
        out.note(model, PRETREND_TERM, NOT_IDENTIFIED, "no identified lead: the pre-trend test cannot be run")
    table = [{"model": model, "event_time": int(r["term"].removeprefix(EVENT_TERM)), "estimate": r["estimate"],
              "std_error": r["std_error"], "ci_low": r["ci_low"], "ci_high": r["ci_high"], "reference": False}
             for r in out.rows if r["term"].startswith(EVENT_TERM)]
    table.append({"model": model, "event_time": REFERENCE_EVENT_TIME, "estimate": 0.0, "reference": True})
    out.event_study.append(conform(pd.DataFrame(table).assign(base_period="universal", warning=warning),
                                   EVENT_STUDY_COLUMNS))
    return out


@dataclass(frozen=True)
class CallawaySantAnnaFit:
    """What Callaway–Sant'Anna leaves for the sensitivity analysis: the dynamic aggregation and its covariance."""

    event_times: np.ndarray
    estimate: np.ndarray
    covariance: np.ndarray


def _wide(data: pd.DataFrame, y: str, cohort: str) -> tuple[pd.DataFrame, pd.Series]:
    wide = data.pivot(index="department_code", columns="year", values=y)
    groups = data.groupby("department_code")[cohort].first().reindex(wide.index).astype("float64")
    return wide, groups


def callaway_santanna(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, cohort: str = "cohort",
                      settings: ImpactSettings | None = None, model: str = "callaway_santanna",
                      event_study_table: bool = True) -> Estimates:
    """Group-time ATTs (as R `did::att_gt`), the aggregations of the settings, the Wald pre-test.

    Standard errors: R's multiplier bootstrap on the influence functions,
    clustered by département; the event-study table adds uniform (sup-t) bands
    and is always computed on the universal base (g − 1) so every event time
    shares one reference.
    """
    settings = settings or ImpactSettings()
    out = Estimates()
    data = staggered_sample(panel, y, cohort)
    if data.empty or data[cohort].dropna().empty:
        out.note(model, None, NOT_IDENTIFIED, "no département adopts inside the panel: no group-time effect")
        return out
    wide, groups = _wide(data, y, cohort)
    warning = few_cluster_warning(data, cohort)
    gt = did.group_time(wide, groups, settings)
    label = outcome_label(panel, y)
    common = {"n_obs": len(data), "n_clusters": gt.n_units, "outcome": label, **settings.columns(),
              "warning": warning}
    for cell in gt.cells.query("status in [@did.NO_CONTROL, @did.NO_BASE_YEAR]").itertuples():
        why = ("no control département (none left untreated)" if cell.status == did.NO_CONTROL
               else f"its base year {cell.base_year} is outside the panel")
        out.note(model, f"att_gt_{cell.cohort}_{cell.year}", cell.status,
                 f"ATT(g={cell.cohort}, t={cell.year}) not estimated: {why}")
    rng = np.random.default_rng(settings.seed)
    inference = BootstrapInference(gt.n_units, settings.bootstrap_weights)
    for kind in settings.aggregations:
        aggregate = did.aggregate(gt, kind)
        if not aggregate.terms:
            out.note(model, kind, NOT_IDENTIFIED, f"{kind} aggregation: no post-adoption cell is estimated")
            continue
        boot = did.multiplier_bootstrap(aggregate.influence, settings.bootstrap_weights, settings.n_boot, rng)
        out.rows += inference.rows(model, aggregate.terms, aggregate.estimate, boot.std_error, **common)
    pretest = did.wald_pretest(gt)
    if np.isnan(pretest.statistic):
        out.note(model, PRETEST_TERM, NOT_IDENTIFIED, f"Wald pre-test not computed: {pretest.note}")
    else:
        out.rows.append(_row(model, PRETEST_TERM, pretest.statistic, np.nan, (np.nan, np.nan), pretest.p_value,
                             inference=f"wald_chi2_{pretest.df}_df", **common))
    cell_boot = did.multiplier_bootstrap(gt.influence, settings.bootstrap_weights, settings.n_boot, rng)
    se, critical = inference.std_error(cell_boot.std_error), inference.critical
    out.group_time.append(conform(gt.cells.assign(
        model=model, std_error=se, ci_low=gt.cells["estimate"] - critical * se,
        ci_high=gt.cells["estimate"] + critical * se), GROUP_TIME_COLUMNS))
    if event_study_table:
        out.event_study.append(_cs_event_study(wide, groups, settings, model, warning, rng))
    return out


def _universal(settings: ImpactSettings) -> ImpactSettings:
    return ImpactSettings(**{**settings.__dict__, "base_period": "universal"})


def cs_dynamic(panel: pd.DataFrame, y: str = OUTCOME_COLUMN, cohort: str = "cohort",
               settings: ImpactSettings | None = None) -> CallawaySantAnnaFit | None:
    """The universal-base dynamic aggregation and its analytic covariance (input of HonestDiD)."""
    data = staggered_sample(panel, y, cohort)
    if data.empty or data[cohort].dropna().empty:
        return None
    wide, groups = _wide(data, y, cohort)
    gt = did.group_time(wide, groups, _universal(settings or ImpactSettings()))
    aggregate = did.aggregate(gt, "dynamic")
    keep = [i for i, t in enumerate(aggregate.terms) if t.startswith(EVENT_TERM)]
    if not keep:
        return None
    influence = aggregate.influence[:, keep]
    return CallawaySantAnnaFit(np.array([int(aggregate.terms[i].removeprefix(EVENT_TERM)) for i in keep]),
                               aggregate.estimate[keep], influence.T @ influence / gt.n_units**2)


def _cs_event_study(wide: pd.DataFrame, groups: pd.Series, settings: ImpactSettings, model: str,
                    warning: str | None, rng: np.random.Generator) -> pd.DataFrame:
    """Event-time effects on the universal base with pointwise and uniform (sup-t) 95 % bands."""
    gt = did.group_time(wide, groups, _universal(settings))
    aggregate = did.aggregate(gt, "dynamic")
    keep = [i for i, t in enumerate(aggregate.terms) if t.startswith(EVENT_TERM)]
    boot = did.multiplier_bootstrap(aggregate.influence[:, keep], settings.bootstrap_weights, settings.n_boot, rng)
    inference = BootstrapInference(gt.n_units, settings.bootstrap_weights)
    estimate, se, critical = aggregate.estimate[keep], inference.std_error(boot.std_error), inference.critical
    event_time = [int(aggregate.terms[i].removeprefix(EVENT_TERM)) for i in keep]
    reference = np.isnan(se) & (np.array(event_time) == -1 - settings.anticipation)
    table = pd.DataFrame({
        "model": model, "event_time": event_time, "estimate": estimate, "std_error": se,
        "ci_low": estimate - critical * se, "ci_high": estimate + critical * se,
        "ci_low_uniform": estimate - boot.uniform_critical_value * se,
        "ci_high_uniform": estimate + boot.uniform_critical_value * se,
        "base_period": "universal", "reference": reference, "warning": warning,
    })
    return conform(table, EVENT_STUDY_COLUMNS)
