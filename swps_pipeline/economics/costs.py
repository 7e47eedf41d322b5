"""The cost model: what each position costs in a year, the State's refund, and cost per case.

A position-year is costed only from a valid return (its fte and months_active,
and its cost when reported): without a return there is no cost figure, never
a guess, so cost and activity always cover the same positions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.economics.parameters import Parameters
from swps_pipeline.profiles import active_profile

#: The entity of national rows: the active profile's country code (ISO 3166-1 alpha-2).
NATIONAL_ENTITY = active_profile().country

COST_POSITION_YEAR_COLUMNS = [
    "position_id", "department_code", "year", "has_return", "fte", "months_active", "fte_years", "cost_eur", "cost_source",
    "police_office_cost_eur", "total_cost_eur", "state_refund_eur", "local_share_eur", "employer_type", "local_funders",
]
_SUMMED = ["fte_years", "cost_eur", "police_office_cost_eur", "total_cost_eur", "state_refund_eur", "local_share_eur"]
COST_DEPARTMENT_YEAR_COLUMNS = ["department_code", "year", "positions", "positions_costed", *_SUMMED]
COST_NATIONAL_YEAR_COLUMNS = ["year", "positions", "positions_costed", *_SUMMED]

#: cost_per_case indicator -> the activity count it divides the cost by.
PER_CASE_DENOMINATORS = {
    "cost_per_new_case": "new_cases",
    "cost_per_person_received": "persons_received",
    "cost_per_action": "actions",
    "cost_per_domestic_violence_case": "problem_domestic_violence",
}
#: The columns of `position_year` the cost model reads: the asset hands it only these, so that its reuse key
#: (`swps_pipeline/reuse.py`) is not a digest of the panel's 66 columns (0.5 s at 100x the bundled data).
POSITION_YEAR_INPUTS = ["position_id", "department_code", "year", "has_return", "fte", "months_active", "cost_eur",
                        *PER_CASE_DENOMINATORS.values()]
COST_PER_CASE_COLUMNS = [
    "level", "entity", "year", *PER_CASE_DENOMINATORS, "positions_covered",
    "positions_covered_domestic_violence", "total_cost_eur", *PER_CASE_DENOMINATORS.values(),
]


def build_cost_tables(position_year: pd.DataFrame, registry: pd.DataFrame, params: Parameters) -> dict[str, pd.DataFrame]:
    """`cost_position_year`, `cost_department_year`, `cost_national_year` and `cost_per_case`."""
    cost_position_year = position_year_costs(position_year, registry, params)
    return {
        "cost_position_year": cost_position_year,
        "cost_department_year": _sum_costs(cost_position_year, ["department_code", "year"], COST_DEPARTMENT_YEAR_COLUMNS),
        "cost_national_year": _sum_costs(cost_position_year, ["year"], COST_NATIONAL_YEAR_COLUMNS),
        "cost_per_case": cost_per_case(cost_position_year, position_year),
    }


def position_year_costs(position_year: pd.DataFrame, registry: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    """One row per position-year of the panel: its cost (reported, default or none), refund and local share."""
    settings = params.settings
    frame = position_year[["position_id", "department_code", "year", "has_return", "fte", "months_active", "cost_eur"]]
    frame = frame.astype({"year": int, "has_return": bool, "fte": float, "cost_eur": float}).reset_index(drop=True)
    valid = frame["has_return"].to_numpy()
    fte = np.where(valid, frame["fte"].to_numpy(dtype=float), np.nan)
    # The contract: a null months_active means 12.
    months = np.where(valid, pd.to_numeric(frame["months_active"]).fillna(12).to_numpy(dtype=float), np.nan)
    fte_years = fte * months / 12
    reported = frame["cost_eur"].to_numpy(dtype=float)
    has_reported = valid & ~np.isnan(reported)
    # The default cost and the office rate are in euros of their price year (the ECPA application's 2022): a
    # year's cost is in that year's euros, like a reported cost and the refund the State pays on it (cash). Only
    # the years with a return need their price index: next year's folder, made before its files arrive, has none.
    costed_years = sorted(set(frame["year"][valid].tolist()))

    def per_fte_year(name: str) -> np.ndarray:
        rate = dict(zip(costed_years, params.in_euros_of(name, costed_years)))
        return frame["year"].map(rate).to_numpy(dtype=float)  # NaN in a year without a return: nothing costed

    default = per_fte_year("default_cost_per_fte_year_eur") * fte_years
    cost = np.where(has_reported, reported, np.where(valid, default, np.nan))
    office = (per_fte_year("office_cost_per_fte_year_eur") if settings.include_office_costs else 0.0) * fte_years

    dates = registry.drop_duplicates("position_id").set_index("position_id")[
        ["start_date", "end_date", "employer_type", "local_funders"]]
    dates = dates.reindex(frame["position_id"])
    refund = cost * params.mean("eligible_share") * _refund_rate_months(
        frame["year"].to_numpy(), months, dates["start_date"], dates["end_date"], params
    ) / months

    out = pd.DataFrame({
        "position_id": frame["position_id"].astype(str),
        "department_code": frame["department_code"].astype(str),
        "year": frame["year"],
        "has_return": frame["has_return"],
        "fte": fte,
        "months_active": pd.array(np.where(valid, months, np.nan), dtype="Float64").astype("Int64"),
        "cost_eur": cost,
        "cost_source": np.select([has_reported, valid], ["reported", "default"], "no_return"),
        "police_office_cost_eur": office,
        "total_cost_eur": cost + office,
        "state_refund_eur": refund,
        "local_share_eur": cost - refund,
        "fte_years": fte_years,
        "employer_type": dates["employer_type"].astype(object).to_numpy(),
        "local_funders": pd.array(dates["local_funders"], dtype="Int64"),
    })
    return out[COST_POSITION_YEAR_COLUMNS]


def _refund_rate_months(
    years: np.ndarray, months: np.ndarray, start: pd.Series, end: pd.Series, params: Parameters
) -> np.ndarray:
    """Sum over the year's active months of the refund rate of each month (0.8, 0.5, 0.3 or 0).

    The `months_active` of the return are placed as consecutive months: from the
    registry's start month when the position started that year, up to its end
    month when it ended that year, otherwise from January. A month's rate follows
    the months elapsed since the start month (month 1-12: first share, ...).
    Positions started before the national scheme, or absent from the registry of
    funded positions, get no refund.
    """
    settings = params.settings
    shares = np.asarray(settings.refund_shares, dtype=float)
    start_dt, end_dt = pd.to_datetime(start), pd.to_datetime(end)
    start_index = (start_dt.dt.year * 12 + start_dt.dt.month - 1).to_numpy(dtype=float)  # NaN when unknown
    end_index = (end_dt.dt.year * 12 + end_dt.dt.month - 1).to_numpy(dtype=float)
    year_first = years.astype(float) * 12
    m = np.nan_to_num(months, nan=12.0)

    started_this_year = (start_index >= year_first) & (start_index <= year_first + 11)
    ended_this_year = (end_index >= year_first) & (end_index <= year_first + 11)
    first = np.where(started_this_year, start_index - year_first,
                     np.where(ended_this_year, end_index - year_first - m + 1, 0.0))
    first = np.clip(first, 0, 12 - m)

    month = np.arange(12)[None, :]
    active = (month >= first[:, None]) & (month < (first + m)[:, None])
    elapsed = year_first[:, None] + month - start_index[:, None]  # months since the start month
    period = np.floor(elapsed / 12)
    in_schedule = (elapsed >= 0) & (period < len(shares))
    rate = np.where(in_schedule, shares[np.clip(np.nan_to_num(period), 0, len(shares) - 1).astype(int)], 0.0)
    eligible = (start_dt >= pd.Timestamp(settings.national_scheme_start)).to_numpy()
    return np.where(eligible, (rate * active).sum(axis=1), 0.0)


def _sum_costs(cost_position_year: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Sums over positions; a sum over no costed position is null (min_count=1)."""
    grouped = cost_position_year.groupby(keys, sort=True)
    sums = grouped[_SUMMED].sum(min_count=1)
    sums["positions"] = grouped.size().astype("Int64")
    sums["positions_costed"] = grouped["cost_eur"].count().astype("Int64")
    return sums.reset_index()[columns]


