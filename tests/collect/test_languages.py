"""The collection's texts in the profile's language (French for FR) and in English on request (issue 15, item 2).

A template is written, filled as a social worker would, one row broken; the
feedback is read in both languages and compared with the sentences written
out here by hand. The English template reads back through the same ingestion
(its check columns and definitions sheet are recognised in every language).
"""

from __future__ import annotations

import datetime as dt
import shutil
from functools import partial

import pytest
from openpyxl import load_workbook

from swps_pipeline import cli
from swps_pipeline.collect.feedback import quarantine_lines, write_feedback
from swps_pipeline.collect.inputs import from_tables
from swps_pipeline.collect.template import FIRST_DATA_ROW, HEADER_ROW, write_templates
from swps_pipeline.i18n import LANGUAGE_VARIABLE, Texts
from swps_pipeline.profiles import PACKAGED_PROFILES
from swps_pipeline.reuse import reused
from swps_pipeline.validate import validate_year
from swps_pipeline.validate import year as year_module

from .conftest import YEAR, expected_positions, fill_template


@pytest.fixture
def broken(data_dir, registry, request):
    """Seine-et-Marne's template in `request.param`, filled, with 7 victims too many on its third position:
    (the feedback's collection, the position, its new cases, the row)."""
    path, = write_templates(registry, YEAR, data_dir / "returns" / str(YEAR), department_code="77",
                            due=dt.date(2024, 2, 15), recipient="coordination@example.org",
                            language=request.param)
    bad = expected_positions(registry, YEAR).query("department_code == '77'")["position_id"].sort_values().iloc[2]
    written = fill_template(path, seed=7)
    fill_template(path, seed=7, change={bad: {"cases_victim": written[bad]["cases_victim"] + 7}})
    result = validate_year(data_dir, YEAR, registry)
    collection = from_tables(YEAR, data_dir, registry, {
        "returns_valid": result.returns_valid, "returns_quarantine": result.returns_quarantine,
        "returns_warnings": result.returns_warnings, "files_rejected": result.files_rejected})
    return collection, result, data_dir, bad, written[bad]["new_cases"]


@pytest.mark.parametrize("broken", ["fr", "en"], indirect=True)
def test_a_quarantine_message_in_french_for_france_and_in_english_on_request(broken):
    collection, result, _, bad, total = broken
    # Whatever the template's language, validation reads it the same way: one row quarantined, nothing else.
    assert result.returns_quarantine[["position_id", "rules"]].values.tolist() == [[bad, "sum_cases"]]
    assert result.files_rejected.empty
    assert not result.returns_warnings["rule"].isin(["extra_column", "extra_sheet"]).any()
    # The published quarantine table keeps its one (English) wording in every language.
    assert result.returns_quarantine["message"].iloc[0] == (
        f"cases_victim + cases_offender + cases_third_party + cases_public_unknown = {total + 7}, expected new_cases = "
        f"{total} (a fully reported group adds up to its total)")
    row = FIRST_DATA_ROW + 2
    cells = (f"Nouvelles situations (K{row}), Situations victimes (O{row}), Situations mis en cause (P{row}), "
             f"Situations tiers (Q{row}), Situations public non renseigné (R{row})")

    french = quarantine_lines(collection, Texts("fr")).iloc[0]
    english = quarantine_lines(collection, Texts("en")).iloc[0]

    assert french["message"] == (f"Le total des nouvelles situations ({total}) ne correspond pas à la somme "
                                 f"victimes + mis en cause + tiers + public non renseigné ({total + 7}).")
    assert english["message"] == (f"The total of new cases ({total}) does not match the sum victims + suspects + "
                                  f"third parties + public not recorded ({total + 7}).")
    # The cells are named by the template's headers (the profile's labels), the same in both languages.
    assert french["cells"] == english["cells"] == cells
    # With no language given, the profile's: French for FR.
    assert quarantine_lines(collection).iloc[0]["message"] == french["message"]
    assert quarantine_lines(collection, Texts("nl")).iloc[0]["message"] == (
        f"Het totaal van nieuwe situaties ({total}) komt niet overeen met de som slachtoffers + verdachten + derden "
        f"+ publiek niet geregistreerd ({total + 7}).")


