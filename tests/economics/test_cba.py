"""The Monte Carlo cost-benefit model against hand-computed present values."""

from __future__ import annotations

import numpy as np
import pytest

from swps_pipeline.economics import (
    CbaScope, build_cost_tables, load_parameters, npv_distribution_png, run_cost_benefit, tornado_png,
)

ROWS = [
    {"position_id": "77-001", "year": 2021, "fte": 1.0, "months_active": 12, "new_cases": 100, "persons_received": 110,
     "actions": 300, "cases_victim": 50, "orient_perpetrator_programme": 10, "child_in_danger_reports": 5},
    {"position_id": "77-001", "year": 2022, "fte": 1.0, "months_active": 12, "new_cases": 120, "persons_received": 130,
     "actions": 320, "cases_victim": 60, "orient_perpetrator_programme": 20, "child_in_danger_reports": 5},
    {"position_id": "77-002", "year": 2022},  # no valid return: neither cost nor benefit
    {"position_id": "13-001", "year": 2021, "fte": 0.5, "months_active": 12, "cost_eur": 30_000.0, "new_cases": 40,
     "persons_received": 45, "actions": 90, "cases_victim": 20, "orient_perpetrator_programme": 0},
]
STARTS = {"77-001": "2015-01-01", "77-002": "2015-01-01", "13-001": "2015-01-01"}


@pytest.fixture
def panel(position_year_of, registry_of):
    return position_year_of(ROWS), registry_of(STARTS)


def analyse(panel, overrides=None, **kwargs):
    position_year, registry = panel
    params = load_parameters(overrides=overrides)
    cost_position_year = build_cost_tables(position_year, registry, params)["cost_position_year"]
    return run_cost_benefit(cost_position_year, position_year, params, **kwargs), params


def all_fixed(**settings) -> dict:
    params = load_parameters()
    return {
        "parameters": {name: {"distribution": {"type": "fixed"}} for name in params.parameters}
        | {"value_per_child_in_danger_report_eur": {"value": 100}},
        "settings": {"discount_rate": 0.04, "benefit_horizon_years": 2,
                     "channels": {"child_protection": True}, **settings},
    }


def test_fixed_distributions_give_the_hand_computed_npv_with_discounting(panel):
    result, _ = analyse(panel, all_fixed(), scope=CbaScope("77", 2021, 2022), n_draws=500, seed=1)
    d1, d2 = 1 / 1.04, 1 / 1.04**2
    f2021, f2022 = (1 + d1) / 2, (d1 + d2) / 2  # harm of a year's cases spread over 2 years
    police = (100 + 120 * d1) * 2 * 38
    victims = (50 * f2021 + 60 * f2022) * 0.30 * 0.10 * 16_000
    offenders = (10 * f2021 + 20 * f2022) * 0.5 * 0.30 * 0.10 * 16_000
    children = (5 + 5 * d1) * 100
    costs = 52_500 * (1 + d1) * 1.2
    npv = police + victims + offenders + children - costs
    assert np.allclose(result.npv_draws, npv) and len(result.npv_draws) == 500
    summary = result.cba_summary.iloc[0]
    assert summary["npv_central_eur"] == pytest.approx(npv)
    assert summary[["npv_mean_eur", "npv_p5_eur", "npv_p50_eur", "npv_p95_eur"]].astype(float).tolist() == \
        pytest.approx([npv] * 4)
    assert summary["pv_costs_central_eur"] == pytest.approx(costs)
    assert summary["benefit_cost_ratio"] == pytest.approx((npv + costs) / costs)
    assert summary["probability_npv_positive"] == float(npv > 0)
    assert (summary["positions_covered"], summary["position_years_covered"]) == (1, 2)
    assert summary["channels"] == "police_time,repeat_victimisation,perpetrator_programmes,child_protection"
    channels = result.cba_channels.set_index("channel")["pv_central_eur"]
    assert channels.to_dict() == pytest.approx({"police_time": police, "repeat_victimisation": victims,
                                                "perpetrator_programmes": offenders, "child_protection": children})
    assert result.cba_sensitivity.empty  # nothing uncertain, nothing to swing


def test_national_scope_reported_cost_and_switched_off_channel(panel):
    overrides = all_fixed(discount_rate="zero", benefit_horizon_years=1)
    overrides["settings"]["channels"] = {"perpetrator_programmes": False, "child_protection": False}
    result, _ = analyse(panel, overrides, scope=CbaScope(first_year=2021, last_year=2021))
    summary = result.cba_summary.iloc[0]
    police = (100 + 40) * 2 * 38
    victims = (50 + 20) * 0.30 * 0.10 * 16_000
    costs = (52_500 + 30_000) * 1.2  # the reported 30,000 EUR is used as it is
    assert (summary["scope_level"], summary["scope_entity"], summary["discount_rate"]) == ("national", "FR", 0.0)
    assert summary["npv_central_eur"] == pytest.approx(police + victims - costs)
    assert summary["positions_covered"] == 2
    channels = result.cba_channels.set_index("channel")
    assert channels.loc["perpetrator_programmes", "pv_central_eur"] == 0.0
    assert not channels.loc["perpetrator_programmes", "enabled"]


