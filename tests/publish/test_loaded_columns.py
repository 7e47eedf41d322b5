"""A step that reads a few columns of a warehouse table names them in the table's own order; one that reads a few
rows names them (issue 17)."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.definitions import defs
from swps_pipeline.panel.tables import POSITION_YEAR_DTYPES
from swps_pipeline.publish.stored import as_loaded, loaded_columns
from swps_pipeline.publish.warehouse import SCHEMA, WarehouseIOManager, loaded_rows
from swps_pipeline.validate.tables import SCHEMAS


def test_the_columns_come_in_the_tables_order_whatever_order_they_are_asked_in():
    assert loaded_columns(POSITION_YEAR_DTYPES, ["fte_years", "year", "position_id"]) == {
        "columns": ["position_id", "year", "fte_years"]}


def test_a_column_the_table_does_not_have_is_refused_when_the_definitions_load():
    with pytest.raises(ValueError, match="not columns of the table: fte_year, persons"):
        loaded_columns(POSITION_YEAR_DTYPES, ["position_id", "persons", "fte_year"])


@pytest.mark.parametrize("step, table, key", [
    ("economic_model", "position_year", ["position_id", "department_code", "year"]),
    ("deployment_department_year", "position_year", ["position_id"]),
    ("collection", "returns_valid", ["year", "department_code", "position_id"]),
])
def test_each_narrow_load_starts_with_the_tables_leading_key(step, table, key):
    """Sorted by the columns loaded, first to last, its rows keep the whole table's order (a position-year is
    one row; a position is in one département)."""
    order = list({"position_year": POSITION_YEAR_DTYPES, "returns_valid": SCHEMAS["returns_valid"]}[table])
    node = next(assets.node_def for assets in defs.assets if getattr(assets, "node_def", None) is not None
                and assets.node_def.name == step)
    columns = node.input_def_named(table).metadata["columns"]
    assert columns[:len(key)] == key == order[:len(key)]
    assert columns == [column for column in order if column in columns]


def test_a_step_given_loaded_rows_receives_only_those_rows_of_the_warehouse_table(tmp_path):
    """`indicator_changes` loads two levels of `indicators` (issue 17); a value with a quote stays a value."""
    levels = ["national", "region", "department", "position", "host_type", "d'outre-mer"]
    table = pd.DataFrame({"level": levels * 2, "value": range(12)})
    received = {}

    @dg.asset
    def indicators_stand_in() -> pd.DataFrame:
        return table

    @dg.asset(ins={"indicators_stand_in": dg.AssetIn(metadata={
        "columns": ["level", "value"], **loaded_rows("level", ["national", "d'outre-mer"])})})
    def changes_stand_in(indicators_stand_in: pd.DataFrame) -> None:
        received["rows"] = indicators_stand_in

    io_manager = WarehouseIOManager(database=str(tmp_path / "w.duckdb"), schema=SCHEMA,
                                    marts_dir=str(tmp_path / "marts"))
    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.materialize([indicators_stand_in, changes_stand_in], instance=instance,
                              resources={"io_manager": io_manager}).success
    rows = received["rows"].sort_values("value", ignore_index=True)
    assert rows.to_dict("list") == {"level": ["national", "d'outre-mer", "national", "d'outre-mer"],
                                    "value": [0, 5, 6, 11]}


def test_indicator_changes_loads_only_the_levels_it_compares():
    node = next(assets.node_def for assets in defs.assets if getattr(assets, "node_def", None) is not None
                and assets.node_def.name == "indicator_changes")
    assert node.input_def_named("indicators").metadata["rows"] == {"level": ["national", "department"]}


def test_as_loaded_gives_what_a_step_loads_from_the_warehouse(tmp_path):
    """What the processes validating ahead compute from (`validate/ahead.py`): a year-partitioned table's rows
    come sorted, a plain table's as stored; nullable integers, missing text and an empty text column come back
    as the warehouse gives them."""
    frame = pd.DataFrame({
        "year": [2021, 2021, 2021], "position_id": ["77-002", "77-001", None],
        "persons": pd.array([5, None, 3], dtype="Int64"), "note": [None, None, None], "fte": [1.0, 0.5, float("nan")],
    })
    received = {}

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["2021"]), metadata={"partition_expr": "year"})
    def yearly_stand_in() -> pd.DataFrame:
        return frame

    @dg.asset
    def plain_stand_in() -> pd.DataFrame:
        return frame

    @dg.asset(ins={"yearly_stand_in": dg.AssetIn(metadata={"columns": ["year", "position_id", "persons"]})})
    def reader_stand_in(yearly_stand_in: pd.DataFrame, plain_stand_in: pd.DataFrame) -> None:
        received.update(yearly=yearly_stand_in, plain=plain_stand_in)

    io_manager = WarehouseIOManager(database=str(tmp_path / "w.duckdb"), schema=SCHEMA,
                                    marts_dir=str(tmp_path / "marts"))
    with dg.DagsterInstance.ephemeral() as instance:
        for selection, partition in (([yearly_stand_in], "2021"), ([plain_stand_in], None)):
            assert dg.materialize(selection, instance=instance, partition_key=partition,
                                  resources={"io_manager": io_manager}).success
        assert dg.materialize([yearly_stand_in, plain_stand_in, reader_stand_in], instance=instance,
                              selection=[reader_stand_in], resources={"io_manager": io_manager}).success
    yearly = as_loaded(frame, ["year", "position_id", "persons"])
    pd.testing.assert_frame_equal(yearly, received["yearly"], check_exact=True)
    pd.testing.assert_frame_equal(as_loaded(frame, partitioned=False), received["plain"], check_exact=True)
    assert yearly["position_id"].tolist()[:2] == ["77-001", "77-002"] and yearly["position_id"].isna().tolist()[2]
