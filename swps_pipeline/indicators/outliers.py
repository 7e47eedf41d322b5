"""Robust outlier screening (median/MAD z-score), for a reviewer to check by hand."""

from __future__ import annotations

import pandas as pd

from swps_pipeline.assumptions import MAD_TO_SD, ROBUST_Z_THRESHOLD
from swps_pipeline.indicators.catalogue import BY_ID, OUTLIER_LEVELS

OUTLIER_DTYPES: dict[str, str] = {
    "level": "object",
    "entity": "object",
    "year": "int64",
    "indicator": "object",
    "family": "object",
    "value": "float64",
    "median": "float64",
    "mad": "float64",
    "robust_z": "float64",
    "numerator": "float64",
    "denominator": "float64",
    "positions_reporting": "Int64",
}


def robust_z(values: pd.Series, groups: list[pd.Series]) -> pd.DataFrame:
    """median, MAD and (value - median) / (1.4826 × MAD) within each group.

    The z-score is null when MAD is 0 (over half the group share one value):
    no spread to measure against, so nothing is flagged.
    """
    median = values.groupby(groups).transform("median")
    mad = (values - median).abs().groupby(groups).transform("median")
    spread = (MAD_TO_SD * mad).where(mad > 0)
    return pd.DataFrame({"median": median, "mad": mad, "robust_z": (values - median) / spread})


def is_outlier(z: pd.Series) -> pd.Series:
    return z.abs() > ROBUST_Z_THRESHOLD


def indicator_outliers(indicators: pd.DataFrame) -> pd.DataFrame:
    """Position and département values more than 4 robust z-scores from that year's median.

    Screened: the rate indicators (per FTE-year, per inhabitant, shares,
    orientations per case), compared within (level, indicator, year).
    """
    checked = [i.id for i in BY_ID.values() if i.outlier_check]
    rows = indicators[
        indicators["level"].isin(OUTLIER_LEVELS) & indicators["indicator"].isin(checked) & indicators["value"].notna()
    ]
    scores = robust_z(rows["value"], [rows["level"], rows["indicator"], rows["year"]])
    flagged = rows.join(scores)[is_outlier(scores["robust_z"])]
    flagged = flagged.assign(family=flagged["indicator"].map({k: v.family for k, v in BY_ID.items()}))
    flagged = flagged.reindex(flagged["robust_z"].abs().sort_values(ascending=False).index)
    out = flagged.sort_values(["year", "level", "indicator"], kind="stable")
    return out.reindex(columns=list(OUTLIER_DTYPES)).astype(OUTLIER_DTYPES).reset_index(drop=True)