def cost_per_case(cost_position_year: pd.DataFrame, position_year: pd.DataFrame) -> pd.DataFrame:
    """Cost per unit of activity by département-year and year, cost and activity on the same positions.

    Only positions with a valid return enter (so with both a cost and activity);
    for the domestic-violence figure, only those that reported that count.
    """
    activity = position_year.loc[position_year["has_return"].astype(bool),
                                 ["position_id", "year", *PER_CASE_DENOMINATORS.values()]]
    matched = cost_position_year.loc[cost_position_year["total_cost_eur"].notna(),
                                     ["position_id", "department_code", "year", "total_cost_eur"]]
    matched = matched.merge(activity.astype({"year": int}), on=["position_id", "year"], how="inner")
    dv = "problem_domestic_violence"
    matched["dv_cost_eur"] = matched["total_cost_eur"].where(matched[dv].notna())
    tables = []
    for level, data in (("department", matched), ("national", matched.assign(department_code=NATIONAL_ENTITY))):
        grouped = data.groupby(["department_code", "year"], sort=True)
        sums = grouped[["total_cost_eur", "dv_cost_eur", *PER_CASE_DENOMINATORS.values()]].sum(min_count=1)
        sums["positions_covered"] = grouped["position_id"].nunique()
        sums["positions_covered_domestic_violence"] = grouped[dv].count()
        for indicator, count in PER_CASE_DENOMINATORS.items():
            cost = sums["dv_cost_eur"] if count == dv else sums["total_cost_eur"]
            denominator = sums[count].astype(float)
            sums[indicator] = (cost / denominator.where(denominator > 0)).astype(float)
        tables.append(sums.reset_index().rename(columns={"department_code": "entity"}).assign(level=level))
    table = pd.concat(tables, ignore_index=True).astype({
        "entity": str, "year": int, "positions_covered": "Int64", "positions_covered_domestic_violence": "Int64",
        **{count: "Int64" for count in PER_CASE_DENOMINATORS.values()},
    })
    return table[COST_PER_CASE_COLUMNS]

