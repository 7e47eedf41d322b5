"""Probabilistic cost-benefit model: Monte Carlo over the parameter file's distributions.

The headline is the expected value over the draws (WSIPP's practice): mean
costs, benefits and NPV, their ratio, the chance the NPV is positive and its
5th / 50th / 95th percentiles. Every parameter's value is its mean, so the
deterministic model "at means" differs from the Monte Carlo mean only through
the model's one non-linear term (persistence × decay) and Monte Carlo error.

Money: every amount is converted to euros of the run's price year (the
country profile's price index; France: INSEE CPI): parameters from their own price year, reported
position costs from the year of the return. Time: every flow of a year is
discounted to the run's base year as if at the start of that year.

Flows are linear in the activity counts, so the scope's data are reduced once
to discounted totals by payer; each draw is then a few array products. An
averted victimisation is valued for one year of harm (the 12-month repeat),
then keeps being averted for `persistence_years` (the last year pro rata),
shrinking by `decay_rate` a year after the first.

Who gains and who pays (table `cba_perspectives`): the State pays the refund,
the office costs, perpetrator programmes and emergency housing, and gains the
police time and the public-service share of the averted harm; the employer's
side pays the position cost net of the refund: local authorities, or the
association's own funds when an association employs the position and the
registry names no local co-funder (`local_share_payer`); départements (local
authorities) pay child-protection measures; victims and their children gain
the harm share borne by them; the rest of society gains the lost output
averted and bears the deadweight cost of taxation, (opportunity cost of
public funds − 1) × the net cost to public bodies (State and local
authorities; associations' own funds bear none).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from swps_pipeline.assumptions import LOCAL_FUNDERS_FOR_PUBLIC_SHARE
from swps_pipeline.economics.charts import IMPACT_ESTIMATE_LABEL
from swps_pipeline.economics.costs import NATIONAL_ENTITY
from swps_pipeline.economics.parameters import Distribution, Parameter, ParameterError, Parameters, Z90
from swps_pipeline.parallel import parallel_map
from swps_pipeline.reuse import Reuse, compute_afresh

SENSITIVITY_QUANTILES = (0.10, 0.90)
NPV_PERCENTILES = (5, 50, 95)
#: Scenarios are quantiles of the simulated NPV (each row is the draw at that rank): never joint extremes.
SCENARIO_QUANTILES = {
    "conservative": (0.10, "The simulated case at the 10th percentile of the NPV (one draw of every parameter)."),
    "central": (0.50, "The simulated case at the median NPV."),
    "optimistic": (0.90, "The simulated case at the 90th percentile of the NPV."),
}
PERSPECTIVES = ("state", "local_authorities", "associations", "victims_and_children", "rest_of_society")
PUBLIC_PAYERS = ("state", "local_authorities")
#: Who can pay a position's cost net of the State refund (`local_share_payer`).
EMPLOYER_PAYERS = ("local_authorities", "associations")
#: The new cases police or gendarmerie referred: only they would otherwise have taken an officer's time (the
#: others came on the person's own initiative or from social services, justice, health, school, associations).
POLICE_REFERRALS = ("source_police", "source_gendarmerie")
#: Activity counts each channel reads. A position-year with a valid return that lacks one of the counts an
#: enabled channel reads is imputed or left out of both costs and benefits (never costed and credited with zero).
CHANNEL_COUNTS = {
    "police_time": ("new_cases", *POLICE_REFERRALS),
    "repeat_victimisation": ("cases_victim", "problem_domestic_violence", "new_cases", "ongoing_cases"),
    "perpetrator_programmes": ("orient_perpetrator_programme",),
    "office_costs": (),
    "emergency_housing": ("orient_emergency_housing",),
    "child_protection": ("child_in_danger_reports",),
}
#: Rows of `cba_channels`: (channel, kind). Position costs and deadweight cannot be switched off.
CHANNEL_ITEMS = (
    ("police_time", "benefit"), ("repeat_victimisation", "benefit"), ("perpetrator_programmes", "benefit"),
    ("position_costs", "cost"), ("office_costs", "cost"), ("perpetrator_programmes", "cost"),
    ("emergency_housing", "cost"), ("child_protection", "cost"), ("deadweight", "cost"),
)
IMPACT_TERM = "att_overall"
#: Tables that show the whole period with the other effect source beside the chosen one.
SIDE_BY_SIDE_TABLES = ("cba_summary", "cba_channels", "cba_perspectives")
REDUCTION = "relative_reduction_repeat_victimisation"


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
    cba_perspectives: pd.DataFrame
    cba_sensitivity: pd.DataFrame
    cba_scenarios: pd.DataFrame
    npv_draws: np.ndarray
    npv_at_means: float

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "cba_summary": self.cba_summary,
            "cba_channels": self.cba_channels,
            "cba_perspectives": self.cba_perspectives,
            "cba_sensitivity": self.cba_sensitivity,
            "cba_scenarios": self.cba_scenarios,
        }


@dataclass(frozen=True)
class _Flows:
    """The scope's activity and costs, each summed over position-years with its discount factor."""

    channels: dict[str, bool]             # the settings' channels, off where the scope has no data for them
    channels_without_data: tuple[str, ...]
    counts: dict[str, float]              # activity -> discounted count
    reported_costs: dict[str, float]      # payer -> discounted reported cost, in euros of the price year
    default_fte_years: dict[str, float]   # payer -> discounted FTE-years costed at the default rate
    fte_years_discounted: float           # all FTE-years, discounted (office costs)
    first_year: int
    last_year: int
    base_year: int
    positions_covered: int
    position_years_covered: int
    position_years_left_out: int
    position_years_imputed: int
    fte_years: float
    persons_received: float
    persons_received_discounted: float    # the denominator of the NPV per person received
    repeat_victims_at_risk: float         # domestic-violence victims (undiscounted), for the natural break-even


