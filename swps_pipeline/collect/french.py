"""Every French text of the collection loop (templates, feedback, status), in one place.

The people who fill the returns and fix the quarantined rows read French. The
column labels come from the country profile (`contract.ReturnColumn.label`); everything else a
coordinator or a social worker reads is here, so that moving the text to
gettext catalogues later touches one file. Messages are keyed by the contract's
rule ids and filled with the row's values (`{total}`, `{sum}`, ...).
"""

from __future__ import annotations

from swps_pipeline.contract import BY_NAME, EMPLOYER_TYPES, HOST_TYPES, TEMPLATE_DEFINITIONS_SHEET


def label(column: str) -> str:
    """The template's French label of a canonical column."""
    return BY_NAME[column].label


def choice_labels(allowed: dict[str, tuple[str, ...]]) -> list[str]:
    """The French label offered in a drop-down for each enum value (its first alias in the contract)."""
    return [aliases[0] for aliases in allowed.values()]


HOST_TYPE_CHOICES = choice_labels(HOST_TYPES)
EMPLOYER_TYPE_CHOICES = choice_labels(EMPLOYER_TYPES)

# --- The template -----------------------------------------------------------------------------------------------

TEMPLATE_SHEET = "Bilan {year}"
DEFINITIONS_SHEET = TEMPLATE_DEFINITIONS_SHEET
TEMPLATE_TITLE = "Bilan d'activité {year} des intervenants sociaux en commissariat et gendarmerie — {department}"
TEMPLATE_DUE = "À renvoyer au plus tard le {due_date} à : {recipient}"
TEMPLATE_HOWTO = (
    "Une ligne par poste. Les colonnes grises sont pré-remplies depuis le registre des postes et verrouillées. "
    "Laisser une case vide quand l'information n'est pas connue (jamais 0 à la place). "
    "Les colonnes « Contrôle » doivent rester vides ou à 0 : en rouge, le groupe ne tombe pas juste. "
    "Définitions dans l'onglet « Définitions »."
)
#: Header of the check column of a sum group (the ingestion ignores headers starting with "Contrôle").
CHECK_HEADERS = {
    "cases": "Contrôle situations (écart)",
    "persons_sex": "Contrôle sexe (écart)",
    "persons_age": "Contrôle âge (écart)",
    "source": "Contrôle origine (écart)",
}
VALIDATION_TITLE = "Valeur refusée"
VALIDATION_ERRORS = {
    "count": "Un nombre entier supérieur ou égal à 0 (laisser vide si non connu).",
    "fte": "Un ETP entre 0 (exclu) et 1, par exemple 0,8.",
    "months_active": "Un nombre entier de mois, de 1 à 12.",
    "cost_eur": "Un montant en euros supérieur ou égal à 0.",
    "host_type": "Choisir dans la liste : " + ", ".join(HOST_TYPE_CHOICES) + ".",
    "employer_type": "Choisir dans la liste : " + ", ".join(EMPLOYER_TYPE_CHOICES) + ".",
}

#: The definitions sheet: (term, definition), from shared/contract/position_returns.md.
DEFINITIONS: list[tuple[str, str]] = [
    ("Personnes reçues", "Personnes qui ont eu au moins un entretien avec l'intervenant social dans l'année."),
    ("Nouvelles situations", "Situations ouvertes dans l'année (une situation peut concerner plusieurs "
                             "personnes)."),
    ("Situations en cours", "Situations ouvertes les années précédentes et encore suivies cette année."),
    ("Actes professionnels", "Actes réalisés par l'intervenant social (entretien, orientation, démarche, "
                             "écrit...) : au moins un par nouvelle situation."),
    ("Informations préoccupantes et signalements", "Signalements d'un enfant en danger transmis dans l'année."),
    ("Situations victimes / mis en cause / tiers / public non renseigné",
     "Répartition des nouvelles situations selon la personne concernée : la somme est égale aux nouvelles "
     "situations."),
    ("Femmes / Hommes / Sexe non renseigné", "Répartition des personnes reçues : la somme est égale aux personnes "
                                             "reçues."),
    ("Tranches d'âge", "Répartition des personnes reçues par âge : la somme est égale aux personnes reçues."),
    ("Orientées par...", "Origine des nouvelles situations : la somme est égale aux nouvelles situations."),
    ("Problématiques", "Problématiques traitées dans l'année ; une situation peut en avoir plusieurs. Chacune est "
                       "au plus égale aux nouvelles situations + situations en cours."),
    ("Orientations", "Nombre d'orientations faites vers chaque partenaire (pas de total à respecter)."),
    ("ETP", "Équivalent temps plein du poste sur l'année : entre 0 (exclu) et 1."),
    ("Mois d'activité", "Nombre de mois où le poste a été occupé dans l'année (1 à 12 ; vide = 12)."),
    ("Coût du poste (€)", "Coût complet réel du poste pour l'année, s'il est connu."),
    ("Case vide", "Information non connue ou non suivie : laisser vide, ne jamais écrire 0 à la place."),
]
DEFINITIONS_HEADER = ("Terme", "Définition")
DEFINITIONS_DUE = "Date limite de retour"
DEFINITIONS_RECIPIENT = "À envoyer à"
DEFINITIONS_CORRECTIONS = (
    "Corrections",
    "Un bilan corrigé remplace le précédent pour le même poste et la même année : il est déposé dans le "
    "sous-dossier corrections/ de l'année.",
)

