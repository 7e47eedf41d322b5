"""The registry of funded positions (`positions.csv`): what each year's returns are checked against.

Unlike a return, a bad registry cannot be quarantined row by row: every
position's expected returns depend on it. So any problem stops the run with
one line naming the file and what to fix.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd

from swps_pipeline.contract import EMPLOYER_TYPES, HOST_TYPES, REGISTRY_COLUMNS, normalise_header
from swps_pipeline.ingest.lines import FileRejected, decode, detect_separator
from swps_pipeline.reference import official_department_codes
from swps_pipeline.validate.parse import (
    POSITION_ID_PATTERN,
    parse_department_code,
    parse_enum,
    parse_numbers,
    parse_position_id,
    parse_text,
    whole_numbers,
)
from swps_pipeline.validate.schema import prefix_differs

DATE_FORMAT = "%Y-%m-%d"


class RegistryError(Exception):
    """The registry is missing or malformed; the message is one line for the user."""


def _read_text(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise RegistryError(f"{path}: registry not found (expected positions.csv under SWPS_DATA_DIR)")
    try:
        text = decode(path.read_bytes(), remedy="save the registry as CSV (UTF-8)")
    except FileRejected as problem:
        raise RegistryError(f"{path.name}: {problem}") from None
    except OSError as error:
        raise RegistryError(f"{path.name}: cannot be opened ({error.strerror})") from None
    if not text.strip():
        raise RegistryError(f"{path.name}: empty file, expected a header row and one row per position")
    try:
        frame = pd.read_csv(io.StringIO(text), sep=detect_separator(text), dtype=str, keep_default_na=False,
                            skip_blank_lines=False, quoting=csv.QUOTE_MINIMAL)
    except (pd.errors.ParserError, csv.Error) as error:
        reason = str(error).strip().splitlines()[-1]
        raise RegistryError(f"{path.name}: malformed CSV ({reason})") from None
    frame.columns = [normalise_header(c) for c in frame.columns]
    missing = [c for c in REGISTRY_COLUMNS if c not in frame.columns]
    if missing:
        raise RegistryError(f"{path.name}: column(s) {', '.join(repr(c) for c in missing)} missing")
    text = frame[REGISTRY_COLUMNS].apply(lambda column: column.str.strip())
    # Blank rows are dropped after reading, so that each row keeps its index: its line in the file, minus 2.
    text = text[text.ne("").any(axis=1)]
    if text.empty:  # every return would be "unregistered" and every position "not expected"
        raise RegistryError(f"{path.name}: no positions, only a header row; expected one row per funded position")
    return text


def read_registry(path: Path) -> pd.DataFrame:
    """Read and check `positions.csv` (schema in docs/ARCHITECTURE.md); raise `RegistryError` on any problem."""
    text = _read_text(path)
    name = path.name

    def fail_where(mask: pd.Series, what: str) -> None:
        if mask.any():
            first = mask.to_numpy().argmax()
            raise RegistryError(
                f"{name}: {what} ({int(mask.sum())} row(s); first on line {text.index[first] + 2}, "
                f"position_id {text['position_id'].iloc[first]!r})"
            )

    position_id = parse_position_id(text["position_id"])
    department_code = parse_department_code(text["department_code"])
    fail_where(position_id.isna(), "position_id is blank")
    fail_where(~position_id.str.fullmatch(POSITION_ID_PATTERN).astype(bool),
               "malformed position_id (expected <department_code>-<3 digits>, e.g. 77-003)")
    fail_where(position_id.duplicated(keep=False), "duplicate position_id")
    fail_where(~department_code.isin(official_department_codes()), "department_code is not an official code")
    fail_where(prefix_differs(pd.DataFrame({"position_id": position_id, "department_code": department_code})),
               "position_id does not start with its department_code")

    start = pd.to_datetime(text["start_date"], format=DATE_FORMAT, errors="coerce")
    end = pd.to_datetime(text["end_date"].replace("", None), format=DATE_FORMAT, errors="coerce")
    fail_where(start.isna(), "start_date blank or not a date YYYY-MM-DD")
    fail_where(end.isna() & text["end_date"].ne(""), "end_date not a date YYYY-MM-DD (leave it blank while active)")
    fail_where(end < start, "end_date before start_date")

    values, unreadable = parse_numbers(text[["local_funders"]].to_numpy(dtype=object))
    (funders,), not_whole = whole_numbers(values, unreadable)
    funders = pd.Series(funders, index=text.index)
    fail_where(pd.Series(not_whole[:, 0], index=text.index) | (funders < 0).fillna(False),
               "local_funders is not a whole number ≥ 0")

    host_type, employer_type = parse_enum(text["host_type"], HOST_TYPES), parse_enum(text["employer_type"],
                                                                                       EMPLOYER_TYPES)
    fail_where(host_type.notna() & ~host_type.isin(list(HOST_TYPES)),
               f"unknown host_type (expected one of {', '.join(HOST_TYPES)})")
    fail_where(employer_type.notna() & ~employer_type.isin(list(EMPLOYER_TYPES)),
               f"unknown employer_type (expected one of {', '.join(EMPLOYER_TYPES)})")
    return pd.DataFrame({
        "position_id": position_id,
        "department_code": department_code,
        "host_type": host_type,
        "host_site": parse_text(text["host_site"]),
        "employer_type": employer_type,
        "start_date": start.astype("datetime64[ns]"),
        "end_date": end.astype("datetime64[ns]"),
        "local_funders": funders,
    })[REGISTRY_COLUMNS].reset_index(drop=True)


def positions_to_report(registry: pd.DataFrame, year: int) -> pd.DataFrame:
    """The registry's positions expected to report for `year`: active on any day of it (contract, registry)."""
    first, last = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    active = (registry["start_date"] <= last) & (registry["end_date"].isna() | (registry["end_date"] >= first))
    return registry[active].sort_values(["department_code", "position_id"], ignore_index=True)
