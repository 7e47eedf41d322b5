"""Every hard rule id has its French message, built from the row's values and naming the cells at fault."""

from __future__ import annotations

import csv

import pandas as pd

from swps_pipeline.collect.feedback import quarantine_lines
from swps_pipeline.collect.inputs import from_tables
from swps_pipeline.contract import HARD_RULES
from swps_pipeline.i18n import Texts, available_languages
from swps_pipeline.validate import validate_year
from tests.validate.returns import VALID_RETURN

#: One valid return (text cells): 100 persons = 70 + 25 + 5 by sex; 80 new cases; 20 ongoing.
VALID = VALID_RETURN

#: (position_id, changes, rule, cells, message): each row breaks one rule; the file's columns are VALID's.
BROKEN = [
    ("77-002", {"fte": ""}, "required", "ETP (ligne 2, colonne 7)", "« ETP » est vide : cette case est obligatoire."),
    ("77-003", {"persons_received": "abc"}, "type", "Personnes reçues (ligne 3, colonne 10)",
     "« Personnes reçues » contient « abc » : un nombre entier attendu."),
    ("77-004", {"fte": "1,5"}, "range", "ETP (ligne 4, colonne 7)",
     "« ETP » vaut 1,5 : l'ETP doit être supérieur à 0 et au plus égal à 1."),
    ("77-005", {"host_type": "Préfecture"}, "enum", "Type de site (ligne 5, colonne 4)",
     "« Type de site » contient « Préfecture » : choisir parmi Police, Gendarmerie, Mixte."),
    ("99-001", {"department_code": "99"}, "department_code", "Département (ligne 6, colonne 2)",
     "« Département » contient « 99 » : un des 101 codes officiels est attendu (01 à 19, 2A, 2B, 21 à 95, 971 à "
     "974, 976)."),
    ("77-07", {}, "position_id", "Identifiant du poste (ligne 7, colonne 3)",
     "« Identifiant du poste » contient « 77-07 » : forme attendue <département>-<3 chiffres>, par exemple "
     "77-003."),
    ("78-008", {}, "position_id", "Identifiant du poste (ligne 8, colonne 3), Département (ligne 8, colonne 2)",
     "L'identifiant du poste « 78-008 » ne commence pas par le département « 77 » : corriger l'un des deux."),
    ("77-009", {"year": "2020"}, "year_mismatch", "Année (ligne 9, colonne 1)",
     "« Année » vaut 2020 alors que le fichier est rangé avec les bilans 2021 : corriger l'année ou envoyer le "
     "fichier pour la bonne année."),
    ("77-010", {"persons_women": "71"}, "sum_persons_sex",
     "Personnes reçues (ligne 10, colonne 10), Femmes (ligne 10, colonne 19), Hommes (ligne 10, colonne 20), "
     "Sexe non renseigné (ligne 10, colonne 21)",
     "Le total des personnes reçues (100) ne correspond pas à la somme femmes + hommes + sexe non renseigné (101)."),
    ("77-011", {"persons_age_minor": "9"}, "sum_persons_age", None,
     "Le total des personnes reçues (100) ne correspond pas à la somme mineurs + 18-25 ans + 26-59 ans + 60 ans "
     "et plus + âge non renseigné (99)."),
    ("77-012", {"source_other": "12"}, "sum_source", None,
     "Le total des nouvelles situations (80) ne correspond pas à la somme des origines (police + gendarmerie + "
     "démarche spontanée + services sociaux + justice + santé + éducation + association + autre) (90)."),
    ("77-013", {"cases_victim": "51"}, "sum_cases", None,
     "Le total des nouvelles situations (80) ne correspond pas à la somme victimes + mis en cause + tiers + public "
     "non renseigné (81)."),
    ("77-014", {"persons_women": "80", "persons_sex_unknown": ""}, "unknown_negative",
     "Personnes reçues (ligne 14, colonne 10), Femmes (ligne 14, colonne 19), Hommes (ligne 14, colonne 20)",
     "La somme des valeurs connues (105) dépasse le total des personnes reçues (100) alors que « Sexe non "
     "renseigné » est vide : corriger le total ou la répartition."),
    ("77-015", {"problem_domestic_violence": "150"}, "problem_bound", "Violences conjugales (ligne 15, colonne 36)",
     "« Violences conjugales » (150) dépasse le maximum possible : nouvelles situations + situations en cours "
     "(100)."),
]


def test_every_hard_rule_has_its_french_message(tmp_path):
    rows = [VALID | {"position_id": position} | changes for position, changes, *_ in BROKEN]
    rows += [VALID | {"position_id": "77-016"}, VALID | {"position_id": "77-016", "actions": "301"}]
    folder = tmp_path / "raw" / "returns" / "2021"
    folder.mkdir(parents=True)
    with (folder / "seine-et-marne.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(VALID))
        writer.writeheader()
        writer.writerows(rows)
    result = validate_year(tmp_path / "raw", 2021, None)
    assert result.returns_valid.empty
    collection = from_tables(2021, tmp_path / "raw", pd.DataFrame(columns=["position_id"]), {
        "returns_valid": result.returns_valid, "returns_quarantine": result.returns_quarantine,
        "returns_warnings": result.returns_warnings, "files_rejected": result.files_rejected})

    lines = quarantine_lines(collection)

    assert set(lines["rule"]) == set(HARD_RULES)
    by_row = lines.set_index("source_row")
    for row, (position, _, rule, cells, message) in enumerate(BROKEN, start=2):
        line = by_row.loc[row]
        assert (line["position_id"], line["rule"], line["message"]) == (position.upper(), rule, message)
        assert cells is None or line["cells"] == cells
    conflicts = lines[lines["rule"] == "conflicting_duplicate"]
    assert conflicts["source_row"].tolist() == [16, 17]
    assert conflicts["message"].iloc[0] == (
        "Le poste 77-016 a plusieurs bilans différents pour 2021 (returns/2021/seine-et-marne.csv ligne 16 ; "
        "returns/2021/seine-et-marne.csv ligne 17) : aucun n'est retenu, rien n'est deviné. Renvoyer un seul bilan "
        "corrigé (sous-dossier corrections/).")
    # Sorted by position, so the coordinator acts line by line; the row with the unknown code 99 goes to the
    # département of the other rows of its file, 78-008 to its department_code.
    assert lines["position_id"].tolist() == sorted(lines["position_id"])
    assert lines.set_index("position_id").loc[["99-001", "78-008"], "department_code"].tolist() == ["77", "77"]


def test_every_rule_the_feedback_shows_has_a_name_in_every_language():
    from swps_pipeline.collect.texts import RULE_NAMES, WARNING_MESSAGES

    assert set(RULE_NAMES) == set(HARD_RULES) | set(WARNING_MESSAGES)
    for language in available_languages():
        say = Texts(language)
        names = [say(name, area_level="area") for name in RULE_NAMES.values()]
        assert all(name and "_" not in name for name in names), language
    assert Texts("fr")(RULE_NAMES["department_code"], area_level="département") == "code département"
