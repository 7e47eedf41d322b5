"""What the contract fills in on a valid return, and the soft rules that keep the row but warn.

Runs on the valid returns only: a blank `*_unknown` member becomes the
remainder of its group, a blank months_active means 12, and each soft rule
writes one warning per row that meets it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline import assumptions
from swps_pipeline.contract import SUM_GROUPS
from swps_pipeline.validate.schema import UNKNOWN_GROUPS, fully_reported, group_sum

#: Contract, months_active: "null means 12".
FULL_YEAR_MONTHS = 12


def _warnings(valid: pd.DataFrame, mask: pd.Series, rule: str, message) -> pd.DataFrame:
    """One warning per row of `valid` under `mask`; `message(rows)` is built for those rows only."""
    rows = valid[mask.fillna(False).astype(bool)]
    return pd.DataFrame({
        "source_file": rows["source_file"],
        "source_row": rows["source_row"],
        "position_id": rows["position_id"],
        "rule": rule,
        "message": message(rows) if len(rows) else pd.Series(dtype=object),
    })


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("blank")


def derive_unknowns(valid: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Blank `*_unknown` members of otherwise reported groups, derived as the remainder (`unknown_derived`).

    Validation has already quarantined the rows whose known members exceed the total (`unknown_negative`).
    """
    derived, warnings = {}, []
    for group in UNKNOWN_GROUPS:
        total, members, unknown = SUM_GROUPS[group]
        known = [m for m in members if m != unknown]
        derivable = valid[unknown].isna() & fully_reported(valid, [total, *known])
        remainder = valid[total] - group_sum(valid, known)
        warnings.append(_warnings(
            valid.assign(remainder=remainder), derivable, "unknown_derived",
            lambda rows, u=unknown, t=total, k=known: f"{u} was blank: derived as {t} - ({' + '.join(k)}) = "
            + _text(rows["remainder"]),
        ))
        derived[unknown] = valid[unknown].mask(derivable, remainder)
    derived["months_active"] = valid["months_active"].fillna(FULL_YEAR_MONTHS)
    return valid.assign(**derived), warnings


def activity_outliers(valid: pd.DataFrame) -> pd.DataFrame:
    """persons_received per FTE more than `ROBUST_Z_THRESHOLD` robust z-scores from the year's national median.

    With a zero MAD (half the positions or more at the median) the robust z is undefined: nothing is flagged.
    """
    per_fte = valid["persons_received"].astype("float64") / valid["fte"]
    median = per_fte.median() if len(per_fte) else np.nan
    mad = (per_fte - median).abs().median() if len(per_fte) else np.nan
    z = (per_fte - median) / (assumptions.MAD_TO_SD * mad) if mad > 0 else per_fte * 0.0
    return _warnings(
        valid.assign(per_fte=per_fte, z=z), z.abs() > assumptions.ROBUST_Z_THRESHOLD, "activity_outlier",
        lambda rows: "persons_received per FTE = " + rows["per_fte"].round(1).astype(str) + ", robust z = "
        + rows["z"].round(1).astype(str) + f" from the national median {median:.1f} "
        f"(threshold ±{assumptions.ROBUST_Z_THRESHOLD:g}): check persons_received and fte",
    )


def soft_rule_warnings(valid: pd.DataFrame, registry: pd.DataFrame | None) -> list[pd.DataFrame]:
    """Warnings of `cases_over_persons`, `actions_under_cases`, `unregistered_position` (skipped without a
    registry) and `activity_outlier`, on the valid returns."""
    warnings = [
        _warnings(valid, valid["new_cases"] > valid["persons_received"], "cases_over_persons",
                  lambda rows: "new_cases = " + _text(rows["new_cases"]) + " exceeds persons_received = "
                  + _text(rows["persons_received"]) + ": check both figures"),
        _warnings(valid, valid["actions"] < valid["new_cases"], "actions_under_cases",
                  lambda rows: "actions = " + _text(rows["actions"]) + " is below new_cases = "
                  + _text(rows["new_cases"]) + ": each new case takes at least one action; check both figures"),
        activity_outliers(valid),
    ]
    if registry is not None:
        warnings.append(_warnings(
            valid, ~valid["position_id"].isin(registry["position_id"]), "unregistered_position",
            lambda rows: rows["position_id"] + " is not in positions.csv: register the position or correct the id",
        ))
    return warnings