# --- Feedback: one message per broken rule, filled with the row's values -----------------------------------------

#: Group wording of the sum rules: (total, members as the coordinator says them).
SUM_WORDS = {
    "cases": ("nouvelles situations", "victimes + mis en cause + tiers + public non renseigné"),
    "persons_sex": ("personnes reçues", "femmes + hommes + sexe non renseigné"),
    "persons_age": ("personnes reçues", "mineurs + 18-25 ans + 26-59 ans + 60 ans et plus + âge non renseigné"),
    "source": ("nouvelles situations", "des origines (police + gendarmerie + démarche spontanée + services "
                                       "sociaux + justice + santé + éducation + association + autre)"),
}
SUM_MESSAGE = "Le total des {total_words} ({total}) ne correspond pas à la somme {members_words} ({sum})."
UNKNOWN_NEGATIVE_MESSAGE = (
    "La somme des valeurs connues ({sum}) dépasse le total des {total_words} ({total}) alors que « {unknown} » "
    "est vide : corriger le total ou la répartition."
)
PROBLEM_BOUND_MESSAGE = (
    "« {column} » ({value}) dépasse le maximum possible : {bound_words} ({bound})."
)
PROBLEM_BOUND_WORDS = {
    "ongoing": "nouvelles situations + situations en cours",
    "persons": "nouvelles situations + personnes reçues (situations en cours non renseignées)",
}
REQUIRED_MESSAGE = "« {column} » est vide : cette case est obligatoire."
TYPE_MESSAGE = "« {column} » contient « {value} » : {expected} attendu."
TYPE_EXPECTED = {"int": "un nombre entier", "float": "un nombre (par exemple 0,8)"}
RANGE_MESSAGE = "« {column} » vaut {value} : {expected}."
RANGE_EXPECTED = {
    "count": "un nombre entier positif ou nul est attendu",
    "fte": "l'ETP doit être supérieur à 0 et au plus égal à 1",
    "months_active": "le nombre de mois doit être entre 1 et 12",
    "cost_eur": "le coût ne peut pas être négatif",
}
ENUM_MESSAGE = "« {column} » contient « {value} » : choisir parmi {choices}."
DEPARTMENT_CODE_MESSAGE = (
    "« {column} » contient « {value} » : un des 101 codes officiels est attendu (01 à 19, 2A, 2B, 21 à 95, "
    "971 à 974, 976)."
)
POSITION_ID_MALFORMED_MESSAGE = (
    "« {column} » contient « {value} » : forme attendue <département>-<3 chiffres>, par exemple 77-003."
)
POSITION_ID_PREFIX_MESSAGE = (
    "L'identifiant du poste « {position_id} » ne commence pas par le département « {department_code} » : "
    "corriger l'un des deux."
)
YEAR_MISMATCH_MESSAGE = (
    "« {column} » vaut {value} alors que le fichier est rangé avec les bilans {year} : corriger l'année ou "
    "envoyer le fichier pour la bonne année."
)
CONFLICT_MESSAGE = (
    "Le poste {position_id} a plusieurs bilans différents pour {year} ({copies}) : aucun n'est retenu, rien "
    "n'est deviné. Renvoyer un seul bilan corrigé (sous-dossier corrections/)."
)
CELL_IN_XLSX = "{label} ({cell})"
CELL_IN_CSV = "{label} (ligne {row}, colonne {column})"
COPY_AT = "{file} ligne {row}"

#: Soft rules worth a look by the person who filled the return, with their French message.
WARNING_MESSAGES = {
    "cases_over_persons": "Plus de nouvelles situations ({new_cases}) que de personnes reçues "
                          "({persons_received}) : vérifier les deux chiffres.",
    "actions_under_cases": "Moins d'actes professionnels ({actions}) que de nouvelles situations ({new_cases}) : "
                           "chaque situation compte au moins un acte ; vérifier les deux chiffres.",
    "activity_outlier": "{per_fte} personnes reçues par ETP ({persons_received} personnes pour {fte} ETP), très "
                        "loin des autres postes : vérifier les personnes reçues et l'ETP.",
    "unregistered_position": "Le poste {position_id} n'est pas au registre des postes financés : vérifier "
                             "l'identifiant ou le faire enregistrer.",
    "duplicate_identical": "Copie identique d'un bilan déjà reçu pour le poste {position_id} : elle est ignorée.",
}
RULE_NAMES = {
    "required": "case obligatoire vide",
    "type": "valeur illisible",
    "range": "valeur hors limites",
    "enum": "valeur hors liste",
    "department_code": "code département",
    "position_id": "identifiant du poste",
    "year_mismatch": "année",
    "sum_cases": "total des situations",
    "sum_persons_sex": "total par sexe",
    "sum_persons_age": "total par âge",
    "sum_source": "total par origine",
    "unknown_negative": "répartition supérieure au total",
    "problem_bound": "problématique au-dessus du maximum",
    "conflicting_duplicate": "bilans en double différents",
    "cases_over_persons": "plus de situations que de personnes",
    "actions_under_cases": "moins d'actes que de situations",
    "activity_outlier": "activité très différente des autres postes",
    "unregistered_position": "poste absent du registre",
    "duplicate_identical": "copie identique",
}

