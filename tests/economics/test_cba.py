"""The Monte Carlo cost-benefit model against hand-computed present values."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.economics import (
    CbaScope, build_cost_tables, load_parameters, npv_distribution_png, run_cost_benefit, tornado_png,
    with_impact_estimate,
)
from swps_pipeline.economics.cba import PERSPECTIVES, persistence_factor

#: Money parameters, moved to 2015 euros in the hand-computed tests so that only reported costs need the CPI.
MONEY = ("default_cost_per_fte_year_eur", "office_cost_per_fte_year_eur", "officer_hourly_cost_eur",
         "unit_cost_dv_victimisation_eur", "perpetrator_programme_cost_eur", "emergency_housing_cost_per_night_eur",
         "child_protection_cost_per_measure_year_eur")
CPI_2015, CPI_2021, CPI_2012, CPI_2024 = 100.0, 106.35, 98.61, 119.71


@pytest.fixture
def panel(cba_panel):
    return cba_panel


def analyse(panel, overrides=None, **kwargs):
    position_year, registry = panel
    params = load_parameters(overrides=overrides)
    cost_position_year = build_cost_tables(position_year, registry, params)["cost_position_year"]
    return run_cost_benefit(cost_position_year, position_year, params, **kwargs), params


def all_fixed(**settings) -> dict:
    """Every parameter fixed at its value, money in 2015 euros, a 4 % rate."""
    params = load_parameters()
    return {
        "parameters": {name: {"distribution": {"type": "fixed"}} | ({"price_year": 2015} if name in MONEY else {})
                       for name in params.parameters},
        "settings": {"discount_rate": 0.04, "price_year": 2015, **settings},
    }


#: The packaged means of the triangular priors of cba_parameters.md, (low + mode + high) / 3: officer hours
#: (1 + 2 + 4) / 3, 12-month repeat and reoffending probabilities (0.20 + 0.30 + 0.45) / 3, reduction of repeat
#: victimisation (0 + 0.10 + 0.30) / 3.
HOURS, REPEAT, REDUCTION = 7 / 3, 0.95 / 3, 0.4 / 3


def hand_computed_77() -> dict[str, float]:
    """Seine-et-Marne 2021-2022 at the packaged means, every flow by hand (see the module docstring of cba)."""
    d1 = 1 / 1.04
    harm_years = 1 + 0.8 / 1.04 + 0.5 * 0.8**2 / 1.04**2  # persistence 2.5 years, decay 0.2
    dv_victims = 50 * 75 / 150 + 60 * 90 / 180 * d1  # victims × the domestic-violence share of the cases
    police = (70 + 90 * d1) * HOURS * 50  # only the new cases police or gendarmerie referred: 70 of 100, 90 of 120
    repeat = dv_victims * REPEAT * REDUCTION * 15_981 * harm_years
    participants = (10 + 20 * d1) * 0.5
    perpetrators = participants * REPEAT * 0.11 * 15_981 * harm_years
    position_state, position_local = 52_500 * (0.8 + 0.5 * d1), 52_500 * (0.2 + 0.5 * d1)  # refund 80 %, then 50 %
    office = 4_000 * (1 + d1)
    programmes = participants * 1_300
    housing = (4 + 6 * d1) * 0.25 * 26 * 26
    child = (5 + 5 * d1) * 0.25 * 0.25 * 24_000
    harm = repeat + perpetrators
    state = police + harm * 0.071 - (position_state + office + programmes + housing)
    local = -(position_local + child)
    deadweight = 0.2 * -(state + local)
    benefits = police + harm
    costs = position_state + position_local + office + programmes + housing + child + deadweight
    return {"police": police, "repeat": repeat, "perpetrators": perpetrators, "costs": costs, "benefits": benefits,
            "npv": benefits - costs, "state": state, "local_authorities": local, "associations": 0.0,
            "victims_and_children": harm * 0.716, "rest_of_society": harm * (1 - 0.716 - 0.071) - deadweight,
            "deadweight": deadweight, "public_costs": position_state + position_local + office + programmes
            + housing + child, "dv_victims_undiscounted": 25 + 30}


def test_fixed_parameters_give_the_hand_computed_npv_to_the_cent(panel):
    result, _ = analyse(panel, all_fixed(), scope=CbaScope("77", 2021, 2022), n_draws=500, seed=1)
    hand = hand_computed_77()
    # Every parameter fixed: each Monte Carlo draw is the deterministic model, to the cent.
    assert len(result.npv_draws) == 500
    assert np.abs(result.npv_draws - hand["npv"]).max() < 0.005
    summary = result.cba_summary.iloc[0]
    assert summary["npv_at_means_eur"] == pytest.approx(hand["npv"], abs=0.005)
    assert summary[["npv_mean_eur", "npv_p5_eur", "npv_p50_eur", "npv_p95_eur"]].astype(float).tolist() == \
        pytest.approx([hand["npv"]] * 4, abs=0.005)
    assert summary["pv_costs_mean_eur"] == pytest.approx(hand["costs"], abs=0.005)
    assert summary["benefit_cost_ratio_mean"] == pytest.approx(hand["benefits"] / hand["costs"])
    assert summary["probability_npv_positive"] == float(hand["npv"] > 0)
    assert (summary["base_year"], summary["price_year"], summary["first_year"]) == (2021, 2015, 2021)
    assert (summary["positions_covered"], summary["position_years_covered"], summary["fte_years"]) == (1, 2, 2.0)
    # Per unit, the denominators discounted like the NPV (review of 2026-12-03, item 6): 1 FTE-year in 2021 and 1 in
    # 2022 at 4 %; 110 persons received in 2021 and 130 in 2022.
    assert summary["npv_per_position_year_eur"] == pytest.approx(hand["npv"] / (1 + 1 / 1.04))
    assert summary["npv_per_person_received_eur"] == pytest.approx(hand["npv"] / (110 + 130 / 1.04))
    assert summary["npv_per_public_euro"] == pytest.approx(hand["npv"] / hand["public_costs"])
    channels = result.cba_channels.set_index(["channel", "kind"])["pv_mean_eur"]
    assert channels[("police_time", "benefit")] == pytest.approx(hand["police"])
    assert channels[("repeat_victimisation", "benefit")] == pytest.approx(hand["repeat"])
    assert channels[("perpetrator_programmes", "benefit")] == pytest.approx(hand["perpetrators"])
    assert channels[("deadweight", "cost")] == pytest.approx(hand["deadweight"])
    perspectives = result.cba_perspectives.set_index("perspective")
    for who in PERSPECTIVES:
        assert perspectives.loc[who, "npv_mean_eur"] == pytest.approx(hand[who], abs=0.005), who
    assert result.cba_sensitivity.empty  # nothing uncertain, nothing to swing


def test_reported_costs_and_parameters_are_converted_to_the_price_year(panel):
    """The association's reported 30,000 EUR of 2021 and the 2012 unit cost, in 2024 euros."""
    only_costs = all_fixed(discount_rate="zero", price_year=2024,
                           channels={c: False for c in ("police_time", "repeat_victimisation", "perpetrator_programmes",
                                                        "office_costs", "emergency_housing", "child_protection")})
    result, _ = analyse(panel, only_costs, scope=CbaScope("13", 2021, 2021))
    summary = result.cba_summary.iloc[0]
    # An association's own funds bear no deadweight; started in 2015, the position gets no refund.
    assert summary["pv_costs_mean_eur"] == pytest.approx(30_000 * CPI_2024 / CPI_2021)
    assert result.cba_perspectives.set_index("perspective").loc["associations", "npv_mean_eur"] == \
        pytest.approx(-30_000 * CPI_2024 / CPI_2021)
    params = load_parameters(overrides={"settings": {"price_year": 2024}})
    assert params.deflator(2012) == pytest.approx(CPI_2024 / CPI_2012)


