"""What the headline figures say, in words, computed from the marts.

The evaluation pack's summary sheet, the top of `methods.html` and the
notebooks quote these sentences, so that no narrative carries a typed number
that a new run (or new parameters) would make stale.
"""

from __future__ import annotations

import re

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


def _minus(text: str) -> str:
    """Negative numbers with a true minus sign (hyphens between words stay)."""
    return re.sub(r"-(?=\d)", "−", text)


def _chance(share: float) -> str:
    """A probability in per cent; one decimal below 1 % (0.13 % is not 0 %)."""
    return f"{share:.1%}" if 0 < share < 0.01 or 0.99 < share < 1 else f"{share:.0%}"


def _millions(amount: float) -> str:
    """An amount of the profile's currency in millions, signed, with its unit (`Money.millions`)."""
    return _minus(f"{amount / 1e6:+,.1f} {profile_money().millions}")


def headline_row(cba_summary: pd.DataFrame) -> pd.Series | None:
    """The row to quote: the one marked `headline`, else the national row over the longest period."""
    if "headline" in cba_summary.columns and cba_summary["headline"].astype(bool).any():
        return cba_summary[cba_summary["headline"].astype(bool)].iloc[0]
    national = cba_summary[cba_summary["scope_level"] == "national"] if "scope_level" in cba_summary else cba_summary
    if national.empty:
        return None
    return national.loc[(national["last_year"] - national["first_year"]).idxmax()]


def npv_reading(cba_summary: pd.DataFrame) -> str:
    """The mean NPV beside the median and P(NPV > 0): why they can point different ways."""
    row = headline_row(cba_summary)
    if row is None:
        return "No cost-benefit result in this run."
    mean, median, chance = row["npv_mean_eur"], row["npv_p50_eur"], row["probability_npv_positive"]
    p5, p95 = row["npv_p5_eur"], row["npv_p95_eur"]
    text = (f"Over {row['first_year']}–{row['last_year']} the expected (mean) NPV is {_millions(mean)}, the median "
            f"draw {_millions(median)}, and {_chance(chance)} of the {int(row['n_draws']):,} draws have a positive NPV. ")
    if mean > 0 > median:
        text += ("The mean is positive while most draws are negative: the distribution has a long right tail (a few "
                 "draws with large benefits pull the mean up), so the programme pays off on average over many "
                 "positions but with less than an even chance in any one outcome. ")
    elif mean < 0 < median:
        text += ("The mean is negative while most draws are positive: a long left tail (a few draws with large "
                 "losses) pulls the mean down. ")
    else:
        text += "Mean and median agree in sign. "
    if p5 < 0 < p95:
        text += (f"The 90 % interval ({_millions(p5)} to {_millions(p95)}) contains zero: the sign of the net "
                 "benefit is not settled by the evidence in the parameter file; the tornado chart shows which "
                 "parameters would settle it.")
    else:
        text += f"The whole 90 % interval ({_millions(p5)} to {_millions(p95)}) lies on one side of zero."
    other = _other_effect_source(cba_summary, row)
    if other is not None:
        text += (f" With the effect taken from the {other['effect_source'].replace('_', ' ')} instead of the "
                 f"{row['effect_source'].replace('_', ' ')}, the expected NPV is {_millions(other['npv_mean_eur'])} "
                 f"(P(NPV > 0) = {_chance(other['probability_npv_positive'])}); recorded crime measures reporting as "
                 "well as victimisation, so that estimate is not the victimisation effect the benefits assume.")
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


def tornado_reading(cba_sensitivity: pd.DataFrame, top: int = 3) -> str:
    """The parameters that move the NPV most between their 10th and 90th percentiles."""
    if cba_sensitivity.empty:
        return "No parameter moves the NPV in this run."
    ranked = cba_sensitivity.sort_values("swing_eur", ascending=False).head(top)
    parts = [f"{row['label']}: {_millions(min(row['npv_low_eur'], row['npv_high_eur']))} to "
             f"{_millions(max(row['npv_low_eur'], row['npv_high_eur']))}" for _, row in ranked.iterrows()]
    return (f"With every other parameter at its mean (NPV {_millions(ranked['npv_at_means_eur'].iloc[0])}), the NPV "
            f"moves most with these parameters between their 10th and 90th percentiles: {'; '.join(parts)}. Better "
            "evidence on them would narrow the uncertainty most.")


def scenarios_reading(cba_scenarios: pd.DataFrame, cba_summary: pd.DataFrame) -> str:
    """The 'central' scenario is a median draw, not the expected value: say so with both figures."""
    row = headline_row(cba_summary)
    if row is None or cba_scenarios.empty:
        return "No scenario in this run."
    same = cba_scenarios[(cba_scenarios["first_year"] == row["first_year"])
                         & (cba_scenarios["last_year"] == row["last_year"])
                         & (cba_scenarios["effect_source"] == row["effect_source"])].set_index("scenario")
    if "central" not in same.index:
        return "No central scenario in this run."
    text = (f"The central scenario is the simulated case at the median NPV ({_millions(same.loc['central', 'npv_eur'])}), "
            f"not the expected value ({_millions(row['npv_mean_eur'])}): ")
    text += ("the two differ because the NPV's distribution is skewed. " if abs(same.loc["central", "npv_eur"]
             - row["npv_mean_eur"]) > 0.05 * abs(row["npv_p95_eur"] - row["npv_p5_eur"]) else "here they are close. ")
    if {"conservative", "optimistic"} <= set(same.index):
        text += (f"The conservative and optimistic cases (10th and 90th percentiles of the NPV) give "
                 f"{_millions(same.loc['conservative', 'npv_eur'])} and {_millions(same.loc['optimistic', 'npv_eur'])}.")
    return text


