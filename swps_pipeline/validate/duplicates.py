"""Several returns for one (position_id, year) across the files of a year.

Identical copies are kept once (the first, in file order) and the others
dropped with a warning. Copies that differ are all quarantined: nothing is
guessed. "Identical" compares the values as read into their types, so `0,8`
and `0.8` are the same return.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from swps_pipeline.contract import COLUMN_NAMES


@dataclass(frozen=True)
class Duplicates:
    dropped: np.ndarray  # bool per row: an identical copy of an earlier row
    conflicting: np.ndarray  # bool per row: one of several different returns for its key
    kept_at: pd.Series  # per dropped row: where the kept copy is
    copies_at: pd.Series  # per conflicting row: where all the copies are


def find_duplicates(typed: pd.DataFrame, unreadable: pd.DataFrame, source: pd.DataFrame) -> Duplicates:
    """`source` (`source_file`, `source_row`) places each row, for the messages."""
    keyed = typed["position_id"].notna() & typed["year"].notna()
    repeated = keyed & typed.duplicated(["position_id", "year"], keep=False)
    content = pd.concat([typed[COLUMN_NAMES], unreadable.add_suffix("__unreadable")], axis=1)[repeated]
    rows = pd.DataFrame({
        "position_id": typed["position_id"][repeated],
        "year": typed["year"][repeated],
        "fingerprint": pd.util.hash_pandas_object(content, index=False),
        "where": source["source_file"][repeated] + " row " + source["source_row"][repeated].astype(str),
    })
    by_key = rows.groupby(["position_id", "year"], sort=False)
    copies = by_key["fingerprint"].transform("size")
    variants = by_key["fingerprint"].transform("nunique")
    conflicting = (copies > 1) & (variants > 1)
    dropped = (copies > 1) & (variants == 1) & rows.duplicated(["position_id", "year"], keep="first")
    kept_at = by_key["where"].transform("first")[dropped]
    conflicts = rows[conflicting]
    copies_at = conflicts.groupby(["position_id", "year"], sort=False)["where"].transform("; ".join)
    return Duplicates(
        dropped=dropped.reindex(typed.index, fill_value=False).to_numpy(dtype=bool),
        conflicting=conflicting.reindex(typed.index, fill_value=False).to_numpy(dtype=bool),
        kept_at=kept_at,
        copies_at=copies_at,
    )
