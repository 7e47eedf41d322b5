"""One message per broken rule that the person who filled the return can act on: column, value, expected.

Built vectorised, rule by rule, over the failures only.
"""

from __future__ import annotations

import pandas as pd

from swps_pipeline.contract import BY_NAME, COLUMN_NAMES, COUNT_COLUMNS, GROUPS, SUM_GROUPS
from swps_pipeline.ingest.lines import VALUELESS_CELLS
from swps_pipeline.validate.parse import ENUMS
from swps_pipeline.validate.schema import (
    UNKNOWN_GROUPS,
    group_sum,
    known_exceed_total,
    problem_bounds,
    problems_over_bound,
)

OFFICIAL_CODES_TEXT = "one of the 101 official codes (01–19, 2A, 2B, 21–95, 971–974, 976)"


def _enum_text(allowed: dict[str, tuple[str, ...]]) -> str:
    return "one of " + ", ".join(f"{value} ({', '.join(aliases)})" for value, aliases in allowed.items())


def _type_text(column: str) -> str:
    if column == "year":
        return "a whole number, the year (e.g. 2021)"
    return "a whole number" if BY_NAME[column].type == "int" else "a number (e.g. 0,8 or 0.8)"


#: What a cell-level rule expected, by (rule, column).
EXPECTED: dict[tuple[str, str], str] = {
    **{("type", c): _type_text(c) for c in COLUMN_NAMES if BY_NAME[c].type in ("int", "float")},
    **{("range", c): "a whole number ≥ 0" for c in COUNT_COLUMNS},
    ("range", "fte"): "a number in (0, 1]",
    ("range", "months_active"): "a whole number from 1 to 12",
    ("range", "cost_eur"): "an amount ≥ 0",
    **{("enum", c): _enum_text(allowed) for c, allowed in ENUMS.items()},
    ("department_code", "department_code"): OFFICIAL_CODES_TEXT,
    ("position_id", "position_id"): "<department_code>-<3 digits>, e.g. 77-003",
}


def _show(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("blank")


def _join_parts(parts: pd.DataFrame, separator: str) -> pd.Series:
    """Join each row's non-null parts (columns in order)."""
    return parts.stack().groupby(level=0).agg(separator.join)


def cell_messages(failures: pd.DataFrame, text: pd.DataFrame, folder_year: int) -> pd.Series:
    """Messages of failures about one cell (`column` set); `text` holds the cells as read."""
    values = pd.Series(
        text.to_numpy(dtype=object)[failures["row"].to_numpy(), text.columns.get_indexer(failures["column"])],
        index=failures.index, dtype=object,
    )
    shown = failures["column"] + " = '" + values + "': expected "
    expected = pd.Series(
        [EXPECTED.get(key, "") for key in zip(failures["rule"], failures["column"])], index=failures.index, dtype=object
    )
    year_text = f"{folder_year}, the year of folder returns/{folder_year}/ (correct the year or move the file)"
    message = shown + expected.where(failures["rule"] != "year_mismatch", year_text)
    for marker, valueless in VALUELESS_CELLS.items():
        message = message.where(~values.str.startswith(marker), failures["column"] + " = '" + values.str[1:] + "': "
                                + valueless.remedy)
    return message.where(failures["rule"] != "required", failures["column"] + " is blank: it is required")


def _sum_message(rows: pd.DataFrame, group: str) -> pd.Series:
    total, members, _ = SUM_GROUPS[group]
    return (f"{' + '.join(members)} = " + _show(group_sum(rows, members)) + f", expected {total} = "
            + _show(rows[total]) + " (a fully reported group adds up to its total)")


def _unknown_negative_message(rows: pd.DataFrame) -> pd.Series:
    parts = {}
    for group in UNKNOWN_GROUPS:
        total, members, unknown = SUM_GROUPS[group]
        known = [m for m in members if m != unknown]
        text = (f"{' + '.join(known)} = " + _show(group_sum(rows, known)) + f" exceeds {total} = "
                + _show(rows[total]) + f" ({unknown} blank: the known members cannot exceed the total)")
        parts[group] = text.where(known_exceed_total(rows, group))
    return _join_parts(pd.DataFrame(parts), "; ")


def _problem_bound_message(rows: pd.DataFrame) -> pd.Series:
    over = problems_over_bound(rows)
    parts = pd.DataFrame({c: (c + " = " + _show(rows[c])).where(over[c]) for c in GROUPS["problem"]})
    bound = pd.Series("new_cases + ongoing_cases", index=rows.index).where(
        rows["ongoing_cases"].notna(), "new_cases + persons_received")
    return _join_parts(parts, ", ") + ": expected at most " + bound + " = " + _show(problem_bounds(rows))


def _prefix_message(rows: pd.DataFrame) -> pd.Series:
    return ("position_id = '" + rows["position_id"] + "' does not start with department_code '"
            + rows["department_code"] + "': correct one of them")


def _conflict_message(rows: pd.DataFrame, copies_at: pd.Series, folder_year: int) -> pd.Series:
    return (rows["position_id"] + f" has several different returns for {folder_year} (" + copies_at[rows.index]
            + "): all are quarantined, nothing is guessed; send one corrected return")


def _beyond_header_message(beyond_header: pd.Series) -> pd.Series:
    cells = beyond_header.map(lambda cells: ", ".join(f"'{cell}'" for cell in cells))
    return ("cell(s) beyond the header's last column (" + cells + "): a separator inside a value (e.g. an unquoted "
            "decimal comma) shifts every cell after it, and a separator too many at the end of the row or a column "
            "without a title looks the same; put that value in quotes, remove the separator or title the column, "
            "nothing is guessed")


def cross_field_messages(
    failures: pd.DataFrame, typed: pd.DataFrame, beyond_header: pd.Series, copies_at: pd.Series, folder_year: int
) -> pd.Series:
    """Messages of failures about a whole row (`column` null), computed once per rule; `beyond_header`: each row's
    cells beyond the header (`RawFile.beyond_header`)."""
    builders = {
        "type": lambda rows: _beyond_header_message(beyond_header[rows.index]),
        **{f"sum_{group}": (lambda rows, g=group: _sum_message(rows, g)) for group in SUM_GROUPS},
        "unknown_negative": _unknown_negative_message,
        "problem_bound": _problem_bound_message,
        "position_id": _prefix_message,
        "conflicting_duplicate": lambda rows: _conflict_message(rows, copies_at, folder_year),
    }
    messages = pd.Series(index=failures.index, dtype=object)
    for rule, broken in failures.groupby("rule"):
        by_row = builders[rule](typed.loc[broken["row"].unique()])
        messages[broken.index] = by_row.reindex(broken["row"]).to_numpy()
    return messages
