"""The programme's roll-out by département and year: the treatment of the impact analysis.

FTE: the registry has no FTE, so each position active in a year counts as
1 FTE weighted by the months of the year inside its registered dates. When
`position_year` is given, a position-year with a valid return uses its reported
fte × months_active / 12 instead (`fte_years`); position-years without a
return keep the registry's months at 1 FTE. Positions are the registry's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.impact.crime import carry_to_years
from swps_pipeline.panel.tables import _registry_years
from swps_pipeline.profiles import active_profile
from swps_pipeline.reference import departements

PER_INHABITANTS = 100_000
#: The association's target (1 worker per 150,000 inhabitants) in FTE per 100,000.
TARGET_FTE_PER_100K = PER_INHABITANTS / active_profile().inhabitants_per_worker

DEPLOYMENT_DTYPES: dict[str, str] = {
    "department_code": "object",
    "year": "int64",
    "positions_active": "int64",
    "fte_years": "float64",
    "population": "Int64",
    "fte_per_100k": "float64",
    "meets_worker_target": "bool",
    "cohort": "Int64",
    "treated_before_panel": "bool",
    "cohort_intensity": "Int64",
}


#: The columns of `position_year` the deployment reads (the reported FTE-years of the positions with a return).
DEPLOYMENT_INPUTS = ["position_id", "year", "has_return", "fte_years"]


def _fte_years(registry: pd.DataFrame, position_year: pd.DataFrame | None, years: list[int]) -> pd.DataFrame:
    """position_id, department_code, year, fte_years for every registry position active in one of `years`."""
    grid = _registry_years(registry, years)
    grid = grid[grid["expected"]].merge(registry[["position_id", "department_code"]], on="position_id")
    grid["fte_years"] = grid["months_registered"].astype("float64") / 12
    if position_year is not None:
        reported = position_year.loc[position_year["has_return"] & position_year["fte_years"].notna(),
                                     ["position_id", "year", "fte_years"]]
        grid = grid.merge(reported.astype({"year": "int64"}), on=["position_id", "year"], how="left",
                          suffixes=("", "_reported"))
        grid["fte_years"] = grid.pop("fte_years_reported").fillna(grid["fte_years"])
    return grid


def _first_year(flags: pd.DataFrame, column: str, last_year: int) -> pd.Series:
    """Per département, the first year where `column` is true, if it is at or before `last_year`."""
    years = flags.loc[flags[column] & (flags["year"] <= last_year)].groupby("department_code")["year"].min()
    return years.astype("Int64")


def deployment_department_year(
    registry: pd.DataFrame,
    position_year: pd.DataFrame | None,
    population: pd.DataFrame,
    first_year: int,
    last_year: int,
) -> pd.DataFrame:
    """Every département × year from `first_year` to `last_year`: positions, FTE-years, FTE per 100,000, cohorts.

    `cohort` is the year the département's first registered position started
    (null when none started by `last_year`: never treated in the data's span);
    `treated_before_panel` flags cohorts before `first_year`, which have no
    pre-treatment year. `cohort_intensity` is the first year the département
    reached 1 FTE-year per 150,000 inhabitants, looked for from the registry's
    first year on (earlier years use the earliest population given).
    `population` is `population_by_department_year` output.
    """
    starts = registry["start_date"].dropna()
    earliest = min(first_year, int(starts.dt.year.min())) if len(starts) else first_year
    years = list(range(earliest, last_year + 1))
    codes = departements()[["department_code"]]
    grid = codes.merge(pd.DataFrame({"year": years}, dtype="int64"), how="cross")
    positions = _fte_years(registry, position_year, years).groupby(["department_code", "year"]).agg(
        positions_active=("position_id", "size"), fte_years=("fte_years", "sum")
    )
    table = grid.join(positions, on=["department_code", "year"])
    table[["positions_active", "fte_years"]] = table[["positions_active", "fte_years"]].fillna(0)
    if len(population):
        people = carry_to_years(population[["department_code", "year", "population"]].astype({"population": "float64"}),
                        ["population"], years)
        table = table.merge(people, on=["department_code", "year"], how="left")
    else:
        table["population"] = np.nan
    table["fte_per_100k"] = table["fte_years"] / table["population"] * PER_INHABITANTS
    table["meets_worker_target"] = table["fte_per_100k"] >= TARGET_FTE_PER_100K
    cohort = registry.groupby("department_code")["start_date"].min().dt.year
    table["cohort"] = table["department_code"].map(cohort[cohort <= last_year]).astype("Int64")
    table["treated_before_panel"] = (table["cohort"] < first_year).fillna(False).astype(bool)
    table["cohort_intensity"] = table["department_code"].map(
        _first_year(table, "meets_worker_target", last_year)
    ).astype("Int64")
    table = table[table["year"] >= first_year].sort_values(["department_code", "year"])
    return table.astype(DEPLOYMENT_DTYPES)[list(DEPLOYMENT_DTYPES)].reset_index(drop=True)
