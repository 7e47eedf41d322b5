"""Reading returns as they arrive (contract, "Reading a file"): encodings, separators, number spellings,
header spellings, XLSX layouts, and the files rejected whole with a reason while the others still load."""

from __future__ import annotations

import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from swps_pipeline.contract import BY_NAME, COLUMN_NAMES, REQUIRED

SITE = "Brigade de Péronnas – Ain"


@pytest.mark.parametrize(
    ("encoding", "separator", "labels", "decimal"),
    [("utf-8", ",", "canonical", "."), ("utf-8-sig", ";", "fr", ","), ("utf-8-sig", ",", "canonical", "."),
     ("cp1252", ";", "fr", ","), ("cp1252", ",", "canonical", ".")],
)
def test_every_value_is_read_whatever_the_encoding_separator_and_labels(folder, encoding, separator, labels,
                                                                        decimal):
    folder.csv([folder.row(host_site=SITE)], encoding=encoding, separator=separator, labels=labels, decimal=decimal)
    result = folder.validate()
    assert result.returns_quarantine.empty and result.files_rejected.empty
    (row,) = [row for _, row in result.returns_valid.iterrows()]
    assert folder.values(row) == folder.row() | {"host_site": SITE}
    assert (row["source_file"], row["source_row"]) == (f"returns/{folder.year}/return.csv", 2)


@pytest.mark.parametrize("thousands", [" ", "\u00a0", "\u202f"], ids=["space", "no-break", "narrow-no-break"])
def test_decimal_comma_and_thousands_separators(folder, thousands):
    # The sex and age groups are left blank (not reported) so that only the persons total changes.
    blank_groups = {c: None for c in ["persons_women", "persons_men", "persons_sex_unknown", "persons_age_minor",
                                      "persons_age_18_25", "persons_age_26_59", "persons_age_60_plus",
                                      "persons_age_unknown"]}
    folder.csv([folder.row(fte="0,8", persons_received=f"1{thousands}256", cost_eur=f"48{thousands}000,50",
                           **blank_groups)], separator=";")
    row = folder.validate().returns_valid.iloc[0]
    assert (row["fte"], row["persons_received"], row["cost_eur"]) == (0.8, 1256, 48000.5)
    assert row[list(blank_groups)].isna().all()


def test_windows_1252_no_break_space_thousands(folder):
    folder.csv([folder.row(actions="1\u00a0256", host_site=SITE)], encoding="cp1252", separator=";")
    row = folder.validate().returns_valid.iloc[0]
    assert (row["actions"], row["host_site"]) == (1256, SITE)


def test_headers_in_other_case_accents_and_spacing(folder):
    spelled = {"year": "ANNEE", "department_code": "DÉPARTEMENT", "position_id": "identifiant du poste",
               "fte": "etp", "persons_received": "PERSONNES RECUES", "new_cases": "  Nouvelles   situations ",
               "actions": "ACTES-PROFESSIONNELS", "cost_eur": "COUT DU POSTE (€)", "host_type": "type_de_site"}
    folder.csv([{spelled.get(column, column): value for column, value in folder.row().items()}])
    result = folder.validate()
    assert result.returns_warnings.empty  # no header was taken for an unknown column
    assert folder.values(result.returns_valid.iloc[0]) == folder.row()


@pytest.mark.parametrize("labels", ["fr", "canonical"])
def test_xlsx_with_title_rows_and_a_total_row(folder, labels):
    rows = [folder.row(position_id="13-001"), folder.row(position_id="13-002", fte=1.0, months_active=6)]
    folder.xlsx(rows, titles=["Bilan d'activité 2022", "Bouches-du-Rhône"], total=True, labels=labels)
    result = folder.validate()
    valid = result.returns_valid
    # Sheet rows: two titles, the header on row 3, the returns on rows 4 and 5, the Total on row 6.
    assert valid["source_row"].tolist() == [4, 5]
    assert [folder.values(row) for _, row in valid.iterrows()] == rows
    accounting = result.ingestion_accounting.iloc[0]
    assert (accounting["rows_read"], accounting["rows_valid"], accounting["rows_summary_skipped"]) == (3, 2, 1)
    assert result.returns_quarantine.empty and result.returns_warnings.empty


def test_xlsx_first_sheet_with_a_header_is_read(folder):
    path = folder.xlsx([folder.row()])
    workbook = openpyxl.load_workbook(path)
    notes = workbook.create_sheet("Notice", 0)
    notes.append(["Remplir une ligne par poste"])
    workbook.save(path)
    valid = folder.validate().returns_valid
    assert valid[["position_id", "source_row"]].values.tolist() == [["13-002", 2]]