def test_one_base_year_for_every_scope(panel):
    fixed = all_fixed()
    year_2022, _ = analyse(panel, fixed, scope=CbaScope("77", 2022, 2022), base_year=2021)
    alone, _ = analyse(panel, fixed, scope=CbaScope("77", 2022, 2022))
    # The single-year scope is discounted to the run's base year, one year before its own.
    assert year_2022.cba_summary.iloc[0]["base_year"] == 2021
    assert year_2022.npv_at_means == pytest.approx(alone.npv_at_means / 1.04)


def test_monte_carlo_mean_benefit_is_the_product_of_the_means(panel):
    """Independent draws: E[baseline × reduction × unit cost] = product of the means, within 3 standard errors."""
    drawn = ("baseline_repeat_probability", "relative_reduction_repeat_victimisation", "unit_cost_dv_victimisation_eur")
    overrides = all_fixed(discount_rate="zero", channels={"police_time": False, "perpetrator_programmes": False})
    for name in drawn:
        del overrides["parameters"][name]["distribution"]
    result, _ = analyse(panel, overrides, scope=CbaScope("77"), n_draws=40_000, seed=3)
    harm_years = 1 + 0.8 + 0.5 * 0.64
    expected = (25 + 30) * REPEAT * REDUCTION * 15_981 * harm_years
    mean = result.cba_channels.set_index(["channel", "kind"]).loc[("repeat_victimisation", "benefit"), "pv_mean_eur"]
    # Everything else is fixed: NPV = harm × (1 + 0.2 × 0.071) − constant, so the harm's standard error follows.
    standard_error = result.cba_summary.iloc[0]["npv_std_error_eur"] / (1 + 0.2 * 0.071)
    assert 0 < standard_error < 0.02 * expected
    assert abs(mean - expected) < 3 * standard_error


