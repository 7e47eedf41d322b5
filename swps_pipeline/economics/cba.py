"""Probabilistic cost-benefit model: Monte Carlo over the parameter file's distributions.

The net present value is linear in the activity counts and the cost figures,
so the scope's data are reduced once to discounted totals; each draw is then a
few array products (no loop over draws), and the break-even relative reduction
of repeat victimisation has a closed form.

Timing: every flow of a year is discounted as if at the start of that year,
t = year - first year of the scope (the first year is not discounted). Costs
and police time saved fall in the year of the cases; the harm averted by one
year's cases (repeat victimisation, reoffending) is spread evenly over
`benefit_horizon_years` years starting that year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from swps_pipeline.economics.costs import NATIONAL_ENTITY
from swps_pipeline.economics.parameters import CHANNELS, Parameters

SENSITIVITY_QUANTILES = (0.10, 0.90)
NPV_PERCENTILES = (5, 50, 95)
#: Activity count feeding each benefit channel, and whether its benefit is spread over the horizon.
CHANNEL_COUNTS = {
    "police_time": ("new_cases", False),
    "repeat_victimisation": ("cases_victim", True),
    "perpetrator_programmes": ("orient_perpetrator_programme", True),
    "child_protection": ("child_in_danger_reports", False),
}
_COST_PARTS = {"reported": None, "default": "default_cost_per_fte_year_eur", "office": "office_cost_per_fte_year_eur"}


@dataclass(frozen=True)
class CbaScope:
    """What the analysis covers: the nation or one département, over a range of years (None = all)."""

    department_code: str | None = None
    first_year: int | None = None
    last_year: int | None = None

    @property
    def level(self) -> str:
        return "national" if self.department_code is None else "department"

    @property
    def entity(self) -> str:
        return NATIONAL_ENTITY if self.department_code is None else self.department_code


@dataclass(frozen=True)
class CostBenefitResult:
    cba_summary: pd.DataFrame
    cba_channels: pd.DataFrame
    cba_sensitivity: pd.DataFrame
    cba_scenarios: pd.DataFrame
    npv_draws: np.ndarray
    npv_central: float

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "cba_summary": self.cba_summary,
            "cba_channels": self.cba_channels,
            "cba_sensitivity": self.cba_sensitivity,
            "cba_scenarios": self.cba_scenarios,
        }


@dataclass(frozen=True)
class _Flows:
    """The scope's activity and costs, each summed over years with its discount factor."""

    counts: dict[str, float]      # channel -> discounted count
    costs: dict[str, float]       # reported / default / office -> discounted cost (EUR)
    central_rates: dict[str, float]  # cost part -> the central rate the cost table used
    first_year: int
    last_year: int
    positions_covered: int
    position_years_covered: int


def run_cost_benefit(
    cost_position_year: pd.DataFrame,
    position_year: pd.DataFrame,
    params: Parameters,
    scope: CbaScope = CbaScope(),
    n_draws: int | None = None,
    seed: int | None = None,
) -> CostBenefitResult:
    """The Monte Carlo cost-benefit analysis of one scope (tables + the NPV draws).

    `cost_position_year` must come from `build_cost_tables` with the same `params`.
    Cost and activity are matched on the positions with a valid return.
    """
    settings = params.settings
    n_draws = settings.n_draws if n_draws is None else n_draws
    seed = settings.seed if seed is None else seed
    flows = _scope_flows(cost_position_year, position_year, params, scope)

    central = _present_values(params.central_values(), flows, params)
    rng = np.random.default_rng(seed)
    draws = _present_values({name: p.sample(rng, n_draws) for name, p in params.parameters.items()}, flows, params)
    npv = draws["npv"]

    described = {
        "scope_level": scope.level, "scope_entity": scope.entity,
        "first_year": flows.first_year, "last_year": flows.last_year,
        "discount_rate_name": settings.discount_rate.name, "discount_rate": settings.discount_rate.value,
    }
    p5, p50, p95 = np.percentile(npv, NPV_PERCENTILES)
    mean_costs = float(draws["costs"].mean())
    summary = pd.DataFrame([{
        **described,
        "benefit_horizon_years": settings.benefit_horizon_years,
        "channels": ",".join(settings.enabled_channels),
        "positions_covered": flows.positions_covered,
        "position_years_covered": flows.position_years_covered,
        "n_draws": n_draws,
        "seed": seed,
        "pv_costs_central_eur": float(central["costs"]),
        "pv_benefits_central_eur": float(central["benefits"]),
        "npv_central_eur": float(central["npv"]),
        "pv_costs_mean_eur": mean_costs,
        "pv_benefits_mean_eur": float(draws["benefits"].mean()),
        "npv_mean_eur": float(npv.mean()),
        "npv_p5_eur": p5,
        "npv_p50_eur": p50,
        "npv_p95_eur": p95,
        "benefit_cost_ratio": float(draws["benefits"].mean()) / mean_costs if mean_costs > 0 else np.nan,
        # Central parameters (modes) give a different ratio from the Monte Carlo means: both are shown.
        "benefit_cost_ratio_central": float(central["benefits"]) / float(central["costs"])
        if float(central["costs"]) > 0 else np.nan,
        "probability_npv_positive": float((npv > 0).mean()),
        "break_even_relative_reduction": break_even_relative_reduction(flows, params),
    }])
    channels = pd.DataFrame([{
        **described,
        "channel": channel,
        "enabled": settings.channels[channel],
        "pv_central_eur": float(central[channel]),
        "pv_mean_eur": float(draws[channel].mean()),
        "pv_p5_eur": float(np.percentile(draws[channel], 5)),
        "pv_p95_eur": float(np.percentile(draws[channel], 95)),
    } for channel in CHANNELS])
    return CostBenefitResult(
        cba_summary=summary,
        cba_channels=channels,
        cba_sensitivity=_sensitivity(flows, params, float(central["npv"]), described),
        cba_scenarios=_scenarios(flows, params, described),
        npv_draws=npv,
        npv_central=float(central["npv"]),
    )


