"""Turning raw text cells into typed values, vectorised.

A cell that says "not reported" becomes null (never 0); a cell that cannot be
read as its type becomes null *and* is flagged, so validation quarantines the
row under rule `type` instead of silently emptying it. Each distinct text is
parsed once: a year of returns has millions of cells but few distinct values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.contract import (
    COLUMN_NAMES,
    COLUMNS,
    EMPLOYER_TYPES,
    FLOAT_COLUMNS,
    HOST_TYPES,
    INT_COLUMNS,
    NOT_REPORTED,
    normalise_header,
)
from swps_pipeline.ingest.lines import VALUELESS_CELLS
from swps_pipeline.profiles import active_profile

#: `<department_code>-<3 digits>` (contract, position_id); the prefix is checked against the code separately.
#: The shapes of an area code come from the country profile (`template.position_id_prefix`).
POSITION_ID_PREFIX = active_profile().position_id_prefix
#: `(?a)`: `\d` means 0-9 only, not the fullwidth or Arabic-Indic digits a copy-paste can bring.
POSITION_ID_PATTERN = rf"(?a)(?:{POSITION_ID_PREFIX})-\d{{3}}"
#: Thousands separators the contract allows: space, no-break space (U+00A0), narrow no-break space (U+202F).
THOUSANDS_SEPARATORS = " \u00a0\u202f"
#: A plain decimal number: optional sign, digits (optionally in groups of three), optional `.`/`,` decimals. Digits
#: are 0-9 only (`(?a)`): `\d` alone also matches ０ or ١, which the conversion to a number then turned into a blank.
_NUMBER = rf"(?a)[+-]?(?:\d+|\d{{1,3}}(?:[{THOUSANDS_SEPARATORS}]\d{{3}})+)?(?:[.,]\d+)?"
#: Beyond this a float no longer holds every integer exactly: such a "count" is not a number anyone typed.
_LARGEST_COUNT = 2**53
ENUMS: dict[str, dict[str, tuple[str, ...]]] = {"host_type": HOST_TYPES, "employer_type": EMPLOYER_TYPES}


def _per_distinct(values: np.ndarray, parse) -> tuple[np.ndarray, ...]:
    """Apply `parse` (Series of distinct texts -> arrays) once per distinct value, then spread back."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return tuple(result[codes] for result in parse(pd.Series(uniques, dtype=object)))


def _parse_distinct_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    cleaned = text.fillna("").str.strip()
    not_reported = cleaned.str.lower().isin(NOT_REPORTED)
    readable = cleaned.str.fullmatch(_NUMBER) & cleaned.str.contains("[0-9]")
    plain = cleaned.str.replace(f"[{THOUSANDS_SEPARATORS}]", "", regex=True).str.replace(",", ".", regex=False)
    values = pd.to_numeric(plain.where(readable), errors="coerce").to_numpy(dtype="float64")
    # A number of over 308 digits is beyond any float: unreadable, not blank.
    readable &= np.isfinite(values)
    return np.where(readable, values, np.nan), (~readable & ~not_reported).to_numpy(dtype=bool)


