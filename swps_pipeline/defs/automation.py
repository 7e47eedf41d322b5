"""The yearly schedule and the file sensor: new or corrected returns start a run by themselves."""


import hashlib
import json
import os
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from swps_pipeline.defs.ingest import FINGERPRINTS, returns_year
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.ingest.folder import folder_fingerprint
from swps_pipeline.profiles import active_profile

#: Run tag naming the output folder a run writes: the team deployment's run queue (deploy/, `swps serve`) lets
#: one run at a time through per value of this tag.
OUTPUT_FOLDER_TAG = "swps/output_dir"
#: `swps serve` (the team deployment) sets it so the yearly schedule runs without anyone switching it on;
#: `dagster dev`, `swps run` and the tests leave it stopped.
SCHEDULE_RUNNING_VARIABLE = "SWPS_SCHEDULE_RUNNING"


def swps_all_job(output_dir: Path):
    """Every asset; its runs carry the output folder they write as a tag, for the run queue."""
    return dg.define_asset_job(
        "swps_all",
        selection=dg.AssetSelection.all(),
        description="Every asset: the chosen years' returns and everything computed from them.",
        tags={OUTPUT_FOLDER_TAG: str(output_dir)},
    )


@dg.schedule(
    job_name="swps_all",
    cron_schedule=active_profile().schedule,
    execution_timezone=active_profile().timezone,
    description="Yearly (the country profile's calendar; France: 1 March, once returns are due), ingest the "
    "previous year's returns and recompute downstream.",
    default_status=dg.DefaultScheduleStatus.RUNNING if os.environ.get(SCHEDULE_RUNNING_VARIABLE) == "1"
    else dg.DefaultScheduleStatus.STOPPED,
)
def yearly_returns_schedule(context: dg.ScheduleEvaluationContext, settings: PipelineSettings):
    year = str(context.scheduled_execution_time.year - 1)
    folder = settings.paths.returns_dir / year
    if not folder.is_dir():
        return dg.SkipReason(f"No returns folder {folder} yet: nothing to ingest for {year}.")
    if not context.instance.has_dynamic_partition(returns_year.name, year):
        context.instance.add_dynamic_partitions(returns_year.name, [year])
    return dg.RunRequest(run_key=f"yearly-{year}", partition_key=year)


def materialised_fingerprints(instance: dg.DagsterInstance, years: list[str]) -> dict[str, str]:
    """For each year, the folder fingerprint its last materialisation read (absent when never materialised)."""
    found = {}
    for year in years:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("ingestion_accounting"), asset_partitions=[year]), limit=1
        ).records
        metadata = records[0].asset_materialization.metadata if records else {}
        if FINGERPRINTS in metadata and year in metadata[FINGERPRINTS].value:
            found[year] = metadata[FINGERPRINTS].value[year]
    return found


@dg.sensor(
    job_name="swps_all",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches returns/<year>/ and requests one run for the years whose files were added or changed "
    "since they were last materialised (the range from the first to the last of them), nothing otherwise.",
)
def returns_folder_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    paths = settings.paths
    current = {str(year): folder_fingerprint(paths.returns_dir / str(year)) for year in paths.returns_years()}
    seen = json.loads(context.cursor) if context.cursor else materialised_fingerprints(context.instance, list(current))
    changed = [year for year, fingerprint in current.items() if seen.get(year) != fingerprint]
    known = context.instance.get_dynamic_partitions(returns_year.name)
    new_years = sorted(year for year in current if year not in known)
    ordered = [year for year in [*known, *new_years] if year in changed]
    run_requests = []
    if ordered:
        first, last = ordered[0], ordered[-1]
        key = hashlib.sha256(json.dumps({year: current[year] for year in ordered}).encode()).hexdigest()[:16]
        tags = {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}
        run_requests.append(dg.RunRequest(run_key=f"{first}-{last}-{key}", tags=tags))
    return dg.SensorResult(
        run_requests=run_requests,
        dynamic_partitions_requests=[returns_year.build_add_request(new_years)] if new_years else [],
        cursor=json.dumps(current, sort_keys=True),
    )


@dg.sensor(
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Registers each folder returns/<year>/ as a partition of returns_year (no run), so the UI's "
    "\"Materialize all\" offers every year even before the first `swps run`.",
)
def returns_year_partitions(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    known = set(context.instance.get_dynamic_partitions(returns_year.name))
    new_years = [str(year) for year in settings.paths.returns_years() if str(year) not in known]
    if not new_years:
        return dg.SkipReason("every year folder is already a partition")
    return dg.SensorResult(dynamic_partitions_requests=[returns_year.build_add_request(new_years)])
