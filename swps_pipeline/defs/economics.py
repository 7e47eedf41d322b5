"""Cost per position, per case and the probabilistic cost-benefit model, with their charts."""


from enum import Enum
from functools import partial
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from swps_pipeline import economics
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, table_metadata
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.figures import draw_meanwhile
from swps_pipeline.panel.tables import POSITION_YEAR_DTYPES
from swps_pipeline.publish.currency import profile_money
from swps_pipeline.publish.stored import loaded_columns
from swps_pipeline.reuse import reused
from swps_pipeline.economics.parameters import CHANNELS, DISTRIBUTIONS, EFFECT_SOURCES
from swps_pipeline.economics.costs import POSITION_YEAR_INPUTS

ECONOMICS_TABLES = {
    "cost_position_year": "Cost of each position-year (reported, else 52,500 € per FTE-year × fte × months/12), "
    "State refund (80/50/30 % over the first 36 months, month by month), local share and employer type. "
    "Grain: (position_id, year).",
    "cost_department_year": "Costs, refunds and local shares summed by département and year. "
    "Grain: (department_code, year) with a position.",
    "cost_national_year": "Costs, refunds and local shares summed by year. Grain: one row per year.",
    "cost_per_case": "Cost per new case, person received, action and domestic-violence case, cost and activity "
    "matched on the same positions. Grain: (level, entity, year).",
    "cba_summary": "Monte Carlo cost-benefit, expected values first: mean costs, benefits and NPV, p5/p50/p95, "
    "benefit-cost ratio, probability NPV > 0, NPV per position-year, per person received and per public euro, "
    "break-even; base year and price year on every row; `headline` marks the row to quote. "
    "Grain: scope × effect source.",
    "cba_channels": "Present value of each benefit and cost item (channels, position costs, deadweight). "
    "Grain: scope × channel × kind.",
    "cba_perspectives": "Who gains and who pays: State, local authorities, associations, victims and children, rest "
    "of society; rows add up to the scope's NPV. Grain: scope × perspective.",
    "cba_sensitivity": "One-way sensitivity (tornado): each parameter at its p10 and p90, the others at their means. "
    "Grain: scope × parameter.",
    "cba_scenarios": "Conservative / central / optimistic: the simulated cases at the 10th / 50th / 90th percentile "
    "of the NPV. Grain: scope × scenario.",
    "cba_npv_draws": "The Monte Carlo NPV draws of the headline scope (for the distribution chart). "
    "Grain: one row per draw.",
}

_PACKAGED = economics.load_parameters()
#: Launchpad drop-downs: the names the packaged parameter file knows.
DiscountRateName = Enum("DiscountRateName", {name: name for name in _PACKAGED.discount_rates})
ParameterName = Enum("ParameterName", {name: name for name in _PACKAGED.parameters})
DistributionType = Enum("DistributionType", {name: name for name in DISTRIBUTIONS})
EffectSource = Enum("EffectSource", {name: name for name in EFFECT_SOURCES})


def _packaged_default(channel: str) -> str:
    return "on" if _PACKAGED.settings.channels[channel] else "off"


class ChannelSwitches(dg.Config):
    """Switch a benefit or cost channel on or off; empty keeps the parameter file's choice."""

    police_time: bool | None = Field(
        None, description=f"Benefit: officer time saved. Packaged default: {_packaged_default('police_time')}.")
    repeat_victimisation: bool | None = Field(
        None, description="Benefit: averted repeat domestic violence among supported victims. Packaged default: "
        f"{_packaged_default('repeat_victimisation')}.")
    perpetrator_programmes: bool | None = Field(
        None, description="Benefit (averted reoffending) and cost (programmes) of orientations of perpetrators. "
        f"Packaged default: {_packaged_default('perpetrator_programmes')}.")
    office_costs: bool | None = Field(
        None, description="Cost: offices provided in kind by police and gendarmerie. Packaged default: "
        f"{_packaged_default('office_costs')}.")
    emergency_housing: bool | None = Field(
        None, description="Cost: emergency-housing nights after an orientation. Packaged default: "
        f"{_packaged_default('emergency_housing')}.")
    child_protection: bool | None = Field(
        None, description="Cost: child-protection measures after a report of a child in danger. Packaged default: "
        f"{_packaged_default('child_protection')}.")


class ParameterOverride(dg.Config):
    """New value (the mean) and, optionally, a new distribution for one parameter of parameters.yaml."""

    parameter: ParameterName = Field(description="The parameter id, as in economics/parameters.yaml.")
    value: float | None = Field(None, description="Its mean; alone, it carries the distribution with it.")
    distribution: DistributionType | None = Field(None, description="A new distribution type (give low and high).")
    low: float | None = Field(None, description="Lower bound (5th percentile for normal and lognormal).")
    high: float | None = Field(None, description="Upper bound (95th percentile for normal and lognormal).")

    def entry(self) -> dict:
        entry: dict = {} if self.value is None else {"value": self.value}
        if self.distribution is not None:
            entry["distribution"] = {"type": self.distribution.value}
            entry["distribution"] |= {k: v for k, v in (("low", self.low), ("high", self.high)) if v is not None}
        return entry