def run_cost_benefit(
    cost_position_year: pd.DataFrame,
    position_year: pd.DataFrame,
    params: Parameters,
    scope: CbaScope = CbaScope(),
    n_draws: int | None = None,
    seed: int | None = None,
    base_year: int | None = None,
    reuse: Reuse = compute_afresh,
) -> CostBenefitResult:
    """The Monte Carlo cost-benefit analysis of one scope (tables + the NPV draws).

    `cost_position_year` must come from `build_cost_tables` with the same `params`.
    Cost and activity are matched on the positions with a valid return. `base_year`
    (else the setting, else the scope's first year) is the year flows are discounted to.
    `reuse` wraps the simulation (`simulate_scope`), to keep its result across runs.
    """
    return _run_scope(costed_activity(cost_position_year, position_year), params, scope, n_draws, seed, base_year,
                      reuse, reuse(sensitivity_bounds)(params))


def _run_scope(data: pd.DataFrame, params: Parameters, scope: CbaScope, n_draws: int | None, seed: int | None,
               base_year: int | None, reuse: Reuse, bounds: Mapping[str, tuple[float, float]]) -> CostBenefitResult:
    """`run_cost_benefit` on `costed_activity`'s table, with the parameters' `sensitivity_bounds`."""
    settings = params.settings
    n_draws = settings.n_draws if n_draws is None else n_draws
    seed = settings.seed if seed is None else seed
    return reuse(simulate_scope)(_scope_flows(data, params, scope, base_year), params, scope, n_draws, seed, bounds)


def sensitivity_bounds(params: Parameters) -> dict[str, tuple[float, float]]:
    """Each parameter at the `SENSITIVITY_QUANTILES` of its distribution (the tornado's p10 and p90). They depend on
    the parameters, not on the data: kept across runs (`reuse`, keyed by the whole parameter set, settings
    included), a year's re-run finds them without importing SciPy's special functions (0.15-0.25 s), and the
    scopes simulated in forked processes are handed them."""
    return {name: (parameter.quantile(SENSITIVITY_QUANTILES[0]), parameter.quantile(SENSITIVITY_QUANTILES[1]))
            for name, parameter in params.parameters.items()}