def parse_numbers(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(float values, unreadable mask) of text cells such as '1 256', '0,8', 'NR' or '-' (any shape)."""
    values, unreadable = _per_distinct(cells.ravel(), _parse_distinct_numbers)
    return values.reshape(cells.shape), unreadable.reshape(cells.shape)


def whole_numbers(values: np.ndarray, unreadable: np.ndarray) -> tuple[list[pd.api.extensions.ExtensionArray],
                                                                         np.ndarray]:
    """Counts (one Int64 array per column of `values`): a fractional or absurdly large value is unreadable."""
    reported = ~np.isnan(values)
    not_whole = reported & ((np.mod(values, 1, where=reported, out=np.zeros_like(values)) != 0)
                            | (np.abs(values, where=reported, out=np.zeros_like(values)) >= _LARGEST_COUNT))
    null = ~reported | not_whole
    integers = np.where(null, 0, values).astype("int64")
    columns = [pd.arrays.IntegerArray(integers[:, j], null[:, j]) for j in range(values.shape[1])]
    return columns, unreadable | not_whole


def parse_department_code(text: pd.Series) -> pd.Series:
    """'1' → '01', '2a' → '2A'; whether the code is official is the schema's check."""
    def distinct(codes: pd.Series) -> tuple[np.ndarray]:
        code = codes.fillna("").str.strip().str.upper()
        code = code.where(~code.str.fullmatch(r"\d"), "0" + code)
        return (code.where(code != "", None).to_numpy(dtype=object),)

    (codes,) = _per_distinct(text.to_numpy(dtype=object), distinct)
    return pd.Series(codes, index=text.index, dtype=object)


def parse_position_id(text: pd.Series) -> pd.Series:
    return text.fillna("").str.strip().str.upper().replace("", None).astype(object)


def parse_enum(text: pd.Series, allowed: dict[str, tuple[str, ...]]) -> pd.Series:
    """The canonical value of a label or alias (matched after `normalise_header`); an unknown label is kept
    as written, so that the `enum` check can name it; blank is null."""
    lookup = {normalise_header(alias): value for value, aliases in allowed.items() for alias in (value, *aliases)}

    def distinct(labels: pd.Series) -> tuple[np.ndarray]:
        stripped = labels.fillna("").str.strip()
        mapped = stripped.map(lambda label: lookup.get(normalise_header(label)))
        return (mapped.fillna(stripped).where(stripped != "", None).to_numpy(dtype=object),)

    (values,) = _per_distinct(text.to_numpy(dtype=object), distinct)
    return pd.Series(values, index=text.index, dtype=object)


def parse_text(text: pd.Series) -> pd.Series:
    return text.fillna("").str.strip().replace("", None).astype(object)


def valueless_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Where a cell has no value to read (`lines.VALUELESS_CELLS`: a formula without a saved value, a spreadsheet
    error), looked for cell by cell only in the columns that hold one at all (only an XLSX file can: a year's 60
    columns cell by cell took 0.4 s at 10x)."""
    markers = tuple(VALUELESS_CELLS)
    marked = pd.DataFrame(False, index=cells.index, columns=cells.columns)
    for name, column in cells.items():
        joined = "".join(column)
        if any(marker in joined for marker in markers):
            marked[name] = column.str.startswith(markers).to_numpy(bool)
    return marked


def parse_returns(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every canonical column typed (Int64, float64 or str), and the mask of cells that failed to parse (`type`).

    A valueless cell (a formula without a saved value, a spreadsheet error) fails whatever its column's type, and
    is null: a position id made of a formula is no position id."""
    text = raw.reindex(columns=COLUMN_NAMES, fill_value="")
    numbers, unreadable = parse_numbers(text[INT_COLUMNS + FLOAT_COLUMNS].to_numpy(dtype=object))
    n_int = len(INT_COLUMNS)
    counts, unreadable_counts = whole_numbers(numbers[:, :n_int], unreadable[:, :n_int])
    typed: dict[str, object] = dict(zip(INT_COLUMNS, counts)) | dict(zip(FLOAT_COLUMNS, numbers[:, n_int:].T))
    for column in COLUMNS:
        if column.name == "department_code":
            typed[column.name] = parse_department_code(text[column.name])
        elif column.name == "position_id":
            typed[column.name] = parse_position_id(text[column.name])
        elif column.type == "enum":
            typed[column.name] = parse_enum(text[column.name], ENUMS[column.name])
        elif column.type == "str":
            typed[column.name] = parse_text(text[column.name])
    failed = pd.DataFrame(False, index=raw.index, columns=COLUMN_NAMES)
    failed[INT_COLUMNS + FLOAT_COLUMNS] = np.concatenate([unreadable_counts, unreadable[:, n_int:]], axis=1)
    typed_frame = pd.DataFrame({name: typed[name] for name in COLUMN_NAMES}, index=raw.index)
    valueless = valueless_cells(text)
    for name in valueless.columns[valueless.any().to_numpy()]:
        typed_frame[name] = typed_frame[name].where(~valueless[name], None)
    return typed_frame, failed | valueless
