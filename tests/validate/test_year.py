"""A year across several files: duplicates, rejected files, accounting, empty tables."""

from __future__ import annotations

import pandas as pd

from swps_pipeline.contract import COLUMN_NAMES
from swps_pipeline.validate import validate_year
from swps_pipeline.validate.tables import SCHEMAS

ACCOUNTING = ["rows_read", "rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped"]


def test_identical_copies_across_files_kept_once(valid_return, write_return, data_dir):
    write_return([valid_return | {"position_id": "77-001"}, valid_return], name="a.csv")
    write_return([valid_return | {"fte": "0,8"}], name="b.csv")  # the same return, written the French way
    result = validate_year(data_dir, 2021, None)
    valid = result.returns_valid
    assert valid["position_id"].tolist() == ["77-001", "77-003"]
    assert valid.loc[valid["position_id"] == "77-003", "source_file"].item() == "returns/2021/a.csv"
    warning = result.returns_warnings.iloc[0]
    assert (warning["rule"], warning["source_file"], warning["source_row"]) == (
        "duplicate_identical", "returns/2021/b.csv", 2)
    assert "returns/2021/a.csv row 3" in warning["message"]
    accounting = result.ingestion_accounting.set_index("source_file")
    assert accounting.loc["returns/2021/b.csv", ACCOUNTING].tolist() == [1, 0, 0, 0, 1]
    assert accounting.loc["returns/2021/a.csv", ACCOUNTING].tolist() == [2, 2, 0, 0, 0]


def test_conflicting_copies_across_files_all_quarantined(valid_return, write_return, data_dir):
    write_return([valid_return, valid_return | {"position_id": "77-001"}], name="a.csv")
    write_return([valid_return | {"actions": "310"}, valid_return | {"position_id": "77-002"}], name="b.csv")
    result = validate_year(data_dir, 2021, None)
    assert result.returns_valid["position_id"].tolist() == ["77-001", "77-002"]
    quarantine = result.returns_quarantine
    assert quarantine[["source_file", "source_row", "rules"]].values.tolist() == [
        ["returns/2021/a.csv", 2, "conflicting_duplicate"], ["returns/2021/b.csv", 2, "conflicting_duplicate"]]
    assert "returns/2021/a.csv row 2; returns/2021/b.csv row 2" in quarantine["message"].iloc[0]
    assert result.returns_warnings.empty


def test_conflicting_copy_that_also_breaks_a_rule_lists_both(valid_return, write_return, data_dir):
    write_return([valid_return, valid_return | {"fte": "2"}])
    quarantine = validate_year(data_dir, 2021, None).returns_quarantine
    assert quarantine["rules"].tolist() == ["conflicting_duplicate", "range;conflicting_duplicate"]


def test_accounting_balances_for_every_file(valid_return, write_return, data_dir):
    write_return([valid_return | {"position_id": "77-001"},
                  {"year": "Total", "persons_received": "200"},  # summary row: no position id
                  {},  # blank row: ignored
                  valid_return | {"position_id": "77-002", "fte": "x"}], name="a.csv")
    write_return([valid_return | {"position_id": "77-001"}], name="b.csv")
    (data_dir / "returns" / "2021" / "notes.pdf").write_bytes(b"%PDF-1.4")
    result = validate_year(data_dir, 2021, None)
    accounting = result.ingestion_accounting
    assert accounting["source_file"].tolist() == ["returns/2021/a.csv", "returns/2021/b.csv", "returns/2021/notes.pdf"]
    assert accounting[ACCOUNTING].values.tolist() == [[3, 1, 1, 1, 0], [1, 0, 0, 0, 1], [0, 0, 0, 0, 0]]
    assert accounting["file_rejected"].tolist() == [False, False, True]
    assert (accounting["rows_read"] == accounting[ACCOUNTING[1:]].sum(axis=1)).all()
    assert result.files_rejected["source_file"].tolist() == ["returns/2021/notes.pdf"]
    assert result.files_rejected["reason"].iloc[0].startswith("not a CSV/XLSX file (.pdf)")


def test_year_columns_are_the_folder_year(valid_return, write_return, data_dir):
    write_return([valid_return | {"year": "2020"}], year=2021)
    (data_dir / "returns" / "2021" / "empty.csv").write_bytes(b"")
    result = validate_year(data_dir, 2021, None)
    for name in ("returns_quarantine", "files_rejected", "ingestion_accounting"):
        assert getattr(result, name)["year"].tolist() and set(getattr(result, name)["year"]) == {2021}


def test_a_year_without_files_gives_empty_tables_with_their_dtypes(data_dir):
    result = validate_year(data_dir, 2030, None)
    for name, schema in SCHEMAS.items():
        table = getattr(result, name)
        assert table.empty
        assert list(table.columns) == list(schema)
        assert {c: str(t) for c, t in table.dtypes.items()} == {c: str(pd.Series(dtype=t).dtype)
                                                               for c, t in schema.items()}


def test_valid_returns_have_the_contract_columns_and_types(valid_return, write_return, data_dir):
    write_return([valid_return])
    valid = validate_year(data_dir, 2021, None).returns_valid
    assert list(valid.columns) == [*COLUMN_NAMES, "source_file", "source_row"]
    assert str(valid["persons_received"].dtype) == "Int64"
    assert valid["fte"].dtype == "float64"
    assert valid["year"].dtype == "int64"
    assert valid["source_row"].tolist() == [2]


def test_garbage_everywhere_ends_in_the_quarantine(valid_return, write_return, data_dir):
    garbage = {column: "☠ 1e999 ;\"" for column in valid_return}
    write_return([garbage, garbage | {"position_id": "77-003"}, valid_return])
    result = validate_year(data_dir, 2021, None)
    assert len(result.returns_valid) == 1
    assert len(result.returns_quarantine) == 2
    assert result.returns_quarantine["rules"].str.startswith("type").all()
