"""The reference tables a year's re-run may leave out are computed from reference inputs only
(`swps_pipeline/defs/selection.py`): nothing upstream of them is a year's table or anything else."""

from __future__ import annotations

import dagster as dg

from swps_pipeline.definitions import defs
from swps_pipeline.defs.ingest import returns_year
from swps_pipeline.defs.selection import REFERENCE_ASSETS


def test_the_reference_tables_read_only_one_another_and_no_year():
    graph = defs.resolve_asset_graph()
    reference = {dg.AssetKey(name) for name in REFERENCE_ASSETS}
    for key in reference:
        node = graph.get(key)
        assert node.partitions_def is None, key
        assert node.parent_keys <= reference, (key, node.parent_keys - reference)


def test_a_year_table_is_never_a_reference_table():
    year_tables = {spec.key.path[-1] for assets in defs.assets
                   if getattr(assets, "partitions_def", None) == returns_year for spec in assets.specs}
    assert year_tables and year_tables.isdisjoint(REFERENCE_ASSETS)
