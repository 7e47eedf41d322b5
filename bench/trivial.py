"""The floor of a Dagster run on this machine: one trivial asset, materialised in process by the CLI
(`dagster asset materialize`), with the same kind of instance as `swps run` (SQLite under DAGSTER_HOME, the dagster.yaml `swps run`
writes: swps_pipeline/instance.py)."""

import dagster as dg


@dg.asset
def trivial() -> int:
    return 1


defs = dg.Definitions(assets=[trivial])
