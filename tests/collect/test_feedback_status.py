"""Feedback and collection status on the bundled data (and on a small folder whose dates we set)."""

from __future__ import annotations

import csv
import json
import dataclasses
import datetime as dt
import os

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from swps_pipeline import cli
from swps_pipeline.collect.feedback import feedback_tables, quarantine_lines, write_feedback
from swps_pipeline.collect.inputs import read_collection_year
from swps_pipeline.collect.status import UNATTRIBUTED, collection_status, national_status
from swps_pipeline.collect.template import write_templates
from swps_pipeline.collect.texts import WARNING_MESSAGES
from swps_pipeline.i18n import Texts
from swps_pipeline.settings import Settings

from .conftest import BUNDLED, YEAR, expected_positions, fill_template

BUNDLED_YEARS = range(2019, 2026)


@pytest.fixture(scope="module")
def collections(tmp_path_factory):
    settings = Settings(BUNDLED, tmp_path_factory.mktemp("out"))
    return {year: read_collection_year(settings, year) for year in BUNDLED_YEARS}


def test_every_quarantined_row_is_in_exactly_one_departements_feedback(collections):
    for year, collection in collections.items():
        reports = feedback_tables(collection)
        seen = pd.concat([report["quarantine"].assign(department=code) for code, report in reports.items()])
        places = seen.groupby(["source_file", "source_row"])["department"].agg(set)
        quarantine = collection.quarantine
        assert len(quarantine) == 10 and len(places) == len(quarantine), year
        for row in quarantine.itertuples():
            departments = places[(row.source_file, row.source_row)]
            # Bundled ids are "<code>-<digits>" even when malformed (e.g. 06-07): the code is their prefix.
            assert departments == {row.position_id.split("-")[0]}, (year, row.source_file, row.source_row)
        assert UNATTRIBUTED not in reports


def test_a_line_removed_from_one_departement_leaves_the_others_reports_unchanged(collections):
    """The first warned row of 2025 removed (a correction): its département's report loses the line, every
    other report is equal to the letter, index included (their files' keys do not change: `WrittenFiles`)."""
    collection = collections[2025]
    shown = collection.warnings["rule"].isin(list(WARNING_MESSAGES)).to_numpy()
    first = collection.warnings[shown].index[0]  # the first warning a feedback report shows
    corrected = dataclasses.replace(collection, warnings=collection.warnings.drop(index=first).reset_index(drop=True))
    first = collection.warnings.loc[first]
    before, after = feedback_tables(collection), feedback_tables(corrected)
    changed = [code for code in before if any(not before[code][name].equals(after[code][name])
                                              for name in before[code])]
    assert changed == [first["position_id"].split("-")[0]]
    assert len(after[changed[0]]["warnings"]) == len(before[changed[0]]["warnings"]) - 1


def test_the_sum_message_gives_the_figures_of_the_file(collections):
    path = BUNDLED / "returns" / "2023" / "retours_2023_dep55.csv"
    with path.open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["position_id"] == "55-001")
    total = int(row["new_cases"])
    members = sum(int(row[c]) for c in ["cases_victim", "cases_offender", "cases_third_party",
                                        "cases_public_unknown"])
    assert total != members
    lines = feedback_tables(collections[2023])["55"]["quarantine"]
    line = lines[lines["position_id"] == "55-001"].iloc[0]
    assert line["rule"] == "sum_cases"
    assert line["message"] == (f"Le total des nouvelles situations ({total}) ne correspond pas à la somme "
                               f"victimes + mis en cause + tiers + public non renseigné ({members}).")
    assert line["cells"].startswith("Nouvelles situations (ligne 2, colonne 11), Situations victimes (ligne 2, "
                                    "colonne 15)")


