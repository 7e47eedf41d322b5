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
from swps_pipeline.ingest.read import FileRejected, decode
from swps_pipeline.reference import official_department_codes

POSITION_ID_PATTERN = r"^(?:\d{2}|2A|2B|\d{3})-\d{3}$"


class RegistryError(Exception):
    """The registry is missing or malformed; the message is one line for the user."""


def _enum(values: pd.Series, allowed: dict[str, tuple[str, ...]]) -> pd.Series:
    lookup = {normalise_header(alias): name for name, aliases in allowed.items() for alias in (name, *aliases)}
    return values.map(lambda v: lookup.get(normalise_header(v), pd.NA) if v else pd.NA)


def read_registry(path: Path) -> pd.DataFrame:
    """Read and check `positions.csv` (schema in docs/ARCHITECTURE.md)."""
    name = path.name
    if not path.is_file():
        raise RegistryError(f"{path}: registry not found (expected positions.csv under SWPS_DATA_DIR)")
    try:
        text = decode(path.read_bytes())
    except FileRejected as problem:
        raise RegistryError(f"{path}: {problem}") from None
    if not text.strip():
        raise RegistryError(f"{path}: empty registry")
    first_line = text.splitlines()[0]
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    frame = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False,
                        quoting=csv.QUOTE_MINIMAL)
    frame.columns = [normalise_header(c) for c in frame.columns]
    missing = [c for c in REGISTRY_COLUMNS if c not in frame.columns]
    if missing:
        raise RegistryError(f"{name}: column(s) {', '.join(repr(c) for c in missing)} missing")
    frame = frame[REGISTRY_COLUMNS].apply(lambda column: column.str.strip())

    def fail(mask: pd.Series, what: str) -> None:
        if mask.any():
            first = frame.index[mask][0]
            raise RegistryError(
                f"{name}: {what} ({int(mask.sum())} row(s); first at line {first + 2}: "
                f"position_id {frame.at[first, 'position_id']!r})"
            )

    frame["department_code"] = frame["department_code"].str.upper().str.zfill(2)
    frame["position_id"] = frame["position_id"].str.upper()
    fail(~frame["position_id"].str.match(POSITION_ID_PATTERN), "malformed position_id (expected e.g. 77-003)")
    fail(frame["position_id"].duplicated(keep=False), "duplicate position_id")
    fail(~frame["department_code"].isin(official_department_codes()), "unknown department_code")
    fail(frame["position_id"].str.rsplit("-", n=1).str[0] != frame["department_code"],
         "position_id prefix differs from department_code")
    start = pd.to_datetime(frame["start_date"], format="%Y-%m-%d", errors="coerce")
    end = pd.to_datetime(frame["end_date"].replace("", None), format="%Y-%m-%d", errors="coerce")
    fail(start.isna(), "start_date missing or not YYYY-MM-DD")
    fail(end.isna() & frame["end_date"].ne(""), "end_date not YYYY-MM-DD")
    fail(end < start, "end_date before start_date")
    funders = pd.to_numeric(frame["local_funders"].replace("", None), errors="coerce")
    fail((funders < 0) | (funders % 1 != 0) | (funders.isna() & frame["local_funders"].ne("")),
         "local_funders not a whole number ≥ 0")
    host, employer = _enum(frame["host_type"], HOST_TYPES), _enum(frame["employer_type"], EMPLOYER_TYPES)
    fail(host.isna() & frame["host_type"].ne(""), "unknown host_type")
    fail(employer.isna() & frame["employer_type"].ne(""), "unknown employer_type")
    return frame.assign(
        host_type=host.astype(object), employer_type=employer.astype(object),
        host_site=frame["host_site"].replace("", None),
        start_date=start, end_date=end, local_funders=funders.astype("Int64"),
    )[REGISTRY_COLUMNS]
