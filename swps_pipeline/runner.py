"""One way to run the whole pipeline, shared by `swps run`, the tests and the benchmark."""

from __future__ import annotations

import dagster as dg

from swps_pipeline.definitions import build_definitions
from swps_pipeline.defs.ingest import INGEST_TABLES, returns_year
from swps_pipeline.publish.warehouse import keep_only_years
from swps_pipeline.settings import Settings


def run_config(parameters_file: str | None = None, log_level: str = "INFO") -> dict:
    """Run config: the console log level and, optionally, a user parameter file for the economic model."""
    config: dict = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if parameters_file:
        config["ops"] = {"economic_model": {"config": {"parameters_file": parameters_file}},
                         "impact_estimates": {"config": {"parameters_file": parameters_file}}}
    return config


def materialise(
    settings: Settings,
    instance: dg.DagsterInstance,
    only_year: int | None = None,
    config: dict | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialise every asset in one in-process run, recorded in `instance`.

    Every year folder becomes a partition of `returns_year`; the run covers all of
    them (or `only_year`) and everything downstream. `tags` go on the run
    (e.g. `swps/scenario`, `swps/publish`: README, "What-if runs").
    """
    years = settings.returns_years()
    keys = [str(year) for year in years]
    known = set(instance.get_dynamic_partitions(returns_year.name))
    instance.add_dynamic_partitions(returns_year.name, [key for key in keys if key not in known])
    # A year whose folder is gone (or now out of range) leaves the partitions and the warehouse.
    for key in known - set(keys):
        instance.delete_dynamic_partition(returns_year.name, key)
    keep_only_years(settings.warehouse_path, list(INGEST_TABLES), years)
    job = build_definitions(settings).resolve_job_def("swps_all")
    if only_year is not None:
        return job.execute_in_process(
            run_config=config or run_config(), instance=instance, partition_key=str(only_year), raise_on_error=False,
            tags=tags,
        )
    ordered = instance.get_dynamic_partitions(returns_year.name)
    tags = {**(tags or {}),
            "dagster/asset_partition_range_start": ordered[0], "dagster/asset_partition_range_end": ordered[-1]}
    return job.execute_in_process(run_config=config or run_config(), instance=instance, tags=tags, raise_on_error=False)
