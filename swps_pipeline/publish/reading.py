"""What the headline figures say, in words, computed from the marts.

The evaluation pack's summary sheet, the top of `methods.html` and the
notebooks quote these sentences, so that no narrative carries a typed number
that a new run (or new parameters) would make stale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.i18n import N_, SOURCE_LANGUAGE, Texts
from swps_pipeline.publish.currency import profile_money

#: How the impact models are named for a reader (model ids of `impact_estimates`).
MODEL_LABELS = {
    "callaway_santanna": N_("Callaway–Sant'Anna"),
    "callaway_santanna_intensity_cohort": N_("Callaway–Sant'Anna, cohorts by first year at 1 worker per 150,000"),
    "dose_response_cgbs": N_("dose-response (Callaway, Goodman-Bacon, Sant'Anna)"),
    "event_study": N_("TWFE event study"),
    "honest_did": N_("HonestDiD sensitivity"),
    "placebo": N_("placebo, Callaway–Sant'Anna"),
    "twfe_intensity": N_("TWFE, FTE per 100,000 inhabitants"),
    "twfe_treated": N_("TWFE, treated dummy"),
}
#: Outcomes of `impact_estimates`, as a reader names them.
OUTCOME_LABELS = {
    "log_intrafamily_physical_violence_per_1000": N_("recorded intrafamily physical violence (log rate per 1,000)"),
    "log_vehicle_theft_per_1000": N_("recorded vehicle theft (log rate per 1,000)"),
}
_LEVEL = 0.05


def model_label(model: str, say: Texts | None = None) -> str:
    """The model's name for a reader (in the language of `say`, English by default)."""
    return (say or Texts(SOURCE_LANGUAGE))(MODEL_LABELS[model]) if model in MODEL_LABELS else model.replace("_", " ")


def outcome_label(outcome: str, say: Texts | None = None) -> str:
    """The outcome's name for a reader (in the language of `say`, English by default)."""
    if outcome in OUTCOME_LABELS:
        return (say or Texts(SOURCE_LANGUAGE))(OUTCOME_LABELS[outcome])
    return outcome.replace("_", " ")


def _say(say: Texts | None) -> Texts:
    return say or Texts(SOURCE_LANGUAGE)


def _chance(share: float, say: Texts) -> str:
    """A probability in per cent; one decimal below 1 % (0.13 % is not 0 %)."""
    return say.percent(share, 1 if 0 < share < 0.01 or 0.99 < share < 1 else 0)


def _millions(amount: float, say: Texts) -> str:
    """An amount of the profile's currency in millions with its sign, a true minus and its unit
    (`Money.millions`): +18.6, −13.6 (+18,6 in French) and the unit."""
    return say.decimal(amount / 1e6, "+#,##0.0;-#,##0.0").replace("-", "−") + f" {profile_money().millions}"


def _estimate(value: float, say: Texts) -> str:
    return say.signed(value, 3)


def _p(value: float, say: Texts) -> str:
    return say.decimal(value, "0.000")


def headline_row(cba_summary: pd.DataFrame) -> pd.Series | None:
    """The row to quote: the one marked `headline`, else the national row over the longest period."""
    if "headline" in cba_summary.columns and cba_summary["headline"].astype(bool).any():
        return cba_summary[cba_summary["headline"].astype(bool)].iloc[0]
    national = cba_summary[cba_summary["scope_level"] == "national"] if "scope_level" in cba_summary else cba_summary
    if national.empty:
        return None
    return national.loc[(national["last_year"] - national["first_year"]).idxmax()]


#: What an `effect_source` of `cba_summary` is, in words.
EFFECT_SOURCES = {"literature": N_("the literature"), "impact_estimate": N_("the impact estimate")}


def _effect_source(source: str, say: Texts) -> str:
    return say(EFFECT_SOURCES[source]) if source in EFFECT_SOURCES else "the " + source.replace("_", " ")