@pytest.mark.parametrize("broken", ["fr"], indirect=True)
def test_the_profiles_language_selects_the_catalogue(broken, tmp_path, monkeypatch):
    """A profile saying `language: nl` (a copy of FR's, e.g. a Flemish deployment) gets the Dutch catalogue."""
    collection, _, _, _, total = broken
    folder = tmp_path / "profile"
    shutil.copytree(PACKAGED_PROFILES / "FR", folder)
    text = (folder / "profile.yaml").read_text(encoding="utf-8")
    (folder / "profile.yaml").write_text(text.replace("\nlanguage: fr ", "\nlanguage: nl "), encoding="utf-8")
    monkeypatch.setenv("SWPS_PROFILE_DIR", str(folder))
    assert Texts().language == "nl"
    assert quarantine_lines(collection).iloc[0]["message"].startswith(f"Het totaal van nieuwe situaties ({total})")


@pytest.mark.parametrize(("language", "texts"), [
    ("fr", ("Bilan 2023", "Définitions", "Contrôle situations (écart)", "Valeur refusée",
            "Un ETP entre 0 (exclu) et 1, par exemple 0,8.", "À renvoyer au plus tard le 15/02/2024 à : x@y.org",
            "Coût du poste (€)")),
    ("en", ("Return 2023", "Definitions", "Check cases (gap)", "Value refused",
            "An FTE between 0 (excluded) and 1, for example 0.8.",
            "To send back by 2024-02-15 at the latest to: x@y.org",
            "Position cost (€)")),
])
def test_the_template_speaks_the_language_asked_for(data_dir, registry, language, texts):
    sheet_name, definitions, check, title, fte, due, cost = texts
    path, = write_templates(registry, YEAR, data_dir, department_code="2A", due=dt.date(2024, 2, 15),
                            recipient="x@y.org", language=language)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    assert workbook.sheetnames == [sheet_name, definitions]
    headers = [cell.value for cell in sheet[HEADER_ROW]]
    assert check in headers and "Nouvelles situations" in headers
    fte_rule = next(v for v in sheet.data_validations.dataValidation if v.formula1 == "0.01")
    assert (fte_rule.errorTitle, fte_rule.error, fte_rule.prompt) == (title, fte, fte)
    assert sheet["A2"].value == due
    assert cost in [row[0] for row in workbook[definitions].iter_rows(values_only=True)]


@pytest.mark.parametrize("broken", ["fr"], indirect=True)
def test_a_re_run_finds_the_failures_of_an_unchanged_quarantine_kept(broken, tmp_path, monkeypatch):
    """The feedback re-validates the quarantined rows to name their cells (pandera: 0.2-0.3 s a run); kept
    (`reuse`), the same rows are validated once, and the reports are those computed afresh (issue 17)."""
    collection, _, _, bad, _ = broken
    validated = []
    validate = year_module.hard_rule_failures
    monkeypatch.setattr(year_module, "hard_rule_failures",
                        lambda typed, year: validated.append(typed["position_id"].tolist()) or validate(typed, year))
    kept = partial(reused, tmp_path / "output")
    indexes = [write_feedback(collection, tmp_path / name, reuse=kept) for name in ("first", "second")]
    assert validated == [[bad]]
    afresh = write_feedback(collection, tmp_path / "afresh")
    for folder, index in zip(("first", "second"), indexes):
        assert index.equals(afresh)
        for name in [*afresh["html"], *afresh["xlsx"]]:
            assert (tmp_path / folder / name).read_bytes() == (tmp_path / "afresh" / name).read_bytes()


