"""Outcome indicators: the catalogue, the long `indicators` table, outliers and headline views."""

from swps_pipeline.indicators.catalogue import CATALOGUE, CHANGE_LEVELS, catalogue_markdown, indicator_definitions
from swps_pipeline.indicators.compute import build_indicators, indicator_changes
from swps_pipeline.indicators.outliers import indicator_outliers
from swps_pipeline.indicators.report import national_headline_markdown, national_trend_png

__all__ = [
    "CATALOGUE",
    "CHANGE_LEVELS",
    "build_indicators",
    "catalogue_markdown",
    "indicator_changes",
    "indicator_definitions",
    "indicator_outliers",
    "national_headline_markdown",
    "national_trend_png",
]
