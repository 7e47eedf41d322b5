"""Official reference data shipped with the package (facts, not assumptions)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd


@cache
def departements() -> pd.DataFrame:
    """The 101 départements: department_code, department_name, region_code, region_name."""
    with resources.files(__package__).joinpath("departements.csv").open("rb") as handle:
        return pd.read_csv(handle, dtype=str)


@cache
def official_department_codes() -> frozenset[str]:
    return frozenset(departements()["department_code"])