class EconomicsConfig(dg.Config):
    """Launchpad overrides of `economics/parameters.yaml`; an empty field keeps the file's value."""

    parameters_file: str | None = Field(None, description="A YAML file overriding economics/parameters.yaml.")
    discount_rate: DiscountRateName | None = Field(
        None, description=f"A named discount rate. Packaged default: {_PACKAGED.settings.discount_rate.name}.")
    discount_rate_value: float | None = Field(
        None, description="A real discount rate as a number (0 to 0.15), instead of a name.")
    base_year: int | None = Field(None, description="Year flows are discounted to. Default: first year of the data.")
    price_year: int | None = Field(
        None, description=f"Euros of this year in every output. Packaged default: {_PACKAGED.settings.price_year}.")
    n_draws: int | None = Field(None, description=f"Monte Carlo draws. Packaged default: {_PACKAGED.settings.n_draws}.")
    seed: int | None = Field(None, description=f"Random seed (>= 0). Packaged default: {_PACKAGED.settings.seed}.")
    effect_source: EffectSource | None = Field(
        None, description="literature: the prior of parameters.yaml; impact_estimate: the impact_estimates mart. "
        f"Packaged default: {_PACKAGED.settings.effect_source}.")
    impact_model: str | None = Field(
        None, description=f"Model of impact_estimates to use. Packaged default: {_PACKAGED.settings.impact_model}.")
    channels: ChannelSwitches = Field(default_factory=ChannelSwitches, description="Benefit and cost channels.")
    parameters: list[ParameterOverride] = Field(default_factory=list, description="Parameter overrides.")

    def overrides(self) -> dict:
        """The overrides in the parameter file's layout (only what was set)."""
        rate = self.discount_rate.value if self.discount_rate is not None else self.discount_rate_value
        settings = {
            key: value
            for key, value in {
                "discount_rate": rate, "base_year": self.base_year, "price_year": self.price_year,
                "n_draws": self.n_draws, "seed": self.seed, "impact_model": self.impact_model,
                "effect_source": self.effect_source.value if self.effect_source is not None else None,
            }.items()
            if value is not None
        }
        switches = {c: getattr(self.channels, c) for c in CHANNELS if getattr(self.channels, c) is not None}
        if switches:
            settings["channels"] = switches
        overrides: dict = {"settings": settings} if settings else {}
        if self.parameters:
            overrides["parameters"] = {o.parameter.value: o.entry() for o in self.parameters}
        return overrides


@dg.multi_asset(
    outs={
        name: dg.AssetOut(group_name="economics", kinds=KINDS, owners=OWNERS,
                          description=f"{text} Source: panel + registry + economics/parameters.yaml (synthetic returns).")
        for name, text in ECONOMICS_TABLES.items()
    },
    ins={"position_year": dg.AssetIn(metadata=loaded_columns(
             POSITION_YEAR_DTYPES, {*POSITION_YEAR_INPUTS, *economics.ACTIVITY_INPUTS})),
         "positions_registry": dg.AssetIn(), "impact_estimates": dg.AssetIn()},
)
def economic_model(context: dg.AssetExecutionContext, config: EconomicsConfig, settings: PipelineSettings,
                   position_year: pd.DataFrame, positions_registry: pd.DataFrame, impact_estimates: pd.DataFrame):
    """Costs first, then the cost-benefit model on exactly those costs (reused from an earlier run when the
    inputs, the parameters and the code are the same, each scope of the model apart: `swps_pipeline/reuse.py`)."""
    from swps_pipeline.defs.scenario import require_every_year  # here: it imports this module's config

    require_every_year(context, position_year, settings.paths.returns_years())
    reuse = partial(reused, settings.paths.output_dir)
    try:
        params = economics.load_parameters(
            Path(config.parameters_file) if config.parameters_file else None, config.overrides()
        )
        costs = reuse(economics.build_cost_tables)(position_year[POSITION_YEAR_INPUTS], positions_registry, params)
        cba, headline, years, notes = economics.cost_benefit_tables(costs, position_year, impact_estimates, params,
                                                                    reuse)
    except economics.ParameterError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    for note in notes:
        context.log.warning(note)
    cba["cba_npv_draws"] = pd.DataFrame({"draw": range(len(headline.npv_draws)), "npv_eur": headline.npv_draws})
    period, unit = f"national {years[0]}–{years[-1]}", profile_money().millions
    tables = {**costs, **cba}
    # The two charts are drawn in the run's chart worker while this process stores the tables without a chart;
    # the two with one come last (issue 17: the drawing, and Matplotlib's import, took 1–2 s here).
    with (draw_meanwhile(reuse, economics.npv_distribution_png, headline.npv_draws, headline.npv_at_means,
                         title=f"NPV, {period}", unit=unit) as npv_png,
          draw_meanwhile(reuse, economics.tornado_png, headline.cba_sensitivity, unit=unit) as tornado_png):
        for name in [name for name in tables if name not in CHARTED]:
            yield _output(name, tables[name])
        yield _output("cba_summary", tables["cba_summary"],
                      {"NPV distribution": chart(npv_png.result(), f"NPV distribution, {period} (Monte Carlo)")})
        yield _output("cba_sensitivity", tables["cba_sensitivity"],
                      {"tornado": chart(tornado_png.result(), "One-way sensitivity of the NPV (tornado)")})


#: The tables whose metadata show a chart (`economic_model` yields them last).
CHARTED = ("cba_summary", "cba_sensitivity")


def _output(name: str, table: pd.DataFrame, charts: dict | None = None) -> dg.Output:
    rows = 50 if name.startswith("cba") or name == "cost_national_year" else 10
    return dg.Output(table, output_name=name, metadata={**table_metadata(table, rows), **(charts or {})})


ASSETS = [economic_model]
