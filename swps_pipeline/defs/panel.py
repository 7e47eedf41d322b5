"""The national panel: positions, départements and the nation, year by year."""


import dagster as dg
import pandas as pd

from swps_pipeline import panel
from swps_pipeline.defs.ingest import PER_YEAR
from swps_pipeline.defs.metadata import KINDS, OWNERS, preview, table_metadata
from swps_pipeline.reference import official_department_codes

PANEL = {"group_name": "panel", "kinds": KINDS, "owners": OWNERS, **PER_YEAR}


@dg.asset(
    **PANEL,
    description=(
        "One row per position expected to report in a year (active on any day of it per the registry), "
        "plus unregistered positions that reported. Grain: (position_id, year). "
        "Source: registry + valid returns (synthetic in the bundled data)."
    ),
)
def position_year(
    context: dg.AssetExecutionContext, positions_registry: pd.DataFrame, returns_valid: pd.DataFrame
) -> pd.DataFrame:
    table = panel.position_year(positions_registry, returns_valid, [int(year) for year in context.partition_keys])
    context.add_output_metadata(
        {**table_metadata(table), "with a valid return": int(table["has_return"].sum())}
    )
    return table


@dg.asset(
    **PANEL,
    description=(
        "Expected returns that never arrived (or were all quarantined). Grain: (position_id, year). "
        "A missing return is reported here, never counted as zero activity. Source: position_year (registry + valid returns)."
    ),
)
def missing_returns(context: dg.AssetExecutionContext, position_year: pd.DataFrame) -> pd.DataFrame:
    table = panel.missing_returns(position_year)
    per_year = table.groupby("year").size().rename("missing").reset_index()
    context.add_output_metadata({**table_metadata(table), "missing per year": preview(per_year, rows=50)})
    return table


@dg.asset(
    **PANEL,
    description=(
        "Every département × every year (101 × years): active and reporting positions, FTE, sums of the "
        "activity counts over reporting positions (null when nobody reported), meets_standard (≥ 2 positions). "
        "Grain: (department_code, year), all 101 départements × every year. Source: position_year + INSEE geography."
    ),
    check_specs=[
        dg.AssetCheckSpec("department_year_complete", asset="department_year",
                          description="All 101 official départements are present for every year."),
    ],
)
def department_year(context: dg.AssetExecutionContext, position_year: pd.DataFrame):
    table = panel.department_year(position_year)
    years = sorted(position_year["year"].unique())
    expected = {(code, int(year)) for code in official_department_codes() for year in years}
    present = set(zip(table["department_code"], table["year"].astype(int)))
    yield dg.Output(table, metadata=table_metadata(table))
    yield dg.AssetCheckResult(
        check_name="department_year_complete", passed=expected == present,
        metadata={"expected rows": len(expected), "missing rows": len(expected - present),
                  "unexpected rows": len(present - expected)},
    )


@dg.asset(
    **PANEL,
    description=(
        "One row per year: active and reporting positions, départements covered and below the standard of "
        "2 positions, mean positions per département, national sums of the activity counts. Grain: one row per year. "
        "Source: department_year."
    ),
)
def national_year(context: dg.AssetExecutionContext, department_year: pd.DataFrame) -> pd.DataFrame:
    table = panel.national_year(department_year)
    context.add_output_metadata(table_metadata(table, rows=50))
    return table


ASSETS = [position_year, missing_returns, department_year, national_year]