# --- Feedback report -------------------------------------------------------------------------------------------

FEEDBACK_SHEET = "Retour"
FEEDBACK_TITLE = "Retour sur les bilans {year} — {department}"
FEEDBACK_INTRO = (
    "Ce document liste, poste par poste, ce qu'il faut corriger dans les bilans {year} reçus. Chaque ligne "
    "rejetée n'est pas comptée tant qu'elle n'est pas corrigée : renvoyer le bilan corrigé du poste (seulement "
    "les lignes concernées suffisent)."
)
FEEDBACK_SYNTHETIC = "Données synthétiques (générées par swps generate) : ce ne sont pas des bilans réels."
FEEDBACK_SECTIONS = {
    "summary": "Bilans reçus",
    "quarantine": "À corriger : lignes rejetées",
    "warnings": "À vérifier : lignes acceptées avec un avertissement",
    "missing": "Bilans manquants",
    "rejected": "Fichiers illisibles",
}
FEEDBACK_NOTHING = {
    "quarantine": "Aucune ligne rejetée.",
    "warnings": "Aucun avertissement.",
    "missing": "Aucun bilan manquant.",
    "rejected": "Aucun fichier refusé.",
}
FEEDBACK_COLUMNS = {
    "position_id": "Poste",
    "source_file": "Fichier",
    "source_row": "Ligne",
    "rule": "Règle",
    "cells": "Cases en cause",
    "message": "Message",
    "host_site": "Site d'accueil",
    "reason": "Motif",
}
SUMMARY_LABELS = {
    "positions_expected": "Postes attendus",
    "returns_received": "Bilans reçus",
    "returns_valid": "Bilans acceptés",
    "returns_quarantined": "Bilans à corriger",
    "returns_missing": "Bilans manquants",
    "files_rejected": "Fichiers refusés",
    "correction_files": "Fichiers de correction reçus",
    "last_file_date": "Dernier fichier reçu le",
}
UNATTRIBUTED = "non attribué"
UNATTRIBUTED_NAME = "Lignes et fichiers sans département reconnaissable"

#: Why a whole file was refused, in French: keyed by the start of the ingestion's reason (ingest/lines.py,
#: ingest/read.py); the English reason is kept in brackets for the data team.
REJECTION_REASONS = {
    "empty file": "fichier vide : le renvoyer complet.",
    "not a CSV/XLSX": "format non accepté : envoyer le bilan en .xlsx (modèle fourni) ou .csv.",
    "binary content": "ce n'est pas un fichier texte CSV : envoyer le bilan en .xlsx (modèle fourni).",
    "undecodable bytes": "caractères illisibles : enregistrer le fichier en CSV UTF-8 ou en .xlsx.",
    "not a readable XLSX": "classeur illisible : l'ouvrir dans un tableur et l'enregistrer en .xlsx.",
    "damaged XLSX": "classeur endommagé : l'enregistrer à nouveau en .xlsx.",
    "no header row": "pas de ligne d'en-tête (colonne « Identifiant du poste ») : utiliser le modèle fourni.",
    "required column(s) missing": "colonne(s) obligatoire(s) absente(s) : utiliser le modèle fourni.",
    "malformed CSV": "CSV mal formé (guillemets) : enregistrer le fichier à nouveau ou utiliser le modèle.",
    "cannot be opened": "fichier impossible à ouvrir : le renvoyer.",
}
REJECTION_UNKNOWN = "fichier refusé : le renvoyer avec le modèle fourni."


def rejection_reason(reason: str) -> str:
    """The French reason of a refused file, followed by the ingestion's own (English) wording."""
    french = next((text for start, text in REJECTION_REASONS.items() if reason.startswith(start)), REJECTION_UNKNOWN)
    return f"{french} [{reason}]"


# --- Collection status (command line) ---------------------------------------------------------------------------

STATUS_TITLE = "Collecte des bilans {year} — situation au {today}"
STATUS_NATIONAL = "France entière"
STATUS_TO_CHASE = "Départements à relancer (bilans manquants ou à corriger) :"
STATUS_ALL_IN = "Tous les bilans attendus sont reçus et acceptés."
CHART_TITLE = "Collecte des bilans : acceptés, à corriger, manquants"
CHART_AXIS = "postes"