def test_perspectives_add_up_to_the_total_for_every_scope(panel):
    for scope in (CbaScope(), CbaScope("77"), CbaScope("13"), CbaScope(first_year=2022, last_year=2022)):
        result, _ = analyse(panel, scope=scope, n_draws=2_000)
        summary, perspectives = result.cba_summary.iloc[0], result.cba_perspectives
        assert list(perspectives["perspective"]) == list(PERSPECTIVES)
        assert perspectives["npv_mean_eur"].sum() == pytest.approx(summary["npv_mean_eur"])
        assert perspectives["npv_at_means_eur"].sum() == pytest.approx(summary["npv_at_means_eur"])
        benefits = result.cba_channels.query("kind == 'benefit'")["pv_mean_eur"].sum()
        costs = result.cba_channels.query("kind == 'cost'")["pv_mean_eur"].sum()
        assert benefits - costs == pytest.approx(summary["npv_mean_eur"])


def test_scenarios_are_simulated_cases_inside_the_distribution(panel):
    result, _ = analyse(panel, n_draws=5_000, seed=11)
    p1, p99 = np.percentile(result.npv_draws, [1, 99])
    scenarios = result.cba_scenarios.set_index("scenario")
    assert list(scenarios.index) == ["conservative", "central", "optimistic"]
    assert ((scenarios["npv_eur"] >= p1) & (scenarios["npv_eur"] <= p99)).all()
    assert scenarios.loc["central", "npv_eur"] == pytest.approx(np.median(result.npv_draws), rel=0.01, abs=50)
    assert (scenarios["npv_eur"] == scenarios["pv_benefits_eur"] - scenarios["pv_costs_eur"]).all()
    assert scenarios["npv_eur"].is_monotonic_increasing


def test_persistence_accrues_and_decays():
    # P = 1: only the 12-month repeat; P = 2.5 with decay 0.2 at 0 %: 1 + 0.8 + 0.5 × 0.64.
    assert persistence_factor(1.0, 0.2, 0.0) == pytest.approx(1.0)
    assert persistence_factor(2.5, 0.2, 0.0) == pytest.approx(2.12)
    assert persistence_factor(3.0, 0.0, 0.05) == pytest.approx(1 + 1 / 1.05 + 1 / 1.05**2)
    longer = persistence_factor(np.linspace(1, 5, 41), 0.3, 0.032)
    assert (np.diff(longer) > 0).all()