def simulate_scope(flows: _Flows, params: Parameters, scope: CbaScope, n_draws: int, seed: int,
                   bounds: Mapping[str, tuple[float, float]]) -> CostBenefitResult:
    """The Monte Carlo draws and every table of one scope from its flows (`bounds`: `sensitivity_bounds(params)`).
    The flows are a few dozen totals: a scope whose position-years a correction left alone has the same flows,
    and its result is kept across runs by a key that costs next to nothing (issue 17)."""
    settings = params.settings
    at_means = _present_values(params.means(), flows, params)
    rng = np.random.default_rng(seed)
    draws = _present_values({name: p.sample(rng, n_draws) for name, p in params.parameters.items()}, flows, params)
    npv = draws["npv"]

    described = {
        "scope_level": scope.level, "scope_entity": scope.entity,
        "first_year": flows.first_year, "last_year": flows.last_year,
        "base_year": flows.base_year, "price_year": settings.price_year,
        "discount_rate_name": settings.discount_rate.name, "discount_rate": settings.discount_rate.value,
        "effect_source": settings.effect_source,
    }
    p5, p50, p95 = np.percentile(npv, NPV_PERCENTILES)
    mean = {key: float(np.mean(draws[key])) for key in ("costs", "benefits", "npv", "public_costs")}
    break_even = break_even_relative_reduction(flows, params)
    summary = pd.DataFrame([{
        **described,
        "channels": ",".join(c for c, on in flows.channels.items() if on),
        "channels_without_data": ",".join(flows.channels_without_data),
        "positions_covered": flows.positions_covered,
        "position_years_covered": flows.position_years_covered,
        "position_years_left_out": flows.position_years_left_out,
        "position_years_imputed": flows.position_years_imputed,
        "fte_years": flows.fte_years,
        "persons_received": flows.persons_received,
        "n_draws": n_draws,
        "seed": seed,
        "pv_costs_mean_eur": mean["costs"],
        "pv_benefits_mean_eur": mean["benefits"],
        "npv_mean_eur": mean["npv"],
        "npv_std_error_eur": float(np.std(npv, ddof=1) / math.sqrt(n_draws)) if n_draws > 1 else np.nan,
        "npv_p5_eur": p5,
        "npv_p50_eur": p50,
        "npv_p95_eur": p95,
        "benefit_cost_ratio_mean": benefit_cost_ratio(mean["benefits"], mean["costs"]),
        "benefit_cost_ratio": benefit_cost_ratio(mean["benefits"], mean["costs"]),
        "probability_npv_positive": float((npv > 0).mean()),
        # Per unit: the NPV is discounted, so are its denominators (a unit of a later year weighs less), and a
        # position-year is a full-time one (FTE-year), not a row of the panel.
        "npv_per_position_year_eur": _ratio(mean["npv"], flows.fte_years_discounted),
        "npv_per_person_received_eur": _ratio(mean["npv"], flows.persons_received_discounted),
        "pv_public_costs_mean_eur": mean["public_costs"],
        "npv_per_public_euro": _ratio(mean["npv"], mean["public_costs"]),
        "pv_costs_at_means_eur": float(at_means["costs"]),
        "pv_benefits_at_means_eur": float(at_means["benefits"]),
        "npv_at_means_eur": float(at_means["npv"]),
        "break_even_relative_reduction": break_even,
        "break_even_averted_victimisations_per_fte_year": break_even * flows.repeat_victims_at_risk
        * params.mean("baseline_repeat_probability") / flows.fte_years if flows.fte_years > 0 else np.nan,
    }])
    channels = pd.DataFrame([{
        **described,
        "channel": channel,
        "kind": kind,
        "enabled": flows.channels.get(channel, True),
        "pv_at_means_eur": float(at_means[f"{kind}:{channel}"]),
        "pv_mean_eur": float(np.mean(draws[f"{kind}:{channel}"])),
        "pv_p5_eur": float(np.percentile(draws[f"{kind}:{channel}"], 5)),
        "pv_p95_eur": float(np.percentile(draws[f"{kind}:{channel}"], 95)),
    } for channel, kind in CHANNEL_ITEMS])
    perspectives = pd.DataFrame([{
        **described,
        "perspective": who,
        "pv_benefits_mean_eur": float(np.mean(draws[f"benefits:{who}"])),
        "pv_costs_mean_eur": float(np.mean(draws[f"costs:{who}"])),
        "npv_mean_eur": float(np.mean(draws[f"npv:{who}"])),
        "npv_p5_eur": float(np.percentile(draws[f"npv:{who}"], 5)),
        "npv_p95_eur": float(np.percentile(draws[f"npv:{who}"], 95)),
        "npv_at_means_eur": float(at_means[f"npv:{who}"]),
    } for who in PERSPECTIVES])
    return CostBenefitResult(
        cba_summary=summary,
        cba_channels=channels,
        cba_perspectives=perspectives,
        cba_sensitivity=_sensitivity(flows, params, float(at_means["npv"]), described, bounds),
        cba_scenarios=_scenarios(draws, described),
        npv_draws=npv,
        npv_at_means=float(at_means["npv"]),
    )