def _discount_factors(years: np.ndarray, first_year: int, params: Parameters) -> tuple[np.ndarray, np.ndarray]:
    """Per year: the factor of a flow in that year, and of a flow spread over the benefit horizon from it."""
    rate = params.settings.discount_rate.value
    t = (years - first_year).astype(float)
    lags = np.arange(params.settings.benefit_horizon_years, dtype=float)
    immediate = (1 + rate) ** -t
    spread = ((1 + rate) ** -(t[:, None] + lags[None, :])).mean(axis=1)
    return immediate, spread


def _scope_flows(
    cost_position_year: pd.DataFrame, position_year: pd.DataFrame, params: Parameters, scope: CbaScope
) -> _Flows:
    counts = [count for count, _ in CHANNEL_COUNTS.values()]
    activity = position_year.loc[position_year["has_return"].astype(bool), ["position_id", "year", *counts]]
    costed = cost_position_year.loc[
        cost_position_year["cost_eur"].notna(),
        ["position_id", "department_code", "year", "cost_source", "cost_eur", "police_office_cost_eur"],
    ]
    data = costed.merge(activity.astype({"year": int}), on=["position_id", "year"], how="inner")
    if scope.department_code is not None:
        data = data[data["department_code"] == scope.department_code]
    first = int(data["year"].min()) if scope.first_year is None and len(data) else scope.first_year
    last = int(data["year"].max()) if scope.last_year is None and len(data) else scope.last_year
    if first is not None:
        data = data[data["year"] >= first]
    if last is not None:
        data = data[data["year"] <= last]
    if data.empty:
        raise ValueError(
            f"no position with a valid return and a cost in scope {scope.entity} {scope.first_year}-{scope.last_year}"
        )

    immediate, spread = _discount_factors(data["year"].to_numpy(), first, params)
    discounted = {
        channel: float((data[count].astype(float).fillna(0).to_numpy() * (spread if spreads else immediate)).sum())
        for channel, (count, spreads) in CHANNEL_COUNTS.items()
    }
    reported = (data["cost_source"] == "reported").to_numpy()
    cost = data["cost_eur"].to_numpy(dtype=float)
    office = data["police_office_cost_eur"].to_numpy(dtype=float)
    costs = {
        "reported": float((np.where(reported, cost, 0.0) * immediate).sum()),
        "default": float((np.where(reported, 0.0, cost) * immediate).sum()),
        "office": float((office * immediate).sum()),
    }
    return _Flows(
        counts=discounted,
        costs=costs,
        central_rates={part: params.central(name) for part, name in _COST_PARTS.items() if name},
        first_year=first,
        last_year=last,
        positions_covered=int(data["position_id"].nunique()),
        position_years_covered=len(data),
    )


