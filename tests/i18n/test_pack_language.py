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

    assert french.get_title() == "VAN : P(VAN > 0) = 50\u00a0% (pointillés : 5e et 95e centiles)"  # Babel: a no-break space
    assert english.get_title() == "NPV: P(NPV > 0) = 50% (dotted: 5th and 95th percentiles)"
    assert (french.get_xlabel(), french.get_ylabel()) == ("valeur actuelle nette (M€)", "tirages")
    assert [t.get_text() for t in french.get_legend().get_texts()] == ["moyenne 0,5 M€", "médiane 0,0 M€"]
    assert [t.get_text() for t in english.get_legend().get_texts()] == ["mean 0.5 M€", "median 0.0 M€"]


def _tick_labels(figure) -> list[str]:
    """Every tick label of the figure as drawn (Matplotlib formats them at drawing time)."""
    figure.canvas.draw()
    return [label.get_text() for axis in figure.axes
            for label in [*axis.get_xticklabels(), *axis.get_yticklabels()] if label.get_text()]


def test_the_npv_axis_of_a_french_chart_has_a_decimal_comma():
    """Draws from -0.4 to 0.6 M€ put the money ticks at tenths of a million: −0,4 … 0,6 in French."""
    import numpy as np

    from swps_pipeline.economics.charts import npv_distribution_figure

    draws = np.linspace(-0.4e6, 0.6e6, 11)
    french, english = (npv_distribution_figure(draws, language=language) for language in ("fr", "en"))
    french_x = [t.get_text() for t in french.axes[0].get_xticklabels()]
    french_ticks, english_ticks = _tick_labels(french), _tick_labels(english)

    assert {"\u22120,4", "0,2", "0,6"} <= set(french_ticks)
    assert {"\u22120.4", "0.2", "0.6"} <= set(english_ticks)
    assert not any("." in text for text in french_x)


EVENT_STUDY = pd.DataFrame({
    "model": ["callaway_santanna"] * 4 + ["event_study"] * 4,
    "event_time": [-2, -1, 0, 1] * 2,
    "estimate": [0.02, 0.0, 0.05, 0.08, 0.01, 0.0, 0.04, 0.07],
    "ci_low": [-0.03, None, 0.0, 0.02, -0.04, None, -0.01, 0.01],
    "ci_high": [0.07, None, 0.1, 0.14, 0.06, None, 0.09, 0.13],
    "ci_low_uniform": [-0.05, None, -0.02, 0.0, None, None, None, None],
    "ci_high_uniform": [0.09, None, 0.12, 0.16, None, None, None, None],
    "reference": [False, True, False, False, False, True, False, False],
})


def test_the_event_study_chart_in_french_and_in_english():
    """Titles, axes and legends from the catalogue; the effect axis (−0.05 to 0.16 log points) with a decimal
    comma in French."""
    from swps_pipeline.impact.results import event_study_figure

    french, english = (event_study_figure(EVENT_STUDY, language) for language in ("fr", "en"))
    top, bottom = french.axes

    assert french._suptitle.get_text() == ("Violences physiques intrafamiliales enregistrées autour du premier poste "
                                           "d'un département")
    assert top.get_title() == ("Callaway–Sant'Anna (comparaison avec les départements pas encore ou jamais "
                               "traités)")
    assert bottom.get_title().startswith("Étude d'événement TWFE")
    assert top.get_ylabel() == "Effet sur le log du taux"
    assert bottom.get_xlabel() == "Années depuis le premier poste du département (base commune : année −1)"
    assert {t.get_text() for t in top.get_legend().get_texts()} == {
        "bande uniforme à 95 % (toute la trajectoire)", "estimation, intervalle ponctuel à 95 %",
        "année de référence (−1), fixée à 0"}
    _tick_labels(french)
    french_effects = [t.get_text() for t in top.get_yticklabels() if t.get_text()]
    assert "0,05" in french_effects and not any("." in text for text in french_effects)
    assert english.axes[0].get_ylabel() == "Effect on log rate"
    _tick_labels(english)
    assert "0.05" in [t.get_text() for t in english.axes[0].get_yticklabels()]


