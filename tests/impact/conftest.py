"""Simulated impact panels where the truth is known, and the real SSMSI file's path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact.panel import IMPACT_PANEL_DTYPES

REAL_CRIME_FILE = (
    Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "ssmsi"
    / "donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv.gz"
)
YEARS = range(2016, 2026)


def simulate_panel(seed: int, effect: Callable[[np.ndarray], np.ndarray], cohorts: dict[float, int],
                   noise: float = 0.03) -> pd.DataFrame:
    """An impact panel with log rate = département + year effects + effect(event time) + noise.

    `cohorts`: adoption year (NaN = never) -> number of départements. The
    placebo has the same structure and no effect. The true effect of each
    département-year is kept in `true_effect`.
    """
    rng = np.random.default_rng(seed)
    cohort = np.concatenate([np.full(n, g) for g, n in cohorts.items()])
    units = pd.DataFrame({"department_code": [f"{i:03d}" for i in range(len(cohort))], "cohort": cohort})
    frame = units.merge(pd.DataFrame({"year": list(YEARS)}), how="cross")
    n_units, n_years = len(units), len(YEARS)
    event_time = frame["year"] - frame["cohort"]
    treated = (event_time >= 0).to_numpy()
    true_effect = np.where(treated, effect(event_time.fillna(-1).to_numpy()), 0.0)

    def log_rate() -> np.ndarray:
        unit = np.repeat(rng.normal(1.0, 0.3, n_units), n_years)
        year = np.tile(np.cumsum(rng.normal(0.05, 0.03, n_years)), n_units)
        return unit + year + rng.normal(0, noise, len(frame))

    frame = frame.assign(
        positions_active=treated.astype(int), fte_years=treated * 1.0, population=100_000,
        fte_per_100k=treated * 1.0, meets_worker_target=treated, cohort=frame["cohort"].astype("Int64"),
        treated_before_panel=False, cohort_intensity=frame["cohort"].astype("Int64"), treated=treated,
        outcome="intrafamily_physical_violence", log_outcome_rate=log_rate() + true_effect,
        placebo="vehicle_theft", log_placebo_rate=log_rate(),
    )
    frame["outcome_rate_per_1000"] = np.exp(frame["log_outcome_rate"])
    frame["placebo_rate_per_1000"] = np.exp(frame["log_placebo_rate"])
    frame["outcome_count"] = (frame["outcome_rate_per_1000"] * 100).round()
    frame["placebo_count"] = (frame["placebo_rate_per_1000"] * 100).round()
    panel = frame.astype(IMPACT_PANEL_DTYPES)[list(IMPACT_PANEL_DTYPES)]
    return panel.assign(true_effect=true_effect)


@pytest.fixture
def simulate() -> Callable[..., pd.DataFrame]:
    return simulate_panel


@pytest.fixture(scope="session")
def real_crime_file() -> Path:
    if not REAL_CRIME_FILE.is_file():
        pytest.skip(f"the real SSMSI edition is absent ({REAL_CRIME_FILE.resolve()}); "
                    "see shared/contract/recorded_crime.md")
    return REAL_CRIME_FILE.resolve()
