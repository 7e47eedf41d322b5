"""Cost per position, per case and the probabilistic cost-benefit model, with their charts."""


from pathlib import Path

import dagster as dg
import pandas as pd

from swps_pipeline import economics
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, table_metadata

ECONOMICS_TABLES = {
    "cost_position_year": "Cost of each position-year (reported, else 52,500 € per FTE-year × fte × months/12), "
    "State refund (80/50/30 % over the first 36 months, month by month) and local share. Grain: (position_id, year).",
    "cost_department_year": "Costs, refunds and local shares summed by département and year. "
    "Grain: (department_code, year) with a position.",
    "cost_national_year": "Costs, refunds and local shares summed by year. Grain: one row per year.",
    "cost_per_case": "Cost per new case, person received, action and domestic-violence case, cost and activity "
    "matched on the same positions. Grain: (level, entity, year).",
    "cba_summary": "Monte Carlo cost-benefit: costs, benefits, NPV mean/p5/p50/p95, benefit-cost ratio, probability "
    "NPV > 0, break-even reduction of repeat victimisation. Grain: scope × discount rate.",
    "cba_channels": "Present value of each benefit channel. Grain: scope × channel.",
    "cba_sensitivity": "One-way sensitivity (tornado): each parameter at its p10 and p90. Grain: scope × parameter.",
    "cba_scenarios": "Conservative / central / optimistic scenarios of the parameter file. Grain: scope × scenario.",
    "cba_npv_draws": "The Monte Carlo NPV draws of the whole-period national scope (for the distribution chart). "
    "Grain: one row per draw.",
}


class EconomicsConfig(dg.Config):
    """Launchpad overrides of `economics/parameters.yaml` (the same keys as the file)."""

    parameters_file: str | None = None
    discount_rate: str | None = None
    benefit_horizon_years: int | None = None
    n_draws: int | None = None
    seed: int | None = None
    channels: list[str] | None = None
    central_values: dict[str, float] = {}

    def overrides(self) -> dict:
        settings = {
            key: value
            for key, value in {
                "discount_rate": self.discount_rate,
                "benefit_horizon_years": self.benefit_horizon_years,
                "n_draws": self.n_draws,
                "seed": self.seed,
                "channels": self.channels,
            }.items()
            if value is not None
        }
        return {"settings": settings, "parameters": {name: {"value": v} for name, v in self.central_values.items()}}


def _scopes(years: list[int]) -> list[economics.CbaScope]:
    """The whole period, then each year, nationally."""
    return [economics.CbaScope(first_year=years[0], last_year=years[-1])] + [
        economics.CbaScope(first_year=year, last_year=year) for year in years
    ]


@dg.multi_asset(
    outs={
        name: dg.AssetOut(group_name="economics", kinds=KINDS, owners=OWNERS,
                          description=f"{text} Source: panel + registry + economics/parameters.yaml (synthetic returns).")
        for name, text in ECONOMICS_TABLES.items()
    },
    ins={"position_year": dg.AssetIn(), "positions_registry": dg.AssetIn()},
)
def economic_model(config: EconomicsConfig, position_year: pd.DataFrame, positions_registry: pd.DataFrame):
    """Costs first, then the cost-benefit model on exactly those costs."""
    try:
        params = economics.load_parameters(
            Path(config.parameters_file) if config.parameters_file else None, config.overrides()
        )
    except economics.ParameterError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    costs = economics.build_cost_tables(position_year, positions_registry, params)
    years = sorted(int(y) for y in costs["cost_position_year"].dropna(subset=["cost_eur"])["year"].unique())
    results = [economics.run_cost_benefit(costs["cost_position_year"], position_year, params, scope=s)
               for s in _scopes(years)]
    cba = {name: pd.concat([r.tables()[name] for r in results], ignore_index=True)
           for name in ("cba_summary", "cba_channels", "cba_sensitivity", "cba_scenarios")}
    whole_period = results[0]
    cba["cba_npv_draws"] = pd.DataFrame({"draw": range(len(whole_period.npv_draws)), "npv_eur": whole_period.npv_draws})
    charts = {
        "cba_summary": {"NPV distribution": chart(
            economics.npv_distribution_png(whole_period.npv_draws, whole_period.npv_central,
                                           title=f"NPV, national {years[0]}–{years[-1]}"),
            f"NPV distribution, national {years[0]}–{years[-1]} (Monte Carlo)")},
        "cba_sensitivity": {"tornado": chart(
            economics.tornado_png(whole_period.cba_sensitivity), "One-way sensitivity of the NPV (tornado)")},
    }
    for name, table in {**costs, **cba}.items():
        rows = 50 if name.startswith("cba") or name == "cost_national_year" else 10
        yield dg.Output(table, output_name=name, metadata={**table_metadata(table, rows), **charts.get(name, {})})


ASSETS = [economic_model]
