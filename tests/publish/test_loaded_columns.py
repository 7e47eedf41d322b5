"""A step that reads a few columns of a warehouse table names them in the table's own order (issue 17)."""

from __future__ import annotations

import pytest

from swps_pipeline.definitions import defs
from swps_pipeline.panel.tables import POSITION_YEAR_DTYPES
from swps_pipeline.publish.warehouse import loaded_columns
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
