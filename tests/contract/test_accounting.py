"""Nothing that enters vanishes: per file, rows_read = valid + quarantined + summary skipped + duplicates dropped
+ superseded by a correction,
and a rejected file has its row of zeros. Then one data folder mixing everything the contract allows or refuses."""

from __future__ import annotations

import pandas as pd
import pytest

from swps_pipeline.contract import GROUPS, REGISTRY_COLUMNS
from swps_pipeline.ingest.registry import read_registry
from swps_pipeline.validate.tables import ACCOUNTING_COUNTS, SCHEMAS

BLANK_PERSONS_GROUPS = {c: None for c in GROUPS["persons_sex"] + GROUPS["persons_age"]}


def assert_rows_add_up(accounting: pd.DataFrame) -> None:
    read = accounting["rows_read"]
    parts = accounting[["rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped",
                        "rows_superseded"]]
    assert (read == parts.sum(axis=1)).all()


def append_lines(path, lines: list[str], encoding: str = "utf-8") -> None:
    with path.open("ab") as handle:
        handle.write("".join(f"{line}\r\n" for line in lines).encode(encoding))


def test_every_row_is_accounted_for_in_each_file(folder):
    path = folder.csv([folder.row(position_id="13-001"), folder.row(position_id="13-002", fte=0),
                       folder.row(position_id="13-003")], name="a.csv")
    append_lines(path, ["", ",,,", "Total,,,2,,,,,,360"])
    folder.csv([folder.row(position_id="13-003"), folder.row(position_id="13-004", year=None)], name="b.csv")
    folder.write_bytes("c.csv", b"")
    result = folder.validate()
    accounting = result.ingestion_accounting
    assert list(accounting.columns) == list(SCHEMAS["ingestion_accounting"])
    # Blank lines (and a line of separators only) are not rows; the Total row is read and skipped.
    assert accounting[["source_file", *ACCOUNTING_COUNTS, "file_rejected"]].values.tolist() == [
        ["returns/2022/a.csv", 4, 2, 1, 1, 0, 0, False],
        ["returns/2022/b.csv", 2, 0, 1, 0, 1, 0, False],
        ["returns/2022/c.csv", 0, 0, 0, 0, 0, 0, True],
    ]
    assert_rows_add_up(accounting)
    assert accounting["year"].tolist() == [2022] * 3
    assert len(result.returns_valid) == accounting["rows_valid"].sum()
    assert len(result.returns_quarantine) == accounting["rows_quarantined"].sum()


def test_a_year_of_rejected_files_only(folder):
    folder.write_bytes("a.txt", b"text")
    folder.write_bytes("b.csv", b"\x00\x00")
    result = folder.validate()
    assert result.ingestion_accounting[["source_file", *ACCOUNTING_COUNTS, "file_rejected"]].values.tolist() == [
        ["returns/2022/a.txt", 0, 0, 0, 0, 0, 0, True],
        ["returns/2022/b.csv", 0, 0, 0, 0, 0, 0, True],
    ]
    assert result.returns_valid.empty and result.returns_quarantine.empty and result.returns_warnings.empty
    assert list(result.returns_valid.columns) == list(SCHEMAS["returns_valid"])


def test_an_empty_year_has_every_table_with_its_columns(folder):
    result = folder.validate()
    for name, schema in SCHEMAS.items():
        frame = getattr(result, name)
        assert frame.empty
        assert {column: str(dtype) for column, dtype in frame.dtypes.items()} == {
            column: str(pd.Series(dtype=dtype).dtype) for column, dtype in schema.items()}


@pytest.fixture
def mixed_year(folder):
    """A year folder with every case at once (the rows are numbered as in the files)."""
    # cp1252, `;`, French labels, decimal comma; lines: header 1, returns 2-5, a blank line 6, Total 7.
    bdr = folder.csv([
        folder.row(position_id="13-001", fte="0,8", persons_received="1\u00a0256", **BLANK_PERSONS_GROUPS),
        folder.row(position_id="13-002", fte="1,2"),
        folder.row(position_id="13-003", cases_public_unknown=None),
        folder.row(position_id="13-004", year=2021),
    ], name="bouches-du-rhone.csv", encoding="cp1252", separator=";", decimal=",", labels="fr")
    append_lines(bdr, ["", "Total;;;;;;3,6;;;1496"], encoding="cp1252")
    # Two title rows, the header on row 3, returns on rows 4-6, a Total on row 7; an unknown column.
    folder.xlsx([
        folder.row(department_code=1, position_id="01-004") | {"Commentaire": None},
        folder.row(department_code=1, position_id="01-005") | {"Commentaire": "nouveau poste"},
        folder.row(department_code=1, position_id="01-006", host_type="Préfecture") | {"Commentaire": None},
    ], name="ain.xlsx", titles=["Bilan annuel des postes ISCG", "Ain"], total=True)
    folder.csv([folder.row(department_code="83", position_id=f"83-00{i}") for i in (1, 2, 3)], name="var.csv")
    folder.csv([folder.row(department_code="83", position_id="83-002"),
                folder.row(department_code="83", position_id="83-003", actions=401)],
               name="var_copie.csv", encoding="utf-8-sig", separator=";", decimal=",")
    folder.write_bytes("notes.txt", b"a envoyer")
    folder.write_bytes("vide.csv", b"")
    folder.csv([{c: v for c, v in folder.row(position_id="13-009").items() if c != "fte"}], name="incomplet.csv")

    registered = ["13-001", "13-002", "13-003", "13-004", "01-004", "01-006", "83-001", "83-002", "83-003"]
    positions = folder.data_dir / "positions.csv"
    positions.write_text("\n".join([",".join(REGISTRY_COLUMNS), *[
        f"{position},{position[:2]},police,,association,2019-01-01,,1" for position in registered]]) + "\n")
    return folder.validate(registry=read_registry(positions))