def national_scopes(years: list[int]) -> list[CbaScope]:
    """The whole period, then each year, nationally."""
    return [CbaScope(first_year=years[0], last_year=years[-1])] + [CbaScope(first_year=y, last_year=y) for y in years]


def cost_benefit_tables(
    costs: dict[str, pd.DataFrame], position_year: pd.DataFrame, impact_estimates: pd.DataFrame, params: Parameters,
    reuse: Reuse = compute_afresh,
) -> tuple[dict[str, pd.DataFrame], CostBenefitResult, list[int], list[str]]:
    """Every national scope with the chosen effect source, and the whole period with the other source beside it.

    One base year for the run (the setting, else the first year of the data). Returns the tables
    (`headline` marks the whole-period row with the chosen source), the headline result, the
    years, and notes (why the side-by-side row is missing, when it is). `reuse` wraps each scope's
    simulation: a corrected year re-simulates its own scope and the whole period only.
    """
    years = sorted(int(y) for y in costs["cost_position_year"].dropna(subset=["cost_eur"])["year"].unique())
    literature = dataclasses.replace(params, settings=dataclasses.replace(params.settings, effect_source="literature"))
    chosen = with_impact_estimate(params, impact_estimates) if params.settings.effect_source == "impact_estimate" \
        else literature
    base_year = params.settings.base_year if params.settings.base_year is not None else years[0]
    scopes = national_scopes(years)
    data = costed_activity(costs["cost_position_year"], position_year)  # once for every scope
    try:
        other: Parameters | ParameterError = (
            literature if chosen is not literature else with_impact_estimate(params, impact_estimates))
    except ParameterError as error:
        other = error

    # The tornado's bounds of each set of parameters, computed here before the scopes are shared among forked
    # processes (each would import SciPy for them).
    chosen_bounds, other_bounds = (reuse(sensitivity_bounds)(parameters) if isinstance(parameters, Parameters) else {}
                                   for parameters in (chosen, other))

    def run(task: tuple[Parameters | ParameterError, Mapping[str, tuple[float, float]], CbaScope]
            ) -> CostBenefitResult | ParameterError:
        parameters, bounds, scope = task
        if isinstance(parameters, ParameterError):
            return parameters
        try:
            return _run_scope(data, parameters, scope, None, None, base_year, reuse, bounds)
        except ParameterError as error:
            if parameters is chosen:
                raise
            return error

    # The scopes are independent: shared among the cores (`parallel_map`; at 100x the bundled size, selecting
    # each scope's rows of 300,000 position-years took 2 s of the step on one core).
    *results, other_result = parallel_map(run, [*((chosen, chosen_bounds, scope) for scope in scopes),
                                                (other, other_bounds, scopes[0])])
    notes = []
    tables = {name: [r.tables()[name] for r in results] for name in results[0].tables()}
    if isinstance(other_result, ParameterError):
        notes.append(f"no impact-estimate comparison: {other_result}")
    else:
        for name in SIDE_BY_SIDE_TABLES:
            tables[name].insert(1, other_result.tables()[name])
    tables = {name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()}
    summary = tables["cba_summary"]
    summary.insert(0, "headline", summary.index == 0)
    return tables, results[0], years, notes


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else np.nan


def benefit_cost_ratio(benefits: float, costs: float) -> float:
    """Benefits per unit of cost, null (NaN) when the benefits are negative: a ratio is read as 'returned per euro
    spent', and a loss divided by a cost (−0.17) says nothing the NPV does not say better."""
    return _ratio(benefits, costs) if benefits >= 0 else np.nan


