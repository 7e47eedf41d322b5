"""Turning raw text cells into typed values, column by column, vectorised.

A cell that says "not reported" becomes null (never 0); a cell that cannot
be read as its type becomes null *and* a `type` failure, so the row is
quarantined rather than silently emptied.
"""

from __future__ import annotations

import pandas as pd

from swps_pipeline.contract import COLUMNS, EMPLOYER_TYPES, HOST_TYPES, NOT_REPORTED, normalise_header

_ENUMS = {"host_type": HOST_TYPES, "employer_type": EMPLOYER_TYPES}
_ENUM_LOOKUP = {
    column: {normalise_header(alias): name for name, aliases in allowed.items() for alias in (name, *aliases)}
    for column, allowed in _ENUMS.items()
}
#: Spaces that may separate thousands: space, no-break space, narrow no-break space.
_THOUSANDS = r"[ \u00a0\u202f]"


def parse_number(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(float values, unreadable mask) for cells such as '1 256', '0,8', 'NR' or '-'."""
    cleaned = text.fillna("").str.strip()
    not_reported = cleaned.str.lower().isin(NOT_REPORTED)
    normalised = cleaned.str.replace(_THOUSANDS, "", regex=True).str.replace(",", ".", regex=False)
    values = pd.to_numeric(normalised.where(~not_reported), errors="coerce")
    return values, values.isna() & ~not_reported


def parse_department_code(text: pd.Series) -> pd.Series:
    """'1' → '01', '2a' → '2A'; the validity check itself is the schema's."""
    code = text.fillna("").str.strip().str.upper()
    code = code.where(~code.str.fullmatch(r"\d"), "0" + code)
    return code.replace("", None)


def parse_returns(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Typed canonical columns, and a boolean frame of the cells that failed to parse (rule `type`)."""
    typed: dict[str, pd.Series] = {}
    unreadable = pd.DataFrame(False, index=raw.index, columns=[c.name for c in COLUMNS])
    for column in COLUMNS:
        text = raw[column.name] if column.name in raw else pd.Series("", index=raw.index)
        if column.type in ("int", "float"):
            values, failed = parse_number(text)
            if column.type == "int":
                fractional = values.notna() & (values % 1 != 0)
                failed |= fractional
                values = values.where(~fractional).astype("Int64")
            typed[column.name], unreadable[column.name] = values, failed
        elif column.name == "department_code":
            typed[column.name] = parse_department_code(text)
        elif column.name == "position_id":
            typed[column.name] = text.fillna("").str.strip().str.upper().replace("", None)
        elif column.type == "enum":
            blank = text.fillna("").str.strip() == ""
            mapped = text.fillna("").map(lambda v: _ENUM_LOOKUP[column.name].get(normalise_header(v), "?"))
            # An unknown label is kept as written so the `enum` check can name it.
            typed[column.name] = mapped.where(mapped != "?", text.str.strip()).where(~blank, None)
        else:
            typed[column.name] = text.fillna("").str.strip().replace("", None)
    return pd.DataFrame(typed, index=raw.index), unreadable
