"""Property tests (hypothesis) over every parameter: each moves the outputs it should, the way it should.

Every run uses the same seed, and a new value carries its distribution with it (shift or scale), so
the draws of the bumped run are the draws of the base run moved one way: means and ratios move
strictly, the chance the NPV is positive cannot move the other way.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swps_pipeline.economics import build_cost_tables, load_parameters, run_cost_benefit

#: Raising these raises the NPV (effects, unit values, persistence, police time, the public share of harm).
RAISE = ("officer_hours_per_new_case", "officer_hourly_cost_eur", "baseline_repeat_probability",
         "relative_reduction_repeat_victimisation", "unit_cost_dv_victimisation_eur", "persistence_years",
         "baseline_reoffending_probability", "reoffending_reduction", "harm_share_public_services")
#: Raising these lowers it (costs, the deadweight while public money is a net cost, decay).
LOWER = ("default_cost_per_fte_year_eur", "office_cost_per_fte_year_eur", "opportunity_cost_public_funds",
         "perpetrator_programme_cost_eur", "emergency_housing_nights_per_orientation",
         "emergency_housing_cost_per_night_eur", "child_protection_measure_years_per_report",
         "child_protection_cost_per_measure_year_eur", "share_additional_services", "decay_rate")
#: The uptake raises the programmes' benefits and their cost: its sign depends on the other values.
EITHER = ("perpetrator_programme_uptake",)
#: These move money between perspectives and leave the total alone.
BETWEEN_PERSPECTIVES = ("eligible_share", "harm_share_victims_and_children")
N_DRAWS = 1_500
OUTPUTS = ("npv_mean_eur", "benefit_cost_ratio_mean", "npv_at_means_eur", "npv_p50_eur")


@pytest.fixture(scope="module")
def run(cba_panel):
    position_year, registry = cba_panel

    @functools.cache
    def run(name: str | None = None, value: float | None = None, discount_rate: float | None = None):
        overrides: dict = {"parameters": {}, "settings": {}}
        if name is not None:
            overrides["parameters"][name] = value
        if discount_rate is not None:
            overrides["settings"]["discount_rate"] = discount_rate
        params = load_parameters(overrides=overrides)
        costs = build_cost_tables(position_year, registry, params)["cost_position_year"]
        return run_cost_benefit(costs, position_year, params, n_draws=N_DRAWS, seed=5)

    return run


def bumped_value(name: str, fraction: float) -> float:
    """A higher value, `fraction` of the way to the highest the parameter's bounds allow for its distribution."""
    parameter = load_parameters().parameters[name]
    low, high = parameter.bounds
    if name.startswith("harm_share"):  # the two shares and the rest of society's share add up to 1
        high = parameter.value + 1 - 0.716 - 0.071
    kind = parameter.distribution.type
    if kind == "lognormal":
        return parameter.value * (1 + fraction * (high / parameter.distribution.high - 1))
    top = parameter.value if kind == "fixed" else parameter.distribution.high
    if name == "eligible_share":  # at its upper bound: move it down instead
        return parameter.value - fraction * (parameter.value - low)
    return parameter.value + fraction * (high - top)


def test_every_parameter_has_a_stated_direction():
    assert sorted(RAISE + LOWER + EITHER + BETWEEN_PERSPECTIVES) == sorted(load_parameters().parameters)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(RAISE + LOWER + EITHER), fraction=st.floats(0.05, 0.9))
def test_raising_a_value_moves_the_outputs_the_way_it_should(run, name, fraction):
    base, bumped = (r.cba_summary.iloc[0] for r in (run(), run(name, bumped_value(name, fraction))))
    sign = 1 if name in RAISE else -1 if name in LOWER else 0
    for column in OUTPUTS:
        assert bumped[column] != base[column], column
        if sign:
            assert sign * (bumped[column] - base[column]) > 0, column
    if sign:
        assert sign * (bumped["probability_npv_positive"] - base["probability_npv_positive"]) >= 0


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(BETWEEN_PERSPECTIVES), fraction=st.floats(0.1, 0.9))
def test_shares_move_money_between_perspectives_not_the_total(run, name, fraction):
    base, bumped = run(), run(name, bumped_value(name, fraction))
    assert bumped.cba_summary.iloc[0]["npv_mean_eur"] == pytest.approx(base.cba_summary.iloc[0]["npv_mean_eur"])
    before = base.cba_perspectives.set_index("perspective")["npv_mean_eur"]
    after = bumped.cba_perspectives.set_index("perspective")["npv_mean_eur"]
    moved = (after - before).abs() > 1
    assert moved.sum() >= 2
    assert (after - before).sum() == pytest.approx(0, abs=1e-6)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(low=st.floats(0.0, 0.07), step=st.floats(0.005, 0.08))
def test_a_higher_discount_rate_shrinks_a_positive_npv(cba_panel, low, step):
    position_year, registry = cba_panel
    # Police time is credited on the referred cases only (70 % of new cases here): a larger effect keeps the NPV positive.
    effective = {"parameters": {"relative_reduction_repeat_victimisation": 0.25, "officer_hours_per_new_case": 3.5}}

    def npv(rate: float) -> float:
        params = load_parameters(overrides={**effective, "settings": {"discount_rate": rate}})
        costs = build_cost_tables(position_year, registry, params)["cost_position_year"]
        return run_cost_benefit(costs, position_year, params, n_draws=300, seed=5).cba_summary.iloc[0]["npv_mean_eur"]

    lower, higher = npv(low), npv(min(low + step, 0.15))
    assert lower > 0 and 0 < higher < lower
