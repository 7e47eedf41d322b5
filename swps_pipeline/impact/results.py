"""All impact estimates at once, their tables, the event-study chart and a short interpretation."""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from swps_pipeline.impact import estimators as est  # noqa: E402

#: Models drawn in the event-study table and chart.
EVENT_MODELS = ("event_study", "callaway_santanna")


@dataclass(frozen=True)
class ImpactResult:
    impact_estimates: pd.DataFrame  # est.ESTIMATE_COLUMNS
    event_study: pd.DataFrame  # est.EVENT_STUDY_COLUMNS
    group_time: pd.DataFrame  # est.GROUP_TIME_COLUMNS

    def row(self, model: str, term: str) -> pd.Series | None:
        """One estimate, or None when the model could not identify it on these data."""
        rows = self.impact_estimates[(self.impact_estimates["model"] == model)
                                     & (self.impact_estimates["term"] == term)]
        return rows.iloc[0] if len(rows) else None


def event_study_table(impact_estimates: pd.DataFrame) -> pd.DataFrame:
    """Event-time rows of the event study and of Callaway–Sant'Anna; the TWFE reference year is 0 by construction."""
    rows = impact_estimates[impact_estimates["model"].isin(EVENT_MODELS)
                            & impact_estimates["term"].str.startswith(est.EVENT_TERM)]
    table = rows.assign(event_time=rows["term"].str.removeprefix(est.EVENT_TERM).astype(int))
    if (rows["model"] == "event_study").any():
        reference = pd.DataFrame({"model": ["event_study"], "event_time": [est.REFERENCE_EVENT_TIME],
                                  "estimate": [0.0], "ci_low": [np.nan], "ci_high": [np.nan]})
        table = pd.concat([table, reference])
    table = table.sort_values(["model", "event_time"])
    return table.reindex(columns=list(est.EVENT_STUDY_COLUMNS)).astype(est.EVENT_STUDY_COLUMNS).reset_index(drop=True)


def estimate_impact(impact_panel: pd.DataFrame, seed: int = 0, n_boot: int = 999) -> ImpactResult:
    """Every estimator on the panel's outcome; Callaway–Sant'Anna also on the intensity cohort and on the placebo."""
    main = est.callaway_santanna(impact_panel, seed=seed, n_boot=n_boot)
    intensity = est.callaway_santanna(impact_panel, cohort="cohort_intensity", seed=seed, n_boot=n_boot,
                                      model="callaway_santanna_intensity_cohort")
    placebo = est.callaway_santanna(impact_panel, y=est.PLACEBO_COLUMN, seed=seed, n_boot=n_boot, model="placebo")
    estimates = pd.concat(
        [
            est.twfe_treated(impact_panel),
            est.twfe_intensity(impact_panel),
            est.event_study(impact_panel),
            main.estimates,
            intensity.estimates,
            placebo.estimates,
        ],
        ignore_index=True,
    )
    group_time = pd.concat([main.group_time, intensity.group_time], ignore_index=True)
    return ImpactResult(estimates, event_study_table(estimates), group_time)


def event_study_chart(event_study: pd.DataFrame) -> bytes:
    """PNG of the event-study table: estimates with 95 % intervals by event time, one series per model."""
    labels = {"event_study": "TWFE event study (ref. −1, ends binned)", "callaway_santanna": "Callaway–Sant'Anna"}
    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for offset, (model, rows) in zip((-0.1, 0.1), event_study.groupby("model", sort=True)):
        x = rows["event_time"] + offset
        error = np.vstack([rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]])
        ax.errorbar(x, rows["estimate"], yerr=np.nan_to_num(error), fmt="o", capsize=3,
                    label=labels.get(model, model))
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("Years since the département's first position")
    ax.set_ylabel("Effect on log recorded rate per 1,000")
    ax.set_title("Recorded intrafamily physical violence around adoption")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _effect(row: pd.Series | None) -> str:
    if row is None:
        return "not identified on these data"
    return (f"{row['estimate']:+.3f} (95 % CI {row['ci_low']:+.3f} to {row['ci_high']:+.3f}, p = {row['p_value']:.3f}; "
            f"about {np.expm1(row['estimate']):+.1%} on the recorded rate; {row['n_clusters']} départements)")


def interpretation_markdown(result: ImpactResult, deployment_synthetic: bool = True) -> str:
    """A short reading of the estimates with the identifying assumption and the caveats that go with them."""
    overall = result.row("callaway_santanna", est.OVERALL_TERM)
    pretrend = result.row("event_study", est.PRETREND_TERM)
    if pretrend is None:
        pretrend_text = "could not be run (no lead is observed in the staggered sample)."
    elif pretrend["p_value"] < 1 - est.LEVEL:
        pretrend_text = (f"rejects at 5 % (F = {pretrend['estimate']:.2f}, p = {pretrend['p_value']:.3f}): the "
                         "leads differ from zero, so parallel trends are in doubt and the effects should not be read "
                         "causally.")
    else:
        pretrend_text = (f"does not reject at 5 % (F = {pretrend['estimate']:.2f}, p = {pretrend['p_value']:.3f}): "
                         "no evidence of diverging trends before adoption (which does not prove parallel trends).")
    lines = [
        "## Roll-out and recorded intrafamily physical violence",
        "",
        f"- Callaway–Sant'Anna overall effect on the log rate per 1,000: {_effect(overall)}.",
        f"- TWFE, treated dummy: {_effect(result.row('twfe_treated', 'treated'))}.",
        f"- TWFE, per FTE per 100,000 inhabitants: {_effect(result.row('twfe_intensity', 'fte_per_100k'))}.",
        f"- Alternative cohort (first year at 1 worker per 150,000): "
        f"{_effect(result.row('callaway_santanna_intensity_cohort', est.OVERALL_TERM))}.",
        f"- Placebo (a crime class the programme should not move): {_effect(result.row('placebo', est.OVERALL_TERM))}.",
        f"- Pre-trend test (leads jointly zero in the event study) {pretrend_text}",
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
