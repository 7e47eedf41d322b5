"""The canonical return as a pandera `DataFrameModel`; every check is named after a contract rule id.

Run lazily, the model collects every failure case at once; `hard_rule_failures`
turns them into (row, rule, column) records, which is what the quarantine needs.
The fields are generated from `contract.COLUMNS` (the column list is written
down once); the checks are written here, one per rule.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pandera.typing import Series

from swps_pipeline.contract import (
    COLUMNS,
    COUNT_COLUMNS,
    EMPLOYER_TYPES,
    GROUPS,
    HARD_RULES,
    HOST_TYPES,
    SUM_GROUPS,
)
from swps_pipeline.reference import official_department_codes
from swps_pipeline.startup import without
from swps_pipeline.validate.parse import POSITION_ID_PATTERN, POSITION_ID_PREFIX

_DTYPES = {"int": pd.Int64Dtype, "float": float, "str": object, "enum": object}

FAILURE_COLUMNS = {"row": "int64", "rule": object, "column": object}


def group_sum(frame: pd.DataFrame, members: list[str]) -> pd.Series:
    """Sum of a group's members, null when none is reported."""
    return frame[members].sum(axis=1, min_count=1)


def fully_reported(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    return frame[columns].notna().all(axis=1)


def sum_holds(frame: pd.DataFrame, group: str) -> pd.Series:
    """A fully reported group adds up to its total (a group with a blank member is not checked)."""
    total, members, _ = SUM_GROUPS[group]
    adds_up = (group_sum(frame, members) == frame[total]).fillna(False)
    return ~fully_reported(frame, [total, *members]) | adds_up


def known_exceed_total(frame: pd.DataFrame, group: str) -> pd.Series:
    """The `*_unknown` member is blank, the others are reported and already exceed the total."""
    total, members, unknown = SUM_GROUPS[group]
    known = [m for m in members if m != unknown]
    derivable = frame[unknown].isna() & fully_reported(frame, [total, *known])
    return derivable & (group_sum(frame, known) > frame[total]).fillna(False)


def problem_bounds(frame: pd.DataFrame) -> pd.Series:
    """new_cases + ongoing_cases, or new_cases + persons_received when ongoing_cases is not reported."""
    return frame["new_cases"] + frame["ongoing_cases"].fillna(frame["persons_received"])


def problems_over_bound(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[GROUPS["problem"]].gt(problem_bounds(frame), axis=0).fillna(False).astype(bool)


def prefix_differs(frame: pd.DataFrame) -> pd.Series:
    """A well-formed position_id whose prefix is not the department_code (a malformed one fails on its own)."""
    prefix = frame["position_id"].str.extract(rf"(?a)^({POSITION_ID_PREFIX})-\d{{3}}$", expand=False)
    return prefix.notna() & frame["department_code"].notna() & (prefix != frame["department_code"])


UNKNOWN_GROUPS = [group for group, (_, _, unknown) in SUM_GROUPS.items() if unknown is not None]

ReturnFields = type(
    "ReturnFields",
    (pa.DataFrameModel,),
    {
        "__annotations__": {c.name: Series[_DTYPES[c.type]] for c in COLUMNS},
        **{c.name: pa.Field(nullable=not c.required) for c in COLUMNS},
    },
)


class ReturnModel(ReturnFields):
    """Every hard rule of the contract that one row can break on its own (`year_mismatch`: `return_model`)."""

    class Config:
        name = "position_return"
        strict = True
        ordered = True

    @pa.check(*COUNT_COLUMNS, name="range", error="range")
    def count_range(cls, counts: Series) -> Series[bool]:
        return counts >= 0

    @pa.check("fte", name="range", error="range")
    def fte_range(cls, fte: Series) -> Series[bool]:
        return (fte > 0) & (fte <= 1)

    @pa.check("months_active", name="range", error="range")
    def months_range(cls, months: Series) -> Series[bool]:
        return (months >= 1) & (months <= 12)

    @pa.check("cost_eur", name="range", error="range")
    def cost_range(cls, cost: Series) -> Series[bool]:
        return cost >= 0

    @pa.check("host_type", name="enum", error="enum")
    def host_type_enum(cls, host_type: Series) -> Series[bool]:
        return host_type.isin(list(HOST_TYPES))

    @pa.check("employer_type", name="enum", error="enum")
    def employer_type_enum(cls, employer_type: Series) -> Series[bool]:
        return employer_type.isin(list(EMPLOYER_TYPES))

    @pa.check("department_code", name="department_code", error="department_code")
    def department_code_official(cls, code: Series) -> Series[bool]:
        return code.isin(official_department_codes())

    @pa.check("position_id", name="position_id", error="position_id")
    def position_id_pattern(cls, position_id: Series) -> Series[bool]:
        return position_id.str.fullmatch(POSITION_ID_PATTERN).astype(bool)

    @pa.dataframe_check(name="position_id", error="position_id")
    def position_id_prefix(cls, frame: pd.DataFrame) -> Series[bool]:
        return ~prefix_differs(frame)

    @pa.dataframe_check(name="sum_cases", error="sum_cases")
    def sum_cases(cls, frame: pd.DataFrame) -> Series[bool]:
        return sum_holds(frame, "cases")

    @pa.dataframe_check(name="sum_persons_sex", error="sum_persons_sex")
    def sum_persons_sex(cls, frame: pd.DataFrame) -> Series[bool]:
        return sum_holds(frame, "persons_sex")

    @pa.dataframe_check(name="sum_persons_age", error="sum_persons_age")
    def sum_persons_age(cls, frame: pd.DataFrame) -> Series[bool]:
        return sum_holds(frame, "persons_age")

    @pa.dataframe_check(name="sum_source", error="sum_source")
    def sum_source(cls, frame: pd.DataFrame) -> Series[bool]:
        return sum_holds(frame, "source")

    @pa.dataframe_check(name="unknown_negative", error="unknown_negative")
    def unknown_negative(cls, frame: pd.DataFrame) -> Series[bool]:
        broken = pd.concat([known_exceed_total(frame, group) for group in UNKNOWN_GROUPS], axis=1)
        return ~broken.any(axis=1)

    @pa.dataframe_check(name="problem_bound", error="problem_bound")
    def problem_bound(cls, frame: pd.DataFrame) -> Series[bool]:
        return ~problems_over_bound(frame).any(axis=1)


@cache
def return_model(folder_year: int) -> type[ReturnModel]:
    """The model of a return filed under `returns/<folder_year>/`."""

    class YearReturnModel(ReturnModel):
        @pa.check("year", name="year_mismatch", error="year_mismatch")
        def year_mismatch(cls, year: Series) -> Series[bool]:
            return year == folder_year

    return YearReturnModel


@cache
def load_validation_backends() -> None:
    """Register pandera's pandas backends in this process without its data-synthesis strategies.

    pandera registers them at its first validation and, when hypothesis is installed, imports it for strategies
    that generate test data: 0.35 s of every run's process. The pipeline never generates data with pandera, and
    hypothesis is a test dependency, absent where the pipeline is installed without `[dev]`: it is hidden while
    pandera looks for it, then left importable as before. A process that imported hypothesis already (the
    tests) keeps pandera's strategies."""
    with without("hypothesis"):
        pa.DataFrameSchema().validate(pd.DataFrame())


def hard_rule_failures(typed: pd.DataFrame, folder_year: int) -> pd.DataFrame:
    """Every hard-rule failure as records (row, rule, column); `column` is null for a cross-field rule.

    Raises only on a programming error (a failure that is not about a row, e.g. a wrong dtype from parsing).
    """
    load_validation_backends()
    try:
        return_model(folder_year).validate(typed, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
    else:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in FAILURE_COLUMNS.items()})
    if cases["index"].isna().any():
        raise RuntimeError(f"schema-level failure, not a row's: {cases[cases['index'].isna()].to_dict('records')}")
    rule = cases["check"].astype(str).replace({"not_nullable": "required"})
    unknown = set(rule) - set(HARD_RULES)
    if unknown:
        raise RuntimeError(f"check(s) not named after a contract rule id: {sorted(unknown)}")
    cross_field = cases["schema_context"] == "DataFrameSchema"
    failures = pd.DataFrame({
        "row": cases["index"].astype("int64"),
        "rule": rule,
        "column": cases["column"].where(~cross_field, None).astype(object),
    })
    return failures.drop_duplicates(ignore_index=True)
