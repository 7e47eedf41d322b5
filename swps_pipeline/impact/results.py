"""All impact estimates at once, their tables, the event-study chart and a short interpretation."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from swps_pipeline.figures import SYNTHETIC_STAMP, language_ticks, new_figure, to_png
from swps_pipeline.i18n import N_, SOURCE_LANGUAGE, Texts
from swps_pipeline.impact import estimators as est
from swps_pipeline.impact import sensitivity
from swps_pipeline.impact.dose import dose_response
from swps_pipeline.impact.settings import ImpactSettings
from swps_pipeline.parallel import WarmWorker, parallel_map, warm_call
from swps_pipeline.publish.pack import Headline

if TYPE_CHECKING:  # matplotlib is imported by the steps that draw (issue 17)
    from matplotlib.figure import Figure

#: Model of the sensitivity rows; terms `breakdown_mbar_<target>` (relative magnitudes), `breakdown_m_<target>`.
HONEST_MODEL = "honest_did"
HONEST_TARGETS = ("att_dynamic_overall", "event_time_0")
#: The HonestDiD targets as a reader names them.
HONEST_TARGET_LABELS = {"att_dynamic_overall": N_("average post-adoption effect"),
                        "event_time_0": N_("effect in the year of adoption")}
RESTRICTIONS = {"relative_magnitudes": "breakdown_mbar_", "smoothness": "breakdown_m_"}


@dataclass(frozen=True)
class ImpactResult:
    impact_estimates: pd.DataFrame  # est.ESTIMATE_COLUMNS
    event_study: pd.DataFrame  # est.EVENT_STUDY_COLUMNS
    group_time: pd.DataFrame  # est.GROUP_TIME_COLUMNS
    diagnostics: pd.DataFrame  # est.DIAGNOSTIC_COLUMNS
    event_study_png: bytes | None = None  # the event-study chart, when `estimate_impact` was asked to draw it

    def row(self, model: str, term: str) -> pd.Series | None:
        """One estimate, or None when the model could not identify it on these data."""
        rows = self.impact_estimates[(self.impact_estimates["model"] == model)
                                     & (self.impact_estimates["term"] == term)]
        return rows.iloc[0] if len(rows) else None

    def warnings(self) -> list[str]:
        """The distinct warnings published with the estimates (few clusters, small cohorts)."""
        return list(dict.fromkeys(self.impact_estimates["warning"].dropna()))


def honest_did_rows(panel: pd.DataFrame, settings: ImpactSettings) -> est.Estimates:
    """Breakdown values of the Callaway–Sant'Anna event study under both restrictions, for both targets."""
    out = est.Estimates()
    fit = est.cs_dynamic(panel, settings=settings)
    data = None if fit is None else sensitivity.event_study_input(fit.event_times, fit.estimate, fit.covariance,
                                                                  est.MAX_LEAD, est.MAX_LAG)
    if data is None:
        out.note(HONEST_MODEL, None, est.NOT_IDENTIFIED, "sensitivity analysis not run: it needs two pre-adoption "
                                                         "event times besides the reference and one after")
        return out
    sample = est.staggered_sample(panel, est.OUTCOME_COLUMN, "cohort")
    common = {"std_error": np.nan, "ci": (np.nan, np.nan), "p_value": np.nan, "n_obs": len(sample),
              "n_clusters": sample["department_code"].nunique(), "outcome": est.outcome_label(panel, est.OUTCOME_COLUMN),
              "control_group": settings.control_group, "base_period": "universal",
              "anticipation": settings.anticipation, "warning": est.few_cluster_warning(sample, "cohort")}
    for restriction, prefix in RESTRICTIONS.items():
        for target in HONEST_TARGETS:
            result = sensitivity.breakdown(data, restriction, target, settings.honest_did_method)
            term = f"{prefix}{target}"
            out.rows.append(est._row(HONEST_MODEL, term, result.value, inference=f"honestdid_{restriction}_{settings.honest_did_method}",
                                     **common))
            out.note(HONEST_MODEL, term, "breakdown", result.note)
    return out


#: The estimators of `estimate_impact`, in the order of their rows. Each seeds its own random generator, so
#: each gives the same rows whether it runs alone, after the others or beside them.
ESTIMATORS: tuple[Callable[..., est.Estimates], ...] = (
    est.twfe_treated,
    est.twfe_intensity,
    est.event_study,
    est.callaway_santanna,
    partial(est.callaway_santanna, cohort="cohort_intensity", model="callaway_santanna_intensity_cohort",
            event_study_table=False),
    partial(est.callaway_santanna, y=est.PLACEBO_COLUMN, model="placebo", event_study_table=False),
    dose_response,
)
#: The estimators whose event-study tables the chart shows (`EVENT_STUDY_PANELS`): they run in one process, which
#: then draws the chart while the sensitivity analysis goes on.
CHARTED = (est.event_study, est.callaway_santanna)
#: The process that imports what the sensitivity analysis needs (2–3.5 s) while a whole run starts
#: (`parallel.warm_workers`); the analysis then runs there (`parallel.warm_call`), and the process ends with it.
SENSITIVITY_WORKER = WarmWorker("sensitivity", ("moderndid.didhonest.delta.rm.rm",
                                                "moderndid.didhonest.fixed_length_ci", "cvxpy", "scipy.stats",
                                                "scipy.optimize"), one_call=True)