def npv_reading(cba_summary: pd.DataFrame, say: Texts | None = None) -> str:
    """The mean NPV beside the median and P(NPV > 0): why they can point different ways (in the language of
    `say`, English by default)."""
    say = _say(say)
    row = headline_row(cba_summary)
    if row is None:
        return say(N_("No cost-benefit result in this run."))
    mean, median, chance = row["npv_mean_eur"], row["npv_p50_eur"], row["probability_npv_positive"]
    p5, p95 = row["npv_p5_eur"], row["npv_p95_eur"]
    text = say(N_("Over {first}–{last} the expected (mean) NPV is {mean}, the median draw {median}, and {chance} of "
                  "the {draws} draws have a positive NPV. Each draw is one set of values of the uncertain parameters, "
                  "applied to the whole programme at once: the spread is our uncertainty about the programme, "
                  "which does not average out over its positions. "), first=row["first_year"], last=row["last_year"],
               mean=_millions(mean, say), median=_millions(median, say), chance=_chance(chance, say),
               draws=say.decimal(int(row["n_draws"]), "#,##0"))
    if mean > 0 > median:
        text += say(N_("The mean is positive while most draws are negative: a long right tail (a few draws with large "
                       "benefits) pulls the mean up. Under these priors the programme's expected NPV is positive, but "
                       "the chance that the programme as a whole loses money is {loss} (median {median}). "),
                    loss=_chance(1 - chance, say), median=_millions(median, say))
    elif mean < 0 < median:
        text += say(N_("The mean is negative while most draws are positive: a long left tail (a few draws with large "
                       "losses) pulls the mean down. Under these priors the programme as a whole more likely than not "
                       "gains ({chance}), but its expected NPV is negative. "), chance=_chance(chance, say))
    else:
        text += say(N_("Mean and median agree in sign. "))
    interval = dict(low=_millions(p5, say), high=_millions(p95, say))
    if p5 < 0 < p95:
        text += say(N_("The 90 % interval ({low} to {high}) contains zero: the sign of the net benefit is not settled "
                       "by the evidence in the parameter file; the tornado chart shows which parameters would settle "
                       "it."), **interval)
    else:
        text += say(N_("The whole 90 % interval ({low} to {high}) lies on one side of zero."), **interval)
    other = _other_effect_source(cba_summary, row)
    if other is not None:
        text += say(N_(" With the effect taken from {other} instead of {source}, the expected NPV is {mean} "
                       "(P(NPV > 0) = {chance}); recorded crime measures reporting as well as victimisation, so that "
                       "estimate is not the victimisation effect the benefits assume."),
                    other=_effect_source(other["effect_source"], say), source=_effect_source(row["effect_source"], say),
                    mean=_millions(other["npv_mean_eur"], say), chance=_chance(other["probability_npv_positive"], say))
    return text


def _other_effect_source(cba_summary: pd.DataFrame, row: pd.Series) -> pd.Series | None:
    if "effect_source" not in cba_summary.columns:
        return None
    same_scope = cba_summary[(cba_summary["first_year"] == row["first_year"])
                             & (cba_summary["last_year"] == row["last_year"])
                             & (cba_summary["effect_source"] != row["effect_source"])]
    if "scope_level" in cba_summary.columns:
        same_scope = same_scope[same_scope["scope_level"] == row["scope_level"]]
    return same_scope.iloc[0] if len(same_scope) else None


def tornado_reading(cba_sensitivity: pd.DataFrame, top: int = 3, say: Texts | None = None) -> str:
    """The parameters that move the NPV most between their 10th and 90th percentiles."""
    from swps_pipeline.economics.charts import parameter_label

    say = _say(say)
    if cba_sensitivity.empty:
        return say(N_("No parameter moves the NPV in this run."))
    ranked = cba_sensitivity.sort_values("swing_eur", ascending=False).head(top)
    parts = [say(N_("{parameter}: {low} to {high}"), parameter=parameter_label(str(row["label"]), say),
                 low=_millions(min(row["npv_low_eur"], row["npv_high_eur"]), say),
                 high=_millions(max(row["npv_low_eur"], row["npv_high_eur"]), say)) for _, row in ranked.iterrows()]
    return say(N_("With every other parameter at its mean (NPV {npv}), the NPV moves most with these parameters "
                  "between their 10th and 90th percentiles: {parameters}. Better evidence on them would narrow the "
                  "uncertainty most."), npv=_millions(ranked["npv_at_means_eur"].iloc[0], say),
               parameters="; ".join(parts))


