"""Where the notebooks find the pipeline's outputs, whatever folder Jupyter starts them in.

Notebooks read the Parquet marts only (never the DuckDB file, which a running
pipeline may hold open). `SWPS_OUTPUT_DIR` / `SWPS_DATA_DIR` as for `swps run`;
relative values and the defaults are taken from the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from swps_pipeline import figures
from swps_pipeline.collect.inputs import is_synthetic
from swps_pipeline.publish.warehouse import read_mart
from swps_pipeline.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def _from_repo(variable: str, default: str) -> Path:
    path = Path(os.environ.get(variable) or default)
    return path if path.is_absolute() else REPO / path


def settings() -> Settings:
    return Settings(data_dir=_from_repo("SWPS_DATA_DIR", "data/raw"),
                    output_dir=_from_repo("SWPS_OUTPUT_DIR", "data/warehouse"))


def mart(table: str) -> pd.DataFrame:
    """One published mart; says how to produce the marts when there are none yet."""
    marts_dir = settings().marts_dir
    if not (marts_dir / f"{table}.parquet").is_file():
        raise FileNotFoundError(f"{marts_dir}/{table}.parquet not found: run `make run` (or `swps run`) first")
    return read_mart(marts_dir, table)


def stamp(figure=None) -> None:
    """Stamp a pyplot chart (the current one by default) as synthetic when the data folder holds the
    bundled synthetic data, like every chart of the pipeline; call it before `plt.show()`."""
    import matplotlib.pyplot as plt

    if is_synthetic(settings().data_dir):
        figures.stamp(figure or plt.gcf())
