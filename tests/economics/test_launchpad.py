"""The economics asset run through Dagster with Launchpad run config: channels, parameters, side-by-side effects."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.defs.economics import DiscountRateName, EconomicsConfig, ParameterName, economic_model
from swps_pipeline.defs.resources import PipelineSettings

IMPACT = pd.DataFrame({"model": ["callaway_santanna"], "term": ["att_overall"], "estimate": [-0.05],
                       "std_error": [0.02]})


@pytest.fixture
def upstream(cba_panel):
    """The three inputs of the economics asset, as assets of the same run."""
    panel, registry = cba_panel

    @dg.asset(name="position_year")
    def position_year_asset() -> pd.DataFrame:
        return panel

    @dg.asset(name="positions_registry")
    def registry_asset() -> pd.DataFrame:
        return registry

    @dg.asset(name="impact_estimates")
    def impact_asset() -> pd.DataFrame:
        return IMPACT

    return [position_year_asset, registry_asset, impact_asset]


@pytest.fixture
def materialise(upstream, tmp_path):
    """Run the asset with a run config, on a test instance that lives as long as the test reads the result."""
    settings = PipelineSettings(data_dir=str(tmp_path), output_dir=str(tmp_path / "output"))
    with dg.instance_for_test() as instance:
        def run(config: dict) -> dg.ExecuteInProcessResult:
            run_config = {"ops": {"economic_model": {"config": {"n_draws": 500, **config}}}}
            return dg.materialize([*upstream, economic_model], run_config=run_config, instance=instance,
                                  resources={"settings": settings}, raise_on_error=False)
        yield run


def test_channels_and_parameters_are_overridden_from_the_run_config(materialise):
    result = materialise({
        "channels": {"child_protection": False, "emergency_housing": False},
        "parameters": [{"parameter": "opportunity_cost_public_funds", "value": 1.3}],
        "discount_rate": "zero",
    })
    assert result.success
    summary = result.output_for_node("economic_model", "cba_summary")
    headline = summary[summary["headline"]].iloc[0]
    assert headline["channels"] == "police_time,repeat_victimisation,perpetrator_programmes,office_costs"
    assert (headline["discount_rate_name"], headline["effect_source"]) == ("zero", "literature")
    channels = result.output_for_node("economic_model", "cba_channels")
    whole = channels[(channels["first_year"] == 2021) & (channels["last_year"] == 2022)
                     & (channels["effect_source"] == "literature")].set_index(["channel", "kind"])
    assert whole.loc[("child_protection", "cost"), "pv_mean_eur"] == 0.0
    assert not whole.loc[("child_protection", "cost"), "enabled"]
    sensitivity = result.output_for_node("economic_model", "cba_sensitivity").set_index("parameter")
    assert sensitivity.loc["opportunity_cost_public_funds", "mean_value"].unique().tolist() == [1.3]
    # the impact estimate is shown beside the literature prior for the whole period
    whole_rows = summary[(summary["first_year"] == 2021) & (summary["last_year"] == 2022)]
    assert sorted(whole_rows["effect_source"]) == ["impact_estimate", "literature"]


def test_the_impact_estimate_can_be_the_headline(materialise):
    result = materialise({"effect_source": "impact_estimate"})
    summary = result.output_for_node("economic_model", "cba_summary")
    assert summary.loc[summary["headline"], "effect_source"].tolist() == ["impact_estimate"]
    assert (summary["effect_source"] == "literature").sum() == 1  # the whole period, beside it


def test_a_bad_override_fails_the_run_with_one_line(materialise):
    result = materialise({"parameters": [{"parameter": "decay_rate", "value": 5.0}]})
    assert not result.success
    (failure,) = [event for event in result.all_events if event.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert message == ("swps_pipeline/economics/parameters.yaml + run config: parameter 'decay_rate': "
                       "value 5 outside its plausible range [0, 1]")


def test_the_launchpad_offers_names_and_shows_defaults():
    assert {member.value for member in DiscountRateName} >= {"france_2021", "quinet_2013", "zero"}
    assert "persistence_years" in {member.value for member in ParameterName}
    fields = EconomicsConfig.model_fields
    assert "Packaged default: france_2021" in fields["discount_rate"].description
    channel_fields = fields["channels"].annotation.model_fields
    assert "Packaged default: on" in channel_fields["office_costs"].description
    assert EconomicsConfig().overrides() == {}


def test_a_what_if_launched_on_some_years_only_stops_with_the_reason(upstream, cba_panel, tmp_path):
    """From the UI a what-if can be launched on one year's partition: its own per-year tables would then hold
    that year alone, and its costs and CBA would cover it alone. The step stops and says why."""
    years = sorted(int(year) for year in cba_panel[0]["year"].unique())
    for year in [*years, years[-1] + 1]:  # a year folder the panel does not cover
        (tmp_path / "returns" / str(year)).mkdir(parents=True)
    settings = PipelineSettings(data_dir=str(tmp_path), output_dir=str(tmp_path / "output"))
    with dg.instance_for_test() as instance:
        result = dg.materialize([*upstream, economic_model], instance=instance, resources={"settings": settings},
                                tags={"swps/scenario": "one-year"}, raise_on_error=False)
        failure = next(event for event in result.all_events if event.is_step_failure)
    assert not result.success
    assert failure.step_failure_data.user_failure_data.description == (
        f"what-if run 'one-year' covers only some years (no {years[-1] + 1}): a what-if recomputes every year; "
        "launch it on all the years' partitions (Materialize all)")
