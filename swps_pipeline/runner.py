"""One way to run the whole pipeline, shared by `swps run`, the tests and the benchmark.

A run is created as the code location (`workspace.yaml`) would create it, with
the location's job origin, so the UI lists it everywhere a UI launch appears
(the Overview timeline, the job's Runs tab) and offers to re-execute it; it
then executes here, in this process, without a daemon.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

import dagster as dg
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.definitions.job_base import InMemoryJob
from dagster._core.execution.api import execute_run_iterator
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.remote_origin import (
    ManagedGrpcPythonEnvCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

from swps_pipeline.definitions import build_definitions
from swps_pipeline.defs.ingest import returns_year
from swps_pipeline.defs.scenario import launch_scenario
from swps_pipeline.defs.selection import CHANGED_DURING_THE_RUN, REFERENCE_INPUTS_TAG, unchanged_reference_assets
from swps_pipeline.economics import ParameterError
from swps_pipeline.garbage import run_collection
from swps_pipeline.figures import CHART_WORKER
from swps_pipeline.impact.results import SENSITIVITY_WORKER
from swps_pipeline.parallel import warm_workers
from swps_pipeline.publish.provenance import OFFICIAL, ScenarioError
from swps_pipeline.publish.warehouse import keep_only_years
from swps_pipeline.reuse import reference_inputs_key
from swps_pipeline.settings import Settings

JOB = "swps_all"
CODE_LOCATION = "swps_pipeline"  # workspace.yaml and pyproject's [tool.dagster]
DEFINITIONS_MODULE = "swps_pipeline.definitions"
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a `Definitions`


def run_config(parameters_file: str | None = None, log_level: str = "INFO") -> dict:
    """Run config: the console log level and, optionally, a user parameter file for the economic model."""
    config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if parameters_file:
        config["ops"] = {"economic_model": {"config": {"parameters_file": parameters_file}},
                         "impact_estimates": {"config": {"parameters_file": parameters_file}}}
    return config


def _origins() -> tuple[RemoteJobOrigin, JobPythonOrigin]:
    """The job's origins as the code location of workspace.yaml names them."""
    working_directory = str(Path(__file__).resolve().parents[1])
    target = LoadableTargetOrigin(
        executable_path=sys.executable, module_name=DEFINITIONS_MODULE, working_directory=working_directory
    )
    location = ManagedGrpcPythonEnvCodeLocationOrigin(target, location_name=CODE_LOCATION)
    code = RepositoryPythonOrigin(
        executable_path=sys.executable,
        code_pointer=ModuleCodePointer(DEFINITIONS_MODULE, "defs", working_directory),
    )
    return (RemoteJobOrigin(RemoteRepositoryOrigin(location, REPOSITORY), JOB), JobPythonOrigin(JOB, code))


def per_year_tables(definitions: dg.Definitions) -> list[str]:
    """The tables partitioned by year (one warehouse table per asset)."""
    return sorted(spec.key.path[-1] for assets in definitions.assets if assets.partitions_def == returns_year
                  for spec in assets.specs)


def partition_tags(instance: dg.DagsterInstance, only_year: int | None) -> dict[str, str]:
    """One year, or the range of every year partition (one step per asset over all years)."""
    if only_year is not None:
        return {"dagster/partition": str(only_year)}
    ordered = instance.get_dynamic_partitions(returns_year.name)
    return {ASSET_PARTITION_RANGE_START_TAG: ordered[0], ASSET_PARTITION_RANGE_END_TAG: ordered[-1]}


def _official(config: dict, tags: dict[str, str]) -> bool:
    """Whether the run writes the official outputs; not when its config or tags are wrong (its steps then fail
    with the reason, as in a launch from the UI)."""
    try:
        return launch_scenario(config, tags) == OFFICIAL
    except (ParameterError, ScenarioError):
        return False


