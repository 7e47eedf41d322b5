"""Corrections: a return filed under `returns/<year>/corrections/` replaces the earlier rows of its position.

A département that fixes a return (quarantined, or wrong) sends the position's row again in the year's
`corrections/` sub-folder. Every row of the same position_id filed directly in the year folder is then
*superseded*: left out of validation and counted in `ingestion_accounting.rows_superseded`, never dropped
silently. Inside `corrections/`, several rows for one position are duplicates like any others (identical
copies kept once, different ones all quarantined: nothing is guessed), and so are several rows for one
position in the year folder itself when no correction replaces them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.ingest.folder import CORRECTIONS


def is_correction(source_file: pd.Series, year: int) -> np.ndarray:
    """Rows read from a file of `returns/<year>/corrections/` (`source_file` is relative to the data root)."""
    return source_file.str.startswith(f"returns/{year}/{CORRECTIONS}/").to_numpy(dtype=bool)


def superseded_rows(source_file: pd.Series, position_id: pd.Series, year: int) -> np.ndarray:
    """Rows of the year folder whose position_id has a row in `corrections/`."""
    correction = is_correction(source_file, year)
    corrected = position_id[correction].dropna().unique()
    return ~correction & position_id.isin(corrected).to_numpy(dtype=bool)
