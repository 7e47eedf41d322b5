"""What-if runs kept apart from the official outputs.

A run whose resolved economic parameters differ from the packaged ones (a
Launchpad override or `swps run --parameters FILE`) writes to
`$SWPS_OUTPUT_DIR/scenarios/<name>/` unless it is tagged `swps/publish: true`
(README, "What-if runs").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import dagster as dg

from swps_pipeline import economics
from swps_pipeline.publish import provenance
from swps_pipeline.publish.warehouse import WarehouseIOManager


def run_parameters(run_config: dict) -> economics.Parameters:
    """The economic parameters a run resolves, exactly as its `economic_model` step loads them."""
    from swps_pipeline.defs.economics import EconomicsConfig  # here: it imports the resources, which import us

    config = EconomicsConfig(**(run_config.get("ops", {}).get("economic_model", {}).get("config") or {}))
    return economics.load_parameters(
        Path(config.parameters_file) if config.parameters_file else None, config.overrides()
    )


def parameters_record(parameters: economics.Parameters) -> dict[str, str]:
    """Every resolved value, as dotted keys; `sources` (which files were read) is reported apart, not hashed."""
    return provenance.flat_record({k: v for k, v in vars(parameters).items() if k != "sources"})


def run_record(run_config: dict) -> dict[str, str]:
    """What a run's outputs depend on besides the data: its resolved economic parameters, then every value
    any other step's config sets (`config.<step>.<field>`), so that an override anywhere makes a what-if."""
    record = parameters_record(run_parameters(run_config))
    others = {op: (entry or {}).get("config") for op, entry in run_config.get("ops", {}).items() if op != "economic_model"}
    record.update({f"config.{key}": value for key, value in provenance.flat_record(others).items()
                   if value not in ("", "[]")})
    return record


@cache
def _default_run_hash() -> str:
    return provenance.record_hash(run_record({}))


_SCENARIOS: dict[str, str] = {}  # run id -> scenario: decided once per run


def launch_scenario(run_config: dict, tags: dict[str, str]) -> str:
    """"official" or the name of the scenario a run with this config and these tags writes to."""
    return provenance.scenario_of(tags, provenance.record_hash(run_record(run_config)), _default_run_hash())


def run_scenario(run: dg.DagsterRun) -> str:
    """"official" or the name of the scenario the run writes to."""
    if run.run_id not in _SCENARIOS:
        try:
            _SCENARIOS[run.run_id] = launch_scenario(run.run_config, run.tags)
        except (economics.ParameterError, provenance.ScenarioError) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
    return _SCENARIOS[run.run_id]


def require_every_year(context: dg.AssetExecutionContext, position_year, years: list[int]) -> None:
    """A what-if run reads its own per-year tables: launched on some years only, its whole-period tables
    would cover those years alone. Stop it with the reason instead."""
    scenario = run_scenario(context.run)
    missing = sorted(set(years) - {int(year) for year in position_year["year"].unique()})
    if scenario != provenance.OFFICIAL and missing:
        raise dg.Failure(description=(
            f"what-if run {scenario!r} covers only some years (no {', '.join(map(str, missing))}): a what-if "
            "recomputes every year; launch it on all the years' partitions (Materialize all)"), allow_retries=False)


class ScenarioWarehouseIOManager(WarehouseIOManager):
    """The warehouse IO manager, writing a what-if run's tables to its scenario."""

    def scenario(self, context) -> str:
        try:
            run = context.step_context.dagster_run
        except dg.DagsterInvariantViolationError:  # loaded outside a run (tests, notebooks)
            return provenance.OFFICIAL
        return run_scenario(run)

