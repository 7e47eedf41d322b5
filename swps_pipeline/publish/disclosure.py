"""What may be shared: statistical disclosure control and spreadsheet-safe text.

The evaluation pack describes victims of domestic violence in small areas, so
small counts of persons or cases are hidden before anything leaves the
pipeline (the warehouse and the marts keep the true values), together with
the cells that would let a reader recover them by subtraction or from a
share and its denominator (`suppression`). Text cells are neutralised as the
very last step before a cell is written, so no spreadsheet program evaluates
them as formulas (OWASP, "CSV Injection").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd

from swps_pipeline import contract
from swps_pipeline.assumptions import DISCLOSURE_THRESHOLD
from swps_pipeline.i18n import N_
from swps_pipeline.indicators.catalogue import BY_ID
from swps_pipeline.publish.suppression import PROTECTION_WIDTH, CellModel, protect
from swps_pipeline.reuse import Reuse, compute_afresh

#: The text shown instead of a small count (1 to threshold - 1).
SUPPRESSED_LABEL = f"<{DISCLOSURE_THRESHOLD}"
#: The text shown instead of a cell hidden so that no small count can be worked out from it.
HIDDEN_LABEL = "[c]"

#: Column names that hold counts of persons or cases, besides the contract's
#: count columns: `persons_*`, `cases_*`, `*_persons`, `*_cases`,
#: `victims*`, `numerator`, `denominator`, `count`, `*_count`.
COUNT_NAME_PATTERN = re.compile(
    r"(persons|cases|victims)(_\w*)?|\w*_(persons|cases|count)|numerator|denominator|count"
)

#: First characters that make a spreadsheet read a text cell as a formula
#: (OWASP CSV Injection: `=`, `+`, `-`, `@`, tab, carriage return), also when
#: only whitespace or control characters come before them: spreadsheets and
#: XML writers strip those, which would bring the trigger to the front.
FORMULA_TRIGGERS = "=+-@\t\r"
_FORMULA_START = re.compile(f"[\\s\\x00-\\x1f\\x7f-\\x9f]*[{re.escape(FORMULA_TRIGGERS)}]")

#: What the pack says of disclosure control: a message of the catalogues (`i18n`), filled with the thresholds.
DISCLOSURE_RULE_MESSAGE = N_(
    "Counts of persons or cases from 1 to {largest_small} are shown as "
    "'{suppressed}' (statistical disclosure control: the cells describe victims of "
    "domestic violence in small areas). Cells shown as "
    "'{hidden}' are hidden as well (complementary suppression), so that no '{suppressed}' "
    "cell can be worked out by subtraction from its breakdown's total, from the national total "
    "(départements add up to the nation), or from a share or rate and its denominator; a rate, "
    "share or cost per case whose count is hidden is hidden too. The outliers (rows selected by "
    "their value) do not list a row with a hidden count: being listed would tell how far its "
    "value, and so its count, is from the median. A count shown as '{hidden}' is "
    "more than {largest_small}, except in a group of related counts all hidden with no "
    "'{suppressed}' among them: there the '{suppressed}' labels alone would give the small counts "
    "away, so they are shown as '{hidden}' too. Method: linear-programming "
    "cell suppression as in τ-Argus and sdcTable: the publisher plays the attacker, solving "
    "every published relation for each hidden small count, and hides further cells until each "
    "one can still take at least {whole_values} whole values. "
    "0 is shown as 0: it describes nobody. An empty cell means not reported or not defined. "
    "Totals that are shown are the true totals."
)
DISCLOSURE_RULE_VALUES = {"largest_small": DISCLOSURE_THRESHOLD - 1, "suppressed": SUPPRESSED_LABEL,
                          "hidden": HIDDEN_LABEL, "whole_values": PROTECTION_WIDTH + 1}
DISCLOSURE_RULE = DISCLOSURE_RULE_MESSAGE.format(**DISCLOSURE_RULE_VALUES)

NEUTRALISATION_RULE = N_(
    "Text cells beginning with =, +, -, @, a tab or a carriage return, also after spaces or "
    "control characters, are prefixed with an apostrophe (') so that no spreadsheet program "
    "evaluates them as formulas. Numbers, including negative numbers, are stored as numbers."
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


def neutralise_text(values: pd.Series) -> pd.Series:
    """Prefix `'` to the text values that start with a formula trigger; leave everything else as is."""
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "mixed", "mixed-integer"):
        return values
    text = values.astype(object)
    risky = text.str.match(_FORMULA_START, na=False).astype(bool)
    if not risky.any():
        return values
    return text.where(~risky, "'" + text.where(risky, ""))



def neutralise_value(value: object) -> object:
    """`neutralise_text` for one value: the last step before a cell is written."""
    if isinstance(value, str) and _FORMULA_START.match(value):
        return "'" + value
    return value


#: Counts derived from the contract's: the total of a breakdown without its own column.
DERIVED_SUMS = {
    "new_and_ongoing_cases": ["new_cases", "ongoing_cases"],
    "orientations": contract.GROUPS["orient"],
}
#: Columns of the indicator tables computed from the row's numerator and denominator
#: (`value`, and the robust z-score of the outliers), or also from the previous year's.
_INDICATOR_CURRENT = ("value", "robust_z")
_INDICATOR_CHANGE = ("value_previous_year", "change_abs", "change_rel")
_PERSON_COUNTS = frozenset([*contract.COUNT_COLUMNS, *DERIVED_SUMS])
#: The columns of a listing whose rows are selected by their value (the outliers: |robust z| > 4 from the
#: median it shows, with the MAD). Being listed bounds a row's value, and so its hidden counts: a row with a
#: hidden count is withheld. Not being listed then says nothing of a hidden count: the row may be withheld.
VALUE_SELECTED = frozenset({"median", "robust_z"})
#: The count each cost ratio of `cost_per_case` divides by (economics.cost); any other
#: `cost_per_*` column is hidden when any count of its row is.
COST_DIVISORS = {
    "cost_per_new_case": "new_cases",
    "cost_per_person_received": "persons_received",
    "cost_per_action": "actions",
    "cost_per_domestic_violence_case": "problem_domestic_violence",
}


def disclose(
    tables: Mapping[str, pd.DataFrame], position_departments: Mapping[str, str] | None = None,
    reuse: Reuse = compute_afresh,
) -> dict[str, tuple[pd.DataFrame, int]]:
    """Every table as it may leave the pipeline, and how many of its cells were hidden.

    The tables are protected together: a count published in several tables
    (a département's cases in `department_year` and in an indicator row) is
    one cell, hidden everywhere or nowhere. Tables are recognised by their
    columns: `department_code` + `year` (a département per row), `year` alone
    (the nation per row), `level` + `entity` + `year` (indicator or cost rows
    at any level); counts in any other table are hidden where small. A listing
    selected by value (`VALUE_SELECTED`) leaves out its rows with a hidden count.
    `position_departments` maps position ids to their département, to relate
    position rows to their département. `reuse` wraps the costly step, finding the cells to hide block by
    block, to keep its results across runs (they depend on the counts and relations only, not on the rest of
    the tables).
    """
    model, cells, derived = cell_model(tables, position_departments)
    suppression = protect(model, reuse)
    result = {}
    for name, frame in tables.items():
        frame = frame.reset_index(drop=True)
        shown: dict[str, list[object]] = {}
        withheld = ({row for row, _, cell in cells[name] if cell in suppression.hidden}
                    if VALUE_SELECTED <= set(frame.columns) else set())

        def show(row: int, column: str, label: str) -> None:
            if row in withheld:  # no label: a column left without any keeps its type, as if never listed
                return
            if column not in shown:
                shown[column] = frame[column].astype(object).where(frame[column].notna(), None).tolist()
            shown[column][row] = label

        for row, column, cell in cells[name]:
            if cell in suppression.hidden:
                show(row, column, SUPPRESSED_LABEL if cell in suppression.small else HIDDEN_LABEL)
        for row, column, keys in derived[name]:
            if any(model.index[key] in suppression.hidden for key in keys if key in model.index):
                show(row, column, HIDDEN_LABEL)
        hidden = sum(value in (SUPPRESSED_LABEL, HIDDEN_LABEL) for values in shown.values() for value in values)
        frame = frame.assign(**{column: pd.Series(values, dtype=object) for column, values in shown.items()})
        result[name] = (frame.drop(index=sorted(withheld)).reset_index(drop=True), hidden)
    return result


def cell_model(tables: Mapping[str, pd.DataFrame], position_departments: Mapping[str, str] | None = None) -> tuple[
        CellModel, dict[str, list[tuple[int, str, int]]], dict[str, list[tuple[int, str, list[Hashable]]]]]:
    """The published counts of every table as one model of cells and relations; by table, where each cell
    is shown (row, column, cell) and the columns computed from cells (row, column, their keys)."""
    model = CellModel()
    cells: dict[str, list[tuple[int, str, int]]] = defaultdict(list)
    derived: dict[str, list[tuple[int, str, list[Hashable]]]] = defaultdict(list)
    for name, frame in tables.items():
        _register(model, name, frame.reset_index(drop=True), cells[name], derived[name])
    _relate(model, tables, position_departments or {})
    return model, cells, derived


def _whole(value: object) -> int:
    """A published count as a whole number; missing (not reported) contributes nothing."""
    return 0 if pd.isna(value) else int(round(float(value)))


def _register(model: CellModel, name: str, frame: pd.DataFrame, cells: list, derived: list) -> None:
    """Register the counts of one table as cells, and the columns computed from them."""
    columns = set(frame.columns)
    if {"level", "entity", "year"} <= columns:
        scopes = list(zip(frame["level"].astype(str), frame["entity"].astype(str), frame["year"].astype(int)))
    elif {"department_code", "year"} <= columns:
        scopes = [("department", code, int(year)) for code, year in zip(frame["department_code"], frame["year"])]
    elif "year" in columns and not frame["year"].duplicated().any():
        scopes = [("national", "", int(year)) for year in frame["year"]]
    else:
        scopes = [(name, str(row), 0) for row in range(len(frame))]

    def cell(row: int, column: str, term: str, value: object) -> Hashable:
        key, count = (*scopes[row], term), _whole(value)
        if key in model.index and model.values[model.index[key]] != count:
            key = _over_other_positions(model, key, count)
        cells.append((row, column, model.cell(key, count)))
        return key

    if "indicator" in columns and {"numerator", "denominator"} <= columns and pd.api.types.is_numeric_dtype(
        frame["numerator"]
    ):
        for row, indicator in enumerate(frame["indicator"]):
            definition = BY_ID.get(indicator)
            terms = [(column, getattr(definition, column, None)) for column in ("numerator", "denominator")]
            keys = [cell(row, column, term, frame.at[row, column]) for column, term in terms if term in _PERSON_COUNTS]
            level, entity, year = scopes[row]
            previous = [(level, entity, year - 1, term) for _, term in terms if term in _PERSON_COUNTS]
            derived += [(row, column, keys) for column in _INDICATOR_CURRENT if column in columns]
            derived += [(row, column, keys + previous) for column in _INDICATOR_CHANGE if column in columns]
        return
    counts = count_columns(frame)
    values = {column: frame[column].tolist() for column in counts}  # read cell by cell, `frame.at` cost 0.3 s
    row_keys = [{column: cell(row, column, column, values[column][row]) for column in counts}
                for row in range(len(frame))]
    for column in sorted(columns):  # a cost per case is hidden with the count it divides by
        if column.startswith("cost_per_"):
            divisor = COST_DIVISORS.get(column)
            derived += [(row, column, [keys[divisor]] if divisor in keys else list(keys.values()))
                        for row, keys in enumerate(row_keys)]


def _over_other_positions(model: CellModel, key: tuple, count: int) -> tuple:
    """The cell of term `key` counted over other positions (those reporting both terms of a share, the costed
    ones): a cell of its own, whose difference from `key`'s count (one or a few positions' count, published
    nowhere) a reader gets by subtraction, so it is an unpublished cell, protected when small."""
    other, rest = (*key, count), ("unpublished", *key, count)
    if other not in model.index:
        whole = model.values[model.index[key]]
        model.cell(other, count)
        model.cell(rest, abs(whole - count), published=False)
        larger, smaller = (key, other) if whole > count else (other, key)
        model.relate(larger, [smaller, rest])
    return other


def _relate(model: CellModel, tables: Mapping[str, pd.DataFrame], position_departments: Mapping[str, str]) -> None:
    """The relations a reader can use: breakdowns add up to their totals (when fully reported),
    départements to the nation, positions to their département (all of them when every reporting
    position of the département is published)."""
    scopes = sorted({key[:3] for key in model.keys if len(key) == 4})
    for scope in scopes:
        for total, members, _unknown in contract.SUM_GROUPS.values():
            model.relate((*scope, total), [(*scope, member) for member in members])
        for total, members in DERIVED_SUMS.items():
            model.relate((*scope, total), [(*scope, member) for member in members])
    by_area: dict[tuple, list[tuple]] = defaultdict(list)
    for key in model.keys:
        if len(key) == 4 and key[0] == "department":
            by_area[("national", "", key[2], key[3])].append(key)
        elif len(key) == 4 and key[0] == "position" and key[1] in position_departments:
            by_area[("department", position_departments[key[1]], key[2], key[3])].append(key)
    reporting = _positions_reporting(tables)
    for total, parts in sorted(by_area.items()):
        complete = total[0] == "national" or len(parts) == reporting.get(total[1:3], -1)
        model.relate(total, parts, complete=complete)


def _positions_reporting(tables: Mapping[str, pd.DataFrame]) -> dict[tuple[str, int], int]:
    """Positions reporting by (département, year), from the table that publishes them."""
    for frame in tables.values():
        if {"department_code", "year", "positions_reporting"} <= set(frame.columns) and "level" not in frame:
            return {(code, int(year)): int(n) for code, year, n in
                    zip(frame["department_code"], frame["year"], frame["positions_reporting"]) if pd.notna(n)}
    return {}
