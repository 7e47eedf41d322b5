"""What may be shared: statistical disclosure control and spreadsheet-safe text.

The evaluation pack describes victims of domestic violence in small areas, so
small counts of persons or cases are hidden before anything leaves the
pipeline (the warehouse and the marts keep the true values). Text cells are
neutralised so no spreadsheet program evaluates them as formulas (OWASP,
"CSV Injection").
"""

from __future__ import annotations

import re

import pandas as pd

from swps_pipeline import contract
from swps_pipeline.assumptions import DISCLOSURE_THRESHOLD

#: The text shown instead of a suppressed count.
SUPPRESSED_LABEL = f"<{DISCLOSURE_THRESHOLD}"

#: Column names that hold counts of persons or cases, besides the contract's
#: count columns: `persons_*`, `cases_*`, `*_persons`, `*_cases`,
#: `victims*`, `numerator`, `denominator`, `count`, `*_count`.
COUNT_NAME_PATTERN = re.compile(
    r"(persons|cases|victims)(_\w*)?|\w*_(persons|cases|count)|numerator|denominator|count"
)

#: First characters that make a spreadsheet read a text cell as a formula
#: (OWASP CSV Injection: `=`, `+`, `-`, `@`, tab, carriage return).
FORMULA_TRIGGERS = "=+-@\t\r"
_FORMULA_START = re.compile(f"[{re.escape(FORMULA_TRIGGERS)}]")

DISCLOSURE_RULE = (
    f"Counts of persons or cases from 1 to {DISCLOSURE_THRESHOLD - 1} are shown as "
    f"'{SUPPRESSED_LABEL}' (statistical disclosure control: the cells describe victims of "
    "domestic violence in small areas). 0 is shown as 0: it describes nobody. An empty cell "
    "means not reported or not defined. Only the small cells themselves are hidden: a total "
    "published alongside them is the true total."
)
NEUTRALISATION_RULE = (
    "Text cells beginning with =, +, -, @, a tab or a carriage return are prefixed with an "
    "apostrophe (') so that no spreadsheet program evaluates them as formulas. Numbers, "
    "including negative numbers, are stored as numbers."
)


def is_count_column(name: str, column: pd.Series) -> bool:
    """The one rule deciding which columns are counts of persons or cases.

    A column is a count when its name is a contract count column or matches
    `COUNT_NAME_PATTERN`, and its values are whole numbers: an integer dtype,
    or a float dtype whose non-null values are all whole (a count that lost
    its `Int64` on the way must not escape suppression). The rule errs on the
    side of hiding: a whole-valued rate under a count name would be hidden too.
    """
    if name not in contract.COUNT_COLUMNS and not COUNT_NAME_PATTERN.fullmatch(name):
        return False
    if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
        return False
    if pd.api.types.is_integer_dtype(column):
        return True
    values = column.dropna()
    return bool((values == values.round()).all())


def count_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of `frame` that `is_count_column` calls counts of persons or cases."""
    return [name for name, column in frame.items() if is_count_column(str(name), column)]


def suppress_small_counts(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Show counts from 1 to threshold - 1 as `SUPPRESSED_LABEL`; return the frame and the cells hidden.

    Suppressed columns become `object` holding Python ints, the label and
    None for missing; other columns are untouched.
    """
    suppressed = 0
    replaced: dict[str, pd.Series] = {}
    for name in count_columns(frame):
        column = frame[name]
        small = ((column >= 1) & (column < DISCLOSURE_THRESHOLD)).fillna(False).astype(bool)
        suppressed += int(small.sum())
        whole = column.astype("Int64").astype(object).where(column.notna(), None)
        replaced[name] = whole.where(~small, SUPPRESSED_LABEL)
    return (frame.assign(**replaced) if replaced else frame), suppressed


def neutralise_text(values: pd.Series) -> pd.Series:
    """Prefix `'` to the text values that start with a formula trigger; leave everything else as is."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "mixed", "mixed-integer"):
        return values
    text = values.astype(object)
    risky = text.str.match(_FORMULA_START, na=False).astype(bool)
    if not risky.any():
        return values
    return text.where(~risky, "'" + text.where(risky, ""))


def shareable(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The frame as it may leave the pipeline: small counts hidden, text and headers neutralised."""
    suppressed_frame, suppressed = suppress_small_counts(frame)
    neutralised = {name: neutralise_text(column) for name, column in suppressed_frame.items()}
    safe = suppressed_frame.assign(**neutralised)
    safe.columns = neutralise_text(pd.Series([str(c) for c in frame.columns], dtype=object)).tolist()
    return safe, suppressed
