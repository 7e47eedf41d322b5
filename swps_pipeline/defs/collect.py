"""The yearly collection loop in the UI: where each year's collection stands, and the feedback to send back."""


import dagster as dg
import pandas as pd

from swps_pipeline.collect.feedback import FEEDBACK_INDEX_COLUMNS, write_feedback
from swps_pipeline.collect.inputs import CollectionYear, from_tables, is_synthetic
from swps_pipeline.collect.status import collection_status, national_status, status_chart, to_chase
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, preview, table_metadata
from swps_pipeline.defs.resources import PipelineSettings

COLLECT = {"group_name": "collect", "kinds": KINDS, "owners": OWNERS}
INGESTION = ["returns_valid", "returns_quarantine", "returns_warnings", "files_rejected"]


def _collections(settings: PipelineSettings, registry: pd.DataFrame, tables: dict[str, pd.DataFrame],
                 years: list[int]) -> list[CollectionYear]:
    return [from_tables(year, settings.paths.data_dir, registry, tables) for year in years]


def _years(tables: dict[str, pd.DataFrame]) -> list[int]:
    return sorted({int(y) for frame in tables.values() for y in frame["year"].unique()})


@dg.asset(
    **COLLECT,
    name="collection_status",
    description=(
        "Where the collection of each year stands, per département: positions expected, returns received, valid, "
        "to correct (quarantined), missing (nothing received), files refused, date of the last file. "
        "Grain: (year, department_code), all 101 départements (plus 'non attribué' when a row or file has no "
        "recognisable département). Source: registry + ingestion tables + file dates (synthetic in the bundled data)."
    ),
)
def collection_status_asset(context: dg.AssetExecutionContext, settings: PipelineSettings,
                            positions_registry: pd.DataFrame, returns_valid: pd.DataFrame,
                            returns_quarantine: pd.DataFrame, returns_warnings: pd.DataFrame,
                            files_rejected: pd.DataFrame) -> pd.DataFrame:
    ingestion = dict(zip(INGESTION, [returns_valid, returns_quarantine, returns_warnings, files_rejected]))
    years = _years(ingestion)
    status = pd.concat([collection_status(c) for c in _collections(settings, positions_registry, ingestion, years)],
                       ignore_index=True)
    national = national_status(status)
    latest = status[status["year"] == years[-1]] if years else status
    context.add_output_metadata({
        **table_metadata(status),
        "national view": preview(national, rows=50),
        f"départements to chase ({years[-1] if years else '-'})": preview(to_chase(latest), rows=101),
        "collection by year": chart(status_chart(national, is_synthetic(settings.paths.data_dir)),
                                    "Returns valid, to correct and missing, by year"),
    })
    return status


@dg.asset(
    **COLLECT,
    description=(
        "The French feedback of the latest year folder, one XLSX and one printable HTML page per département "
        "under $SWPS_OUTPUT_DIR/feedback/<year>/ (`swps feedback --year` writes any year). Grain: one row per "
        "département report: lines to correct, lines to check, missing returns, files refused, the two paths."
    ),
)
def collection_feedback(context: dg.AssetExecutionContext, settings: PipelineSettings,
                        positions_registry: pd.DataFrame, returns_valid: pd.DataFrame,
                        returns_quarantine: pd.DataFrame, returns_warnings: pd.DataFrame,
                        files_rejected: pd.DataFrame) -> pd.DataFrame:
    ingestion = dict(zip(INGESTION, [returns_valid, returns_quarantine, returns_warnings, files_rejected]))
    years = _years(ingestion)
    if not years:
        return pd.DataFrame(columns=FEEDBACK_INDEX_COLUMNS)
    collection, = _collections(settings, positions_registry, ingestion, years[-1:])
    index = write_feedback(collection, settings.paths.output_dir / "feedback" / str(years[-1]))
    context.add_output_metadata({
        **table_metadata(index),
        "folder": dg.MetadataValue.path(str(settings.paths.output_dir / "feedback" / str(years[-1]))),
        "lines to correct": int(index["lines_to_correct"].sum()),
    })
    return index


ASSETS = [collection_status_asset, collection_feedback]