def estimate_impact(impact_panel: pd.DataFrame, settings: ImpactSettings | None = None,
                    sensitivity_analysis: bool = True, draw_event_study: bool = False) -> ImpactResult:
    """Every estimator on the panel's outcome; Callaway–Sant'Anna also on the intensity cohort and on the placebo;
    with `draw_event_study`, the event-study chart too (`event_study_chart`, in English).

    The estimators are independent: they run in processes forked from this one (`parallel_map`; one process with
    `SWPS_WORKERS=1`), and their rows are put together in the order of `ESTIMATORS`, as one process would. The
    longest part, the sensitivity analysis (its imports of moderndid, cvxpy and SciPy alone take 2–3.5 s), runs
    beside them in the run's warm worker, which imported them while the run started (`parallel.warm_call`; without
    one, in a process forked now); among the others, the event study's wild bootstrap and the chart go first
    (measured on the bundled data, issue 17).
    """
    settings = settings or ImpactSettings()
    charted = [i for i, estimator in enumerate(ESTIMATORS) if estimator in CHARTED]
    parts = [charted, *([i] for i in range(len(ESTIMATORS)) if i not in charted)]
    analysis = (warm_call(SENSITIVITY_WORKER, _estimated, impact_panel, settings, honest_did_rows)
                if sensitivity_analysis else nullcontext())
    with analysis as sensitivity:
        estimates, png = {}, None
        done_parts = parallel_map(partial(_run_part, impact_panel, settings, charted if draw_event_study else None),
                                  parts)
        for part, (done, drawn) in zip(parts, done_parts):
            estimates.update(zip(part, done))
            png = drawn or png
        if sensitivity is not None:
            estimates[len(ESTIMATORS)] = sensitivity.result()
    out = est.Estimates()
    for i in sorted(estimates):
        out.extend(estimates[i])
    group_time = (pd.concat(out.group_time, ignore_index=True) if out.group_time
                  else est.conform([], est.GROUP_TIME_COLUMNS))
    return ImpactResult(out.table(), _event_study_table([out]), group_time,
                        est.conform(out.diagnostics, est.DIAGNOSTIC_COLUMNS), png)


