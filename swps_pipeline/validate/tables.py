"""The five ingestion tables of `shared/contract/outputs.md`: columns and dtypes, defined once.

Every table has its columns and dtypes even when empty, so a year without a
single warning concatenates and stores like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from swps_pipeline.contract import COLUMNS

_CONTRACT_DTYPES = {"int": "Int64", "float": "float64", "str": object, "enum": object}

#: rows_read = rows_valid + rows_quarantined + rows_summary_skipped + rows_duplicate_dropped + rows_superseded.
ACCOUNTING_COUNTS = ["rows_read", "rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped",
                     "rows_superseded"]

SCHEMAS: dict[str, dict[str, object]] = {
    "returns_valid": {
        **{c.name: _CONTRACT_DTYPES[c.type] for c in COLUMNS},
        "year": "int64",  # required and equal to the folder's year: never null
        "source_file": object,
        "source_row": "Int64",
    },
    "returns_quarantine": {"source_file": object, "source_row": "Int64", "year": "int64", "position_id": object,
                           "rules": object, "message": object, "raw": object},
    "returns_warnings": {"source_file": object, "source_row": "Int64", "year": "int64", "position_id": object,
                         "rule": object, "message": object},
    "files_rejected": {"source_file": object, "year": "int64", "reason": object},
    # Entries of a year folder that are not returns (lock files, sub-folders...): listed, never read.
    "files_ignored": {"source_file": object, "year": "int64", "reason": object},
    "ingestion_accounting": {"year": "int64", "source_file": object, **{c: "Int64" for c in ACCOUNTING_COUNTS},
                             "file_rejected": bool},
}


def table(name: str, data: pd.DataFrame | list[dict] | None = None) -> pd.DataFrame:
    """`data` as the table `name`: exactly its columns, in order, with its dtypes (empty when `data` is None)."""
    schema = SCHEMAS[name]
    frame = pd.DataFrame(data if data is not None else [], columns=list(schema))
    return frame.astype(schema).reset_index(drop=True)


@dataclass
class ValidationResult:
    """One year's returns, every input row accounted for (columns: `SCHEMAS`)."""

    returns_valid: pd.DataFrame
    returns_quarantine: pd.DataFrame
    returns_warnings: pd.DataFrame
    files_rejected: pd.DataFrame
    ingestion_accounting: pd.DataFrame
    files_ignored: pd.DataFrame