def test_xlsx_whose_stated_dimensions_are_wrong_is_read_whole(folder):
    """Some writers state the used range as "A1"; openpyxl's read-only mode would then see one cell."""
    path = folder.xlsx([folder.row(position_id="13-001"), folder.row(position_id="13-003")], titles=["Bilan 2022"])
    with zipfile.ZipFile(path) as source:
        parts = {item.filename: source.read(item.filename) for item in source.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet], replaced = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1"/>', parts[sheet])
    assert replaced == 1
    with zipfile.ZipFile(path, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)
    valid = folder.validate().returns_valid
    assert valid[["position_id", "source_row"]].values.tolist() == [["13-001", 3], ["13-003", 4]]
    assert folder.values(valid.iloc[1]) == folder.row(position_id="13-003")


def test_csv_total_row_is_skipped_and_counted(folder):
    path = folder.csv([folder.row()], separator=";")
    with path.open("a", encoding="utf-8", newline="") as handle:
        handle.write("TOTAL département;;;;;;;0,8;;;120\r\n")
    result = folder.validate()
    assert len(result.returns_valid) == 1 and result.returns_quarantine.empty
    assert result.ingestion_accounting[["rows_read", "rows_summary_skipped"]].values.tolist() == [[2, 1]]


def test_a_row_without_position_that_is_not_a_total_is_quarantined(folder):
    folder.csv([folder.row(), folder.row(year=None, position_id=None, department_code="Sous-total")])
    quarantined = folder.validate().returns_quarantine
    assert quarantined[["source_row", "rules"]].values.tolist() == [[3, "required;department_code"]]


def test_source_row_is_the_csv_line_a_row_starts_on(folder):
    header = ";".join(COLUMN_NAMES)

    def line(**changes) -> str:
        return ";".join(folder.cell(value, ",") for value in folder.row(**changes).values())

    two_line_site = line(position_id="13-003", host_site="@").replace("@", '"Commissariat\nde Marseille"')
    lines = [header, line(position_id="13-001"), "", two_line_site, line(position_id="13-004")]
    folder.write_bytes("return.csv", "\r\n".join(lines).encode() + b"\r\n")
    valid = folder.validate().returns_valid
    assert valid[["position_id", "source_row"]].values.tolist() == [["13-001", 2], ["13-003", 4], ["13-004", 6]]
    assert valid["host_site"].tolist()[1] == "Commissariat\nde Marseille"


def test_title_line_above_a_semicolon_csv_header(folder):
    """A CSV saved from a sheet with a title: the separator is the header's, not the title's."""
    header = ";".join(BY_NAME[c].label for c in COLUMN_NAMES)
    row = ";".join(folder.cell(value, ",") for value in folder.row().values())
    folder.write_bytes("return.csv", "\r\n".join(["Bilan annuel 2022", "", header, row]).encode("utf-8-sig"))
    result = folder.validate()
    assert result.files_rejected.empty
    assert result.returns_valid["source_row"].tolist() == [4]
    assert folder.values(result.returns_valid.iloc[0]) == folder.row()


def test_one_digit_department_code_means_two_digits(folder):
    folder.csv([folder.row(department_code="1", position_id="01-004")], name="ain.csv")
    folder.xlsx([folder.row(department_code=1, position_id="01-005")], name="ain.xlsx")
    valid = folder.validate().returns_valid
    assert valid[["department_code", "position_id"]].values.tolist() == [["01", "01-004"], ["01", "01-005"]]


@pytest.mark.parametrize(
    ("blank", "derived", "message"),
    [("cases_public_unknown", 5, "cases_public_unknown was blank: derived as new_cases - "
                                 "(cases_victim + cases_offender + cases_third_party) = 5"),
     ("persons_sex_unknown", 5, "persons_sex_unknown was blank: derived as persons_received - "
                                "(persons_women + persons_men) = 5"),
     ("persons_age_unknown", 5, "persons_age_unknown was blank: derived as persons_received - (persons_age_minor "
                                "+ persons_age_18_25 + persons_age_26_59 + persons_age_60_plus) = 5")],
)
def test_blank_unknown_member_is_derived_with_a_warning(folder, blank, derived, message):
    folder.csv([folder.row(**{blank: None})])
    result = folder.validate()
    assert result.returns_valid[blank].tolist() == [derived]
    warning = result.returns_warnings.iloc[0]
    assert len(result.returns_warnings) == 1
    assert (warning["rule"], warning["source_row"], warning["position_id"], warning["message"]) == (
        "unknown_derived", 2, "13-002", message)


def test_unknown_member_is_derived_as_zero_when_the_known_members_add_up(folder):
    folder.csv([folder.row(cases_public_unknown="NR", cases_victim=65)])
    result = folder.validate()
    assert result.returns_valid["cases_public_unknown"].tolist() == [0]
    assert result.returns_warnings["rule"].tolist() == ["unknown_derived"]


