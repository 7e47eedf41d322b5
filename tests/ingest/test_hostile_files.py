"""Hostile and careless files (issue 18): each is rejected with its reason, reported or read, never a crash.

Every file is built here from a small valid return, with one change.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import time
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from swps_pipeline.assumptions import MAX_FILE_BYTES
from swps_pipeline.collect.feedback import rejection_reason
from swps_pipeline.i18n import Texts
from swps_pipeline.ingest import lines
from swps_pipeline.ingest.folder import original_name, safe_name, scan_year_folder
from swps_pipeline.ingest.read import read_year
from swps_pipeline.publish.stored import duckdb_ready
from swps_pipeline.validate import validate_year
from tests.ingest.workbooks import workbook

YEAR = 2021
HEADER = ["year", "department_code", "position_id", "fte", "months_active", "persons_received", "new_cases",
          "actions", "host_site"]
ROW = [2021, 77, "77-001", 1, 12, 120, 60, 360, "Meaux"]
CSV = (",".join(HEADER) + "\n" + ",".join(map(str, ROW)) + "\n").encode()
#: Declarations put before the sheet's root element; the entity replaces the text of one cell.
BILLION_LAUGHS = (b'<!DOCTYPE worksheet [<!ENTITY lol "lol">' + b"".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode() for i in range(1, 10))
    + b"]>", b"&lol9;")
XXE = (b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', b"&xxe;")


def with_part(content: bytes, part: str, xml: bytes) -> bytes:
    """The workbook with one part replaced in place (or added at the end)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, xml if info.filename == part else source.read(info))
        if part not in source.namelist():
            out.writestr(part, xml)
    return buffer.getvalue()


def sheet_xml(content: bytes) -> bytes:
    return zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")


def attacked(declarations: bytes, entity: bytes) -> bytes:
    """The valid workbook whose sheet declares `declarations` and uses `entity` in a cell."""
    sheet = sheet_xml(GOOD_XLSX)
    sheet = sheet.replace(b"<worksheet", declarations + b"<worksheet", 1).replace(b"<t>Meaux</t>",
                                                                                  b"<t>" + entity + b"</t>")
    assert entity in sheet
    return with_part(GOOD_XLSX, "xl/worksheets/sheet1.xml", sheet)


def put(data_dir: Path, name: str | bytes, content: bytes) -> Path:
    folder = data_dir / "returns" / str(YEAR)
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), os.fsencode(name))))
    path.write_bytes(content)
    return path


def rejected(data_dir: Path) -> dict[str, str]:
    return dict(read_year(data_dir, YEAR).rejected)


GOOD_XLSX = workbook({"Bilan": [HEADER, ROW]})