def with_impact_estimate(params: Parameters, impact_estimates: pd.DataFrame) -> Parameters:
    """The parameters with the relative reduction taken from the impact estimate instead of the prior.

    The chosen model's overall ATT is on log recorded crime: the relative reduction is
    1 − exp(estimate), drawn as a normal with the delta-method standard error exp(estimate) × se.
    Raises ParameterError when the mart has no usable row for the model.
    """
    model = params.settings.impact_model
    rows = impact_estimates[(impact_estimates["model"] == model) & (impact_estimates["term"] == IMPACT_TERM)]
    if rows.empty or rows[["estimate", "std_error"]].isna().any(axis=None):
        known = sorted(impact_estimates.loc[impact_estimates["term"] == IMPACT_TERM, "model"].unique())
        raise ParameterError(f"setting 'impact_model': no {IMPACT_TERM} estimate with a standard error for "
                             f"'{model}' in impact_estimates (known: {known})")
    estimate, std_error = float(rows["estimate"].iloc[0]), float(rows["std_error"].iloc[0])
    mean, sigma = 1 - math.exp(estimate), math.exp(estimate) * std_error
    prior = params.parameters[REDUCTION]
    drawn = Parameter(
        REDUCTION, IMPACT_ESTIMATE_LABEL.format(label=prior.label), mean, Distribution("normal", mean - Z90 * sigma, mean + Z90 * sigma), prior.bounds, prior.unit,
        None, f"impact_estimates: {model} {IMPACT_TERM} = {estimate:.4f} (se {std_error:.4f}) on log recorded crime",
        None, prior.uses,
    )
    settings = dataclasses.replace(params.settings, effect_source="impact_estimate")
    return dataclasses.replace(params, parameters={**params.parameters, REDUCTION: drawn}, settings=settings)


#: The counts of a position-year the benefit channels read, and every column of `position_year` the model reads.
ACTIVITY_COUNTS = sorted({c for columns in CHANNEL_COUNTS.values() for c in columns} | {"persons_received"})
ACTIVITY_INPUTS = ["position_id", "year", "has_return", *ACTIVITY_COUNTS]


def costed_activity(cost_position_year: pd.DataFrame, position_year: pd.DataFrame) -> pd.DataFrame:
    """The position-years with a cost and a valid return, their cost beside the counts the channels read."""
    activity = position_year.loc[position_year["has_return"].astype(bool), ["position_id", "year", *ACTIVITY_COUNTS]]
    costed = cost_position_year.loc[
        cost_position_year["cost_eur"].notna(),
        ["position_id", "department_code", "year", "employer_type", "local_funders", "cost_source", "cost_eur",
         "fte_years", "state_refund_eur"],
    ]
    return costed.merge(activity.astype({"year": int}), on=["position_id", "year"], how="inner")