def test_unknown_extra_column_is_warned_once_per_file_and_rows_are_kept(folder):
    rows = [folder.row(position_id=f"13-00{i}") | {"Commentaire": f"note {i}"} for i in (1, 2, 3)]
    folder.csv(rows, name="a.csv")
    folder.xlsx([folder.row(position_id="13-004") | {"Observations": "x"}], name="b.xlsx")
    result = folder.validate()
    assert len(result.returns_valid) == 4 and result.returns_quarantine.empty
    warnings = result.returns_warnings
    assert warnings[["source_file", "rule", "message"]].values.tolist() == [
        [f"returns/{folder.year}/a.csv", "extra_column", "column(s) not in the template, kept aside: Commentaire"],
        [f"returns/{folder.year}/b.xlsx", "extra_column", "column(s) not in the template, kept aside: Observations"],
    ]
    assert warnings["source_row"].isna().all() and warnings["position_id"].isna().all()
    assert "Commentaire" not in result.returns_valid.columns


@pytest.mark.parametrize("token", ["NR", "nr", "N.R.", "-", "n/a", "N/A", "", "  "])
def test_not_reported_is_null_never_zero(folder, token):
    folder.csv([folder.row(ongoing_cases=token, child_in_danger_reports=token, cost_eur=token, months_active=token,
                           persons_women=token, persons_men=token, persons_sex_unknown=token)])
    result = folder.validate()
    assert result.returns_quarantine.empty
    row = result.returns_valid.iloc[0]
    for column in ["ongoing_cases", "child_in_danger_reports", "cost_eur", "persons_women", "persons_men",
                   "persons_sex_unknown"]:
        assert pd.isna(row[column]), column
    assert row["months_active"] == 12  # the contract: "null means 12"
    assert str(result.returns_valid["ongoing_cases"].dtype) == "Int64"


def test_not_reported_in_a_required_column_is_required_not_zero(folder):
    folder.csv([folder.row(actions="NR")])
    quarantined = folder.validate().returns_quarantine.iloc[0]
    assert (quarantined["rules"], quarantined["message"]) == ("required", "actions is blank: it is required")


GOOD = "good.csv"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "empty file: it has no header and no rows; send the return again"),
        ("blank.csv", b"\xef\xbb\xbf\r\n\r\n", "empty file: it has no header and no rows; send the return again"),
        ("empty.xlsx", b"", "empty file: it has no header and no rows; send the return again"),
        ("binary.csv", b"\x00\x01\x02position_id",
         "binary content (NUL bytes), not a text CSV: save the return as CSV (UTF-8) or XLSX"),
        ("undecodable.csv", b"position_id,fte\r\n13-001,0.8\x81\x8d\r\n",
         "undecodable bytes (neither UTF-8 nor Windows-1252) at byte 27: save the return as CSV (UTF-8) or XLSX"),
        ("return.txt", b"position_id,fte\r\n13-001,0.8\r\n",
         "not a CSV/XLSX file (.txt): send the return as .csv or .xlsx"),
        ("return.xls", b"\xd0\xcf\x11\xe0", "not a CSV/XLSX file (.xls): send the return as .csv or .xlsx"),
        ("not_really.xlsx", b"position_id,fte\r\n",
         "not a readable XLSX workbook (BadZipFile): open it in a spreadsheet and save it as .xlsx"),
        ("no_header.csv", "Année;Département;ETP\r\n2022;13;0,8\r\n".encode(),
         "no header row: no column named 'Identifiant du poste' (or 'position_id') was found"),
    ],
)
def test_unusable_file_is_rejected_with_its_reason_and_the_others_load(folder, name, content, reason):
    folder.csv([folder.row()], name=GOOD)
    folder.write_bytes(name, content)
    result = folder.validate()
    assert result.files_rejected.values.tolist() == [[f"returns/{folder.year}/{name}", folder.year, reason]]
    assert result.returns_valid[["position_id", "source_file"]].values.tolist() == [
        ["13-002", f"returns/{folder.year}/{GOOD}"]]


@pytest.mark.parametrize("missing", [c for c in REQUIRED if c != "position_id"] + [["fte", "actions"]], ids=str)
def test_file_missing_a_required_column_is_rejected_naming_it(folder, missing):
    missing = [missing] if isinstance(missing, str) else missing
    folder.csv([folder.row()], name=GOOD)
    folder.csv([{c: v for c, v in folder.row(position_id="13-005").items() if c not in missing}], name="short.csv",
               labels="fr")
    result = folder.validate()
    named = ", ".join(f"{c} ({BY_NAME[c].label})" for c in missing)
    assert result.files_rejected["reason"].tolist() == [f"required column(s) missing: {named}; add them to the "
                                                        f"header row"]
    assert result.returns_valid["position_id"].tolist() == ["13-002"]

