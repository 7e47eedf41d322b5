"""Which assets a year's re-run computes: not the reference tables, when nothing they come from changed.

The registry, the recorded crime, the population, the départements, the indicator
catalogue and the profile's table are computed from the data folder's files
outside `returns/`, the names of its year folders, the code and the profile:
never from a year's returns. `swps run` tags its official runs with a key of all
that (`swps_pipeline.reuse.reference_inputs_key`; a file changed while the run
read it spoils the tag). A later `swps run --year` on the same output folder
with the same key leaves them out of its run and reads them from the warehouse
(issue 17: six steps and their events, about 0.8 s of a corrected year's re-run
at 10x the bundled data). Tables written by a run without the tag (the UI, the
schedule, a what-if), with another key or into another output folder, or gone
from the warehouse, are computed again: only what is known to be the same is
left out.
"""

from __future__ import annotations

import dagster as dg

from swps_pipeline.defs.automation import OUTPUT_FOLDER_TAG
from swps_pipeline.reuse import reuse_enabled
from swps_pipeline.settings import Settings

#: The tables computed from reference inputs only (their upstream is in this list too: tests/dagster/test_selection.py).
REFERENCE_ASSETS = ("positions_registry", "departements", "indicator_definitions", "recorded_crime",
                    "department_population", "run_profile")
#: Run tag: the key of the reference inputs the run read (`swps_pipeline.reuse.reference_inputs_key`).
REFERENCE_INPUTS_TAG = "swps/reference_inputs"
#: Its value when a reference file changed during the run (the run cannot say what it read).
CHANGED_DURING_THE_RUN = "changed during the run"


def unchanged_reference_assets(instance: dg.DagsterInstance, settings: Settings, key: str,
                               warehouse_tables: set[str]) -> set[dg.AssetKey]:
    """Every reference table when each one's last materialisation was made, into this output folder, by a run
    tagged with `key` and the warehouse still holds it; else none (they are computed together, as in a full run).
    None either when reuse is off (`SWPS_REUSE=off`, `swps run --no-reuse`)."""
    if not reuse_enabled():
        return set()
    keys, runs = {dg.AssetKey(name) for name in REFERENCE_ASSETS}, {}
    for asset_key in keys:
        event = instance.get_latest_materialization_event(asset_key)
        if event is None or asset_key.path[-1] not in warehouse_tables:
            return set()
        if event.run_id not in runs:
            runs[event.run_id] = instance.get_run_by_id(event.run_id)
        tags = runs[event.run_id].tags if runs[event.run_id] is not None else {}
        if tags.get(REFERENCE_INPUTS_TAG) != key or tags.get(OUTPUT_FOLDER_TAG) != str(settings.output_dir):
            return set()
    return keys