def test_only_domestic_violence_victims_are_valued_and_missing_counts_are_never_zero_on_one_side(
        panel, cba_rows, position_year_of):
    rows = [dict(row) for row in cba_rows]
    rows[1]["cases_victim"] = None  # 77-001 in 2022 did not report its victims
    gap = position_year_of(rows), panel[1]
    fixed = all_fixed(discount_rate="zero")
    imputed, _ = analyse(gap, fixed, scope=CbaScope("77"))
    left_out, _ = analyse(gap, {**fixed, "settings": {**fixed["settings"], "missing_counts": "leave_out"}},
                          scope=CbaScope("77"))
    complete, _ = analyse(panel, fixed, scope=CbaScope("77"))
    repeat = {name: r.cba_channels.set_index(["channel", "kind"]).loc[("repeat_victimisation", "benefit"),
                                                                      "pv_mean_eur"]
              for name, r in (("imputed", imputed), ("left_out", left_out), ("complete", complete))}
    harm_per_victim = REPEAT * REDUCTION * 15_981 * (1 + 0.8 + 0.5 * 0.64)
    # Imputed: 50 victims per FTE-year from 2021, then the 2022 share of domestic violence (90 / 180).
    assert repeat["imputed"] == pytest.approx((25 + 50 * 0.5) * harm_per_victim)
    assert imputed.cba_summary.iloc[0][["position_years_imputed", "position_years_covered"]].tolist() == [1, 2]
    # Left out: neither the 2022 cost nor its benefits.
    assert repeat["left_out"] == pytest.approx(25 * harm_per_victim)
    assert left_out.cba_summary.iloc[0][["position_years_left_out", "position_years_covered"]].tolist() == [1, 1]
    assert left_out.cba_channels.set_index(["channel", "kind"]).loc[("position_costs", "cost"), "pv_mean_eur"] == \
        pytest.approx(52_500)
    assert repeat["complete"] == pytest.approx((25 + 30) * harm_per_victim)


def test_deadweight_falls_on_net_public_flows_only(panel):
    fixed = all_fixed(discount_rate="zero",
                      channels={c: False for c in ("police_time", "repeat_victimisation", "perpetrator_programmes",
                                                   "office_costs", "emergency_housing", "child_protection")})
    association, _ = analyse(panel, fixed, scope=CbaScope("13"))
    public = analyse((panel[0], panel[1].assign(employer_type="local_authority")), fixed, scope=CbaScope("13"))[0]
    cost = 30_000 * CPI_2015 / CPI_2021
    deadweight = [r.cba_channels.set_index(["channel", "kind"]).loc[("deadweight", "cost"), "pv_mean_eur"]
                  for r in (association, public)]
    assert deadweight == pytest.approx([0.0, 0.2 * cost])
    tornado = analyse(panel, scope=CbaScope("77"), n_draws=100)[0].cba_sensitivity
    assert "opportunity_cost_public_funds" in set(tornado["parameter"])  # drawn, so in the tornado


def test_break_even_in_relative_and_natural_units(panel):
    result, params = analyse(panel, all_fixed(), scope=CbaScope("77"))
    summary = result.cba_summary.iloc[0]
    break_even = summary["break_even_relative_reduction"]
    at_break_even = all_fixed()
    at_break_even["parameters"]["relative_reduction_repeat_victimisation"]["value"] = break_even
    assert abs(analyse(panel, at_break_even, scope=CbaScope("77"))[0].npv_at_means) < 0.01
    # averted repeat victimisations per FTE-year: reduction × victims × baseline repeat / FTE-years
    assert summary["break_even_averted_victimisations_per_fte_year"] == pytest.approx(break_even * 55 * REPEAT / 2)


def test_a_new_value_moves_the_monte_carlo_for_every_distribution_type(panel):
    """Issue 11 point 2: the cost per FTE-year (uniform) and the uptake (uniform) reached only the deterministic case."""
    outputs = ["npv_mean_eur", "benefit_cost_ratio_mean", "npv_p50_eur", "npv_at_means_eur"]
    runs = [analyse(panel, {"parameters": {"default_cost_per_fte_year_eur": value}}, scope=CbaScope("77"),
                    n_draws=2_000)[0].cba_summary.iloc[0] for value in (50_000, 52_500, 55_000)]
    for column in outputs:
        assert runs[0][column] > runs[1][column] > runs[2][column], column
    # a uniform carried to 50,000 EUR: [47,500, 52,500], so the mean NPV moves by the mean cost change
    d1 = 1 / 1.032
    assert runs[0]["npv_mean_eur"] - runs[1]["npv_mean_eur"] == pytest.approx(
        2_500 * (1 + d1) * 1.2 * CPI_2024 / 111.88, rel=0.02)


