"""The evaluation pack's own texts in the profile's language (French for FR), English on request; the tables
themselves (columns, values) are the marts' in every language."""

from __future__ import annotations

import openpyxl
import pandas as pd

from swps_pipeline.publish.pack import write_evaluation_pack

TABLE = pd.DataFrame({"department_code": ["77", "93"], "year": [2021, 2021], "persons_received": [3, 120]})


def _readme(directory) -> tuple[list[str], dict[str, str]]:
    workbook = openpyxl.load_workbook(directory / "evaluation_pack.xlsx")
    return workbook.sheetnames, {row[0]: row[1] for row in workbook["README"].iter_rows(values_only=True) if row[0]}


def test_the_pack_in_french_and_in_english(tmp_path):
    for language in ("fr", "en"):
        write_evaluation_pack(tmp_path / language, {"department_year": TABLE}, {}, {"department_year": "x"},
                              synthetic=True, language=language)
    (french_sheets, french), (english_sheets, english) = _readme(tmp_path / "fr"), _readme(tmp_path / "en")

    assert french_sheets == english_sheets == ["README", "department_year"]
    assert french["Secret statistique"].startswith(
        "Les effectifs de personnes ou de situations de 1 à 4 sont affichés « <5 » (secret statistique")
    assert "prendre au moins 3 valeurs entières" in french["Secret statistique"]  # protection width 2, + 1
    assert english["Disclosure control"].startswith(
        "Counts of persons or cases from 1 to 4 are shown as '<5' (statistical disclosure control")
    assert french["Onglet"] == "Ce que c'est" and english["Sheet"] == "What it is"
    assert french["Données synthétiques"].startswith(
        "Les bilans des postes et le registre fournis avec swps-pipeline sont SYNTHÉTIQUES")
    # The disclosed table is the same in both: 3 persons shown as <5, the columns as in the mart.
    for language in ("fr", "en"):
        shown = pd.read_csv(tmp_path / language / "csv" / "department_year.csv", dtype=str, encoding="utf-8-sig")
        assert shown["persons_received"].tolist() == ["<5", "120"]
    page = (tmp_path / "fr" / "methods.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in page and "<h2>Secret statistique</h2>" in page
    assert '<p>Chaque table est un onglet de <a href="evaluation_pack.xlsx">evaluation_pack.xlsx</a> et un fichier ' \
           "CSV.</p>" in page


def test_chart_labels_follow_the_language():
    """The NPV histogram of four draws (-2, -1, 1, 4 M€: mean 0.5, median 0, half positive) in French and English."""
    import numpy as np

    from swps_pipeline.economics.charts import npv_distribution_figure

    draws = np.array([-2e6, -1e6, 1e6, 4e6])
    french, english = (npv_distribution_figure(draws, language=language).axes[0] for language in ("fr", "en"))

    assert french.get_title() == "VAN : P(VAN > 0) = 50% (pointillés : 5e et 95e centiles)"
    assert english.get_title() == "NPV: P(NPV > 0) = 50% (dotted: 5th and 95th percentiles)"
    assert (french.get_xlabel(), french.get_ylabel()) == ("valeur actuelle nette (M€)", "tirages")
    assert [t.get_text() for t in french.get_legend().get_texts()] == ["moyenne 0.5 M€", "médiane 0.0 M€"]
    assert [t.get_text() for t in english.get_legend().get_texts()] == ["mean 0.5 M€", "median 0.0 M€"]
