"""The evaluation pack evaluators download: workbook, CSVs, charts, methods note."""

import tempfile
from functools import partial
from pathlib import Path

import dagster as dg

from swps_pipeline.defs.metadata import OWNERS
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.reuse import reused
from swps_pipeline.defs.scenario import run_scenario
from swps_pipeline.publish.evaluation import PACK_TABLES, build_evaluation_pack
from swps_pipeline.publish.provenance import OFFICIAL
from swps_pipeline.publish.warehouse import overlay_marts

PACK_SOURCES = sorted({*PACK_TABLES, "indicators", "indicator_changes", "cba_npv_draws", "run_provenance"}
                      - {"indicators_national"})


@dg.asset(
    group_name="publish",
    kinds={"excel", "csv"},
    owners=OWNERS,
    deps=PACK_SOURCES,
    description="The evaluation pack in `$SWPS_OUTPUT_DIR/evaluation_pack/` (a what-if run: "
    "`scenarios/<name>/evaluation_pack/`): XLSX workbook (README sheet first), CSV copies, charts (PNG) and methods "
    "note (HTML). Counts of persons or cases below 5 are shown as `<5`, and the cells that would reveal them by subtraction as `[c]` (complementary suppression checked by linear programming); formula-like text is neutralised. Synthetic "
    "data notice included. Grain: one folder of files. Source: the marts (run_provenance says which run).",
)
def evaluation_pack(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    scenario, official = run_scenario(context.run), settings.paths
    reuse = partial(reused, official.output_dir)
    if scenario == OFFICIAL:
        manifest = build_evaluation_pack(official.marts_dir, official.pack_dir, reuse)
    else:  # a what-if pack: the scenario's tables, the official ones for what it did not recompute
        paths = official.scenario(scenario)
        paths.output_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=paths.output_dir) as folder:
            manifest = build_evaluation_pack(overlay_marts(official.marts_dir, paths.marts_dir, Path(folder)),
                                             paths.pack_dir, reuse)
    return dg.MaterializeResult(metadata={
        "scenario": scenario,
        "path": dg.MetadataValue.path(str(manifest.directory)),
        "files": len(manifest.files),
        "cells suppressed (<5 or [c])": sum(manifest.suppressed_cells.values()),
    })


ASSETS = [evaluation_pack]