def test_the_impact_estimate_can_replace_the_prior(panel):
    estimates = pd.DataFrame({"model": ["callaway_santanna", "twfe_treated"], "term": ["att_overall"] * 2,
                              "estimate": [-0.10, 0.02], "std_error": [0.02, 0.01]})
    params = load_parameters()
    fed = with_impact_estimate(params, estimates)
    reduction = fed.parameters["relative_reduction_repeat_victimisation"]
    assert fed.settings.effect_source == "impact_estimate"
    assert reduction.value == pytest.approx(1 - np.exp(-0.10))
    assert reduction.distribution.normal_sigma() == pytest.approx(np.exp(-0.10) * 0.02)
    position_year, registry = panel
    costs = build_cost_tables(position_year, registry, fed)["cost_position_year"]
    summary = run_cost_benefit(costs, position_year, fed, n_draws=20_000).cba_summary.iloc[0]
    assert summary["effect_source"] == "impact_estimate"
    from swps_pipeline.economics import ParameterError
    with pytest.raises(ParameterError, match="no att_overall estimate with a standard error for 'nope'"):
        with_impact_estimate(load_parameters(overrides={"settings": {"impact_model": "nope"}}), estimates)


def test_same_seed_same_draws_other_seed_other_draws(panel):
    first, _ = analyse(panel, n_draws=2_000, seed=42)
    again, _ = analyse(panel, n_draws=2_000, seed=42)
    other, _ = analyse(panel, n_draws=2_000, seed=43)
    assert np.array_equal(first.npv_draws, again.npv_draws)
    assert first.cba_summary.equals(again.cba_summary)
    assert not np.array_equal(first.npv_draws, other.npv_draws)


def test_tornado_rows(panel):
    result, params = analyse(panel, {"settings": {"discount_rate": "zero"}}, scope=CbaScope("77", 2021, 2021),
                             n_draws=100)
    tornado = result.cba_sensitivity.set_index("parameter")
    assert "harm_share_public_services" not in tornado.index  # fixed: nothing to swing
    assert result.cba_sensitivity["swing_eur"].is_monotonic_decreasing
    cost = tornado.loc["default_cost_per_fte_year_eur"]
    assert (cost["low_value"], cost["high_value"]) == pytest.approx((50_500, 54_500))
    assert cost["label"] == "Position cost per FTE-year"
    # 2021, refund 80 %: 0.8 × 4,000 of public money weighs 1.2, the local 20 % too (a local authority)
    assert cost["npv_low_eur"] - cost["npv_high_eur"] == pytest.approx(4_000 * 1.2 * CPI_2024 / 111.88)


def test_unknown_scope_is_a_clear_error(panel):
    with pytest.raises(ValueError, match="no position with a valid return, a cost and the counts"):
        analyse(panel, scope=CbaScope("2B"))


