"""The one `Definitions` of the code location (`dagster dev` loads it through workspace.yaml)."""

from __future__ import annotations

import dagster as dg

from swps_pipeline.defs import collect, economics, impact, indicators, ingest, panel, provenance, publish
from swps_pipeline.defs.automation import (
    returns_folder_sensor,
    returns_year_partitions,
    swps_all_job,
    yearly_returns_schedule,
)
from swps_pipeline.defs.resources import pipeline_resources
from swps_pipeline.settings import Settings

STAGES = [ingest, panel, indicators, economics, impact, provenance, publish, collect]


def build_definitions(settings: Settings) -> dg.Definitions:
    """All assets, checks, the job, schedule and sensor, reading and writing where `settings` says.

    The in-process executor runs every step in the run's process: the graph is a
    few dozen small steps, and a process per step costs about 3 s each.
    """
    return dg.Definitions(
        assets=[asset for stage in STAGES for asset in stage.ASSETS],
        jobs=[swps_all_job(settings.output_dir)],
        schedules=[yearly_returns_schedule],
        sensors=[returns_folder_sensor, returns_year_partitions],
        resources=pipeline_resources(settings),
        executor=dg.in_process_executor,
    )


defs = build_definitions(Settings.from_env())