class StepProgress:
    """Which step runs and how many are done, on one terminal line rewritten in place (`swps run` on a tty)."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.total = 0
        self.done = 0
        self.started = time.perf_counter()

    @staticmethod
    def for_stream(stream: TextIO) -> StepProgress | None:
        """A progress line for a terminal; none when the stream is a file or a pipe (logs stay clean)."""
        return StepProgress(stream) if stream.isatty() else None

    def line(self, running: str | None) -> str:
        elapsed = time.perf_counter() - self.started
        doing = f"running {running}" if running else "done"
        return f"swps run: [{self.done}/{self.total}] {doing} ({elapsed:.0f} s)"

    def __call__(self, event: dg.DagsterEvent) -> None:
        if event.is_step_start:
            self._show(self.line(event.step_key))
        elif event.is_step_success or event.is_step_failure or event.is_step_skipped:
            self.done += 1
        elif event.event_type == dg.DagsterEventType.RUN_SUCCESS or event.is_run_failure:
            self._show("")

    def _show(self, text: str) -> None:
        self.stream.write(f"\r{text}\x1b[K")  # back to the line's start, write, clear what is left
        self.stream.flush()


def materialise(
    settings: Settings,
    instance: dg.DagsterInstance,
    only_year: int | None = None,
    config: dict | None = None,
    tags: dict[str, str] | None = None,
    progress: StepProgress | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise every asset in one run of `swps_all`, recorded in `instance` as a launch from the code location.

    Every year folder becomes a partition of `returns_year`; the run covers all of
    them (or `only_year`) and everything downstream, but for the reference tables
    a year's re-run finds unchanged (`defs/selection.py`). `tags` go on the run
    (e.g. `swps/scenario`, `swps/publish`: README, "What-if runs"); `progress`
    sees each event as it happens.
    """
    years = settings.returns_years()
    keys = [str(year) for year in years]
    known = set(instance.get_dynamic_partitions(returns_year.name))
    instance.add_dynamic_partitions(returns_year.name, [key for key in keys if key not in known])
    # A year whose folder is gone (or now out of range) leaves the partitions and the warehouse.
    for key in known - set(keys):
        instance.delete_dynamic_partition(returns_year.name, key)
    definitions = build_definitions(settings)
    warehouse_tables = keep_only_years(settings.warehouse_path, per_year_tables(definitions), years)
    job = definitions.resolve_job_def(JOB)
    config = config or run_config()
    tags = {**job.tags, **(tags or {}), **partition_tags(instance, only_year)}
    selection = None
    # Only a run into the official warehouse says which reference inputs it read: a what-if writes elsewhere.
    official = _official(config, tags)
    if official:
        tags[REFERENCE_INPUTS_TAG] = reference_inputs_key(settings.data_dir, settings.returns_dir, years)
        unchanged = unchanged_reference_assets(instance, settings, tags[REFERENCE_INPUTS_TAG], warehouse_tables) \
            if only_year is not None else set()
        if unchanged:
            selection = frozenset(job.asset_layer.asset_graph.get_all_asset_keys() - unchanged)
            job = job.get_subset(asset_selection=selection)
    remote_origin, code_origin = _origins()
    run = instance.create_run_for_job(
        job_def=job, run_config=config, tags=tags, asset_selection=selection,
        remote_job_origin=remote_origin, job_code_origin=code_origin,
    )
    if progress is not None:
        progress.total = len(job.graph.nodes)  # one step per op: a multi-asset and its checks are one step
    events = []
    # A year's re-run mostly finds the impact estimates' inputs unchanged (they are reused): no sensitivity worker.
    warm = [CHART_WORKER] if only_year is not None else [CHART_WORKER, SENSITIVITY_WORKER]
    with run_collection(), warm_workers(warm):
        for event in execute_run_iterator(InMemoryJob(job), run, instance):
            events.append(event)
            if progress is not None:
                progress(event)
    if official and reference_inputs_key(settings.data_dir, settings.returns_dir, years) != tags[REFERENCE_INPUTS_TAG]:
        # A reference file changed while the run read it: what it read is not known, so no later run reuses it.
        instance.add_run_tags(run.run_id, {REFERENCE_INPUTS_TAG: CHANGED_DURING_THE_RUN})
    return dg.ExecuteInProcessResult(events, instance.get_run_by_id(run.run_id), None, job)