def test_charts_are_png_images_drawn_without_pyplot(panel):
    result, _ = analyse(panel, n_draws=1_000)
    for png in (npv_distribution_png(result.npv_draws, result.npv_at_means), tornado_png(result.cba_sensitivity)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
    # No pyplot and no backend switch at import or when drawing: notebooks keep their inline charts.
    code = ("import sys, numpy; from swps_pipeline.economics.charts import npv_distribution_png; "
            "npv_distribution_png(numpy.arange(100.0)); print('matplotlib.pyplot' in sys.modules)")
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert shown == ["False"]


def test_a_channel_whose_count_nobody_reports_is_off_for_the_scope_and_named(cba_rows, panel, position_year_of):
    rows = [{k: v for k, v in row.items() if k != "orient_emergency_housing"} for row in cba_rows]
    result, _ = analyse((position_year_of(rows), panel[1]), scope=CbaScope("77"), n_draws=200)
    summary = result.cba_summary.iloc[0]
    assert summary["channels_without_data"] == "emergency_housing"
    assert "emergency_housing" not in summary["channels"].split(",")
    housing = result.cba_channels.set_index(["channel", "kind"]).loc[("emergency_housing", "cost")]
    assert (housing["enabled"], housing["pv_mean_eur"]) == (False, 0.0)
    assert summary["position_years_imputed"] == 0


def test_the_pack_headlines_quote_the_headline_row(panel):
    """The evaluation pack's summary reads cba_summary by name: the row flagged `headline`, not the side-by-side one."""
    from swps_pipeline.economics import cost_benefit_tables
    from swps_pipeline.publish.evaluation import headlines

    position_year, registry = panel
    params = load_parameters(overrides={"settings": {"n_draws": 500}})
    costs = build_cost_tables(position_year, registry, params)
    estimates = pd.DataFrame({"model": ["callaway_santanna"], "term": ["att_overall"], "estimate": [0.05],
                              "std_error": [0.02], "ci_low": [0.01], "ci_high": [0.09], "p_value": [0.01],
                              "n_clusters": [90], "outcome": ["log_x"]})
    tables, headline, years, notes = cost_benefit_tables(costs, position_year, estimates, params)
    summary = tables["cba_summary"]
    assert (years, notes) == ([2021, 2022], [])
    assert summary["headline"].sum() == 1 and len(summary) == 4  # whole period twice, then each year
    shuffled = summary.iloc[::-1]  # the warehouse may store rows in any order
    shown = {h.label: h.value for h in headlines(shuffled, estimates.iloc[0:0])}
    assert shown["Mean net present value, 2021–2022 (M€)"] == pytest.approx(headline.cba_summary.iloc[0]["npv_mean_eur"]
                                                                             / 1e6)
    assert shown["NPV per public euro (mean), 2021–2022"] == pytest.approx(headline.cba_summary.iloc[0]["npv_per_public_euro"])


def test_a_second_run_with_the_same_parameters_keeps_the_tornado_bounds_and_imports_no_scipy(panel, tmp_path):
    """The p10 / p90 of each parameter depend on the parameters, not the data: kept across runs, a year's re-run
    finds them without importing SciPy's special functions, though it simulates the changed scopes again. Its
    tables are those of a run from scratch, which computes the bounds (and imports SciPy for them)."""
    position_year, registry = panel
    params = load_parameters(overrides={"settings": {"n_draws": 300}})
    costs = build_cost_tables(position_year, registry, params)
    estimates = pd.DataFrame({"model": ["callaway_santanna"], "term": ["att_overall"], "estimate": [-0.05],
                              "std_error": [0.02]})
    inputs = tmp_path / "inputs.pickle"
    inputs.write_bytes(pickle.dumps((costs, position_year, estimates, params)))
    code = f"""
import pickle, sys
from functools import partial
from pathlib import Path
from swps_pipeline.economics import cost_benefit_tables
from swps_pipeline.reuse import reused
costs, position_year, estimates, params = pickle.loads(Path({str(inputs)!r}).read_bytes())
if sys.argv[1] == "corrected":  # one count of 2022 changed: the whole period and 2022 are simulated again
    position_year = position_year.copy()
    position_year.loc[position_year["year"] == 2022, "persons_received"] += 1
tables, *_ = cost_benefit_tables(costs, position_year, estimates, params, partial(reused, Path({str(tmp_path)!r})))
Path(sys.argv[2]).write_bytes(pickle.dumps(tables))
print("scipy.special" in sys.modules)
"""

    def run(kind: str, name: str) -> tuple[str, dict]:
        """The run's tables, and whether SciPy's special functions were imported (every scope simulated in the
        one process, so that an import for the bounds, wherever made, shows)."""
        # -P: the package this test imports, not one in the working folder; reuse on, whatever the caller's shell.
        shown = subprocess.run([sys.executable, "-P", "-c", code, kind, str(tmp_path / name)], capture_output=True,
                               text=True, check=True, env={**os.environ, "SWPS_WORKERS": "1", "SWPS_REUSE": "on"},
                               ).stdout.strip()
        return shown, pickle.loads((tmp_path / name).read_bytes())

    first, _ = run("same", "first.pickle")
    again, kept = run("corrected", "again.pickle")
    shutil.rmtree(tmp_path / ".cache")
    scratch, afresh = run("corrected", "scratch.pickle")
    assert (first, again, scratch) == ("True", "False", "True")
    for name, table in afresh.items():
        pd.testing.assert_frame_equal(kept[name], table, check_exact=True)
    sensitivity = kept["cba_sensitivity"].set_index(["first_year", "last_year", "effect_source", "parameter"])
    cost = sensitivity.loc[(2021, 2022, "literature", "default_cost_per_fte_year_eur")]
    assert (cost["low_value"], cost["high_value"]) == pytest.approx((50_500, 54_500))


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("all_below", [False, True])
def test_the_tornado_legend_hides_no_bar(panel, language, all_below):
    """The legend sits under the smallest bar, whatever the NPV at the means and the language (Matplotlib's own
    placement put it over the largest bar); with every swing below the mean, the bars reach the right edge."""
    from swps_pipeline.economics.charts import tornado_figure

    result, _ = analyse(panel, n_draws=200)
    sensitivity = result.cba_sensitivity
    if all_below:  # every parameter lowers the NPV at both ends: the mean sits at the right
        base = sensitivity["npv_at_means_eur"]
        sensitivity = sensitivity.assign(npv_low_eur=base - sensitivity["swing_eur"],
                                         npv_high_eur=base - sensitivity["swing_eur"] / 2)
    figure = tornado_figure(sensitivity, language=language)
    figure.canvas.draw()
    axis = figure.axes[0]
    legend = axis.get_legend().get_window_extent()
    bars = [patch.get_window_extent() for patch in axis.patches]
    assert len(bars) == 2 * len(sensitivity) > 4
    assert not any(legend.overlaps(bar) for bar in bars)
    assert legend.y0 >= axis.get_window_extent().y0  # inside the plot, above the axis


def test_the_benefit_cost_ratio_is_null_when_the_benefits_are_negative(panel):
    """Review of 2026-12-03: the impact variant published a ratio of −0.174 (negative benefits / costs). Only the
    repeat-victimisation channel, with a reduction of −0.5 (a harmful effect): benefits < 0, so no ratio."""
    harmful = all_fixed(channels={c: False for c in ("police_time", "perpetrator_programmes", "office_costs",
                                                     "emergency_housing", "child_protection")})
    harmful["parameters"]["relative_reduction_repeat_victimisation"]["value"] = -0.5
    result, _ = analyse(panel, harmful, scope=CbaScope("77"))
    summary = result.cba_summary.iloc[0]
    assert summary["pv_benefits_mean_eur"] < 0 and summary["npv_mean_eur"] < 0
    assert np.isnan(summary["benefit_cost_ratio_mean"]) and np.isnan(summary["benefit_cost_ratio"])
    assert result.cba_scenarios["benefit_cost_ratio"].isna().all()
    # a positive effect keeps its ratio: benefits / costs
    kept = analyse(panel, all_fixed(), scope=CbaScope("77"))[0].cba_summary.iloc[0]
    assert kept["benefit_cost_ratio_mean"] == pytest.approx(hand_computed_77()["benefits"] / hand_computed_77()["costs"])


def test_the_column_dictionary_says_what_the_cost_and_ratio_columns_hold():
    """Review of 2026-12-03, item 8: cost_eur said 'when reported (null otherwise)' in tables where 70 % of the rows
    hold the default cost; cba_scenarios.benefit_cost_ratio said it was the headline's ratio of means."""
    from swps_pipeline.columns import describe

    for table in ("cost_position_year", "cost_department_year", "cost_national_year"):
        assert "when reported (null otherwise)" not in describe(table, "cost_eur") and "default" in \
            describe(table, "cost_eur"), table
    assert "one draw" in describe("cba_scenarios", "benefit_cost_ratio")
    assert "the same as benefit_cost_ratio_mean" in describe("cba_summary", "benefit_cost_ratio")
    assert "positions that reported domestic-violence cases" in describe("cost_per_case",
                                                                         "cost_per_domestic_violence_case")
    assert "same seed" in describe("cba_summary", "seed") and "every scope" in describe("cba_summary", "seed")


def test_an_association_s_share_is_local_public_money_when_the_registry_names_local_funders(position_year_of,
                                                                                             registry_of):
    """Review of 2026-12-03, item 1 (ECPA application, questions 14-15: positions are funded mostly by local
    communities). Three association positions started on 1 January 2021, full-time in 2021, at the default
    52,500 EUR (2015 euros, every other channel off, 0 %): the State refunds 80 % = 42,000 EUR of each, and the
    non-refunded 10,500 EUR falls on local authorities for 13-001 (2 local co-funders), on the associations' own
    funds for 13-002 (none) and 13-003 (unknown).
      State 3 × 42,000 = 126,000; local authorities 10,500; associations 2 × 10,500 = 21,000;
      deadweight (1.2 − 1) × (126,000 + 10,500) = 27,300 on the rest of society;
      NPV = −(3 × 52,500 + 27,300) = −184,800, and the perspectives add up to it.
    Before: associations 31,500, local authorities 0, deadweight 0.2 × 126,000 = 25,200, NPV −182,700."""
    ids = ["13-001", "13-002", "13-003"]
    position_year = position_year_of([{"position_id": p, "year": 2021, "fte": 1.0, "months_active": 12,
                                       "persons_received": 10} for p in ids])
    registry = registry_of({p: "2021-01-01" for p in ids}, employers={p: "association" for p in ids},
                           funders={"13-001": 2, "13-002": 0, "13-003": None})
    only_costs = all_fixed(discount_rate="zero", channels={c: False for c in (
        "police_time", "repeat_victimisation", "perpetrator_programmes", "office_costs", "emergency_housing",
        "child_protection")})
    result, _ = analyse((position_year, registry), only_costs, scope=CbaScope("13"))
    perspectives = result.cba_perspectives.set_index("perspective")["npv_mean_eur"]
    assert perspectives.to_dict() == pytest.approx({
        "state": -126_000, "local_authorities": -10_500, "associations": -21_000, "victims_and_children": 0,
        "rest_of_society": -27_300})
    summary = result.cba_summary.iloc[0]
    assert summary["npv_mean_eur"] == pytest.approx(-184_800) == perspectives.sum()
    assert summary["pv_public_costs_mean_eur"] == pytest.approx(136_500)
    costs = result.cba_channels.set_index(["channel", "kind"])["pv_mean_eur"]
    assert costs[("position_costs", "cost")] == pytest.approx(3 * 52_500)  # the refund moves who pays, not how much
    assert costs[("deadweight", "cost")] == pytest.approx(27_300)


def test_police_time_is_credited_on_the_cases_police_or_gendarmerie_referred(panel, cba_rows, position_year_of):
    """Review of 2026-12-03, item 2: officer time was credited on every new case. At 0 %, 7/3 hours × 50 EUR =
    116.67 EUR a referred case. 77-001 reports 50 + 20 = 70 referred of 100 new cases in 2021; its 2022 return
    lacks the breakdown, so it gets the scope's observed share, 70 / 100, of its 120 new cases = 84 (never zero):
    (70 + 84) × 116.67 = 17,966.67 EUR (every new case: 220 × 116.67 = 25,666.67). Left out instead: 70 × 116.67
    = 8,166.67 EUR."""
    rows = [dict(row) for row in cba_rows]
    rows[1]["source_police"] = rows[1]["source_gendarmerie"] = None
    gap = position_year_of(rows), panel[1]
    only_police = all_fixed(discount_rate="zero", channels={c: False for c in (
        "repeat_victimisation", "perpetrator_programmes", "office_costs", "emergency_housing", "child_protection")})
    leave_out = {**only_police, "settings": {**only_police["settings"], "missing_counts": "leave_out"}}

    def police(panel_, overrides):
        result, _ = analyse(panel_, overrides, scope=CbaScope("77"))
        return (result.cba_channels.set_index(["channel", "kind"]).loc[("police_time", "benefit"), "pv_mean_eur"],
                result.cba_summary.iloc[0])

    imputed, summary = police(gap, only_police)
    assert imputed == pytest.approx((70 + 120 * 70 / 100) * HOURS * 50) == pytest.approx(17_966.67, abs=0.01)
    assert summary["position_years_imputed"] == 1
    assert police(gap, leave_out)[0] == pytest.approx(70 * HOURS * 50)
    assert police(panel, only_police)[0] == pytest.approx((70 + 90) * HOURS * 50)  # both years report it
    # A scope where nobody reports where its cases came from cannot value officer time: off, and named.
    for row in rows:
        row["source_police"] = row["source_gendarmerie"] = None
    nobody, _ = analyse((position_year_of(rows), panel[1]), only_police, scope=CbaScope("77"))
    assert nobody.cba_summary.iloc[0]["channels_without_data"] == "police_time"