def test_feedback_lists_conflicts_missing_returns_refused_files_and_warnings(collections):
    collection = collections[2023]
    reports = feedback_tables(collection)
    conflict = reports["95"]["quarantine"]
    conflict = conflict[conflict["rule"] == "conflicting_duplicate"]
    assert conflict["source_row"].tolist() == [8, 9]
    assert "(returns/2023/retours_2023_dep95.csv ligne 8 ; returns/2023/retours_2023_dep95.csv ligne 9)" in \
        conflict["message"].iloc[0]

    received = set(collection.valid["position_id"]) | set(collection.quarantine["position_id"])
    nord = expected_positions(collection.registry, 2023).query("department_code == '59'")
    assert reports["59"]["missing"]["position_id"].tolist() == sorted(set(nord["position_id"]) - received)
    assert len(reports["59"]["missing"]) == 3

    refused = reports["93"]["rejected"]
    assert refused["source_file"].tolist() == ["returns/2023/scan_bilan_93_2023.xlsx"]
    assert refused["reason"].iloc[0].startswith("classeur illisible")

    outlier = reports["78"]["warnings"].set_index("position_id").loc["78-012"]
    row = collection.valid.set_index("position_id").loc["78-012"]
    assert outlier["rule"] == "activity_outlier"
    per_fte = f"{row['persons_received'] / row['fte']:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    assert outlier["message"].startswith(f"{per_fte} personnes reçues par ETP ({row['persons_received']} personnes")


def test_feedback_files_per_departement(collections, tmp_path):
    index = write_feedback(collections[2023], tmp_path)
    assert len(index) == 101
    row = index.set_index("department_code").loc["55"]
    assert (row["lines_to_correct"], row["returns_missing"]) == (1, 0)
    html_page = (tmp_path / "retour_2023_55.html").read_text(encoding="utf-8")
    assert "Retour sur les bilans 2023 — Meuse (55)" in html_page
    assert "ne correspond pas à la somme victimes + mis en cause + tiers + public non renseigné" in html_page
    assert "Données synthétiques (générées par swps generate) : ce ne sont pas des bilans réels." in html_page
    rows = list(load_workbook(tmp_path / "retour_2023_55.xlsx").worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "Retour sur les bilans 2023 — Meuse (55)"
    header = rows.index(("Poste", "Fichier", "Ligne", "Règle", "Cases en cause", "Message"))
    assert rows[header - 1][0] == "À corriger : lignes rejetées"
    assert rows[header + 1][:4] == ("55-001", "returns/2023/retours_2023_dep55.csv", 2, "total des situations")
    summary = {r[0]: r[1] for r in rows if r[0] in ("Bilans reçus", "Bilans à corriger")}
    assert summary["Bilans reçus"] == "3" and summary["Bilans à corriger"] == "1"
    assert ("Aucun bilan manquant.", None, None, None, None, None) in rows


def test_status_national_view_matches_the_files(collections):
    for year, collection in collections.items():
        status = collection_status(collection)
        national = national_status(status).iloc[0]
        expected = expected_positions(collection.registry, year)
        valid = set(collection.valid["position_id"])
        to_correct = set(collection.quarantine["position_id"]) - valid
        missing = set(expected["position_id"]) - valid - to_correct
        assert (national["positions_expected"], national["returns_valid"], national["returns_quarantined"],
                national["returns_missing"], national["returns_received"], national["files_rejected"]) == (
            len(expected), len(valid), len(to_correct), len(missing), len(valid) + len(to_correct), 1), year
        assert len(status) == 101


def test_status_dates_and_command_line(data_dir, registry, capsys, monkeypatch):
    path, = write_templates(registry, YEAR, data_dir / "returns" / str(YEAR), department_code="77")
    fill_template(path, seed=1)
    (data_dir / "returns" / str(YEAR) / "77_relance.csv").write_text("", encoding="utf-8")
    stamp = dt.datetime(2024, 2, 10, 12, tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))
    collection = read_collection_year(Settings(data_dir, data_dir.parent / "out"), YEAR)
    status = collection_status(collection).set_index("department_code")
    seine_et_marne = expected_positions(registry, YEAR).query("department_code == '77'")
    assert status.loc["77", ["positions_expected", "returns_valid", "returns_missing", "files_rejected"]].tolist() == [
        len(seine_et_marne), len(seine_et_marne), 0, 1]
    assert status.loc["77", "last_file_date"] >= dt.date(2024, 2, 10)  # the empty file was written today
    assert status.loc["01", "returns_missing"] == len(expected_positions(registry, YEAR).query(
        "department_code == '01'"))
    assert pd.isna(status.loc["01", "last_file_date"])

    monkeypatch.setenv("SWPS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(data_dir.parent / "out"))
    assert cli.main(["status", "--year", str(YEAR)]) == 0
    out = capsys.readouterr().out
    total = len(expected_positions(registry, YEAR))
    assert f"France entière : postes attendus {total}, bilans reçus {len(seine_et_marne)}," in out
    assert "Départements à relancer" in out
    assert cli.main(["status", "--year", "1990"]) == 2
    assert "no return received for 1990 yet" in capsys.readouterr().err
    assert cli.main(["feedback", "--year", str(YEAR)]) == 0
    assert (data_dir.parent / "out" / "feedback" / str(YEAR) / "retour_2023_77.html").is_file()
    assert cli.main(["template", "--year", str(YEAR), "--department", "7"]) == 0
    assert "1 return template(s) for 2023" in capsys.readouterr().out
    assert (data_dir.parent / "out" / "templates" / str(YEAR) / "bilan_2023_07_Ardeche.xlsx").is_file()


def _sheet_cells(path) -> list[tuple]:
    sheet = load_workbook(path).worksheets[0]
    return [(cell.coordinate, cell.value, cell.number_format, cell.alignment.wrap_text) for row in sheet.iter_rows()
            for cell in row]


def test_feedback_written_by_forked_processes_is_the_one_written_by_one(collections, tmp_path, monkeypatch):
    """The départements' files are written in processes forked from the step (`SWPS_WORKERS`, default: the
    cores): the same index, in the same order, the same pages byte for byte and the same workbook cells."""
    monkeypatch.setenv("SWPS_WORKERS", "1")
    serial = write_feedback(collections[2025], tmp_path / "serial")
    monkeypatch.setenv("SWPS_WORKERS", "2")
    forked = write_feedback(collections[2025], tmp_path / "forked")
    pd.testing.assert_frame_equal(forked, serial)
    assert len(serial) == 101
    names = sorted(p.name for p in (tmp_path / "serial").iterdir())
    assert names == sorted([*serial["xlsx"], *serial["html"]])
    assert names == sorted(p.name for p in (tmp_path / "forked").iterdir())
    for name in serial["html"]:
        assert (tmp_path / "forked" / name).read_bytes() == (tmp_path / "serial" / name).read_bytes(), name
    for name in serial["xlsx"]:
        assert _sheet_cells(tmp_path / "forked" / name) == _sheet_cells(tmp_path / "serial" / name), name


def _count_workbooks(monkeypatch, made: list) -> None:
    """Count the feedback workbooks made (one process: `SWPS_WORKERS=1`), by their title."""
    from swps_pipeline.collect import feedback

    make = feedback.feedback_workbook
    monkeypatch.setattr(feedback, "feedback_workbook", lambda report, title, *rest: made.append(title)
                        or make(report, title, *rest))


def test_a_second_run_rewrites_only_the_feedback_files_that_changed(collections, tmp_path, monkeypatch):
    """Files already written from the same report by the same code are left as they are; one edited by hand
    (or gone) is written again, and with reuse off every file is."""
    monkeypatch.setenv("SWPS_WORKERS", "1")
    folder = tmp_path / "feedback" / "2025"
    first = write_feedback(collections[2025], folder)
    before = {name: (folder / name).read_bytes() for name in [*first["xlsx"], *first["html"]]}
    made: list = []
    _count_workbooks(monkeypatch, made)
    second = write_feedback(collections[2025], folder)
    pd.testing.assert_frame_equal(second, first)
    assert made == []
    edited, gone = first["xlsx"].iloc[3], first["html"].iloc[7]
    (folder / edited).write_bytes(b"not a workbook")
    (folder / gone).unlink()
    write_feedback(collections[2025], folder)
    assert len(made) == 2  # the two areas whose files were touched
    rewritten = {edited, gone.replace(".html", ".xlsx")}  # a workbook made again: same cells, a new date inside
    assert {name: (folder / name).read_bytes() for name in before if name not in rewritten} == {
        name: content for name, content in before.items() if name not in rewritten}
    reference = tmp_path / "reference"
    write_feedback(collections[2025], reference)
    for name in rewritten:
        assert _sheet_cells(folder / name) == _sheet_cells(reference / name), name
    assert sorted(p.name for p in folder.iterdir()) == sorted(before)  # the ledger is kept beside the folder
    monkeypatch.setenv("SWPS_REUSE", "off")
    made.clear()
    write_feedback(collections[2025], folder)
    assert len(made) == 101


def test_an_empty_year_folder_is_a_year_with_every_return_missing(data_dir, registry, capsys, monkeypatch):
    """Next year's folder is created before its files arrive: status and feedback say nothing came yet."""
    collection = read_collection_year(Settings(data_dir, data_dir.parent / "out"), YEAR)
    status = collection_status(collection)
    expected = expected_positions(registry, YEAR)
    national = national_status(status).iloc[0]
    assert (national["positions_expected"], national["returns_received"], national["returns_missing"],
            national["files_rejected"]) == (len(expected), 0, len(expected), 0)
    assert status["last_file_date"].isna().all()

    monkeypatch.setenv("SWPS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(data_dir.parent / "out"))
    assert cli.main(["status", "--year", str(YEAR)]) == 0
    assert f"France entière : postes attendus {len(expected)}, bilans reçus 0," in capsys.readouterr().out
    assert cli.main(["feedback", "--year", str(YEAR)]) == 0
    assert (data_dir.parent / "out" / "feedback" / str(YEAR) / "retour_2023_77.html").is_file()


def test_a_shifted_csv_row_reaches_the_feedback_with_its_cells_beyond_the_header(data_dir, registry):
    """The feedback types each quarantined row again from its raw JSON: the cells beyond the header must come back
    with it, or the row is quarantined without a line to correct."""
    header = "Année,Département,Identifiant du poste,ETP,Personnes reçues,Nouvelles situations,Actes professionnels"
    (data_dir / "returns" / str(YEAR) / "retour_77.csv").write_text(
        f"{header}\n{YEAR},77,77-001,0,8,120,60,360\n", encoding="utf-8")
    collection = read_collection_year(Settings(data_dir, data_dir.parent / "out"), YEAR)
    assert collection.quarantine[["position_id", "rules"]].values.tolist() == [["77-001", "type"]]
    line = quarantine_lines(collection, Texts("fr")).iloc[0]
    assert (line["department_code"], line["position_id"], line["source_row"], line["rule"], line["cells"]) == (
        "77", "77-001", 2, "type", "")
    assert line["message"] == (
        "Cellules au-delà de la dernière colonne de l'en-tête ('360') : un séparateur dans une valeur (par exemple "
        "une virgule décimale hors guillemets) décale toutes les cellules suivantes ; un séparateur de trop en fin "
        "de ligne, ou une colonne sans titre, donne la même chose. Mettez cette valeur entre guillemets, supprimez "
        "le séparateur ou donnez un titre à la colonne : rien n'est deviné.")


def test_valueless_cells_reach_the_feedback_without_the_internal_marker(data_dir):
    """Formulas without a saved value (openpyxl writes no results) and a spreadsheet error, in a text column and in
    the position id: the host site's row was quarantined but had no feedback line (its raw JSON read back as
    valid text), the position id kept the internal marker U+FDD0 in the quarantine and the feedback, and its
    message was repeated (type and position_id)."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Année", "Département", "Identifiant du poste", "Site d'accueil", "ETP", "Personnes reçues",
                  "Nouvelles situations", "Actes professionnels"])
    sheet.append([YEAR, "77", "77-001", "Commissariat de Meaux", 1, 120, 60, 360])
    sheet.append([YEAR, "77", "77-002", '="Commissariat "&"de Meaux"', 1, 120, 60, 360])
    sheet.append([YEAR, "77", '="77-"&"217"', "Brigade de Melun", 1, 120, 60, 360])
    sheet.append([YEAR, "77", "77-004", "#N/A", 1, 120, 60, 360])
    book.save(data_dir / "returns" / str(YEAR) / "retour_77.xlsx")
    collection = read_collection_year(Settings(data_dir, data_dir.parent / "out"), YEAR)
    quarantine = collection.quarantine
    formula = "formula without a saved value: open and save the file in a spreadsheet program"
    assert quarantine[["source_row", "rules", "message"]].values.tolist() == [
        [3, "type", f"""host_site = '="Commissariat "&"de Meaux"': {formula}"""],
        [4, "type", f"""position_id = '="77-"&"217"': {formula}"""],
        [5, "type", "host_site = '#N/A': an error of the spreadsheet, not a value: correct the formula or type the "
                    "value"]]
    assert quarantine["position_id"].fillna("null").tolist() == ["77-002", "null", "77-004"]
    assert json.loads(quarantine["raw"].iloc[1])["Identifiant du poste"] == {"formula": '="77-"&"217"'}
    assert not quarantine.astype(str).apply(lambda column: column.str.contains("\ufdd0|\ufdd1")).any().any()

    lines = quarantine_lines(collection, Texts("fr"))
    assert lines[["department_code", "source_row", "rule", "cells", "message"]].values.tolist() == [
        ["77", 3, "type", "Site d'accueil (D3)", """« Site d'accueil » contient la formule ="Commissariat "&"de """
         """Meaux" sans son résultat : ouvrez le fichier dans un tableur et enregistrez-le de nouveau."""],
        ["77", 5, "type", "Site d'accueil (D5)", "« Site d'accueil » affiche l'erreur de tableur #N/A : corrigez la "
                                                 "formule ou saisissez la valeur."],
        ["77", 4, "type", "Identifiant du poste (C4)", """« Identifiant du poste » contient la formule ="77-"&"217" """
         """sans son résultat : ouvrez le fichier dans un tableur et enregistrez-le de nouveau."""]]
    assert lines["position_id"].isna().tolist() == [False, False, True]