def test_mixed_year_quarantines_exactly_the_broken_rows(mixed_year):
    quarantine = mixed_year.returns_quarantine
    assert sorted(quarantine[["source_file", "source_row", "position_id", "rules"]].values.tolist()) == [
        ["returns/2022/ain.xlsx", 6, "01-006", "enum"],
        ["returns/2022/bouches-du-rhone.csv", 3, "13-002", "range"],
        ["returns/2022/bouches-du-rhone.csv", 5, "13-004", "year_mismatch"],
        ["returns/2022/var.csv", 4, "83-003", "conflicting_duplicate"],
        ["returns/2022/var_copie.csv", 3, "83-003", "conflicting_duplicate"],
    ]
    messages = dict(zip(quarantine["position_id"], quarantine["message"]))
    assert messages["13-002"] == "fte = '1,2': expected a number in (0, 1]"
    assert messages["13-004"] == ("year = '2021': expected 2022, the year of folder returns/2022/ "
                                  "(correct the year or move the file)")


def test_mixed_year_keeps_the_valid_rows_with_their_values(mixed_year):
    valid = mixed_year.returns_valid.set_index("position_id")
    assert valid.index.tolist() == ["01-004", "01-005", "13-001", "13-003", "83-001", "83-002"]
    assert (valid.loc["13-001", "fte"], valid.loc["13-001", "persons_received"]) == (0.8, 1256)
    assert valid.loc["13-001", GROUPS["persons_sex"]].isna().all()
    assert valid.loc["13-003", "cases_public_unknown"] == 5
    assert valid.loc["01-004", "department_code"] == "01"
    assert valid.loc["01-004", "fte"] == 0.8 and valid.loc["01-004", "source_row"] == 4
    assert valid.loc["83-002", "source_file"] == "returns/2022/var.csv"
    assert valid["actions"].tolist() == [400] * 6
    assert (valid["year"] == 2022).all()


def test_mixed_year_warnings(mixed_year):
    warnings = mixed_year.returns_warnings
    assert sorted(warnings[["source_file", "source_row", "position_id", "rule"]].astype(object)
                  .where(warnings.notna(), None).values.tolist(), key=str) == sorted([
        ["returns/2022/ain.xlsx", None, None, "extra_column"],
        ["returns/2022/ain.xlsx", 5, "01-005", "unregistered_position"],
        ["returns/2022/bouches-du-rhone.csv", 4, "13-003", "unknown_derived"],
        ["returns/2022/var_copie.csv", 2, "83-002", "duplicate_identical"],
    ], key=str)


def test_mixed_year_files_rejected_and_accounting(mixed_year):
    assert mixed_year.files_rejected[["source_file", "reason"]].values.tolist() == [
        ["returns/2022/incomplet.csv", "required column(s) missing: fte (ETP); add them to the header row"],
        ["returns/2022/notes.txt", "not a CSV/XLSX file (.txt): send the return as .csv or .xlsx"],
        ["returns/2022/vide.csv", "empty file: it has no header and no rows; send the return again"],
    ]
    accounting = mixed_year.ingestion_accounting
    assert accounting[["source_file", *ACCOUNTING_COUNTS, "file_rejected"]].values.tolist() == [
        ["returns/2022/ain.xlsx", 4, 2, 1, 1, 0, 0, False],
        ["returns/2022/bouches-du-rhone.csv", 5, 2, 2, 1, 0, 0, False],
        ["returns/2022/incomplet.csv", 0, 0, 0, 0, 0, 0, True],
        ["returns/2022/notes.txt", 0, 0, 0, 0, 0, 0, True],
        ["returns/2022/var.csv", 3, 2, 1, 0, 0, 0, False],
        ["returns/2022/var_copie.csv", 2, 0, 1, 0, 1, 0, False],
        ["returns/2022/vide.csv", 0, 0, 0, 0, 0, 0, True],
    ]
    assert_rows_add_up(accounting)
