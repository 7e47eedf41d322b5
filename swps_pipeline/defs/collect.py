"""The yearly collection loop in the UI: where each year's collection stands, and the feedback to send back."""


from functools import partial

import dagster as dg
import pandas as pd

from swps_pipeline.collect.feedback import write_feedback
from swps_pipeline.collect.inputs import INGESTION_TABLES, VALID_LOADED, from_tables, is_synthetic
from swps_pipeline.collect.status import collection_status, national_status, status_chart, to_chase
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, preview, table_metadata
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.figures import draw_meanwhile
from swps_pipeline.i18n import active_language
from swps_pipeline.parallel import parallel_map
from swps_pipeline.reuse import reused
from swps_pipeline.validate import ahead

COLLECT = {"group_name": "collect", "kinds": KINDS, "owners": OWNERS}


def _years(tables: dict[str, pd.DataFrame]) -> set[int]:
    return {int(y) for frame in tables.values() for y in frame["year"].unique()}


@dg.multi_asset(
    outs={
        "collection_status": dg.AssetOut(**COLLECT, description=(
            "Where the collection of each year stands, per département: positions expected, returns received, "
            "valid, to correct (quarantined), missing (nothing received), files refused, date of the last file. "
            "Grain: (year, department_code), all 101 départements (plus 'non attribué' when a row or file has no "
            "recognisable département). Source: registry + ingestion tables + file dates (synthetic in the "
            "bundled data).")),
        "collection_feedback": dg.AssetOut(**COLLECT, description=(
            "The feedback of the latest year folder (in the profile's language, or $SWPS_LANGUAGE), one XLSX and "
            "one printable HTML page per département under `$SWPS_OUTPUT_DIR/feedback/<year>/` (`swps feedback "
            "--year` writes any year). Grain: one row per "
            "département report: lines to correct, lines to check, missing returns, files refused, the names of "
            "the two files. Source: collection_status + the ingestion tables (synthetic in the bundled data).")),
    },
    ins={"returns_valid": dg.AssetIn(metadata=VALID_LOADED)},
)
def collection(context: dg.AssetExecutionContext, settings: PipelineSettings, positions_registry: pd.DataFrame,
               returns_valid: pd.DataFrame, returns_quarantine: pd.DataFrame, returns_warnings: pd.DataFrame,
               files_rejected: pd.DataFrame):
    """The status of every year, and the feedback of the latest one (the collection in progress)."""
    reuse = partial(reused, settings.paths.output_dir)  # each year's status, the chart
    ingestion = dict(zip(INGESTION_TABLES, [returns_valid, returns_quarantine, returns_warnings, files_rejected]))
    # The year folders (a run needs at least one), plus any year a table holds.
    years = sorted(set(settings.paths.returns_years()) | _years(ingestion))
    collections = [from_tables(year, settings.paths.data_dir, positions_registry, ingestion) for year in years]
    status = pd.concat(parallel_map(reuse(collection_status), collections), ignore_index=True)  # a year a process
    national = national_status(status)
    latest = status[status["year"] == years[-1]]
    # The chart is drawn in the run's chart worker while the feedback is written here.
    with draw_meanwhile(reuse, status_chart, national, is_synthetic(settings.paths.data_dir),
                        active_language()) as status_png:
        folder = settings.paths.output_dir / "feedback" / str(years[-1])
        prepared = ahead.take_feedback(collections[-1])  # its reports, when made while the run started
        index = write_feedback(collections[-1], folder, reuse=reuse, prepared=prepared)  # the areas that changed
        yield dg.Output(status, output_name="collection_status", metadata={
            **table_metadata(status),
            "national view": preview(national, rows=50),
            f"départements to chase ({years[-1]})": preview(to_chase(latest), rows=101),
            "collection by year": chart(status_png.result(), "Returns valid, to correct and missing, by year"),
        })
    yield dg.Output(index, output_name="collection_feedback", metadata={
        **table_metadata(index), "folder": dg.MetadataValue.path(str(folder)),
        "lines to correct": int(index["lines_to_correct"].sum()),
        "reports prepared while the run started": "yes" if prepared else "no",
    })


ASSETS = [collection]