def effect_reading(impact_estimates: pd.DataFrame) -> str:
    """The overall Callaway–Sant'Anna effect, TWFE beside it, and the placebo, in words."""
    def row(model: str, term: str) -> pd.Series | None:
        rows = impact_estimates[(impact_estimates["model"] == model) & (impact_estimates["term"] == term)]
        return rows.iloc[0] if len(rows) else None

    main = row("callaway_santanna", "att_overall")
    if main is None:
        return "The overall effect could not be estimated on these data (see impact_diagnostics)."
    significant = main["p_value"] < _LEVEL
    text = _minus(f"Callaway–Sant'Anna: the estimated effect of the roll-out on {outcome_label(main['outcome'])} is "
                  f"{main['estimate']:+.3f} log points (about {np.expm1(main['estimate']):+.1%} on the recorded rate; "
                  f"95 % CI {main['ci_low']:+.3f} to {main['ci_high']:+.3f}, p = {main['p_value']:.3f}, "
                  f"{main['n_clusters']} départements): {'' if significant else 'not '}significant at 5 %. ")
    twfe = row("twfe_treated", "treated")
    if twfe is not None:
        twfe_significant = twfe["p_value"] < _LEVEL
        text += _minus(f"TWFE gives {twfe['estimate']:+.3f} (p = {twfe['p_value']:.3f}")
        text += (f"{', significant' if twfe_significant else ''})")
        text += ("; with staggered adoption TWFE compares late adopters with early ones and is biased when "
                 "effects differ by cohort, so the Callaway–Sant'Anna figure is the one to read. "
                 if twfe_significant != significant else ". ")
    placebo = row("placebo", "att_overall")
    if placebo is not None:
        text += (_minus(f"Placebo (vehicle theft, which the programme should not move): {placebo['estimate']:+.3f}, "
                        f"p = {placebo['p_value']:.3f}")
                 + (": no sign of a spurious effect. " if placebo["p_value"] >= _LEVEL
                    else ": significant, which points to a confounding trend. "))
    return text + ("A rise in recorded violence can mean that more victims come forward (reporting), not more "
                   "victimisation.")


def pretrend_reading(event_study: pd.DataFrame, impact_estimates: pd.DataFrame) -> str:
    """Before adoption: which Callaway–Sant'Anna leads stand out, the uniform band, the joint test."""
    leads = event_study[(event_study["model"] == "callaway_santanna") & ~event_study["reference"].astype(bool)
                        & (event_study["event_time"] < 0)].sort_values("event_time")
    if leads.empty:
        return "No pre-adoption event time is estimated: parallel trends cannot be checked on these data."
    with_interval = leads.dropna(subset=["ci_low", "ci_high"])
    outside = with_interval[(with_interval["ci_low"] > 0) | (with_interval["ci_high"] < 0)]
    bare = leads[leads["ci_low"].isna() | leads["ci_high"].isna()]

    def times(rows: pd.DataFrame) -> str:
        return ", ".join(_minus(f"{int(t)}") for t in rows["event_time"])

    text = f"Before adoption, {len(outside)} of {len(with_interval)} Callaway–Sant'Anna estimates with an interval "
    text += ("exclude zero at 95 % (pointwise)" + (f": event time {times(outside)}" if len(outside) else "") + ". ")
    uniform = with_interval.dropna(subset=["ci_low_uniform", "ci_high_uniform"])
    uniform_out = uniform[(uniform["ci_low_uniform"] > 0) | (uniform["ci_high_uniform"] < 0)]
    if len(uniform):
        text += ("The uniform band, which judges the path as a whole, contains zero at every pre-adoption event "
                 "time. " if uniform_out.empty else
                 f"The uniform band excludes zero at event time {times(uniform_out)}: trends before adoption "
                 "differ, so the effects should not be read causally. ")
    for _, lead in bare.iterrows():
        time, estimate = _minus(str(int(lead["event_time"]))), _minus(f"{lead['estimate']:+.3f}")
        text += (f"Event time {time} ({estimate}) has no interval: too few départements reach it, so it says "
                 "nothing either way. ")
    joint = impact_estimates[impact_estimates["term"] == "pretrend_joint_f"]
    if len(joint):
        p_value = joint["p_value"].iloc[0]
        text += (f"The TWFE joint test of the leads gives p = {p_value:.3f}"
                 + (": no evidence of diverging trends (which does not prove parallel trends)." if p_value >= _LEVEL
                    else ": diverging trends before adoption."))
    return text.strip()


def summary_reading(cba_summary: pd.DataFrame, impact_estimates: pd.DataFrame,
                    event_study: pd.DataFrame) -> list[str]:
    """The paragraphs under the headline table: cost-benefit, effect, trends before adoption."""
    paragraphs = [npv_reading(cba_summary)] if len(cba_summary) else []
    if len(impact_estimates):
        paragraphs.append(effect_reading(impact_estimates))
    if len(event_study):
        paragraphs.append(pretrend_reading(event_study, impact_estimates))
    return paragraphs
