"""The provenance of every run: the marts `run_provenance` and `run_profile`, and their metadata."""

import dagster as dg
import pandas as pd

from swps_pipeline.collect.inputs import is_synthetic
from swps_pipeline.defs.metadata import OWNERS, preview
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.defs.scenario import run_parameters, run_record, run_scenario
from swps_pipeline.profiles import active_profile
from swps_pipeline.publish import provenance

#: Input checksums of the last run, so a re-run reads only the files that changed (in the output folder).
CHECKSUM_CACHE = ".input_checksums.json"
#: What both provenance tables are in the asset graph.
PROVENANCE_ASSET = {"group_name": "publish", "kinds": {"pandas", "duckdb"}, "owners": OWNERS}


@dg.asset(
    **PROVENANCE_ASSET,
    description=(
        "What this run's outputs were computed from. Grain: one row per fact (`key`, `value`): scenario "
        "(\"official\" or the what-if name), Dagster run id, package version, git commit, the full resolved "
        "parameter set (`parameter.*`) and its SHA-256, and a SHA-256 of every input file (`input_sha256.*`). "
        "Source: the run config, economics/parameters.yaml and the files under SWPS_DATA_DIR. What-if runs: a "
        "Launchpad run whose economics config changes the packaged parameters writes to "
        "`$SWPS_OUTPUT_DIR/scenarios/<name>/`, never to the official marts; add the run tag `swps/scenario` to "
        "name it, or `swps/publish` = `true` to replace the official outputs."
    ),
)
def run_provenance(context: dg.AssetExecutionContext, settings: PipelineSettings) -> pd.DataFrame:
    parameters = run_parameters(context.run.run_config)
    record = run_record(context.run.run_config)
    table = provenance.provenance_table(
        scenario=run_scenario(context.run),
        run_id=context.run.run_id,
        parameters=record,
        parameters_loaded_from=" + ".join(parameters.sources),
        input_files=provenance.file_checksums(settings.paths.data_dir, settings.paths.output_dir / CHECKSUM_CACHE),
    )
    facts = table.set_index("key")["value"]
    context.add_output_metadata({
        "scenario": facts["scenario"],
        "parameters_sha256": facts["parameters_sha256"],
        "git_commit": facts["git_commit"],
        "package_version": facts["package_version"],
        "input files": int(facts["input_files"]),
        "provenance": preview(table[~table["key"].str.startswith(("parameter.", "input_sha256."))], rows=20),
    })
    return table


@dg.asset(
    **PROVENANCE_ASSET,
    description=(
        "Which country profile made this run's tables, so that marts read elsewhere (`swps compare`) say what "
        "they are. Grain: one row: the profile's country and name, its currency (ISO 4217), its purchasing-power "
        "parity (units per PPS) with year and source, the number of its values marked ASSUMPTION (to verify), "
        "whether the data were synthetic, the version of the outputs contract. Source: the active country "
        "profile (SWPS_PROFILE) and the data folder (a synthetic_manifest.json marks generated data)."
    ),
)
def run_profile(context: dg.AssetExecutionContext, settings: PipelineSettings) -> pd.DataFrame:
    table = provenance.run_profile_table(active_profile(), is_synthetic(settings.paths.data_dir))
    record = table.iloc[0]
    context.add_output_metadata({"country": record["country"], "currency": record["currency"],
                                 "assumptions to verify": int(record["assumptions_to_verify"]),
                                 "synthetic data": bool(record["synthetic_data"])})
    return table


ASSETS = [run_provenance, run_profile]
