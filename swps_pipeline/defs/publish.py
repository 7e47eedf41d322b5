"""The evaluation pack evaluators download: workbook, CSVs, charts, methods note."""

import dagster as dg

from swps_pipeline.defs.metadata import OWNERS
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.publish.evaluation import PACK_TABLES, build_evaluation_pack

PACK_SOURCES = sorted({*PACK_TABLES, "indicators", "indicator_changes", "cba_npv_draws"} - {"indicators_national"})


@dg.asset(
    group_name="publish",
    kinds={"excel", "csv"},
    owners=OWNERS,
    deps=PACK_SOURCES,
    description="$SWPS_OUTPUT_DIR/evaluation_pack/: XLSX workbook (README sheet first), CSV copies, charts (PNG) "
    "and methods note (HTML), built from the marts. Counts of persons or cases below 5 are shown as '<5'; "
    "formula-like text is neutralised. Synthetic data notice included.",
)
def evaluation_pack(settings: PipelineSettings) -> dg.MaterializeResult:
    manifest = build_evaluation_pack(settings.paths.marts_dir, settings.paths.pack_dir)
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(manifest.directory)),
        "files": len(manifest.files),
        "cells suppressed (<5)": sum(manifest.suppressed_cells.values()),
    })


ASSETS = [evaluation_pack]