def test_break_even_reduction_puts_the_central_npv_at_zero(panel):
    result, params = analyse(panel, scope=CbaScope("77"), n_draws=1_000)
    break_even = result.cba_summary.iloc[0]["break_even_relative_reduction"]
    d1 = 1 / 1.032
    f2021, f2022 = (1 + d1 + d1**2) / 3, (d1 + d1**2 + d1**3) / 3
    police = (100 + 120 * d1) * 2 * 38
    offenders = (10 * f2021 + 20 * f2022) * 0.5 * 0.30 * 0.10 * 16_000
    costs = 52_500 * (1 + d1) * 1.2
    assert break_even == pytest.approx((costs - police - offenders) / ((50 * f2021 + 60 * f2022) * 0.30 * 16_000))
    at_break_even = {"parameters": {"relative_reduction_repeat_victimisation":
                                    {"value": break_even, "distribution": {"type": "fixed"}}}}
    result_at, _ = analyse(panel, at_break_even, scope=CbaScope("77"), n_draws=10)
    assert abs(result_at.npv_central) < 1.0


def test_same_seed_same_draws_other_seed_other_draws(panel):
    first, _ = analyse(panel, n_draws=2_000, seed=42)
    again, _ = analyse(panel, n_draws=2_000, seed=42)
    other, _ = analyse(panel, n_draws=2_000, seed=43)
    assert np.array_equal(first.npv_draws, again.npv_draws)
    assert first.cba_summary.equals(again.cba_summary)
    assert not np.array_equal(first.npv_draws, other.npv_draws)


def test_monte_carlo_recovers_the_analytic_mean_of_the_victim_channel(panel):
    result, params = analyse(panel, {"settings": {"discount_rate": "zero", "benefit_horizon_years": 1}},
                             scope=CbaScope("77"), n_draws=100_000, seed=3)
    sigma = np.log(40_000 / 8_000) / (2 * 1.6448536)
    expected = 110 * (0.20 + 0.30 + 0.45) / 3 * (0.0 + 0.10 + 0.30) / 3 * 16_000 * np.exp(sigma**2 / 2)
    mean = result.cba_channels.set_index("channel").loc["repeat_victimisation", "pv_mean_eur"]
    assert mean == pytest.approx(expected, rel=0.02)


def test_tornado_and_scenarios(panel):
    result, params = analyse(panel, {"settings": {"discount_rate": "zero", "benefit_horizon_years": 1}},
                             scope=CbaScope("77", 2021, 2021), n_draws=100)
    tornado = result.cba_sensitivity.set_index("parameter")
    # Office costs are off and child protection is off: those parameters do not move the NPV.
    assert "office_cost_per_fte_year_eur" not in tornado.index
    assert "value_per_child_in_danger_report_eur" not in tornado.index
    assert result.cba_sensitivity["swing_eur"].is_monotonic_decreasing
    low = np.sqrt(0.1 * 0.3 * 0.1)  # p10 of triangular(0, 0.10, 0.30)
    row = tornado.loc["relative_reduction_repeat_victimisation"]
    assert row["low_value"] == pytest.approx(low)
    assert row["npv_low_eur"] - row["npv_central_eur"] == pytest.approx((low - 0.10) * 50 * 0.30 * 16_000)
    cost = tornado.loc["default_cost_per_fte_year_eur"]
    assert (cost["low_value"], cost["high_value"]) == pytest.approx((50_500, 54_500))
    assert cost["npv_low_eur"] - cost["npv_high_eur"] == pytest.approx(4_000 * 1.2)
    scenarios = result.cba_scenarios.set_index("scenario")
    assert scenarios.loc["central", "npv_eur"] == pytest.approx(result.npv_central)
    conservative = 100 * 1 * 30 + 50 * 0.2 * 0.02 * 8_000 + 10 * 0.3 * 0.2 * 0.0 * 8_000 - 55_000 * 1.2
    assert scenarios.loc["conservative", "npv_eur"] == pytest.approx(conservative)
    assert scenarios.loc["optimistic", "npv_eur"] > scenarios.loc["central", "npv_eur"] > conservative


def test_unknown_scope_is_a_clear_error(panel):
    with pytest.raises(ValueError, match="no position with a valid return and a cost in scope 2B"):
        analyse(panel, scope=CbaScope("2B"))


def test_charts_are_png_images(panel):
    result, _ = analyse(panel, n_draws=1_000)
    for png in (npv_distribution_png(result.npv_draws, result.npv_central), tornado_png(result.cba_sensitivity)):
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000