def _estimated(impact_panel: pd.DataFrame, settings: ImpactSettings, estimator: Callable[..., est.Estimates]
               ) -> est.Estimates:
    """One estimator with BLAS on one thread: the matrices are small (a few hundred rows × 999 bootstrap draws),
    and OpenBLAS's second thread spinning on each product cost four times the CPU of the work itself (the results
    are the same: the threads split the output, not the sums)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return estimator(impact_panel, settings=settings)


def _run_part(impact_panel: pd.DataFrame, settings: ImpactSettings, charted: list[int] | None, part: list[int]
              ) -> tuple[list[est.Estimates], bytes | None]:
    """The estimators of `ESTIMATORS` numbered in `part`, and the event-study chart when `part` is `charted`."""
    done = [_estimated(impact_panel, settings, ESTIMATORS[i]) for i in part]
    return done, event_study_chart(_event_study_table(done)) if part == charted else None


def _event_study_table(estimates: list[est.Estimates]) -> pd.DataFrame:
    """The event-study tables of `estimates` in one, by model and event time."""
    tables = [table for one in estimates for table in one.event_study]
    if not tables:
        return est.conform([], est.EVENT_STUDY_COLUMNS)
    return pd.concat(tables, ignore_index=True).sort_values(["model", "event_time"]).reset_index(drop=True)


CAVEAT = N_("Recorded violence measures reporting, not only victimisation: a rise after adoption can mean more "
             "victims come forward.")
#: The event-study chart's panels (model of `event_study`, title).
EVENT_STUDY_PANELS = (("callaway_santanna", N_("Callaway–Sant'Anna (not-yet/never treated comparison)")),
                      ("event_study", N_("TWFE event study (ends binned; biased if effects differ by cohort)")))
NOT_IDENTIFIED = N_("not identified on these data")


def event_study_chart(event_study: pd.DataFrame, synthetic: bool = True, language: str = SOURCE_LANGUAGE) -> bytes:
    """PNG: Callaway–Sant'Anna (universal base, pointwise and uniform 95 % bands) above the TWFE event study,
    labelled in `language` (English by default)."""
    return to_png(event_study_figure(event_study, language), synthetic=synthetic,
                  stamp_text=Texts(language)(SYNTHETIC_STAMP))


def event_study_figure(event_study: pd.DataFrame, language: str = SOURCE_LANGUAGE) -> Figure:
    """The event-study figure; legends sit right of the plots so that no estimate hides behind one, and an
    estimate without an interval (an event time too few départements reach) is drawn hollow."""
    say = Texts(language)
    figure = new_figure(9.5, 6.2)
    panels = [(model, say(title)) for model, title in EVENT_STUDY_PANELS]
    axes = figure.subplots(2, 1, sharex=True)
    for ax, (model, title) in zip(axes, panels):
        rows = event_study[event_study["model"] == model].sort_values("event_time")
        estimated = rows[~rows["reference"].astype(bool)]
        x = estimated["event_time"].to_numpy()
        if len(estimated) and estimated["ci_low_uniform"].notna().any():
            uniform = np.vstack([estimated["estimate"] - estimated["ci_low_uniform"],
                                 estimated["ci_high_uniform"] - estimated["estimate"]])
            ax.errorbar(x, estimated["estimate"], yerr=np.nan_to_num(uniform), fmt="none", ecolor="#c6dbef",
                        elinewidth=7, label=say(N_("95 % uniform band (all event times at once)")))
        with_interval = estimated[estimated["ci_low"].notna() & estimated["ci_high"].notna()]
        error = np.vstack([with_interval["estimate"] - with_interval["ci_low"],
                           with_interval["ci_high"] - with_interval["estimate"]])
        ax.errorbar(with_interval["event_time"], with_interval["estimate"], yerr=error, fmt="o", color="#08519c",
                    capsize=3, label=say(N_("estimate, 95 % pointwise interval")))
        bare = estimated[estimated["ci_low"].isna() | estimated["ci_high"].isna()]
        if len(bare):  # e.g. an event time reached by one cohort only: no standard error
            ax.plot(bare["event_time"], bare["estimate"], marker="o", markerfacecolor="white", linestyle="none",
                    color="#08519c", label=say(N_("estimate, no interval (too few départements)")))
        reference = rows[rows["reference"].astype(bool)]
        ax.plot(reference["event_time"], reference["estimate"], marker="D", linestyle="none", color="black",
                label=say(N_("reference year (−1), set to 0")))
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axvline(-0.5, color="grey", linestyle="--", linewidth=0.8)
        ax.set_title(title, fontsize=9)
        ax.set_ylabel(say(N_("Effect on log rate")))
        if rows.empty:
            ax.text(0.5, 0.5, say(NOT_IDENTIFIED), transform=ax.transAxes, ha="center")
        ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # never over a point
    axes[-1].set_xlabel(say(N_("Years since the département's first position (common base: year −1)")))
    figure.suptitle(say(N_("Recorded intrafamily physical violence around a département's first position")),
                    fontsize=10)
    figure.text(0.5, 0.045, say(CAVEAT), ha="center", fontsize=7, style="italic", wrap=True)
    language_ticks(figure, language)
    figure.subplots_adjust(hspace=0.3, bottom=0.16, top=0.91, left=0.08, right=0.68)
    return figure


def _effect(row: pd.Series | None) -> str:
    if row is None:
        return NOT_IDENTIFIED
    return (f"{row['estimate']:+.3f} (95 % CI {row['ci_low']:+.3f} to {row['ci_high']:+.3f}, p = {row['p_value']:.3f}; "
            f"about {np.expm1(row['estimate']):+.1%} on the recorded rate; {row['n_clusters']} départements)")


def breakdown_text(result: ImpactResult) -> str:
    """The relative-magnitudes breakdown value of the overall effect, in words."""
    row = result.row(HONEST_MODEL, f"{RESTRICTIONS['relative_magnitudes']}{HONEST_TARGETS[0]}")
    if row is None:
        return "The sensitivity analysis could not be run (too few event times before or after adoption)."
    if pd.isna(row["estimate"]):
        return (f"The average post-adoption effect stays significant even if post-adoption trend violations were "
                f"{sensitivity.MBAR_MAX:g} times the largest pre-adoption one (breakdown M̄ beyond the range searched).")
    if row["estimate"] == 0:
        return ("The average post-adoption effect is not significant even under exactly parallel trends "
                "(breakdown M̄ = 0): there is no finding for a trend violation to overturn.")
    return (f"Breakdown value M̄ = {row['estimate']:.2f}: the average post-adoption effect stays significant unless "
            f"post-adoption trend violations reach {row['estimate']:.2f} times the largest pre-adoption one.")


BREAKDOWN_LABEL = N_("Breakdown value M̄, {target}")
BREAKDOWN_NOTE = N_("HonestDiD (Rambachan & Roth): the smallest post-adoption trend violation, in multiples of the "
                    "largest pre-adoption one, at which the effect is no longer significant; 0 = not significant even "
                    "under parallel trends")
BREAKDOWN_BEYOND = N_("{note}; beyond {largest}, the largest value searched")


def breakdown_headlines(impact_estimates: pd.DataFrame, say: Texts | None = None) -> list[Headline]:
    """The relative-magnitudes breakdown values as headlines of the evaluation pack's summary, in the language
    of `say` (English by default)."""
    say = say or Texts(SOURCE_LANGUAGE)
    if "term" not in impact_estimates.columns:
        return []
    rows = impact_estimates[impact_estimates["term"].astype(str).str.startswith(RESTRICTIONS["relative_magnitudes"])]
    note = say(BREAKDOWN_NOTE)

    def target(term: str) -> str:
        name = term.removeprefix(RESTRICTIONS["relative_magnitudes"])
        return say(HONEST_TARGET_LABELS[name]) if name in HONEST_TARGET_LABELS else name.replace("_", " ")

    return [Headline(say(BREAKDOWN_LABEL, target=target(row["term"])),
                     None if pd.isna(row["estimate"]) else float(row["estimate"]), "0.00",
                     note if pd.notna(row["estimate"]) else
                     say(BREAKDOWN_BEYOND, note=note, largest=say.decimal(sensitivity.MBAR_MAX, "0.##")))
            for _, row in rows.iterrows()]


def interpretation_markdown(result: ImpactResult, deployment_synthetic: bool = True) -> str:
    """A short reading of the estimates with the identifying assumption and the caveats that go with them."""
    overall = result.row("callaway_santanna", est.OVERALL_TERM)
    pretest = result.row("callaway_santanna", est.PRETEST_TERM)
    if pretest is None:
        why = result.diagnostics.query("model == 'callaway_santanna' and term == @est.PRETEST_TERM")["message"]
        pretest_text = (why.iloc[0].replace("Wald pre-test not computed: ", "could not be run: ") if len(why)
                        else "could not be run (no estimated pre-adoption cell)") + "."
    elif pretest["p_value"] < 1 - est.LEVEL:
        pretest_text = (f"rejects at 5 % (W = {pretest['estimate']:.2f}, p = {pretest['p_value']:.3f}): the "
                        "pre-adoption cells differ from zero, so parallel trends are in doubt and the effects should "
                        "not be read causally.")
    else:
        pretest_text = (f"does not reject at 5 % (W = {pretest['estimate']:.2f}, p = {pretest['p_value']:.3f}): "
                        "no evidence of diverging trends before adoption (which does not prove parallel trends).")
    lines = [
        "## Roll-out and recorded intrafamily physical violence",
        "",
        *[f"> **Warning.** {w}" for w in result.warnings()[:1]],
        "",
        f"- Callaway–Sant'Anna overall effect on the log rate per 1,000: {_effect(overall)}.",
        f"- TWFE, treated dummy: {_effect(result.row('twfe_treated', 'treated'))}.",
        f"- TWFE, per FTE per 100,000 inhabitants: {_effect(result.row('twfe_intensity', 'fte_per_100k'))}.",
        f"- Alternative cohort (first year at 1 worker per 150,000): "
        f"{_effect(result.row('callaway_santanna_intensity_cohort', est.OVERALL_TERM))}.",
        f"- Placebo (a crime class the programme should not move): {_effect(result.row('placebo', est.OVERALL_TERM))}.",
        f"- Pre-test (Wald, every Callaway–Sant'Anna pre-adoption cell jointly zero) {pretest_text}",
        f"- Sensitivity (Rambachan & Roth): {breakdown_text(result)}",
        "",
        "**Identifying assumption.** Had they not adopted, départements would have seen their recorded rate move in "
        "parallel with départements not yet covered (parallel trends), with no effect before the first position "
        "starts (no anticipation) and none spilling over to other départements. Départements covered before the "
        "panel's first year have no pre-adoption year and are left out of the adoption designs.",
        "",
        "**Reporting caveat.** Recorded intrafamily violence measures reporting to police and gendarmerie as well as "
        "victimisation: its rise since 2017 is largely more reporting. A social worker in the station is meant to "
        "help victims come forward, so a rise in the recorded rate can be a success, not a harm.",
    ]
    if deployment_synthetic:
        lines += ["", "**Synthetic deployment.** The deployment (registry of positions) used here is synthetic until "
                      "the real registry is loaded: these figures illustrate the method, they are not findings about "
                      "the programme."]
    return "\n".join(lines) + "\n"