@pytest.mark.parametrize("broken", ["fr"], indirect=True)
def test_language_on_request_by_variable_and_option_leaves_the_index_unchanged(broken, tmp_path, monkeypatch):
    collection, _, data_dir, bad, total = broken
    french_index = write_feedback(collection, tmp_path / "fr")
    monkeypatch.setenv(LANGUAGE_VARIABLE, "en")
    english_index = write_feedback(collection, tmp_path / "en")

    page = (tmp_path / "en" / "retour_2023_77.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page and "<h2>To correct: rows refused</h2>" in page
    assert f"The total of new cases ({total}) does not match the sum" in page
    assert "Feedback on the 2023 returns — Seine-et-Marne (77)" in page
    # The published index (collection_feedback) names the same files with the same counts in any language.
    assert english_index.equals(french_index)

    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")  # restored after the test: `--language` sets the variable
    monkeypatch.setenv("SWPS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(tmp_path / "out"))
    assert cli.main(["--language", "en", "feedback", "--year", str(YEAR), "--out", str(tmp_path / "cli")]) == 0
    rows = list(load_workbook(tmp_path / "cli" / "retour_2023_77.xlsx").worksheets[0].iter_rows(values_only=True))
    header = rows.index(("Position", "File", "Row", "Rule", "Cells concerned", "Message"))
    assert rows[header + 1][0] == bad and rows[header + 1][3] == "total of cases"


def test_a_language_without_catalogue_is_refused_in_one_line(capsys, monkeypatch):
    assert cli.main(["--language", "xx", "status", "--year", str(YEAR)]) == 2
    assert capsys.readouterr().err.startswith("swps: no catalogue for language 'xx' (available: en, fr, nl;")
    monkeypatch.setenv(LANGUAGE_VARIABLE, "pt")
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("swps: no catalogue for language 'pt' (available: en, fr, nl;") and len(err.splitlines()) == 1


def test_the_belgian_profile_gets_its_feedback_in_dutch(tmp_path):
    """`language: nl` in profiles/BE: the feedback of `swps --profile BE feedback` is Dutch, its cells named by the
    Dutch template labels; `--language fr` gives it in French. Run as a command: a profile is chosen per process."""
    import csv
    import os
    import subprocess
    import sys

    from tests.validate.returns import VALID_RETURN

    data = tmp_path / "raw"
    (data / "returns" / "2021").mkdir(parents=True)
    (data / "positions.csv").write_text(
        "position_id,department_code,host_type,host_site,employer_type,start_date,end_date,local_funders\n"
        "BE-VAN-001,BE-VAN,local_police,Zone Antwerpen,association,2019-01-01,,1\n"
        "BE-VAN-002,BE-VAN,local_police,Zone Antwerpen,association,2019-01-01,,1\n", encoding="utf-8")
    valid = VALID_RETURN | {"department_code": "BE-VAN", "host_type": "local_police"}
    with (data / "returns" / "2021" / "antwerpen.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(valid))
        writer.writeheader()
        writer.writerows([valid | {"position_id": "BE-VAN-001", "persons_women": "71"},
                          valid | {"position_id": "BE-VAN-002", "fte": ""}])
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("SWPS_PROFILE_DIR", "SWPS_LANGUAGE")} | {
        "SWPS_DATA_DIR": str(data), "SWPS_OUTPUT_DIR": str(tmp_path / "out")}

    def feedback(*options: str) -> list[str]:
        out = tmp_path / "-".join(options or ("nl",))
        subprocess.run([sys.executable, "-m", "swps_pipeline.cli", "--profile", "BE", *options, "feedback", "--year",
                        "2021", "--out", str(out)], env=environment, check=True, capture_output=True)
        rows = load_workbook(out / "retour_2021_BE-VAN.xlsx").worksheets[0].iter_rows(values_only=True)
        return [row[5] for row in rows if row[0] in ("BE-VAN-001", "BE-VAN-002")]

    assert feedback() == [
        "Het totaal van ontvangen personen (100) komt niet overeen met de som vrouwen + mannen + geslacht niet "
        "geregistreerd (101).",
        "'VTE' is leeg: deze cel is verplicht."]
    assert feedback("--language", "fr") == [
        "Le total des personnes reçues (100) ne correspond pas à la somme femmes + hommes + sexe non renseigné (101).",
        "« VTE » est vide : cette case est obligatoire."]
