"""Populations of the areas, from the active country profile (`areas.population_file`).

France's `profiles/FR/population.csv` holds, for each département, the
population (`POP`) of every INSEE reference year (`millPOP`) that appears in
the SSMSI département file produced on 2023-07-17 (years of data 2016–2022):
reference years 2016–2020 for 100 départements, 2017 only for Mayotte (976).
It was extracted once from that file (one row per distinct département and
`millPOP`); these are public facts, not the file itself. The real edition
uses the 2020 population for 2021 and 2022 data: there is no later reference
year in it.
"""

from __future__ import annotations

from collections.abc import Iterable
import pandas as pd

from swps_pipeline.profiles import active_profile


def population() -> pd.DataFrame:
    """department_code (str), year (int, reference year), population (int)."""
    return active_profile().population.rename(columns={"area_code": "department_code"})


def population_by_year(years: Iterable[int]) -> pd.DataFrame:
    """Population to use for each département and year.

    The latest reference year at or before `year` is used (carried forward, as
    the real edition does for 2021–2022 and as the synthetic data does for
    2023 on); before the first reference year, the first one is used (Mayotte
    in 2016). Columns: department_code, year, population, population_year.
    """
    known = population().rename(columns={"year": "population_year"})
    wanted = pd.MultiIndex.from_product(
        [sorted(known["department_code"].unique()), sorted(set(years))], names=["department_code", "year"]
    ).to_frame(index=False)
    reference = known[["department_code", "population_year"]]
    later = wanted.merge(reference, on="department_code")
    at_or_before = later[later["population_year"] <= later["year"]].groupby(["department_code", "year"]).max()
    first = reference.groupby("department_code").min()
    chosen = wanted.join(at_or_before, on=["department_code", "year"])
    chosen["population_year"] = chosen["population_year"].fillna(
        chosen["department_code"].map(first["population_year"])
    ).astype(int)
    out = chosen.merge(known, on=["department_code", "population_year"])
    return out[["department_code", "year", "population", "population_year"]].sort_values(
        ["department_code", "year"], ignore_index=True
    )
