"""What evaluators download: the evaluation pack (workbook, CSVs, charts, methods note) and the cross-country
comparison."""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import dagster as dg

from swps_pipeline.defs.metadata import OWNERS, preview
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.reuse import reused
from swps_pipeline.defs.scenario import run_scenario
from swps_pipeline.publish import comparison
from swps_pipeline.publish.evaluation import PACK_TABLES, build_evaluation_pack
from swps_pipeline.publish.provenance import OFFICIAL
from swps_pipeline.publish.warehouse import overlay_marts
from swps_pipeline.settings import COMPARE_DIRS_VARIABLE, Settings

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
    with run_marts(context, settings) as (scenario, paths, marts):
        manifest = build_evaluation_pack(marts, paths.pack_dir, partial(reused, settings.paths.output_dir))
    return dg.MaterializeResult(metadata={
        "scenario": scenario,
        "path": dg.MetadataValue.path(str(manifest.directory)),
        "files": len(manifest.files),
        "cells suppressed (<5 or [c])": sum(manifest.suppressed_cells.values()),
    })


@contextmanager
def run_marts(context: dg.AssetExecutionContext, settings: PipelineSettings) -> Iterator[tuple[str, Settings, Path]]:
    """The run's scenario, where it writes (the official outputs or the what-if's folder) and the marts it reads:
    a what-if's own tables, with the official ones for what it did not recompute."""
    scenario, official = run_scenario(context.run), settings.paths
    if scenario == OFFICIAL:
        yield scenario, official, official.marts_dir
        return
    paths = official.scenario(scenario)
    paths.output_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=paths.output_dir) as folder:
        yield scenario, paths, overlay_marts(official.marts_dir, paths.marts_dir, Path(folder))


@dg.asset(
    group_name="publish",
    kinds={"parquet", "csv", "excel"},
    owners=OWNERS,
    deps=[comparison.RUN_PROFILE, *comparison.TABLES],
    description=(
        "This run beside the runs of other country profiles whose output folders `SWPS_COMPARE_DIRS` lists, in "
        "`$SWPS_OUTPUT_DIR/comparison/` (cross_country_comparison.parquet, .csv, .xlsx; the same table as "
        "`swps compare`): positions, persons received and new cases per 100,000 inhabitants, the share of "
        "domestic violence, cost per new case and the cost-benefit expected values in the national currency and "
        "in PPP-euros, the impact estimate, and each country's caveats. Grain: one row per country, over the years "
        "every run has. Source: the marts of this run and of each listed run (their run_profile says the country, "
        "currency and purchasing-power parity). Without the setting it records that there is nothing to compare "
        "and writes nothing; runs that cannot be compared are named in its metadata, the run goes on."
    ),
)
def cross_country_comparison(context: dg.AssetExecutionContext, settings: PipelineSettings) -> dg.MaterializeResult:
    folders = settings.paths.compare_dirs
    if not folders:
        return dg.MaterializeResult(metadata={"compared": f"nothing to compare: {COMPARE_DIRS_VARIABLE} is empty"})
    with run_marts(context, settings) as (_, paths, marts):
        try:
            runs = [comparison.read_run(marts, shown_as=f"this run ({paths.output_dir})"),
                    *(comparison.read_run(folder) for folder in folders)]
            table = comparison.compare_runs(runs)
        except comparison.ComparisonError as error:
            context.log.warning(f"cross-country comparison not made: {error}")
            return dg.MaterializeResult(metadata={"compared": f"not compared: {error}"})
        written = comparison.write_comparison(table, paths.comparison_dir)
    return dg.MaterializeResult(metadata={
        "compared": f"{len(table)} countries: {', '.join(table['country'])}",
        "rows": len(table),
        "years": f"{table['first_year'].iloc[0]}–{table['last_year'].iloc[0]}",
        "path": dg.MetadataValue.path(str(written[0].parent)),
        "caveats": preview(table[["country", "caveats"]], rows=len(table)),
    })


ASSETS = [evaluation_pack, cross_country_comparison]
