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
from swps_pipeline.defs.economics import EconomicsConfig
from swps_pipeline.publish import provenance
from swps_pipeline.publish.warehouse import WarehouseIOManager


def run_parameters(run_config: dict) -> economics.Parameters:
    """The economic parameters a run resolves, exactly as its `economic_model` step loads them."""
    config = EconomicsConfig(**(run_config.get("ops", {}).get("economic_model", {}).get("config") or {}))
    return economics.load_parameters(
        Path(config.parameters_file) if config.parameters_file else None, config.overrides()
    )


def parameters_record(parameters: economics.Parameters) -> dict[str, str]:
    """Every resolved value, as dotted keys; `sources` (which files were read) is reported apart, not hashed."""
    return provenance.flat_record({k: v for k, v in vars(parameters).items() if k != "sources"})


@cache
def _default_parameters_hash() -> str:
    return provenance.record_hash(parameters_record(economics.load_parameters()))


_SCENARIOS: dict[str, str] = {}  # run id -> scenario: decided once per run


def run_scenario(run: dg.DagsterRun) -> str:
    """"official" or the name of the scenario the run writes to."""
    if run.run_id not in _SCENARIOS:
        try:
            parameters = run_parameters(run.run_config)
            _SCENARIOS[run.run_id] = provenance.scenario_of(
                run.tags, provenance.record_hash(parameters_record(parameters)), _default_parameters_hash()
            )
        except (economics.ParameterError, provenance.ScenarioError) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
    return _SCENARIOS[run.run_id]


class ScenarioWarehouseIOManager(WarehouseIOManager):
    """The warehouse IO manager, writing a what-if run's tables to its scenario."""

    def scenario(self, context) -> str:
        try:
            run = context.step_context.dagster_run
        except dg.DagsterInvariantViolationError:  # loaded outside a run (tests, notebooks)
            return provenance.OFFICIAL
        return run_scenario(run)