def scenarios_reading(cba_scenarios: pd.DataFrame, cba_summary: pd.DataFrame, say: Texts | None = None) -> str:
    """The 'central' scenario is a median draw, not the expected value: say so with both figures."""
    say = _say(say)
    row = headline_row(cba_summary)
    if row is None or cba_scenarios.empty:
        return say(N_("No scenario in this run."))
    same = cba_scenarios[(cba_scenarios["first_year"] == row["first_year"])
                         & (cba_scenarios["last_year"] == row["last_year"])
                         & (cba_scenarios["effect_source"] == row["effect_source"])].set_index("scenario")
    if "central" not in same.index:
        return say(N_("No central scenario in this run."))
    text = say(N_("The central scenario is the simulated case at the median NPV ({central}), not the expected value "
                  "({mean}): "), central=_millions(same.loc["central", "npv_eur"], say),
               mean=_millions(row["npv_mean_eur"], say))
    skewed = abs(same.loc["central", "npv_eur"] - row["npv_mean_eur"]) > 0.05 * abs(row["npv_p95_eur"] - row["npv_p5_eur"])
    text += say(N_("the two differ because the NPV's distribution is skewed. ") if skewed else N_("here they are close. "))
    if {"conservative", "optimistic"} <= set(same.index):
        text += say(N_("The conservative and optimistic cases (10th and 90th percentiles of the NPV) give {low} and "
                       "{high}."), low=_millions(same.loc["conservative", "npv_eur"], say),
                    high=_millions(same.loc["optimistic", "npv_eur"], say))
    return text


def effect_reading(impact_estimates: pd.DataFrame, say: Texts | None = None) -> str:
    """The overall Callaway–Sant'Anna effect, TWFE beside it, and the placebo, in words."""
    say = _say(say)

    def row(model: str, term: str) -> pd.Series | None:
        rows = impact_estimates[(impact_estimates["model"] == model) & (impact_estimates["term"] == term)]
        return rows.iloc[0] if len(rows) else None

    main = row("callaway_santanna", "att_overall")
    if main is None:
        return say(N_("The overall effect could not be estimated on these data (see impact_diagnostics)."))
    significant = main["p_value"] < _LEVEL
    text = say(N_("Callaway–Sant'Anna: the estimated effect of the roll-out on {outcome} is {estimate} log points "
                  "(about {change} on the recorded rate; 95 % CI {low} to {high}, p = {p}, {clusters} départements): "
                  "{verdict} "), outcome=outcome_label(main["outcome"], say), estimate=_estimate(main["estimate"], say),
               change=say.percent(np.expm1(main["estimate"]), 1, signed=True).replace("-", "−"),
               low=_estimate(main["ci_low"], say), high=_estimate(main["ci_high"], say), p=_p(main["p_value"], say),
               clusters=main["n_clusters"],
               verdict=say(N_("significant at 5 %.") if significant else N_("not significant at 5 %.")))
    twfe = row("twfe_treated", "treated")
    if twfe is not None:
        twfe_significant = twfe["p_value"] < _LEVEL
        values = dict(estimate=_estimate(twfe["estimate"], say), p=_p(twfe["p_value"], say))
        text += say(N_("TWFE gives {estimate} (p = {p}, significant)") if twfe_significant
                    else N_("TWFE gives {estimate} (p = {p})"), **values)
        text += (say(N_("; with staggered adoption TWFE compares late adopters with early ones and is biased when "
                        "effects differ by cohort, so the Callaway–Sant'Anna figure is the one to read. "))
                 if twfe_significant != significant else ". ")
    placebo = row("placebo", "att_overall")
    if placebo is not None:
        values = dict(estimate=_estimate(placebo["estimate"], say), p=_p(placebo["p_value"], say))
        text += say(N_("Placebo (vehicle theft, which the programme should not move): {estimate}, p = {p}: no sign of "
                       "a spurious effect. ") if placebo["p_value"] >= _LEVEL else
                    N_("Placebo (vehicle theft, which the programme should not move): {estimate}, p = {p}: "
                       "significant, which points to a confounding trend. "), **values)
    return text + say(N_("A rise in recorded violence can mean that more victims come forward (reporting), not more "
                         "victimisation."))


