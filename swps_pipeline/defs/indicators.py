"""Outcome indicators: the national picture the evaluation asks for, at every level."""


from functools import partial

import dagster as dg
import pandas as pd

from swps_pipeline import indicators as catalogue
from swps_pipeline.defs.impact import add_table_metadata
from swps_pipeline.defs.ingest import PER_YEAR
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, table_metadata
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.figures import draw_meanwhile
from swps_pipeline.publish.warehouse import loaded_rows
from swps_pipeline.reuse import reused

INDICATORS = {"group_name": "indicators", "kinds": KINDS, "owners": OWNERS}


@dg.asset(
    **INDICATORS,
    description="The indicator catalogue: id, labels (EN/FR), formula, unit, family, the evaluation question. "
    "Grain: one row per indicator. Source: swps_pipeline/indicators/catalogue.py.",
)
def indicator_definitions(context: dg.AssetExecutionContext) -> pd.DataFrame:
    table = catalogue.indicator_definitions()
    context.add_output_metadata(table_metadata(table, rows=100))
    return table


@dg.asset(
    **INDICATORS,
    **PER_YEAR,
    description="Every indicator at every level (national, region, département, position, host and employer "
    "type) and year, with numerator, denominator and positions reporting / expected (year-on-year change: "
    "`indicator_changes`). Shares over a breakdown group count only the positions that reported it. Grain: "
    "(level, entity, year, indicator). Source: the panel and the population of the crime file (synthetic in the "
    "bundled data).",
)
def indicators(
    context: dg.AssetExecutionContext,
    position_year: pd.DataFrame,
    department_year: pd.DataFrame,
    national_year: pd.DataFrame,
    department_population: pd.DataFrame,
) -> pd.DataFrame:
    table = catalogue.build_indicators(position_year, department_year, national_year, department_population)
    add_table_metadata(context, table, department_population, "per-capita indicators")
    return table


@dg.asset(
    **INDICATORS,
    description="Year-on-year change of every indicator at national and département level: value, "
    "value_previous_year, change_abs, change_rel. Grain: (level, entity, indicator, year). Whole period: a "
    "corrected year changes its own row and the next year's. Source: `indicators` (synthetic).",
    ins={"indicators": dg.AssetIn(metadata={"columns": [
        "level", "entity", "year", "indicator", "value", "positions_reporting", "positions_expected"],
        **loaded_rows("level", catalogue.CHANGE_LEVELS)})},
)
def indicator_changes(context: dg.AssetExecutionContext, settings: PipelineSettings,
                      indicators: pd.DataFrame) -> pd.DataFrame:
    """Computed afresh: the table takes less time to compute than its reuse key (a digest of every indicator) and
    its reading back; the chart is reused from an earlier run when its data and the code are the same
    (`swps_pipeline/reuse.py`), else drawn in the run's chart worker (issue 17: drawing it here imported
    Matplotlib into the run's process, 0.7 s) from the national values loaded, while the table is computed
    (drawn from the table, it kept the step waiting 0.3–0.4 s in a year's re-run at 10x the bundled data)."""
    reuse = partial(reused, settings.paths.output_dir)
    national = indicators[indicators["level"] == "national"].reset_index(drop=True)
    with draw_meanwhile(reuse, catalogue.national_trend_png, national) as trend_png:
        table = catalogue.indicator_changes(indicators)
        latest = int(table["year"].max())
        metadata = {
            **table_metadata(table, rows=10),
            f"national headline indicators, {latest}": dg.MetadataValue.md(
                catalogue.national_headline_markdown(table, latest)),
        }
        context.add_output_metadata({**metadata, "national trend": chart(
            trend_png.result(), "Persons received and new cases per FTE-year, national")})
    return table


@dg.asset(
    **INDICATORS,
    **PER_YEAR,
    description="Position and département values more than 4 robust z-scores (median/MAD) from the year's "
    "median, for a reviewer to check. Grain: (level, entity, year, indicator). Source: the indicators table.",
)
def indicator_outliers(context: dg.AssetExecutionContext, indicators: pd.DataFrame) -> pd.DataFrame:
    table = catalogue.indicator_outliers(indicators)
    context.add_output_metadata(table_metadata(table, rows=20))
    return table


ASSETS = [indicator_definitions, indicators, indicator_changes, indicator_outliers]
