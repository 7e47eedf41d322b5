"""Which département each received row and file belongs to, so every coordinator gets their own lines.

A quarantined row is read back from its `raw` JSON (the row as read, original
headers in file order) and typed by the ingestion's own parser, so the
feedback sees exactly the values validation saw. Its département is, in
order: its `department_code` when official, else its position_id's prefix
when official, else the one département of the other rows of its file; else
it is *unattributed* (listed in the national feedback). A file refused whole
has no rows: its département is the one official code written as a separate
token of its name (`renvoi_973_2019.csv`, `retours_2024_dep12.csv`), else
unattributed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from swps_pipeline.contract import COLUMN_NAMES, HEADER_ALIASES, normalise_header
from swps_pipeline.ingest.lines import cell_from_raw
from swps_pipeline.ingest.read import BEYOND_HEADER
from swps_pipeline.reference import official_department_codes
from swps_pipeline.validate.parse import parse_department_code, parse_returns

_PREFIX = re.compile(r"^(2A|2B|\d{2,3})-")
_YEAR_TOKEN = re.compile(r"^\d{4}$")


def _canonical_cells(raw: str) -> tuple[dict[str, str], dict[str, int]]:
    """The canonical columns of a raw row (text) and their 1-based position in the file."""
    cells, positions = {}, {}
    for index, (header, value) in enumerate(json.loads(raw).items(), start=1):
        column = HEADER_ALIASES.get(normalise_header(header))
        if column is not None and column not in cells:
            cells[column], positions[column] = cell_from_raw(value), index
    return cells, positions


@dataclass(frozen=True)
class ReadBack:
    """The quarantined rows, indexed like the quarantine table."""

    text: pd.DataFrame  # the canonical cells as read
    beyond_header: pd.Series  # a CSV row's cells beyond the header (`RawFile.beyond_header`), () for most rows
    typed: pd.DataFrame  # what the ingestion's parser makes of them
    unreadable: pd.DataFrame  # cells the parser could not read (rule `type`)
    positions: pd.DataFrame  # 1-based column of each canonical column in its file (null when absent)


def read_back_quarantine(quarantine: pd.DataFrame) -> ReadBack:
    """The quarantined rows typed again from their `raw` JSON."""
    parsed = [_canonical_cells(raw) for raw in quarantine["raw"]]
    text = pd.DataFrame([cells for cells, _ in parsed], columns=COLUMN_NAMES, index=quarantine.index).fillna("")
    positions = pd.DataFrame([where for _, where in parsed], columns=COLUMN_NAMES, index=quarantine.index)
    beyond_header = pd.Series([tuple(json.loads(raw).get(BEYOND_HEADER, ())) for raw in quarantine["raw"]],
                              index=quarantine.index, dtype=object)
    typed, unreadable = parse_returns(text)
    return ReadBack(text, beyond_header, typed, unreadable, positions.astype("Int64"))


def _official(codes: pd.Series) -> pd.Series:
    return codes.where(codes.isin(official_department_codes()))


def position_prefix(position_id: pd.Series) -> pd.Series:
    """The official département code a position id starts with (null otherwise)."""
    return _official(position_id.astype("string").str.extract(_PREFIX, expand=False).astype(object))


def quarantine_departments(quarantine: pd.DataFrame, typed: pd.DataFrame, valid: pd.DataFrame) -> pd.Series:
    """The département of each quarantined row (null when none can be told), as the module docstring says."""
    own = _official(typed["department_code"]).fillna(position_prefix(typed["position_id"]))
    known = pd.concat([
        pd.DataFrame({"source_file": valid["source_file"].to_numpy(), "code": valid["department_code"].to_numpy()}),
        pd.DataFrame({"source_file": quarantine["source_file"].to_numpy(), "code": own.to_numpy()}),
    ]).dropna()
    per_file = known.groupby("source_file")["code"].agg(lambda codes: codes.iloc[0] if codes.nunique() == 1 else None)
    return own.fillna(quarantine["source_file"].map(per_file)).astype(object)


def file_name_department(source_file: str) -> str | None:
    """The one official code written as a token of a file's name (`dep12` counts as `12`), else None."""
    stem = source_file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    tokens = [re.sub(r"^dep", "", token, flags=re.IGNORECASE) for token in re.split(r"[^0-9A-Za-z]+", stem)]
    codes = parse_department_code(pd.Series([t for t in tokens if t and not _YEAR_TOKEN.match(t)], dtype=object))
    found = set(codes[codes.isin(official_department_codes())])
    return found.pop() if len(found) == 1 else None


def file_departments(valid: pd.DataFrame, quarantine: pd.DataFrame, quarantine_codes: pd.Series,
                     files_rejected: pd.DataFrame) -> pd.DataFrame:
    """(source_file, department_code) for every file that brought a row of a département or was refused."""
    pairs = pd.concat([
        pd.DataFrame({"source_file": valid["source_file"].to_numpy(), "department_code": valid["department_code"]
                      .to_numpy()}),
        pd.DataFrame({"source_file": quarantine["source_file"].to_numpy(), "department_code": quarantine_codes
                      .to_numpy()}),
        pd.DataFrame({"source_file": files_rejected["source_file"].to_numpy(),
                      "department_code": np.array([file_name_department(f) for f in files_rejected["source_file"]],
                                                  dtype=object)}),
    ], ignore_index=True)
    return pairs.dropna().drop_duplicates(ignore_index=True)
