"""Bad rows and bad files planted in each year of returns, so validation has something to catch.

Each planted row breaks exactly one rule (its contract rule id is recorded
with the file and the row); Seine-et-Marne's files are never touched. The
record is what tests and the lead use to check the validator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from swps_pipeline import contract
from swps_pipeline.synthetic.files import FileStyle

#: Hard rules broken by one planted row each (`conflicting_duplicate` adds a second, conflicting row).
HARD_ROW_RULES = (
    "required",
    "type",
    "range",
    "enum",
    "position_id",
    "year_mismatch",
    "sum_cases",
    "problem_bound",
    "conflicting_duplicate",
)
#: Soft rules planted: an identical copy of a row, an unknown column in one file.
SOFT_ROW_RULES = ("duplicate_identical",)
EXTRA_COLUMN = "Observations"
#: The bad file of a year, in rotation over the years.
BAD_FILE_KINDS = ("empty", "binary", "missing_required")
#: Required column dropped from the `missing_required` file.
DROPPED_REQUIRED = "new_cases"
PLANT = "_planted"


@dataclass
class ReturnsFile:
    """One file to write: its path under the data root, canonical rows and style (None for raw bytes)."""

    path: str
    frame: pd.DataFrame
    style: FileStyle | None
    raw: bytes | None = None


def _break(frame: pd.DataFrame, i: int, rule: str) -> pd.DataFrame:
    """Row `i` of frame made to break `rule` (duplicates insert a copy right after it)."""
    at = frame.index[i]
    if rule == "required":
        frame.at[at, "fte"] = None
    elif rule == "type":
        frame.at[at, "actions"] = "env. 300"
    elif rule == "range":
        frame.at[at, "fte"] = 1.5
    elif rule == "enum":
        frame.at[at, "host_type"] = "Préfecture"
    elif rule == "position_id":
        pid = frame.at[at, "position_id"]
        frame.at[at, "position_id"] = pid[:-3] + pid[-2:]
    elif rule == "year_mismatch":
        frame.at[at, "year"] = int(frame.at[at, "year"]) - 1
    elif rule == "sum_cases":
        frame.at[at, "cases_victim"] = frame.at[at, "cases_victim"] + 7
    elif rule == "problem_bound":
        ongoing = frame.at[at, "ongoing_cases"]
        bound = frame.at[at, "new_cases"] + frame.at[at, "persons_received"] + (0 if pd.isna(ongoing) else ongoing)
        frame.at[at, "problem_housing"] = bound + 5
    if rule in ("conflicting_duplicate", "duplicate_identical"):
        order = np.r_[np.arange(i + 1), i, np.arange(i + 1, len(frame))]
        frame = frame.iloc[order].reset_index(drop=True)
        if rule == "conflicting_duplicate":
            frame.at[i, PLANT] = rule
            frame.at[i + 1, "actions"] = frame.at[i, "actions"] + 25
        frame.at[i + 1, PLANT] = rule
    else:
        frame.at[at, PLANT] = rule
    return frame


def _eligible(frame: pd.DataFrame, rule: str) -> np.ndarray:
    """Rows where the rule can be broken alone (its group fully reported, untouched so far)."""
    ok = frame[PLANT].isna().to_numpy()
    if rule == "sum_cases":
        ok &= frame[contract.GROUPS["cases"]].notna().all(axis=1).to_numpy()
    return ok


def plant_year(files: list[ReturnsFile], year: int, protected_department: str | None, rng: np.random.Generator) -> list[dict]:
    """Plant the year's bad rows, extra column and bad file into `files` (in place); return what was planted."""
    candidates = [f for f in files if not (f.frame["department_code"] == protected_department).any()]
    kind = BAD_FILE_KINDS[year % len(BAD_FILE_KINDS)]
    bad = candidates[int(rng.integers(len(candidates)))]
    planted: list[dict] = []
    if kind == "missing_required":
        bad.frame = bad.frame.drop(columns=DROPPED_REQUIRED)
        planted.append({"year": year, "source_file": bad.path, "source_row": None, "position_id": None,
                        "rule": "missing_required", "severity": "file",
                        "positions": sorted(bad.frame["position_id"])})  # fmt: skip
        candidates.remove(bad)
    else:
        stem = bad.path.rsplit("/", 1)[0] + "/"
        code = bad.frame["department_code"].iloc[0]
        raw = b"" if kind == "empty" else b"%PDF-1.4\n" + rng.bytes(1500)
        path = stem + (f"renvoi_{code}_{year}.csv" if kind == "empty" else f"scan_bilan_{code}_{year}.xlsx")
        files.append(ReturnsFile(path, pd.DataFrame(), None, raw))
        planted.append({"year": year, "source_file": path, "source_row": None, "position_id": None,
                        "rule": kind, "severity": "file", "positions": []})  # fmt: skip

    sizes = np.array([len(f.frame) for f in candidates], dtype=float)
    for rule in HARD_ROW_RULES + SOFT_ROW_RULES:
        rows = np.empty(0, dtype=int)
        while not len(rows):  # a file drawn ∝ its rows, then a row of it where the rule can be broken alone
            target = candidates[int(rng.choice(len(candidates), p=sizes / sizes.sum()))]
            rows = np.flatnonzero(_eligible(target.frame, rule))
        target.frame = _break(target.frame, int(rng.choice(rows)), rule)

    extra = candidates[int(rng.integers(len(candidates)))]
    extra.frame = extra.frame.assign(**{EXTRA_COLUMN: "RAS"})
    planted.append({"year": year, "source_file": extra.path, "source_row": None, "position_id": None,
                    "rule": "extra_column", "severity": "soft", "positions": []})  # fmt: skip

    for f in candidates:
        marked = np.flatnonzero(f.frame[PLANT].notna().to_numpy())
        for i in marked:
            rule = f.frame[PLANT].iloc[i]
            planted.append({"year": year, "source_file": f.path, "source_row": f.style.first_data_row + int(i),
                            "position_id": f.frame["position_id"].iloc[i], "rule": rule,
                            "severity": "soft" if rule in SOFT_ROW_RULES else "hard", "positions": []})  # fmt: skip
    return planted