def _scope_flows(data: pd.DataFrame, params: Parameters, scope: CbaScope, base_year: int | None) -> _Flows:
    """The scope's rows of `costed_activity` reduced to discounted totals."""
    settings = params.settings
    if scope.department_code is not None:
        data = data[data["department_code"] == scope.department_code]
    first = int(data["year"].min()) if scope.first_year is None and len(data) else scope.first_year
    last = int(data["year"].max()) if scope.last_year is None and len(data) else scope.last_year
    if first is not None:
        data = data[data["year"] >= first]
    if last is not None:
        data = data[data["year"] <= last]
    # A channel whose count no position-year of the scope reports cannot be valued: it is off for the
    # scope, benefits and costs alike, and named in `channels_without_data`.
    without_data = tuple(channel for channel in settings.enabled_channels
                         if any(data[c].isna().all() for c in CHANNEL_COUNTS[channel]))
    channels = {c: settings.channels[c] and c not in without_data for c in settings.channels}
    needed = sorted({c for channel, on in channels.items() if on for c in CHANNEL_COUNTS[channel]})
    complete = data[needed].notna().all(axis=1)
    left_out = 0 if settings.missing_counts == "impute" else int((~complete).sum())
    imputed = int((~complete).sum()) - left_out
    data = _impute_counts(data, [c for c in needed if c not in POLICE_REFERRALS]) \
        if settings.missing_counts == "impute" else data[complete]
    if data.empty:
        raise ValueError(
            f"no position with a valid return, a cost and the counts of the enabled channels in scope "
            f"{scope.entity} {scope.first_year}-{scope.last_year} ({left_out} position-years left out for "
            f"missing counts)"
        )
    base = base_year if base_year is not None else settings.base_year if settings.base_year is not None else first
    years = data["year"].to_numpy()
    each_year, year_of_row = np.unique(years, return_inverse=True)  # a deflator per year, not per row
    deflators = params.cpi[settings.price_year] / np.array(params.price_index(each_year.tolist()))
    discount = (1 + settings.discount_rate.value) ** -(years - base).astype(float)

    def total(column_or_values) -> float:
        values = data[column_or_values] if isinstance(column_or_values, str) else column_or_values
        return float((np.asarray(values, dtype=float) * discount).sum())

    new_and_ongoing = data["new_cases"].astype(float) + data["ongoing_cases"].astype(float)
    dv_share = (data["problem_domestic_violence"].astype(float) / new_and_ongoing.where(new_and_ongoing > 0)).clip(0, 1)
    dv_victims = (data["cases_victim"].astype(float) * dv_share.fillna(0.0)).fillna(0.0)
    real_cost = data["cost_eur"].to_numpy(dtype=float) * deflators[year_of_row]
    cost = data["cost_eur"].to_numpy(dtype=float)
    state_share = np.divide(data["state_refund_eur"].to_numpy(dtype=float), cost, out=np.zeros(len(cost)),
                            where=cost > 0)
    payer = local_share_payer(data["employer_type"], data["local_funders"])
    reported = (data["cost_source"] == "reported").to_numpy()
    fte_years = data["fte_years"].to_numpy(dtype=float)
    shares = {"state": state_share, **{p: np.where(payer == p, 1 - state_share, 0.0) for p in EMPLOYER_PAYERS}}
    return _Flows(
        channels=channels,
        channels_without_data=without_data,
        counts={
            "police_referred_cases": total(police_referred_cases(data)),
            "dv_victims": total(dv_victims),
            "perpetrator_orientations": total(data["orient_perpetrator_programme"].astype(float).fillna(0.0)),
            "housing_orientations": total(data["orient_emergency_housing"].astype(float).fillna(0.0)),
            "child_reports": total(data["child_in_danger_reports"].astype(float).fillna(0.0)),
        },
        reported_costs={p: total(np.where(reported, real_cost, 0.0) * s) for p, s in shares.items()},
        default_fte_years={p: total(np.where(reported, 0.0, fte_years) * s) for p, s in shares.items()},
        fte_years_discounted=total(fte_years),
        first_year=first,
        last_year=last,
        base_year=int(base),
        positions_covered=int(data["position_id"].nunique()),
        position_years_covered=len(data),
        position_years_left_out=left_out,
        position_years_imputed=imputed,
        fte_years=float(fte_years.sum()),
        persons_received=float(data["persons_received"].astype(float).sum()),
        persons_received_discounted=total(data["persons_received"].astype(float).fillna(0.0)),
        repeat_victims_at_risk=float(dv_victims.sum()),
    )


def police_referred_cases(data: pd.DataFrame) -> pd.Series:
    """The new cases police or gendarmerie referred, by position-year. One without the referral breakdown gets the
    share of its new cases that the scope's position-years reporting it show (missing is never zero); a scope
    where none reports it has the police-time channel off (`channels_without_data`), so its share is moot."""
    referred = data[list(POLICE_REFERRALS)].astype(float).sum(axis=1, min_count=len(POLICE_REFERRALS))
    new_cases = data["new_cases"].astype(float)
    known = referred.notna() & new_cases.notna()
    reported = new_cases[known].sum()
    share = referred[known].sum() / reported if reported > 0 else 0.0
    return referred.where(referred.notna(), new_cases * share).fillna(0.0)


def local_share_payer(employer_type: pd.Series, local_funders: pd.Series) -> np.ndarray:
    """Who pays each position's cost net of the State refund: the association's own funds when an association
    employs it and the registry names no local co-funder, else local public money (local authorities, with the
    deadweight cost of public funds): the ECPA application says positions are funded mostly by local communities
    (`assumptions.LOCAL_FUNDERS_FOR_PUBLIC_SHARE`). Another employer (local_authority, other_public, unknown) is
    local public money too."""
    co_funded = pd.to_numeric(local_funders).fillna(0).to_numpy(dtype=float) >= LOCAL_FUNDERS_FOR_PUBLIC_SHARE
    own = (employer_type == "association").to_numpy() & ~co_funded
    return np.where(own, "associations", "local_authorities")