def test_the_tornado_names_the_parameters_in_french():
    """A parameter label of the packaged file, and one taken from the impact estimate, as the mart keeps them."""
    from swps_pipeline.economics.charts import tornado_figure

    sensitivity = pd.DataFrame({
        "label": ["Position cost per FTE-year", "Reduction of repeat victimisation (impact estimate)"],
        "npv_low_eur": [-3e6, -1.5e6], "npv_high_eur": [2e6, 0.5e6], "npv_at_means_eur": [-0.5e6, -0.5e6],
        "swing_eur": [5e6, 2e6]})

    figure = tornado_figure(sensitivity, language="fr")
    ticks = _tick_labels(figure)

    assert ["Réduction de la victimation répétée (estimation d'impact)", "Coût d'un poste par ETP annuel"] == [
        t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert "VAN aux moyennes des paramètres (−0,5 M€)" in [
        t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert "\u22122" in ticks and not any("." in text for text in ticks)


def test_the_synthetic_notice_names_the_profiles_country(tmp_path, monkeypatch):
    """Under BE the notice (README sheet, methods page) speaks of Belgium, in the reader's language; France's
    stays the published-figures one."""
    from swps_pipeline.assumptions import SYNTHETIC_NOTICE, synthetic_notice
    from swps_pipeline.i18n import Texts
    from swps_pipeline.profiles import load_profile, profile_folder

    belgium = load_profile(profile_folder("BE").resolve())
    english, french = synthetic_notice(Texts("en"), belgium), synthetic_notice(Texts("fr"), belgium)
    assert "for Belgium are SYNTHETIC" in english and "`swps generate --profile BE`" in english
    assert "Pays : Belgique." in french and "(Belgique)" in french
    for text in (english, french):
        assert "France" not in text and "Seine-et-Marne" not in text
    assert synthetic_notice(Texts("en"), load_profile(profile_folder("FR").resolve())) == SYNTHETIC_NOTICE

    monkeypatch.delenv("SWPS_PROFILE_DIR", raising=False)
    monkeypatch.setenv("SWPS_PROFILE", "BE")
    write_evaluation_pack(tmp_path, {"department_year": TABLE}, {}, {"department_year": "x"}, synthetic=True,
                          language="fr")
    assert _readme(tmp_path)[1]["Données synthétiques"] == french
    assert french in (tmp_path / "methods.html").read_text(encoding="utf-8").replace("&#x27;", "'")


def test_the_few_cluster_warning_of_the_marts_is_said_in_french():
    """The warning of 3 départements, two in cohort 2019 and one in 2020, as the marts keep it (English) and as
    the French pack shows it."""
    from swps_pipeline.i18n import Texts
    from swps_pipeline.impact.estimators import few_cluster_warning, warning_text

    sample = pd.DataFrame({"department_code": ["01", "01", "02", "03"], "cohort": [2019, 2019, 2019, 2020]})
    kept = few_cluster_warning(sample, "cohort")

    assert kept == ("Few clusters: 3 départements (< 30); cohort 2019 has 2, 2020 has 1 (< 5). Standard errors and "
                    "intervals rest on few départements; read them as indicative, prefer the bootstrap p-values and "
                    "the uniform bands.")
    assert warning_text(kept, Texts("en")) == kept
    assert warning_text(kept, Texts("fr")) == (
        "Peu de grappes : 3 départements (< 30) ; cohorte 2019 en compte 2, 2020 en compte 1 (< 5). Les écarts-types "
        "et les intervalles reposent sur peu de départements : à lire comme indicatifs, en privilégiant les "
        "p-valeurs par bootstrap et les bandes uniformes.")
    assert warning_text("Few clusters: 12 départements (< 30).", Texts("fr")) == \
        "Peu de grappes : 12 départements (< 30)."
    assert warning_text("a text of another step", Texts("fr")) == "a text of another step"


def test_the_readings_in_french():
    """The effect reading of tests/publish/test_reading.py's estimates: exp(0.067614) − 1 = 6.995 %."""
    from swps_pipeline.i18n import Texts
    from swps_pipeline.publish.reading import effect_reading

    rows = [("callaway_santanna", "att_overall", 0.067614, -0.016612, 0.151841, 0.108566, 18),
            ("twfe_treated", "treated", 0.059064, 0.021468, 0.099786, 0.002002, 18),
            ("placebo", "att_overall", 0.031727, -0.014399, 0.077852, 0.164931, 18)]
    estimates = pd.DataFrame(rows, columns=["model", "term", "estimate", "ci_low", "ci_high", "p_value",
                                            "n_clusters"]).assign(outcome="log_intrafamily_physical_violence_per_1000")

    text = effect_reading(estimates, Texts("fr"))

    assert text.startswith(
        "Callaway–Sant'Anna : l'effet estimé du déploiement sur les violences physiques intrafamiliales enregistrées "
        "(log du taux pour 1 000) est de +0,068 point log (environ +7,0\u00a0% sur le taux enregistré ; IC à 95 % de "
        "−0,017 à +0,152, p = 0,109, 18 départements) : non significatif au seuil de 5 %. ")
    assert "Le TWFE donne +0,059 (p = 0,002, significatif) ; avec une adoption échelonnée" in text
    assert "Placebo (vols de véhicules, que le dispositif ne devrait pas modifier) : +0,032, p = 0,165" in text
    assert "significant" not in text and "log points" not in text
