"""Reading returns files as they arrive: encodings, separators, XLSX layouts, and files rejected with a reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from swps_pipeline.ingest.lines import FileRejected, cell_text
from swps_pipeline.ingest.folder import scan_year_folder
from swps_pipeline.ingest.read import read_returns_file, read_year
from swps_pipeline.validate import validate_year
from tests.ingest.workbooks import workbook

FRENCH_HEADER = ["Année", "Département", "Identifiant du poste", "ETP", "Personnes reçues", "Nouvelles situations",
                 "Actes professionnels", "Coût du poste (€)"]


def write(data_dir: Path, name: str, content: bytes, year: int = 2021) -> Path:
    path = data_dir / "returns" / str(year) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def csv_text(rows: list[list[str]], separator: str) -> str:
    return "\r\n".join(separator.join(row) for row in rows) + "\r\n"


def test_utf8_bom_semicolons_decimal_comma_and_no_break_thousands(tmp_path):
    rows = [FRENCH_HEADER, ["2021", "77", "77-003", "0,8", "1\u00a0256", "1\u202f000", "2 500", "52 000,5"]]
    path = write(tmp_path, "seine-et-marne.csv", csv_text(rows, ";").encode("utf-8-sig"))
    raw = read_returns_file(path, tmp_path)
    assert raw.source_file == "returns/2021/seine-et-marne.csv"
    read = raw.canonical_rows()
    assert list(read.columns) == ["year", "department_code", "position_id", "fte", "persons_received", "new_cases",
                                  "actions", "cost_eur", "source_row"]
    assert read.iloc[0].tolist() == ["2021", "77", "77-003", "0,8", "1\u00a0256", "1\u202f000", "2 500", "52 000,5", 2]
    row = validate_year(tmp_path, 2021, None).returns_valid.iloc[0]
    assert (row["fte"], row["persons_received"], row["new_cases"], row["actions"], row["cost_eur"]) == (
        0.8, 1256, 1000, 2500, 52000.5)


def test_windows_1252_with_commas_and_header_spellings(tmp_path):
    header = ["ANNEE", "département", "identifiant_du_poste", "etp", "PERSONNES REÇUES", "nouvelles situations",
              "Actes   professionnels", "Site d'accueil"]
    rows = [header, ["2021", "1", "01-002", "1", "90", "80", "200", "Brigade de Bourg-en-Bresse – Péronnas"]]
    path = write(tmp_path, "ain.csv", csv_text(rows, ",").encode("cp1252"))
    read = read_returns_file(path, tmp_path).canonical_rows()
    assert read["host_site"].tolist() == ["Brigade de Bourg-en-Bresse – Péronnas"]
    valid = validate_year(tmp_path, 2021, None).returns_valid
    assert valid[["department_code", "position_id", "persons_received"]].values.tolist() == [["01", "01-002", 90]]


def test_separator_is_read_from_the_header_line(tmp_path):
    rows = [FRENCH_HEADER[:7], ["2021", "77", "77-003", "0,5", "10", "8", "30"]]
    path = write(tmp_path, "a.csv", csv_text(rows, ";").encode())
    assert read_returns_file(path, tmp_path).canonical_rows()["fte"].tolist() == ["0,5"]


def test_source_rows_summary_rows_and_blank_rows(tmp_path):
    rows = [FRENCH_HEADER[:7], ["2021", "77", "77-001", "1", "10", "8", "30"], [""] * 7,
            ["2021", "77", "77-002", "1", "10", "8", "30"], ["", "TOTAL Seine-et-Marne", "", "", "20", "16", "60"],
            ["Total", "", "", "", "20", "16", "60"]]
    path = write(tmp_path, "a.csv", csv_text(rows, ",").encode())
    raw = read_returns_file(path, tmp_path)
    assert raw.source_row.tolist() == [2, 4]
    assert raw.summary_rows == 2
    assert raw.rows_read == 4


def test_a_row_is_numbered_by_the_line_it_starts_on(tmp_path):
    content = ('Identifiant du poste,Année,Département,ETP,Personnes reçues,Nouvelles situations,'
               'Actes professionnels,Site d\'accueil\n'
               '77-001,2021,77,1,10,8,30,"Commissariat\nde Meaux"\n'
               '77-002,2021,77,1,10,8,30,x\n')
    path = write(tmp_path, "a.csv", content.encode())
    raw = read_returns_file(path, tmp_path)
    assert raw.source_row.tolist() == [2, 4]
    assert raw.canonical_rows()["host_site"].iloc[0] == "Commissariat\nde Meaux"


def test_extra_columns_are_kept_aside(tmp_path):
    """A titled column the template lacks is kept aside; a CSV cell under no title is beyond the header (a shifted
    row cannot be told from it), so its row is kept apart for the quarantine."""
    rows = [[*FRENCH_HEADER[:7], "Observations", ""], ["2021", "77", "77-003", "1", "10", "8", "30", "RAS", "x"]]
    raw = read_returns_file(write(tmp_path, "a.csv", csv_text(rows, ";").encode()), tmp_path)
    assert raw.extra_columns == ("Observations",)
    assert "Observations" not in raw.canonical_rows().columns
    assert raw.grid[:, raw.columns.index("Observations")].tolist() == ["RAS"]
    assert raw.beyond_header.tolist() == [("x",)]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(workbook(sheets))
    return path


def test_xlsx_title_rows_number_cells_and_total_row(tmp_path):
    path = _workbook(tmp_path / "returns" / "2021" / "ain.xlsx", {
        "Notice": [["Bilan annuel des ISCG"], ["Remplir l'onglet Bilan"]],
        "Bilan": [
            ["Bilan 2021 — Ain"],
            [None],
            FRENCH_HEADER,
            [2021, 1, "01-001", 0.8, 120, 100, 300, 0.1 + 0.2],
            [2021, 1, "01-002", 1.0, 1256.0, 1000, 3000, 52000],
            ["TOTAL", None, None, None, 1376, 1100, 3300, None],
        ],
    })
    raw = read_returns_file(path, tmp_path)
    assert raw.source_row.tolist() == [4, 5]
    assert raw.summary_rows == 1
    read = raw.canonical_rows()
    assert read["department_code"].tolist() == ["1", "1"]
    assert read["fte"].tolist() == ["0.8", "1"]
    assert read["persons_received"].tolist() == ["120", "1256"]
    assert read["cost_eur"].tolist() == ["0.3", "52000"]
    valid = validate_year(tmp_path, 2021, None).returns_valid
    assert valid["department_code"].tolist() == ["01", "01"]
    assert valid["fte"].tolist() == [0.8, 1.0]


def test_cell_text_is_what_a_person_typed():
    assert [cell_text(v) for v in (None, 1, 1.0, 0.8, 0.1 + 0.2, "  x ", dt.datetime(2021, 3, 1))] == [
        "", "1", "1", "0.8", "0.3", "  x ", "2021-03-01"]


def test_files_are_listed_in_order_and_sub_folders_ignored(tmp_path):
    for name in ("b.csv", "a.xlsx", "c.txt"):
        write(tmp_path, name, b"x")
    (tmp_path / "returns" / "2021" / "old").mkdir()
    folder = scan_year_folder(tmp_path, 2021)
    assert [file.path.name for file in folder.to_read] == ["a.xlsx", "b.csv", "c.txt"]
    assert folder.ignored == [("returns/2021/old", "sub-folder: only the files of returns/<year>/ and of "
                                                   "returns/<year>/corrections/ are read")]
    assert scan_year_folder(tmp_path, 1999).to_read == []


HEADER_LINE = ";".join(FRENCH_HEADER).encode()


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "empty file"),
        ("blank.csv", b" \r\n\r\n", "empty file"),
        ("scan.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
        ("utf16.csv", "Année;ETP".encode("utf-16"), "binary content"),
        ("odd.csv", HEADER_LINE + b"\n2021;77;77-003;1;10;8;30;\x81\x8d\n", "undecodable bytes"),
        ("return.pdf", b"%PDF-1.4", "not a CSV/XLSX file (.pdf)"),
        ("return", b"x", "not a CSV/XLSX file (no extension)"),
        ("scan.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00", "not a readable XLSX workbook"),
        ("empty.xlsx", b"", "empty file"),
        ("no_header.csv", b"nom;valeur\nx;1\n", "no header row"),
        ("missing.csv", "Identifiant du poste;Année;Département;Personnes reçues\n77-003;2021;77;10\n".encode(),
         "required column(s) missing: fte (ETP), new_cases (Nouvelles situations), actions (Actes professionnels)"),
    ],
)
def test_unusable_files_are_rejected_with_a_reason(tmp_path, name, content, reason):
    path = write(tmp_path, name, content)
    with pytest.raises(FileRejected, match=None) as rejected:
        read_returns_file(path, tmp_path)
    assert str(rejected.value).startswith(reason)


def test_xlsx_without_a_header_row_is_rejected(tmp_path):
    path = _workbook(tmp_path / "returns" / "2021" / "a.xlsx", {"Feuil1": [["Bilan"], [1, 2, 3]]})
    with pytest.raises(FileRejected, match="no header row"):
        read_returns_file(path, tmp_path)


def test_a_rejected_file_does_not_stop_the_year(tmp_path):
    write(tmp_path, "a.csv", b"")
    rows = [FRENCH_HEADER[:7], ["2021", "77", "77-003", "1", "10", "8", "30"]]
    write(tmp_path, "b.csv", csv_text(rows, ";").encode())
    year = read_year(tmp_path, 2021)
    assert [raw.source_file for raw in year.files] == ["returns/2021/b.csv"]
    assert year.rejected == [("returns/2021/a.csv", "empty file: it has no header and no rows; send the return again")]