def _impute_counts(data: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Each missing count from the scope's rate per FTE-year among the position-years that report it.

    The position-year keeps its cost and gets an estimated activity, so it is never costed and
    credited with zero. Every column here is reported by at least one position-year of the scope.
    """
    data = data.copy()
    for column in columns:
        known = data[column].notna()
        if known.all():
            continue
        rate = data.loc[known, column].astype(float).sum() / data.loc[known, "fte_years"].sum()
        data[column] = data[column].astype(float).where(known, data["fte_years"] * rate)
    return data


def persistence_factor(persistence: np.ndarray | float, decay: np.ndarray | float, rate: float) -> np.ndarray:
    """Discounted years of harm averted per averted victimisation: Σ_k min(1, max(0, P − k)) (1 − d)^k (1 + r)^−k.

    Year 0 is the 12-month repeat itself; a longer persistence P can only add years.
    """
    persistence, decay = np.asarray(persistence, dtype=float), np.asarray(decay, dtype=float)
    total = np.zeros(np.broadcast(persistence, decay).shape)
    for k in range(int(math.ceil(float(np.max(persistence))))):
        total = total + np.clip(persistence - k, 0.0, 1.0) * (1 - decay) ** k * (1 + rate) ** -k
    return total


def _present_values(values: Mapping[str, np.ndarray | float], flows: _Flows, params: Parameters) -> dict:
    """Present values of every item, perspective and total, for numbers or arrays of draws (broadcast).

    Keys: `benefit:<channel>` / `cost:<item>`, `benefits:<who>` / `costs:<who>` / `npv:<who>`,
    and the totals `benefits`, `costs`, `npv`, `public_costs` (gross costs of State and local authorities).
    """
    on = flows.channels
    v = {name: np.asarray(x, dtype=float) * (params.deflator(params.parameters[name].price_year)
                                             if params.parameters[name].price_year is not None else 1.0)
         for name, x in values.items()}
    n = flows.counts
    harm_years = persistence_factor(v["persistence_years"], v["decay_rate"], params.settings.discount_rate.value)
    averted_value = v["unit_cost_dv_victimisation_eur"] * harm_years
    participants = n["perpetrator_orientations"] * v["perpetrator_programme_uptake"]
    benefit = {
        "police_time": n["police_referred_cases"] * v["officer_hours_per_new_case"] * v["officer_hourly_cost_eur"],
        "repeat_victimisation": n["dv_victims"] * v["baseline_repeat_probability"] * v[REDUCTION] * averted_value,
        "perpetrator_programmes": participants * v["baseline_reoffending_probability"] * v["reoffending_reduction"]
        * averted_value,
    }
    benefit = {c: benefit[c] * on[c] for c in benefit}
    position = {p: flows.reported_costs[p] + flows.default_fte_years[p] * v["default_cost_per_fte_year_eur"]
                for p in flows.reported_costs}
    cost = {
        "position_costs": sum(position.values()),
        "office_costs": flows.fte_years_discounted * v["office_cost_per_fte_year_eur"] * on["office_costs"],
        "perpetrator_programmes": participants * v["perpetrator_programme_cost_eur"] * on["perpetrator_programmes"],
        "emergency_housing": n["housing_orientations"] * v["share_additional_services"]
        * v["emergency_housing_nights_per_orientation"] * v["emergency_housing_cost_per_night_eur"]
        * on["emergency_housing"],
        "child_protection": n["child_reports"] * v["share_additional_services"]
        * v["child_protection_measure_years_per_report"] * v["child_protection_cost_per_measure_year_eur"]
        * on["child_protection"],
    }
    harm = benefit["repeat_victimisation"] + benefit["perpetrator_programmes"]
    victims, services = v["harm_share_victims_and_children"], v["harm_share_public_services"]
    gains = {
        "state": benefit["police_time"] + harm * services,
        "local_authorities": 0.0,
        "associations": 0.0,
        "victims_and_children": harm * victims,
        "rest_of_society": harm * (1 - victims - services),
    }
    paid = {
        "state": position["state"] + cost["office_costs"] + cost["perpetrator_programmes"] + cost["emergency_housing"],
        "local_authorities": position["local_authorities"] + cost["child_protection"],
        "associations": position["associations"],
    }
    net_public_cost = sum(paid[p] - gains[p] for p in PUBLIC_PAYERS)
    cost["deadweight"] = (v["opportunity_cost_public_funds"] - 1) * net_public_cost
    paid["victims_and_children"], paid["rest_of_society"] = 0.0, cost["deadweight"]

    out = {f"benefit:{c}": np.asarray(x, dtype=float) for c, x in benefit.items()}
    out |= {f"cost:{c}": np.asarray(x, dtype=float) for c, x in cost.items()}
    for who in PERSPECTIVES:
        out[f"benefits:{who}"] = np.asarray(gains[who], dtype=float)
        out[f"costs:{who}"] = np.asarray(paid[who], dtype=float)
        out[f"npv:{who}"] = out[f"benefits:{who}"] - out[f"costs:{who}"]
    out["benefits"] = np.asarray(sum(benefit.values()), dtype=float)
    out["costs"] = np.asarray(sum(cost.values()), dtype=float)
    out["npv"] = out["benefits"] - out["costs"]
    out["public_costs"] = np.asarray(sum(paid[p] for p in PUBLIC_PAYERS), dtype=float)
    return out


def break_even_relative_reduction(flows: _Flows, params: Parameters) -> float:
    """The relative reduction of repeat victimisation at which the NPV at means is zero.

    The NPV is linear in the reduction (the deadweight too), so two evaluations give it.
    NaN when the channel is off or the reduction does not raise the NPV (no victim cases).
    """
    if not flows.channels["repeat_victimisation"]:
        return float("nan")
    means = params.means()
    at_zero, at_one = (float(_present_values({**means, REDUCTION: r}, flows, params)["npv"]) for r in (0.0, 1.0))
    slope = at_one - at_zero
    return -at_zero / slope if slope > 0 else float("nan")


def _sensitivity(flows: _Flows, params: Parameters, npv_at_means: float, described: dict,
                 bounds: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """One-way sensitivity (tornado): each parameter at its p10 and p90 (`bounds`), the others at their means.

    Parameters that do not move the NPV in this run (fixed, or feeding a channel
    that is off) are left out. Sorted by swing, largest first.
    """
    means = params.means()
    rows = []
    for name, parameter in params.parameters.items():
        low, high = bounds[name]
        npv_low, npv_high = (float(_present_values({**means, name: x}, flows, params)["npv"]) for x in (low, high))
        if npv_low == npv_high:
            continue
        rows.append({
            **described, "parameter": name, "label": parameter.label, "unit": parameter.unit,
            "mean_value": parameter.value, "low_value": low, "high_value": high, "npv_at_means_eur": npv_at_means,
            "npv_low_eur": npv_low, "npv_high_eur": npv_high, "swing_eur": abs(npv_high - npv_low),
        })
    columns = [*described, "parameter", "label", "unit", "mean_value", "low_value", "high_value",
               "npv_at_means_eur", "npv_low_eur", "npv_high_eur", "swing_eur"]
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values("swing_eur", ascending=False, ignore_index=True)


def _scenarios(draws: dict, described: dict) -> pd.DataFrame:
    """Conservative / central / optimistic: the simulated draws at the 10th, 50th and 90th percentile of the NPV."""
    order = np.argsort(draws["npv"], kind="stable")
    rows = []
    for name, (quantile, description) in SCENARIO_QUANTILES.items():
        draw = int(order[int(round(quantile * (len(order) - 1)))])
        costs, benefits = float(draws["costs"][draw]), float(draws["benefits"][draw])
        rows.append({
            **described, "scenario": name, "description": description, "quantile": quantile,
            "pv_costs_eur": costs, "pv_benefits_eur": benefits, "npv_eur": benefits - costs,
            "benefit_cost_ratio": benefit_cost_ratio(benefits, costs),
        })
    return pd.DataFrame(rows)
