"""The return template: pre-filled positions, validations, check columns, protection, and the round trip."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import load_workbook

from swps_pipeline.collect.inputs import from_tables
from swps_pipeline.collect.feedback import quarantine_lines
from swps_pipeline.collect.template import FIRST_DATA_ROW, HEADER_ROW, write_templates
from swps_pipeline.contract import COLUMNS, COUNT_COLUMNS
from swps_pipeline.validate import validate_year

from .conftest import YEAR, column_letters, expected_positions, fill_template


def test_round_trip_of_every_departement_template(data_dir, registry, templates):
    expected = expected_positions(registry, YEAR)
    assert len(templates) == expected["department_code"].nunique()
    written = {}
    for seed, path in enumerate(templates):
        written |= fill_template(path, seed)
    assert set(written) == set(expected["position_id"])

    result = validate_year(data_dir, YEAR, registry)

    assert result.returns_quarantine.empty
    assert result.files_rejected.empty
    assert not result.returns_warnings["rule"].isin(["extra_column", "extra_sheet", "unregistered_position"]).any()
    assert (result.ingestion_accounting["rows_read"] == result.ingestion_accounting["rows_valid"]).all()
    valid = result.returns_valid.set_index("position_id")
    assert len(valid) == len(expected)
    for position, values in written.items():
        for column, value in values.items():
            assert valid.at[position, column] == value, (position, column)
    # Identity and drop-down cells came from the registry, read back as canonical values.
    registry_rows = expected.set_index("position_id")
    for column in ["department_code", "host_type", "host_site", "employer_type"]:
        pd.testing.assert_series_equal(valid[column].sort_index(), registry_rows[column].sort_index(),
                                       check_names=False)
    assert (valid["year"] == YEAR).all()


def test_one_badly_filled_row_is_quarantined_and_the_french_feedback_names_its_cells(data_dir, registry):
    path, = write_templates(registry, YEAR, data_dir / "returns" / str(YEAR), department_code="77")
    bad = expected_positions(registry, YEAR).query("department_code == '77'")["position_id"].iloc[2]
    written = fill_template(path, seed=7)
    victims = written[bad]["cases_victim"] + 7
    fill_template(path, seed=7, change={bad: {"cases_victim": victims}})

    result = validate_year(data_dir, YEAR, registry)

    quarantine = result.returns_quarantine
    assert quarantine[["position_id", "rules"]].values.tolist() == [[bad, "sum_cases"]]
    row = int(quarantine["source_row"].iloc[0])
    assert row == FIRST_DATA_ROW + 2
    collection = from_tables(YEAR, data_dir, registry, {
        "returns_valid": result.returns_valid, "returns_quarantine": quarantine,
        "returns_warnings": result.returns_warnings, "files_rejected": result.files_rejected})
    line = quarantine_lines(collection).iloc[0]
    total = written[bad]["new_cases"]
    assert line["department_code"] == "77"
    assert line["message"] == (f"Le total des nouvelles situations ({total}) ne correspond pas à la somme "
                               f"victimes + mis en cause + tiers + public non renseigné ({total + 7}).")
    # The template's columns: K = Nouvelles situations, O..R = the four case columns (S is their check column).
    assert line["cells"] == (f"Nouvelles situations (K{row}), Situations victimes (O{row}), Situations mis en cause "
                             f"(P{row}), Situations tiers (Q{row}), Situations public non renseigné (R{row})")


def test_validations_check_formulas_and_protection_read_back(data_dir, registry):
    path, = write_templates(registry, YEAR, data_dir, department_code="2A", due=dt.date(2024, 2, 15),
                            recipient="coordination@example.org")
    positions = expected_positions(registry, YEAR).query("department_code == '2A'").sort_values("position_id")
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    last = FIRST_DATA_ROW + len(positions) - 1

    # One row per active position, identity pre-filled and locked, inputs unlocked.
    assert [sheet.cell(r, 3).value for r in range(FIRST_DATA_ROW, last + 1)] == positions["position_id"].tolist()
    assert sheet.cell(last + 1, 3).value is None
    assert [c.value for c in sheet[HEADER_ROW]][:9] == [c.label for c in COLUMNS[:9]]
    columns = column_letters(sheet)
    assert set(columns) == {c.name for c in COLUMNS}
    for row in range(FIRST_DATA_ROW, last + 1):
        for name in ["year", "department_code", "position_id", "host_site"]:
            assert sheet.cell(row, columns[name]).protection.locked
        for name in ["host_type", "employer_type", "fte", "months_active", "cost_eur", *COUNT_COLUMNS]:
            assert not sheet.cell(row, columns[name]).protection.locked

    # A data validation on every input cell.
    rules = {}
    for validation in sheet.data_validations.dataValidation:
        for cells in validation.sqref.ranges:
            rules[cells.coord] = validation

    def rule_of(name):
        letter = sheet.cell(1, columns[name]).column_letter
        return rules[f"{letter}{FIRST_DATA_ROW}:{letter}{last}"]

    for name in COUNT_COLUMNS:
        assert (rule_of(name).type, rule_of(name).operator, rule_of(name).formula1) == ("whole", "greaterThanOrEqual",
                                                                                    "0")
    fte = rule_of("fte")
    assert (fte.type, fte.operator, fte.formula1, fte.formula2) == ("decimal", "between", "0.01", "1")
    months = rule_of("months_active")
    assert (months.type, months.formula1, months.formula2) == ("whole", "1", "12")
    assert (rule_of("cost_eur").type, rule_of("cost_eur").formula1) == ("decimal", "0")
    assert rule_of("host_type").formula1 == '"Police,Gendarmerie,Mixte"'
    assert rule_of("employer_type").formula1 == '"Association,Collectivité,Autre public"'
    assert all(v.showErrorMessage and v.errorStyle == "stop" for v in rules.values())

    # The check columns: S after the cases, W after sex, AC after age, AM after the referral sources.
    assert [sheet.cell(HEADER_ROW, c).value for c in (19, 23, 29, 39)] == [
        "Contrôle situations (écart)", "Contrôle sexe (écart)", "Contrôle âge (écart)", "Contrôle origine (écart)"]
    r = FIRST_DATA_ROW
    assert sheet[f"S{r}"].value == (
        f'=IF(AND(ISNUMBER(K{r}),COUNT(O{r},P{r},Q{r},R{r})=4),SUM(O{r},P{r},Q{r},R{r})-K{r},'
        f'IF(AND(ISNUMBER(K{r}),COUNT(O{r},P{r},Q{r})=3,COUNT(R{r})=0),MAX(0,SUM(O{r},P{r},Q{r})-K{r}),""))')
    sources = ",".join(f"{c}{r}" for c in ["AD", "AE", "AF", "AG", "AH", "AI", "AJ", "AK", "AL"])
    assert sheet[f"AM{r}"].value == f'=IF(AND(ISNUMBER(K{r}),COUNT({sources})=9),SUM({sources})-K{r},"")'
    formats = {str(rng.sqref): rng.rules for rng in sheet.conditional_formatting}
    red = formats[f"S{FIRST_DATA_ROW}:S{last}"][0]
    assert red.formula == [f"AND(ISNUMBER(S{FIRST_DATA_ROW}),S{FIRST_DATA_ROW}<>0)"]
    assert red.dxf.fill.fgColor.rgb.endswith("FF9999")
    assert len(formats) == 4

    # Structure protected: the sheet (no inserted or deleted column) and the workbook (no added sheet).
    assert sheet.protection.sheet and sheet.protection.insertColumns and sheet.protection.deleteColumns
    assert workbook.security.lockStructure

    # Definitions, due date and recipient.
    definitions = {row[0]: row[1] for row in workbook["Définitions"].iter_rows(values_only=True)}
    assert definitions["Personnes reçues"].startswith("Personnes qui ont eu au moins un entretien")
    assert definitions["Nouvelles situations"].startswith("Situations ouvertes dans l'année")
    assert definitions["Actes professionnels"].startswith("Actes réalisés par l'intervenant social")
    assert definitions["Date limite de retour"] == "15/02/2024"
    assert definitions["À envoyer à"] == "coordination@example.org"
    assert sheet["A2"].value == "À renvoyer au plus tard le 15/02/2024 à : coordination@example.org"


def test_a_departement_without_active_positions_gets_no_template(tmp_path, registry):
    ended = registry.assign(end_date=pd.Timestamp(2020, 6, 30))
    assert write_templates(ended, YEAR, tmp_path, department_code="77") == []
    assert write_templates(ended, 2020, tmp_path, department_code="77") != []


@pytest.mark.slow
def test_libreoffice_opens_a_template_and_computes_its_check_columns(tmp_path, registry):
    """Headless LibreOffice converts a filled template; its recalculated check columns show the planted gap."""
    import subprocess

    path, = write_templates(registry, YEAR, tmp_path, department_code="77")
    written = fill_template(path, seed=3)
    bad = sorted(written)[0]
    fill_template(path, seed=3, change={bad: {"persons_women": written[bad]["persons_women"] + 5}})
    profile = f"-env:UserInstallation=file://{tmp_path}/lo-profile"
    for target in ("pdf", "xlsx:Calc MS Excel 2007 XML"):
        outcome = subprocess.run(["soffice", profile, "--headless", "--convert-to", target, "--outdir",
                                  str(tmp_path / "converted"), str(path)], capture_output=True, text=True,
                                 timeout=180)
        assert outcome.returncode == 0, outcome.stderr
    assert (tmp_path / "converted" / path.with_suffix(".pdf").name).stat().st_size > 10_000
    sheet = load_workbook(tmp_path / "converted" / path.name, data_only=True).worksheets[0]
    gaps = {sheet.cell(r, 3).value: sheet[f"W{r}"].value for r in range(FIRST_DATA_ROW, sheet.max_row + 1)}
    assert gaps[bad] == 5
    assert {gap for position, gap in gaps.items() if position != bad} == {0}
