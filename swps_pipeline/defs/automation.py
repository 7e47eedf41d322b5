"""The yearly schedule and the file sensor: new or corrected returns start a run by themselves."""


import hashlib
import json
import os
from pathlib import Path

import dagster as dg

from swps_pipeline.defs.ingest import returns_year
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.ingest.folder import CORRECTIONS

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
    cron_schedule="0 6 1 3 *",
    execution_timezone="Europe/Paris",
    description="On 1 March (returns are due by then), ingest the previous year's returns and recompute downstream.",
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


def folder_fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of a year's files (and of its corrections/): changes when a file is
    added, replaced or touched."""
    entries = sorted(
        (p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for directory in (folder, folder / CORRECTIONS) if directory.is_dir()
        for p in directory.iterdir() if p.is_file()
    )
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


@dg.sensor(
    job_name="swps_all",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Watches returns/<year>/ and requests a run for each year whose files were added or changed.",
)
def returns_folder_sensor(context: dg.SensorEvaluationContext, settings: PipelineSettings):
    seen = json.loads(context.cursor) if context.cursor else {}
    paths = settings.paths
    current = {str(year): folder_fingerprint(paths.returns_dir / str(year)) for year in paths.returns_years()}
    changed = [year for year, fingerprint in current.items() if seen.get(year) != fingerprint]
    new_years = [year for year in changed if not context.instance.has_dynamic_partition(returns_year.name, year)]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"{year}-{current[year]}", partition_key=year) for year in changed],
        dynamic_partitions_requests=[returns_year.build_add_request(new_years)] if new_years else [],
        cursor=json.dumps(current, sort_keys=True),
    )
