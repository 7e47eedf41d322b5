"""The impact_estimates asset: settings from a parameter file and the Launchpad, warning and breakdown in the UI."""

from __future__ import annotations

import dagster as dg
import numpy as np

from swps_pipeline.defs.impact import impact_estimates
from swps_pipeline.defs.resources import PipelineSettings

COHORTS = {2019.0: 4, 2021.0: 4, 2023.0: 4}


def test_asset_reads_the_impact_section_and_shows_warning_and_breakdown(simulate, tmp_path):
    @dg.asset(name="impact_panel")
    def panel():
        return simulate(5, lambda e: np.where(e >= 0, 0.15, 0.0), COHORTS)

    parameters = tmp_path / "parameters.yaml"
    parameters.write_text("impact:\n  control_group: not_yet_treated\n  base_period: universal\n  n_boot: 199\n",
                          encoding="utf-8")
    config = {"ops": {"impact_estimates": {"config": {"parameters_file": str(parameters), "anticipation": 1}}}}
    with dg.instance_for_test() as instance:
        settings = PipelineSettings(data_dir=str(tmp_path), output_dir=str(tmp_path / "output"))
        result = dg.materialize([panel, impact_estimates], run_config=config, instance=instance,
                                resources={"settings": settings})
        estimates = result.output_for_node("impact_estimates", "impact_estimates")
        metadata = next(m.metadata for m in result.asset_materializations_for_node("impact_estimates")
                        if m.asset_key.path == ["impact_estimates"])
    cs = estimates.query("model == 'callaway_santanna'")
    # the file's base period and the Launchpad's anticipation, on every row
    assert set(cs["base_period"]) == {"universal"} and set(cs["anticipation"]) == {1}
    assert metadata["settings"].value["anticipation"] == 1 and metadata["settings"].value["n_boot"] == 199
    assert metadata["few-cluster warning"].value.startswith("Few clusters: 12 départements (< 30)")
    breakdown = estimates.query("term == 'breakdown_mbar_att_dynamic_overall'")["estimate"].item()
    assert metadata["breakdown value"].value.startswith(
        f"Breakdown value M̄ = {breakdown:.2f}" if 0 < breakdown < 4 else "The average post-adoption effect")
