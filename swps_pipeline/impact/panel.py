"""The impact panel: deployment joined with the outcome and a placebo, by département and year."""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.impact.deployment import DEPLOYMENT_DTYPES

#: The programme's outcome, and a crime class it should not move (placebo).
OUTCOME = "intrafamily_physical_violence"
PLACEBO = "vehicle_theft"
PER_INHABITANTS = 1_000

IMPACT_PANEL_DTYPES: dict[str, str] = {
    **DEPLOYMENT_DTYPES,
    "treated": "bool",
    "outcome": "object",
    "outcome_count": "Int64",
    "outcome_rate_per_1000": "float64",
    "log_outcome_rate": "float64",
    "placebo": "object",
    "placebo_count": "Int64",
    "placebo_rate_per_1000": "float64",
    "log_placebo_rate": "float64",
}


def _indicator(recorded_crime: pd.DataFrame, indicator: str, prefix: str) -> pd.DataFrame:
    """One indicator's count and rate per 1,000 inhabitants (of the file's population) by département and year."""
    rows = recorded_crime[recorded_crime["indicator"] == indicator]
    if rows.empty:
        known = ", ".join(sorted(recorded_crime["indicator"].unique()))
        raise ValueError(f"indicator {indicator!r} is not in the recorded-crime table (it has: {known})")
    if rows.duplicated(["department_code", "year"]).any():
        units = ", ".join(sorted(rows["unit"].unique()))
        raise ValueError(f"indicator {indicator!r} has several rows per département and year (units: {units})")
    count = rows["count"].astype("float64")
    rate = count / rows["population"].astype("float64") * PER_INHABITANTS
    return pd.DataFrame(
        {
            "department_code": rows["department_code"],
            "year": rows["year"],
            f"{prefix}_count": rows["count"],
            f"{prefix}_rate_per_1000": rate,
            # a zero count has no log: left missing rather than -inf
            f"log_{prefix}_rate": np.log(rate.where(rate > 0)),
        }
    )


def impact_panel(
    deployment: pd.DataFrame,
    recorded_crime: pd.DataFrame,
    outcome: str = OUTCOME,
    placebo: str = PLACEBO,
) -> pd.DataFrame:
    """Deployment × outcome × placebo for the years both cover.

    The outcome is the log of the recorded rate per 1,000 inhabitants (the
    file's population for that year), so effects read as proportional changes.
    `treated` is year ≥ cohort (adoption is treated as absorbing).
    """
    keys = ["department_code", "year"]
    years = sorted(set(deployment["year"]) & set(recorded_crime["year"]))
    table = deployment[deployment["year"].isin(years)]
    for indicator, prefix in ((outcome, "outcome"), (placebo, "placebo")):
        table = table.merge(_indicator(recorded_crime, indicator, prefix), on=keys, how="left")
        table[prefix] = indicator
    table["treated"] = (table["year"] >= table["cohort"]).fillna(False).astype(bool)
    table = table.sort_values(keys)
    return table.astype(IMPACT_PANEL_DTYPES)[list(IMPACT_PANEL_DTYPES)].reset_index(drop=True)
