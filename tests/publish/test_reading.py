"""The sentences under the headline figures, checked against figures worked out by hand."""

from __future__ import annotations

import pandas as pd

from swps_pipeline.publish.reading import effect_reading, npv_reading, pretrend_reading


def _summary(**changes) -> pd.DataFrame:
    row = {"headline": True, "scope_level": "national", "first_year": 2019, "last_year": 2025,
           "effect_source": "literature", "n_draws": 10_000, "npv_mean_eur": 18_615_112.0,
           "npv_p50_eur": -13_603_455.0, "npv_p5_eur": -214_847_510.0, "npv_p95_eur": 354_143_465.0,
           "probability_npv_positive": 0.4628}
    return pd.DataFrame([{**row, **changes}])


def test_a_positive_mean_beside_a_negative_median_is_explained_by_the_right_tail():
    text = npv_reading(_summary())
    assert text.startswith("Over 2019–2025 the expected (mean) NPV is +18.6 M€, the median draw −13.6 M€, and 46% "
                           "of the 10,000 draws have a positive NPV.")
    # Review of 2026-12-03, item 4: a draw is programme-wide, so nothing "pays off on average over many positions".
    assert "applied to the whole programme at once" in text and "over many positions" not in text
    assert ("long right tail (a few draws with large benefits) pulls the mean up. Under these priors the programme's "
            "expected NPV is positive, but the chance that the programme as a whole loses money is 54% "
            "(median −13.6 M€).") in text  # 1 − 0.4628 = 0.5372
    assert "The 90 % interval (−214.8 M€ to +354.1 M€) contains zero" in text


def test_a_negative_mean_beside_a_positive_median_and_the_other_effect_source():
    summary = pd.concat([
        _summary(npv_mean_eur=-9_300_000.0, npv_p50_eur=4_000_000.0, probability_npv_positive=0.62),
        _summary(headline=False, effect_source="impact_estimate", npv_mean_eur=-288_621_900.0,
                 probability_npv_positive=0.0013)])
    text = npv_reading(summary)
    assert "expected (mean) NPV is −9.3 M€, the median draw +4.0 M€, and 62% of the" in text
    assert "long left tail" in text and "more likely than not gains (62%), but its expected NPV is negative" in text
    # 0.13 % is not rounded to 0 %
    assert "from the impact estimate instead of the literature, the expected NPV is −288.6 M€ (P(NPV > 0) = 0.1%)" in text


def _estimates() -> pd.DataFrame:
    rows = [("callaway_santanna", "att_overall", 0.067614, -0.016612, 0.151841, 0.108566, 18),
            ("twfe_treated", "treated", 0.059064, 0.021468, 0.099786, 0.002002, 18),
            ("placebo", "att_overall", 0.031727, -0.014399, 0.077852, 0.164931, 18),
            ("event_study", "pretrend_joint_f", 2.070215, None, None, 0.142166, 18)]
    frame = pd.DataFrame(rows, columns=["model", "term", "estimate", "ci_low", "ci_high", "p_value", "n_clusters"])
    return frame.assign(outcome="log_intrafamily_physical_violence_per_1000")


def test_effect_reading_prefers_callaway_santanna_when_twfe_disagrees():
    text = effect_reading(_estimates())
    # exp(0.067614) − 1 = 0.06995
    assert ("is +0.068 log points (about +7.0% on the recorded rate; 95 % CI −0.017 to +0.152, p = 0.109, "
            "18 départements): not significant at 5 %.") in text
    assert "TWFE gives +0.059 (p = 0.002, significant); with staggered adoption" in text
    assert "Placebo (vehicle theft, which the programme should not move): +0.032, p = 0.165: no sign" in text


def test_pretrend_reading_names_the_leads_that_stand_out_and_the_one_without_interval():
    event_study = pd.DataFrame({
        "model": "callaway_santanna", "event_time": [-4, -3, -2, -1, 0],
        "estimate": [0.29, 0.12, -0.06, 0.0, 0.05],
        "ci_low": [None, 0.02, -0.15, None, -0.02], "ci_high": [None, 0.22, 0.03, None, 0.13],
        "ci_low_uniform": [None, -0.01, -0.16, None, -0.03], "ci_high_uniform": [None, 0.25, 0.04, None, 0.14],
        "reference": [False, False, False, True, False]})
    text = pretrend_reading(event_study, _estimates())
    assert text.startswith("Before adoption, 1 of 2 Callaway–Sant'Anna estimates with an interval exclude zero at "
                           "95 % (pointwise): event time −3.")
    assert "The uniform band, which judges the path as a whole, contains zero at every pre-adoption event time." in text
    assert "Event time −4 (+0.290) has no interval" in text
    assert text.endswith("p = 0.142: no evidence of diverging trends (which does not prove parallel trends).")


def test_the_french_reading_says_the_draws_are_programme_wide():
    from swps_pipeline.i18n import Texts

    text = npv_reading(_summary(), Texts("fr"))
    assert "sur un grand nombre de postes" not in text
    assert "appliqué au programme entier" in text and "perde de l'argent est de 54\xa0%" in text
