"""The national trend chart of the pack: stamped as synthetic, labels in words."""

from __future__ import annotations

import io

import matplotlib.image
import numpy as np
import pandas as pd

from swps_pipeline.indicators.report import national_trend_png


def _indicators() -> pd.DataFrame:
    rows = [("national", "FR", year, indicator, value)
            for year, persons, per_fte in [(2021, 50_000, 160.0), (2022, 60_000, 170.0)]
            for indicator, value in [("persons_received", persons), ("new_cases_per_fte", per_fte)]]
    return pd.DataFrame(rows, columns=["level", "entity", "year", "indicator", "value"])


def _stamp_pixels(png: bytes) -> int:
    """Red (#B22222) pixels in the bottom band, where `figures.to_png` writes the synthetic stamp."""
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    band = image[-int(image.shape[0] * 0.06):, :, :3]
    return int((np.abs(band - np.array([0xB2, 0x22, 0x22]) / 255).max(axis=2) < 0.1).sum())


def test_trend_chart_carries_the_synthetic_stamp_only_on_synthetic_data():
    assert _stamp_pixels(national_trend_png(_indicators(), synthetic=True)) > 50
    assert _stamp_pixels(national_trend_png(_indicators(), synthetic=False)) == 0