def _present_values(values: Mapping[str, np.ndarray | float], flows: _Flows, params: Parameters) -> dict[str, np.ndarray]:
    """Present value of each benefit channel (0 when off), of the weighted costs, and the NPV.

    `values` maps every parameter to a number or to an array of draws (broadcast).
    """
    v, n = values, flows.counts
    benefit = {
        "police_time": n["police_time"] * v["officer_hours_per_new_case"] * v["officer_hourly_cost_eur"],
        "repeat_victimisation": n["repeat_victimisation"] * _victim_harm_per_reduction(v)
        * v["relative_reduction_repeat_victimisation"],
        "perpetrator_programmes": n["perpetrator_programmes"] * v["perpetrator_programme_uptake"]
        * v["baseline_reoffending_probability"] * v["reoffending_reduction"] * v["unit_cost_dv_victimisation_eur"],
        "child_protection": n["child_protection"] * v["value_per_child_in_danger_report_eur"],
    }
    pv = {c: np.asarray(benefit[c], dtype=float) * params.settings.channels[c] for c in CHANNELS}
    pv["benefits"] = sum(pv[c] for c in CHANNELS)
    pv["costs"] = _weighted_costs(v, flows)
    pv["npv"] = pv["benefits"] - pv["costs"]
    return pv


def _victim_harm_per_reduction(v: Mapping[str, np.ndarray | float]) -> np.ndarray | float:
    """Harm averted per supported victim per unit of relative reduction: baseline repeat × unit cost."""
    return v["baseline_repeat_probability"] * v["unit_cost_dv_victimisation_eur"]


def _weighted_costs(v: Mapping[str, np.ndarray | float], flows: _Flows) -> np.ndarray:
    """Position costs weighted by the opportunity cost of public funds (all are public funds).

    Default-rate and office costs scale with the drawn rate relative to the
    central rate the cost table used; reported costs are data and stay fixed.
    """
    total = flows.costs["reported"]
    for part, name in _COST_PARTS.items():
        if name:
            central = flows.central_rates[part]
            total = total + flows.costs[part] * (np.asarray(v[name]) / central if central else 1.0)
    return np.asarray(total * v["opportunity_cost_public_funds"], dtype=float)


def break_even_relative_reduction(flows: _Flows, params: Parameters) -> float:
    """The relative reduction of repeat victimisation at which the central NPV is zero.

    NPV = other benefits + reduction × (victims × baseline × unit cost) − costs, linear in
    the reduction. NaN when the channel is off or the scope has no victim cases.
    """
    if not params.settings.channels["repeat_victimisation"]:
        return float("nan")
    central = params.central_values()
    slope = flows.counts["repeat_victimisation"] * _victim_harm_per_reduction(central)
    pv = _present_values(central, flows, params)
    other = float(pv["benefits"] - pv["repeat_victimisation"])
    return (float(pv["costs"]) - other) / slope if slope > 0 else float("nan")


def _sensitivity(flows: _Flows, params: Parameters, npv_central: float, described: dict) -> pd.DataFrame:
    """One-way sensitivity (tornado): each parameter at its p10 and p90, the others central.

    Parameters that do not move the NPV in this run (fixed, or feeding a channel
    that is off) are left out. Sorted by swing, largest first.
    """
    central = params.central_values()
    rows = []
    for name, parameter in params.parameters.items():
        low, high = (parameter.quantile(q) for q in SENSITIVITY_QUANTILES)
        npv_low, npv_high = (float(_present_values({**central, name: x}, flows, params)["npv"]) for x in (low, high))
        if npv_low == npv_high:
            continue
        rows.append({
            **described, "parameter": name, "unit": parameter.unit, "central_value": parameter.value,
            "low_value": low, "high_value": high, "npv_central_eur": npv_central,
            "npv_low_eur": npv_low, "npv_high_eur": npv_high, "swing_eur": abs(npv_high - npv_low),
        })
    columns = [*described, "parameter", "unit", "central_value", "low_value", "high_value",
               "npv_central_eur", "npv_low_eur", "npv_high_eur", "swing_eur"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("swing_eur", ascending=False, ignore_index=True)


def _scenarios(flows: _Flows, params: Parameters, described: dict) -> pd.DataFrame:
    """Deterministic NPV of each scenario of the parameter file (its values, the others central)."""
    rows = []
    for scenario in params.scenarios.values():
        pv = _present_values({**params.central_values(), **scenario.values}, flows, params)
        costs = float(pv["costs"])
        rows.append({
            **described, "scenario": scenario.name, "description": scenario.description,
            "pv_costs_eur": costs, "pv_benefits_eur": float(pv["benefits"]), "npv_eur": float(pv["npv"]),
            "benefit_cost_ratio": float(pv["benefits"]) / costs if costs > 0 else np.nan,
        })
    columns = [*described, "scenario", "description", "pv_costs_eur", "pv_benefits_eur", "npv_eur",
               "benefit_cost_ratio"]
    return pd.DataFrame(rows, columns=columns)