def pretrend_reading(event_study: pd.DataFrame, impact_estimates: pd.DataFrame, say: Texts | None = None) -> str:
    """Before adoption: which Callaway–Sant'Anna leads stand out, the uniform band, the joint test."""
    say = _say(say)
    leads = event_study[(event_study["model"] == "callaway_santanna") & ~event_study["reference"].astype(bool)
                        & (event_study["event_time"] < 0)].sort_values("event_time")
    if leads.empty:
        return say(N_("No pre-adoption event time is estimated: parallel trends cannot be checked on these data."))
    with_interval = leads.dropna(subset=["ci_low", "ci_high"])
    outside = with_interval[(with_interval["ci_low"] > 0) | (with_interval["ci_high"] < 0)]
    bare = leads[leads["ci_low"].isna() | leads["ci_high"].isna()]

    def times(rows: pd.DataFrame) -> str:
        return ", ".join(f"{int(t)}".replace("-", "−") for t in rows["event_time"])

    counts = dict(outside=len(outside), estimated=len(with_interval))
    text = (say(N_("Before adoption, {outside} of {estimated} Callaway–Sant'Anna estimates with an interval exclude "
                   "zero at 95 % (pointwise): event time {times}. "), times=times(outside), **counts) if len(outside)
            else say(N_("Before adoption, {outside} of {estimated} Callaway–Sant'Anna estimates with an interval "
                        "exclude zero at 95 % (pointwise). "), **counts))
    uniform = with_interval.dropna(subset=["ci_low_uniform", "ci_high_uniform"])
    uniform_out = uniform[(uniform["ci_low_uniform"] > 0) | (uniform["ci_high_uniform"] < 0)]
    if len(uniform):
        text += (say(N_("The uniform band, which judges the path as a whole, contains zero at every pre-adoption "
                        "event time. ")) if uniform_out.empty else
                 say(N_("The uniform band excludes zero at event time {times}: trends before adoption differ, so the "
                        "effects should not be read causally. "), times=times(uniform_out)))
    for _, lead in bare.iterrows():
        text += say(N_("Event time {time} ({estimate}) has no interval: too few départements reach it, so it says "
                       "nothing either way. "), time=f"{int(lead['event_time'])}".replace("-", "−"),
                    estimate=_estimate(lead["estimate"], say))
    joint = impact_estimates[impact_estimates["term"] == "pretrend_joint_f"]
    if len(joint):
        p_value = joint["p_value"].iloc[0]
        text += say(N_("The TWFE joint test of the leads gives p = {p}: no evidence of diverging trends (which does "
                       "not prove parallel trends).") if p_value >= _LEVEL else
                    N_("The TWFE joint test of the leads gives p = {p}: diverging trends before adoption."),
                    p=_p(p_value, say))
    return text.strip()


def summary_reading(cba_summary: pd.DataFrame, impact_estimates: pd.DataFrame,
                    event_study: pd.DataFrame, say: Texts | None = None) -> list[str]:
    """The paragraphs under the headline table: cost-benefit, effect, trends before adoption."""
    paragraphs = [npv_reading(cba_summary, say)] if len(cba_summary) else []
    if len(impact_estimates):
        paragraphs.append(effect_reading(impact_estimates, say))
    if len(event_study):
        paragraphs.append(pretrend_reading(event_study, impact_estimates, say))
    return paragraphs
