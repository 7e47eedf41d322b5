"""The canonical return as a pandera schema whose every check is named after a contract rule id.

Run lazily, the schema collects every failure case at once; `hard_rule_failures`
turns them into (row, rule, column) triples, which is what the quarantine needs.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from swps_pipeline.contract import (
    COLUMNS,
    COUNT_COLUMNS,
    EMPLOYER_TYPES,
    GROUPS,
    HOST_TYPES,
    SUM_GROUPS,
)
from swps_pipeline.reference import official_department_codes

POSITION_ID_PATTERN = r"^(?:\d{2}|2A|2B|\d{3})-\d{3}$"

def _rule(name: str, holds) -> pa.Check:
    """A vectorised column check reported under the contract's rule id `name`."""
    return pa.Check(holds, name=name, error=name)


_COLUMN_CHECKS: dict[str, list[pa.Check]] = {
    **{name: [_rule("range", lambda s: s >= 0)] for name in COUNT_COLUMNS},
    "fte": [_rule("range", lambda s: (s > 0) & (s <= 1))],
    "months_active": [_rule("range", lambda s: (s >= 1) & (s <= 12))],
    "cost_eur": [_rule("range", lambda s: s >= 0)],
    "host_type": [_rule("enum", lambda s: s.isin(list(HOST_TYPES)))],
    "employer_type": [_rule("enum", lambda s: s.isin(list(EMPLOYER_TYPES)))],
    "position_id": [_rule("position_id", lambda s: s.str.match(POSITION_ID_PATTERN))],
}


def group_sum(frame: pd.DataFrame, members: list[str]) -> pd.Series:
    return frame[members].sum(axis=1, min_count=1)


def fully_reported(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    return frame[columns].notna().all(axis=1)


def sum_holds(total: str, members: list[str]):
    """A fully reported group adds up to its total."""
    def check(frame: pd.DataFrame) -> pd.Series:
        complete = fully_reported(frame, [total, *members])
        return ~complete | (group_sum(frame, members) == frame[total]).fillna(False)
    return check


def unknown_not_negative(frame: pd.DataFrame) -> pd.Series:
    """Where a blank `*_unknown` member would be derived, the known members must not exceed the total."""
    holds = pd.Series(True, index=frame.index)
    for total, members, unknown in SUM_GROUPS.values():
        if unknown is None:
            continue
        known = [m for m in members if m != unknown]
        derivable = frame[unknown].isna() & fully_reported(frame, [total, *known])
        holds &= ~(derivable & (group_sum(frame, known) > frame[total]).fillna(False))
    return holds


def problem_bound(frame: pd.DataFrame) -> pd.Series:
    """Each problem count ≤ new + ongoing cases (or new cases + persons received when ongoing is blank)."""
    bound = frame["new_cases"] + frame["ongoing_cases"].fillna(frame["persons_received"])
    over = frame[GROUPS["problem"]].gt(bound, axis=0).fillna(False)
    return ~over.any(axis=1)


def prefix_matches(frame: pd.DataFrame) -> pd.Series:
    prefix = frame["position_id"].str.rsplit("-", n=1).str[0]
    both = frame["position_id"].notna() & frame["department_code"].notna()
    return ~both | (prefix == frame["department_code"]).fillna(False)


def return_schema(folder_year: int) -> pa.DataFrameSchema:
    """The canonical return of a file filed under `returns/<folder_year>/`."""
    columns = {}
    for column in COLUMNS:
        checks = list(_COLUMN_CHECKS.get(column.name, []))
        if column.name == "year":
            checks.append(_rule("year_mismatch", lambda s: s == folder_year))
        if column.name == "department_code":
            checks.append(_rule("department_code", lambda s: s.isin(official_department_codes())))
        columns[column.name] = pa.Column(nullable=not column.required, checks=checks)
    frame_checks = [
        _rule(f"sum_{group}", sum_holds(total, members)) for group, (total, members, _) in SUM_GROUPS.items()
    ] + [
        _rule("unknown_negative", unknown_not_negative),
        _rule("problem_bound", problem_bound),
        _rule("position_id", prefix_matches),
    ]
    return pa.DataFrameSchema(columns, checks=frame_checks, name="position_return")


#: Which columns a frame-level rule is about (for the message).
FRAME_RULE_COLUMNS = {
    **{f"sum_{group}": [total, *members] for group, (total, members, _) in SUM_GROUPS.items()},
    "unknown_negative": sorted({c for total, members, _ in SUM_GROUPS.values() for c in (total, *members)}),
    "problem_bound": GROUPS["problem"],
    "position_id": ["position_id", "department_code"],
}


def hard_rule_failures(typed: pd.DataFrame, folder_year: int) -> pd.DataFrame:
    """Every hard-rule failure of the schema as rows (row, rule, column); `column` is null for frame rules."""
    try:
        return_schema(folder_year).validate(typed, lazy=True)
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "rule": pd.Series(dtype=object),
                             "column": pd.Series(dtype=object)})
    except SchemaErrors as errors:
        cases = errors.failure_cases.dropna(subset=["index"])
    rule = cases["check"].astype(str).str.replace(r"\(.*\)$", "", regex=True)
    rule = rule.replace({"not_nullable": "required"})
    frame_level = cases["schema_context"] == "DataFrameSchema"
    return pd.DataFrame({
        "row": cases["index"].astype("int64"),
        "rule": rule,
        "column": cases["column"].where(~frame_level, None),
    }).drop_duplicates(ignore_index=True)
