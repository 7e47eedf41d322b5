"""The parameter file: every parameter sourced, overrides, one-line errors, distributions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from swps_pipeline import assumptions
from swps_pipeline.economics import ParameterError, load_parameters
from swps_pipeline.economics.parameters import Distribution


def test_every_parameter_has_a_source_or_is_a_stated_assumption():
    params = load_parameters()
    assert len(params.parameters) == 13
    for name, parameter in params.parameters.items():
        assert parameter.source, name
        if parameter.is_assumption:
            assert parameter.rationale and "\n" not in parameter.rationale, name
        if parameter.unit.startswith("EUR"):
            assert isinstance(parameter.price_year, int), name
    for rate in params.discount_rates.values():
        assert rate.source
    assert params.parameters["unit_cost_dv_victimisation_eur"].is_assumption
    assert not params.parameters["default_cost_per_fte_year_eur"].is_assumption


def test_defaults_come_from_assumptions_and_the_reference_file():
    params = load_parameters()
    assert params.central("default_cost_per_fte_year_eur") == assumptions.DEFAULT_COST_PER_FTE_YEAR_EUR
    assert params.settings.refund_shares == assumptions.STATE_REFUND_SHARES
    assert params.settings.national_scheme_start == assumptions.NATIONAL_SCHEME_START
    assert (params.settings.discount_rate.name, params.settings.discount_rate.value) == ("france_2021", 0.032)
    assert {k: v.value for k, v in params.discount_rates.items()} == {
        "france_2021": 0.032, "quinet_2013": 0.045, "uk_green_book": 0.035, "zero": 0.0, "seven_percent": 0.07,
    }
    assert params.central("opportunity_cost_public_funds") == 1.2
    assert params.settings.n_draws == 10_000
    assert params.settings.enabled_channels == ("police_time", "repeat_victimisation", "perpetrator_programmes")
    assert set(params.scenarios) == {"conservative", "central", "optimistic"}


def test_user_file_then_run_config_override(tmp_path):
    user = tmp_path / "mine.yaml"
    user.write_text(
        "settings:\n  discount_rate: quinet_2013\n  channels: {child_protection: true}\n"
        "parameters:\n  officer_hourly_cost_eur: {value: 45}\n  eligible_share: 0.8\n",
        encoding="utf-8",
    )
    params = load_parameters(user, {"parameters": {"officer_hourly_cost_eur": 32}, "settings": {"discount_rate": 0.05}})
    assert params.central("officer_hourly_cost_eur") == 32
    assert params.central("eligible_share") == 0.8
    assert params.parameters["officer_hourly_cost_eur"].distribution == Distribution("triangular", 30, 50)
    assert params.settings.channels["child_protection"] and params.settings.channels["police_time"]
    assert (params.settings.discount_rate.name, params.settings.discount_rate.value) == ("custom", 0.05)
    assert params.sources[1:] == (str(user), "run config")
    assert load_parameters(user).settings.discount_rate.value == 0.045


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("parameters:\n  no_such_thing: 3\n", "unknown parameter 'no_such_thing'"),
        ("parameters:\n  officer_hourly_cost_eur: {value: 80}\n",
         "parameter 'officer_hourly_cost_eur': value 80 outside its distribution [30, 50]"),
        ("parameters:\n  officer_hourly_cost_eur: {distribution: {type: gamma}}\n",
         "parameter 'officer_hourly_cost_eur': distribution type must be one of"),
        ("parameters:\n  officer_hourly_cost_eur: {source: assumption, rationale: ''}\n",
         "parameter 'officer_hourly_cost_eur': an assumption needs a one-line rationale"),
        ("parameters:\n  officer_hourly_cost_eur: {value: cheap}\n",
         "parameter 'officer_hourly_cost_eur': expected a number, got 'cheap'"),
        ("parameters:\n  officer_hourly_cost_eur: {source: ''}\n",
         "parameter 'officer_hourly_cost_eur': empty source (give a reference or the word 'assumption')"),
        ("parameters:\n  officer_hourly_cost_eur: {price_year: null}\n",
         "parameter 'officer_hourly_cost_eur': a money amount needs a price_year"),
        ("settings:\n  colour: blue\n", "unknown setting 'colour'"),
        ("settings:\n  channels: {magic: true}\n", "unknown channel 'magic'"),
        ("settings:\n  discount_rate: martian\n", "unknown rate 'martian'"),
        ("parameters: [1, 2\n", "not valid YAML at line"),
        ("- just\n- a list\n", "expected a mapping at the top level"),
    ],
)
def test_malformed_user_file_fails_with_one_line_naming_file_and_parameter(tmp_path, text, expected):
    user = tmp_path / "bad.yaml"
    user.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as error:
        load_parameters(user)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(str(user)) or message.startswith(f"swps_pipeline/economics/parameters.yaml + {user}")
    assert expected in message


def test_missing_file_and_unknown_run_config_parameter(tmp_path):
    with pytest.raises(ParameterError, match=r"absent\.yaml: cannot read the parameter file"):
        load_parameters(tmp_path / "absent.yaml")
    with pytest.raises(ParameterError, match=r"^run config: unknown parameter 'speed'$"):
        load_parameters(overrides={"parameters": {"speed": 1}})


def test_quantiles_follow_the_documented_conventions():
    triangular = Distribution("triangular", 0.0, 0.30)
    # Below the mode F(x) = x² / ((b - a)(c - a)): the 10th percentile is sqrt(0.1 × 0.3 × 0.1).
    assert triangular.quantile(0.10, 0.10) == pytest.approx(math.sqrt(0.003))
    lognormal = Distribution("lognormal", 8_000, 40_000)
    # Median = value; sigma from the width of the 90 % interval: p95 = median × sqrt(high / low).
    assert lognormal.quantile(16_000, 0.5) == pytest.approx(16_000)
    assert lognormal.quantile(16_000, 0.95) == pytest.approx(16_000 * math.sqrt(5))
    assert Distribution("uniform", 0.3, 0.7).quantile(0.5, 0.9) == pytest.approx(0.66)
    assert Distribution("fixed").quantile(1.2, 0.1) == 1.2


def test_sampled_means_match_the_distributions():
    rng = np.random.default_rng(7)
    n = 200_000
    assert Distribution("pert", 1, 4).sample(2, rng, n).mean() == pytest.approx((1 + 4 * 2 + 4) / 6, rel=0.01)
    assert Distribution("triangular", 30, 50).sample(38, rng, n).mean() == pytest.approx(118 / 3, rel=0.01)
    draws = Distribution("lognormal", 8_000, 40_000).sample(16_000, rng, n)
    assert np.median(draws) == pytest.approx(16_000, rel=0.01)
    assert Distribution("fixed").sample(1.2, rng, 3).tolist() == [1.2, 1.2, 1.2]