@pytest.mark.parametrize(("bad", "reason"), [
    (lambda: with_part(GOOD_XLSX, "xl/worksheets/sheet1.xml", sheet_xml(GOOD_XLSX).replace(b"</c>", b"</si>", 1)),
     "damaged XLSX workbook"),
    (lambda: with_part(GOOD_XLSX, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'><c r='A1'"),
     "damaged XLSX workbook"),
    (lambda: with_part(GOOD_XLSX, "xl/workbook.xml", b"<workbook><sheets>"), "damaged XLSX workbook (malformed XML"),
    (lambda: GOOD_XLSX[:len(GOOD_XLSX) // 2], "not a readable XLSX workbook (BadZipFile)"),
    (lambda: attacked(*BILLION_LAUGHS), "xl/worksheets/sheet1.xml declares a DTD or entities"),
    (lambda: attacked(*XXE), "xl/worksheets/sheet1.xml declares a DTD or entities"),
], ids=["broken nesting", "truncated sheet", "truncated workbook.xml", "truncated zip", "billion laughs", "XXE"])
def test_case1_a_malformed_or_hostile_workbook_is_rejected_and_the_year_goes_on(tmp_path, bad, reason):
    put(tmp_path, "good.csv", CSV)
    put(tmp_path, "bad.xlsx", bad())
    started = time.perf_counter()
    result = validate_year(tmp_path, YEAR, None)
    assert time.perf_counter() - started < 5
    assert result.files_rejected["source_file"].tolist() == ["returns/2021/bad.xlsx"]
    assert result.files_rejected["reason"].iloc[0].startswith(reason)
    assert result.returns_valid["source_file"].tolist() == ["returns/2021/good.csv"]


@pytest.mark.parametrize("hostile", [BILLION_LAUGHS, XXE], ids=["billion laughs", "external entity"])
def test_billion_laughs_and_xxe_are_rejected_in_under_a_second(tmp_path, hostile):
    path = put(tmp_path, "attack.xlsx", attacked(*hostile))
    started = time.perf_counter()
    reasons = rejected(tmp_path)
    assert time.perf_counter() - started < 1.0
    assert reasons[f"returns/2021/{path.name}"].startswith("xl/worksheets/sheet1.xml declares a DTD or entities")
    assert "root:" not in reasons[f"returns/2021/{path.name}"]


def test_case2_a_name_that_is_not_utf8_is_read_under_a_reversible_safe_name(tmp_path):
    put(tmp_path, b"bilan_d\xe9partement_77.csv", CSV)
    put(tmp_path, b"back\\slash\xff.txt", b"x")
    result = validate_year(tmp_path, YEAR, None)
    assert result.returns_valid["source_file"].tolist() == ["returns/2021/bilan_d\\xe9partement_77.csv"]
    assert result.files_rejected["source_file"].tolist() == ["returns/2021/back\\\\slash\\xff.txt"]
    assert os.fsencode(original_name("bilan_d\\xe9partement_77.csv")) == b"bilan_d\xe9partement_77.csv"
    assert os.fsencode(original_name(safe_name(os.fsdecode(b"back\\slash\xff.txt")))) == b"back\\slash\xff.txt"
    # Every table stores it (DuckDB refused the surrogate of the raw name).
    for name in ("returns_valid", "files_rejected", "ingestion_accounting"):
        frame = duckdb_ready(getattr(result, name))
        assert len(duckdb.sql("SELECT source_file FROM frame").fetchall()) == len(frame)


def test_case6_an_unsaved_formula_is_a_type_failure_with_a_message(tmp_path):
    put(tmp_path, "formulas.xlsx", workbook({"Bilan": [HEADER, ROW[:5] + ["=100+20"] + ROW[6:]]}))
    quarantine = validate_year(tmp_path, YEAR, None).returns_quarantine
    assert quarantine[["source_row", "rules"]].values.tolist() == [[2, "type"]]
    assert quarantine["message"].iloc[0] == ("persons_received = '=100+20': formula without a saved value: open "
                                             "and save the file in a spreadsheet program")
    assert json.loads(quarantine["raw"].iloc[0])["persons_received"] == {"formula": "=100+20"}


def test_case6_a_formula_with_its_saved_value_is_read_as_the_value(tmp_path):
    content = workbook({"Bilan": [HEADER, ROW]})
    sheet = sheet_xml(content)
    cell = b'<c r="F2" t="n"><v>120</v></c>'
    assert cell in sheet
    put(tmp_path, "saved.xlsx", with_part(content, "xl/worksheets/sheet1.xml",
                                          sheet.replace(cell, b'<c r="F2"><f>100+20</f><v>120</v></c>')))
    valid = validate_year(tmp_path, YEAR, None).returns_valid
    assert valid["persons_received"].tolist() == [120]


def test_case6_every_sheet_is_read_or_reported(tmp_path):
    put(tmp_path, "hidden_first.xlsx", workbook(
        {"Modèle": [HEADER], "Bilan": [HEADER, ROW], "Notes": [["vu le 3 mars"]]}, hidden=("Modèle",)))
    result = validate_year(tmp_path, YEAR, None)
    assert result.returns_valid["position_id"].tolist() == ["77-001"]
    warnings = result.returns_warnings[result.returns_warnings["rule"] == "extra_sheet"]
    assert sorted(warnings["message"]) == ["hidden sheet 'Modèle' not read: it has a header row but no data",
                                           "sheet 'Notes' not read: it has no header row"]


def test_case6_two_sheets_of_returns_are_rejected_nothing_guessed(tmp_path):
    put(tmp_path, "two.xlsx", workbook({"2021": [HEADER, ROW], "2021 bis": [HEADER, ROW[:2] + ["77-002"] + ROW[3:]]}))
    assert rejected(tmp_path) == {"returns/2021/two.xlsx": "several sheets hold returns (sheet '2021', sheet "
                                  "'2021 bis'): put every return on one sheet, nothing is guessed"}


def test_case6_and_11_every_entry_of_a_year_folder_is_read_rejected_or_ignored(tmp_path):
    data_dir = tmp_path / "raw"
    put(data_dir, "a.csv", CSV)
    put(data_dir, "~$a.xlsx", b"lock")
    put(data_dir, ".DS_Store", b"\x00")
    folder = data_dir / "returns" / str(YEAR)
    (folder / "old").mkdir()
    (folder / "old" / "b.csv").write_bytes(CSV)
    (folder / "corrections").mkdir()
    (folder / "corrections" / "a_fixed.csv").write_bytes(CSV)
    os.mkfifo(folder / "pipe.csv")
    (folder / "broken.csv").symlink_to(folder / "absent.csv")
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes(CSV)
    (folder / "outside.csv").symlink_to(outside)
    (folder / "outside_dir").symlink_to(tmp_path)
    (folder / "inside.csv").symlink_to(folder / "a.csv")

    scanned = scan_year_folder(data_dir, YEAR)
    assert [(file.source_file, file.correction) for file in scanned.to_read] == [
        ("returns/2021/a.csv", False), ("returns/2021/inside.csv", False),
        ("returns/2021/corrections/a_fixed.csv", True)]
    assert dict(scanned.rejected) == {
        "returns/2021/broken.csv": "broken symbolic link: its target does not exist",
        "returns/2021/outside.csv": "symbolic link to outside the data folder: not followed; copy the file into "
                                    "the folder instead",
        "returns/2021/outside_dir": "symbolic link to outside the data folder: not followed; copy the file into "
                                    "the folder instead",
        "returns/2021/pipe.csv": "a named pipe (FIFO), not a file: send the return as a .csv or .xlsx file",
    }
    assert dict(scanned.ignored) == {
        "returns/2021/.DS_Store": "system file, not a return",
        "returns/2021/old": "sub-folder: only the files of returns/<year>/ and of returns/<year>/corrections/ "
                            "are read",
        "returns/2021/~$a.xlsx": "Excel lock file (the workbook was open when the folder was copied)",
    }
    result = validate_year(data_dir, YEAR, None)
    assert sorted(result.files_ignored["source_file"]) == sorted(dict(scanned.ignored))
    assert sorted(result.files_rejected["source_file"]) == sorted(dict(scanned.rejected))
    assert "returns/2021/outside.csv" not in set(result.returns_valid["source_file"])


def test_case7_a_file_over_the_size_limit_is_rejected_before_reading(tmp_path):
    path = put(tmp_path, "huge.csv", b"")
    os.truncate(path, MAX_FILE_BYTES + 1)  # sparse: nothing is written
    assert rejected(tmp_path)["returns/2021/huge.csv"] == (
        "too large: file size 50,000,001 bytes, the limit is 50,000,000 bytes; split the file or send only the "
        "programme's returns")


@pytest.mark.parametrize(("cell", "measured"), [
    ("XFD2", "columns 16,384, the limit is 500"),
    ("A1048575", "rows 1,048,575, the limit is 100,000"),
    ("SF20000", "cells (rows × columns) 10,000,000, the limit is 5,000,000"),
])
def test_case7_sheet_dimensions_over_a_limit_are_rejected_before_loading(tmp_path, cell, measured):
    content = workbook({"Bilan": [HEADER, ROW]})
    sheet = sheet_xml(content)
    far = f'<row r="{cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}"><c r="{cell}" t="n"><v>1</v></c></row>'.encode()
    put(tmp_path, "far.xlsx", with_part(content, "xl/worksheets/sheet1.xml",
                                        sheet.replace(b"</sheetData>", far + b"</sheetData>")))
    started = time.perf_counter()
    reason = rejected(tmp_path)["returns/2021/far.xlsx"]
    assert time.perf_counter() - started < 2
    assert reason == f"sheet 'Bilan': too large: {measured}; split the file or send only the programme's returns"


def test_case7_a_zip_bomb_is_rejected_from_its_uncompressed_size(tmp_path, monkeypatch):
    monkeypatch.setattr(lines, "MAX_XLSX_UNCOMPRESSED_BYTES", 100_000)
    put(tmp_path, "bomb.xlsx", with_part(GOOD_XLSX, "xl/padding.xml", b" " * 200_000))
    assert rejected(tmp_path)["returns/2021/bomb.xlsx"].startswith("too large: uncompressed size ")
    assert ", the limit is 100,000 bytes" in rejected(tmp_path)["returns/2021/bomb.xlsx"]


def test_case7_a_csv_with_too_many_columns_is_rejected(tmp_path):
    put(tmp_path, "wide.csv", (",".join(HEADER + [f"x{i}" for i in range(600)]) + "\n").encode())
    assert rejected(tmp_path)["returns/2021/wide.csv"] == (
        "too large: columns 609, the limit is 500; split the file or send only the programme's returns")


def test_case6_an_unsaved_formula_beyond_the_filled_area_is_read_where_it_is(tmp_path):
    """calamine's grid ends at the last cell with a value: a total below the data and a check right of it, both
    formulas without a saved value, were outside it (IndexError: the whole file rejected as damaged)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, ROW, [*ROW[:2], "77-002", *ROW[3:]]]:
        sheet.append(row)
    sheet.cell(2, len(HEADER) + 1, "=F2-G2")  # a check column without a header, right of the data
    sheet.cell(4, HEADER.index("persons_received") + 1, "=SUM(F2:F3)")  # a total row without its label
    buffer = io.BytesIO()
    book.save(buffer)
    put(tmp_path, "totals.xlsx", buffer.getvalue())
    result = validate_year(tmp_path, YEAR, None)
    assert result.files_rejected.empty
    assert result.returns_valid[["position_id", "source_row"]].values.tolist() == [["77-001", 2], ["77-002", 3]]
    quarantine = result.returns_quarantine
    assert quarantine[["source_row", "rules"]].values.tolist() == [[4, "required;type"]]
    assert ("persons_received = '=SUM(F2:F3)': formula without a saved value: open and save the file in a "
            "spreadsheet program") in quarantine["message"].iloc[0]
    assert result.returns_warnings[["rule", "message"]].values.tolist() == [
        ["extra_column", "column(s) not in the template, kept aside: column_10"]]
    accounting = result.ingestion_accounting.iloc[0]
    assert (accounting["rows_read"], accounting["rows_valid"], accounting["rows_quarantined"]) == (3, 2, 1)


def test_case6_a_spreadsheet_error_is_a_type_failure_not_a_blank(tmp_path):
    """calamine reads #DIV/0!, #N/A, #REF! as blank: a required cell said "blank", an optional one read as not
    reported, a cost replaced by the default cost, without a word."""
    header = [*HEADER, "ongoing_cases", "cost_eur"]
    rows = [[*ROW[:5], "#DIV/0!", *ROW[6:], 10, 45000],
            [*ROW[:2], "77-002", *ROW[3:], "#N/A", 45000],
            [*ROW[:2], "77-003", *ROW[3:], 10, "#REF!"],
            [*ROW[:2], "77-004", *ROW[3:], 10, 45000]]
    content = workbook({"Bilan": [header, *rows]})
    assert b'<c r="F2" t="e"><v>#DIV/0!</v></c>' in sheet_xml(content)
    # The same error as Excel saves it, the formula with its result.
    content = with_part(content, "xl/worksheets/sheet1.xml", sheet_xml(content).replace(
        b'<c r="F2" t="e"><v>#DIV/0!</v></c>', b'<c r="F2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))
    put(tmp_path, "errors.xlsx", content)
    result = validate_year(tmp_path, YEAR, None)
    assert result.returns_valid["position_id"].tolist() == ["77-004"]
    remedy = "an error of the spreadsheet, not a value: correct the formula or type the value"
    assert result.returns_quarantine[["source_row", "rules", "message"]].values.tolist() == [
        [2, "type", f"persons_received = '#DIV/0!': {remedy}"],
        [3, "type", f"ongoing_cases = '#N/A': {remedy}"],
        [4, "type", f"cost_eur = '#REF!': {remedy}"]]
    assert json.loads(result.returns_quarantine["raw"].iloc[2])["cost_eur"] == {"error": "#REF!"}
    accounting = result.ingestion_accounting.iloc[0]
    assert (accounting["rows_read"], accounting["rows_valid"], accounting["rows_quarantined"]) == (4, 1, 3)


@pytest.mark.parametrize(("separator", "shifted"), [(",", ["2021", "77", "77-002", "0", "8", "12", "120", "60", "360",
                                                           "Meaux"]),
                                                    (";", ["2021", "77", "77-002", "1", "12", "120", "60", "360",
                                                           "Meaux", " annexe"])],
                         ids=["decimal comma in a comma file", "semicolon in a semicolon file"])
def test_case3_a_csv_row_with_more_cells_than_the_header_is_quarantined_not_shifted(tmp_path, separator, shifted):
    """An unquoted separator inside a value shifts the cells after it: the values were read into the wrong columns
    (FTE 0, months 8...) and the last one kept aside as an extra column."""
    rows = [HEADER, ROW, shifted, [*ROW[:2], "77-003", *ROW[3:]]]
    put(tmp_path, "shifted.csv", "\n".join(separator.join(map(str, row)) for row in rows).encode())
    result = validate_year(tmp_path, YEAR, None)
    assert result.returns_valid["position_id"].tolist() == ["77-001", "77-003"]
    last = shifted[-1]
    assert result.returns_quarantine[["source_row", "position_id", "rules", "message"]].values.tolist() == [
        [3, "77-002", "type", beyond_message(f"'{last.strip()}'")]]
    assert f'"(beyond the header)": ["{last.strip()}"]' in result.returns_quarantine["raw"].iloc[0]
    assert result.returns_warnings.empty
    accounting = result.ingestion_accounting.iloc[0]
    assert (accounting["rows_read"], accounting["rows_valid"], accounting["rows_quarantined"]) == (3, 2, 1)


def beyond_message(cells: str) -> str:
    return (f"cell(s) beyond the header's last column ({cells}): a separator inside a value (e.g. an unquoted decimal "
            "comma) shifts every cell after it, and a separator too many at the end of the row or a column without a "
            "title looks the same; put that value in quotes, remove the separator or title the column, nothing is "
            "guessed")


@pytest.mark.parametrize(("header_end", "shifted", "beyond"), [
    ("", [2021, 77, "77-002", "0", "8", 12, 120, 60, 360, ""], "''"),
    (",", [2021, 77, "77-002", "0", "8", 12, 120, 60, 360, "Meaux"], "'Meaux'"),
], ids=["the shifted row's last cell blank", "a separator ending the header line"])
def test_case3_a_shifted_row_is_found_whatever_its_ends(tmp_path, header_end, shifted, beyond):
    """Two ways a shifted row slipped through as valid, its values in the wrong columns (a reviewer's retry): its
    last cell blank (blank cells beyond the header were dropped), and a header line ending with a separator (its
    blank title made a column of the shifted cell). A row as long as the file's other rows stays valid."""
    others = [ROW, [*ROW[:2], "77-003", *ROW[3:]]]
    end = "," if header_end else ""
    lines = [",".join(HEADER) + header_end, *(",".join(map(str, row)) + end for row in others),
             ",".join(map(str, shifted))]
    put(tmp_path, "shifted.csv", "\n".join(lines).encode())
    result = validate_year(tmp_path, YEAR, None)
    assert result.returns_valid["position_id"].tolist() == ["77-001", "77-003"]
    assert result.returns_quarantine[["source_row", "position_id", "rules", "message"]].values.tolist() == [
        [4, "77-002", "type", beyond_message(beyond)]]
    assert result.returns_warnings.empty


@pytest.mark.parametrize("cells", [("100", "999"), ("", "100")], ids=["both filled", "first blank"])
def test_case7_a_field_given_in_two_columns_rejects_the_file_nothing_guessed(tmp_path, cells):
    """The first column was read and the second reported as "not in the template": 999 silently dropped, or a
    blank first column quarantined as "blank: it is required" beside the figure."""
    header = [*HEADER, "Personnes reçues"]
    row = [*ROW[:5], cells[0], *ROW[6:], cells[1]]
    put(tmp_path, "twice.csv", "\n".join(",".join(map(str, line)) for line in [header, row]).encode())
    put(tmp_path, "good.csv", CSV)
    result = validate_year(tmp_path, YEAR, None)
    reason = ("repeated column(s), persons_received: 'persons_received' (column 6), 'Personnes reçues' (column 10): "
              "keep one column per field, nothing is guessed")
    assert result.files_rejected[["source_file", "reason"]].values.tolist() == [["returns/2021/twice.csv", reason]]
    assert result.returns_valid["source_file"].tolist() == ["returns/2021/good.csv"]
    assert result.returns_quarantine.empty and result.returns_warnings.empty
    assert rejection_reason(reason, Texts("fr")) == (
        f"la même colonne deux fois : gardez une seule colonne par donnée (modèle fourni). [{reason}]")


FRENCH_HEADER = "Année;Département;Identifiant du poste;ETP;Personnes reçues;Nouvelles situations;Actes professionnels"


@pytest.mark.parametrize(("content", "said", "line", "byte"), [
    ((FRENCH_HEADER + "\n2021;77;77-001;1;120;60;360\n").encode() + "2021;77;77-002;0,8;Reçu;60;360\n".encode("cp1252"),
     "line 1 is UTF-8", 3, "0xE7"),
    (codecs.BOM_UTF8 + (FRENCH_HEADER + "\n2021;77;77-001;1;120;60;360\n").encode("latin-1"),
     "the file starts with a UTF-8 byte-order mark", 1, "0xE9"),
    ((FRENCH_HEADER + "\r2021;77;77-001;1;120;60;360\r").encode() + "2021;77;77-002;0,8;Reçu;60;360\r".encode("cp1252"),
     "line 1 is UTF-8", 3, "0xE7"),
], ids=["a Windows-1252 row appended to UTF-8", "a BOM before Latin-1", "the same with CR-only line ends"])
def test_case8_a_file_in_two_encodings_is_rejected_as_such(tmp_path, content, said, line, byte):
    """Read as Windows-1252 whole, its UTF-8 headers were garbled: rejected for "required column(s) missing"."""
    put(tmp_path, "mixed.csv", content)
    assert rejected(tmp_path) == {"returns/2021/mixed.csv": (
        f"mixed encodings: {said} but line {line} is not (byte {byte}): save the whole file again in one encoding; "
        "save the return as CSV (UTF-8) or XLSX")}


def test_case8_a_tab_separated_file_is_read(tmp_path):
    """A spreadsheet's "text (tab-separated)" export was rejected for having no header row."""
    put(tmp_path, "tabs.csv", "\n".join("\t".join(map(str, row)) for row in [HEADER, ROW]).encode())
    result = validate_year(tmp_path, YEAR, None)
    assert result.files_rejected.empty
    assert result.returns_valid[["position_id", "fte", "persons_received", "host_site"]].values.tolist() == [
        ["77-001", 1.0, 120, "Meaux"]]


def test_case8_a_long_cell_within_the_file_size_limit_keeps_its_file(tmp_path):
    """A cell over the csv module's default field limit (128 KiB) lost the whole file as "malformed CSV"."""
    note = "x" * 200_000
    rows = [HEADER, [*ROW[:-1], note], [*ROW[:2], "77-002", *ROW[3:]]]
    put(tmp_path, "long.csv", "\n".join(",".join(map(str, row)) for row in rows).encode())
    result = validate_year(tmp_path, YEAR, None)
    assert result.files_rejected.empty
    assert result.returns_valid["position_id"].tolist() == ["77-001", "77-002"]
    assert result.returns_valid["host_site"].str.len().tolist() == [200_000, 5]
