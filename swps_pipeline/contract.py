"""The yearly return template of `shared/contract/position_returns.md`, as data.

Ingestion, validation, the synthetic generator and the panel all read the
column list from here, so the contract is written down once.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["int", "float", "str", "enum"]


@dataclass(frozen=True)
class ReturnColumn:
    """One column of the national template."""

    name: str
    label_fr: str
    type: ColumnType
    required: bool = False
    group: str | None = None  # "cases", "persons_sex", "persons_age", "source", "problem", "orient"
    aliases: tuple[str, ...] = field(default_factory=tuple)


def normalise_header(text: object) -> str:
    """Contract header normalisation: trim, lower-case, strip accents, non a-z0-9 runs → '_'."""
    value = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


def _counts(group: str | None, pairs: list[tuple[str, str]]) -> list[ReturnColumn]:
    return [ReturnColumn(name, label, "int", group=group) for name, label in pairs]


IDENTIFICATION: list[ReturnColumn] = [
    ReturnColumn("year", "Année", "int", required=True),
    ReturnColumn("department_code", "Département", "str", required=True),
    ReturnColumn("position_id", "Identifiant du poste", "str", required=True),
    ReturnColumn("host_type", "Type de site", "enum"),
    ReturnColumn("host_site", "Site d'accueil", "str"),
    ReturnColumn("employer_type", "Employeur", "enum"),
    ReturnColumn("fte", "ETP", "float", required=True),
    ReturnColumn("months_active", "Mois d'activité", "int"),
    ReturnColumn("cost_eur", "Coût du poste (€)", "float"),
]

ACTIVITY: list[ReturnColumn] = [
    ReturnColumn("persons_received", "Personnes reçues", "int", required=True),
    ReturnColumn("new_cases", "Nouvelles situations", "int", required=True),
    ReturnColumn("ongoing_cases", "Situations en cours", "int"),
    ReturnColumn("actions", "Actes professionnels", "int", required=True),
    ReturnColumn("child_in_danger_reports", "Informations préoccupantes et signalements", "int"),
]

CASES = _counts(
    "cases",
    [
        ("cases_victim", "Situations victimes"),
        ("cases_offender", "Situations mis en cause"),
        ("cases_third_party", "Situations tiers"),
        ("cases_public_unknown", "Situations public non renseigné"),
    ],
)
PERSONS_SEX = _counts(
    "persons_sex",
    [
        ("persons_women", "Femmes"),
        ("persons_men", "Hommes"),
        ("persons_sex_unknown", "Sexe non renseigné"),
    ],
)
PERSONS_AGE = _counts(
    "persons_age",
    [
        ("persons_age_minor", "Mineurs"),
        ("persons_age_18_25", "18-25 ans"),
        ("persons_age_26_59", "26-59 ans"),
        ("persons_age_60_plus", "60 ans et plus"),
        ("persons_age_unknown", "Âge non renseigné"),
    ],
)
SOURCE = _counts(
    "source",
    [
        ("source_police", "Orientées par la police"),
        ("source_gendarmerie", "Orientées par la gendarmerie"),
        ("source_self", "Démarche spontanée"),
        ("source_social_services", "Orientées par les services sociaux"),
        ("source_justice", "Orientées par la justice"),
        ("source_health", "Orientées par la santé"),
        ("source_education", "Orientées par l'éducation"),
        ("source_association", "Orientées par une association"),
        ("source_other", "Autre origine"),
    ],
)
PROBLEM = _counts(
    "problem",
    [
        ("problem_domestic_violence", "Violences conjugales"),
        ("problem_intrafamily_violence", "Violences intrafamiliales"),
        ("problem_child_protection", "Enfance en danger"),
        ("problem_vulnerability", "Vulnérabilité"),
        ("problem_schooling", "Scolarité"),
        ("problem_housing", "Logement"),
        ("problem_mental_health", "Santé mentale"),
        ("problem_addiction", "Addictions"),
        ("problem_runaway", "Fugues et disparitions"),
        ("problem_harassment", "Harcèlement"),
        ("problem_trafficking", "Traite des êtres humains"),
        ("problem_eviction", "Expulsion locative"),
        ("problem_other", "Autres problématiques"),
    ],
)
ORIENT = _counts(
    "orient",
    [
        ("orient_social_services", "Vers services sociaux"),
        ("orient_victim_support", "Vers aide aux victimes"),
        ("orient_legal", "Vers accès au droit"),
        ("orient_health", "Vers santé"),
        ("orient_psychologist", "Vers psychologue"),
        ("orient_addiction", "Vers addictologie"),
        ("orient_emergency_housing", "Vers hébergement d'urgence"),
        ("orient_social_landlord", "Vers bailleur social"),
        ("orient_perpetrator_programme", "Vers prise en charge des auteurs"),
        ("orient_employment", "Vers emploi"),
        ("orient_other", "Vers autre"),
    ],
)

COLUMNS: list[ReturnColumn] = (
    IDENTIFICATION + ACTIVITY + CASES + PERSONS_SEX + PERSONS_AGE + SOURCE + PROBLEM + ORIENT
)
COLUMN_NAMES: list[str] = [c.name for c in COLUMNS]
BY_NAME: dict[str, ReturnColumn] = {c.name: c for c in COLUMNS}
REQUIRED: list[str] = [c.name for c in COLUMNS if c.required]
COUNT_COLUMNS: list[str] = [c.name for c in ACTIVITY + CASES + PERSONS_SEX + PERSONS_AGE + SOURCE + PROBLEM + ORIENT]
INT_COLUMNS: list[str] = [c.name for c in COLUMNS if c.type == "int"]
FLOAT_COLUMNS: list[str] = [c.name for c in COLUMNS if c.type == "float"]

#: Groups that must add up to a total when fully reported: group -> (total column, members, unknown member).
SUM_GROUPS: dict[str, tuple[str, list[str], str | None]] = {
    "cases": ("new_cases", [c.name for c in CASES], "cases_public_unknown"),
    "persons_sex": ("persons_received", [c.name for c in PERSONS_SEX], "persons_sex_unknown"),
    "persons_age": ("persons_received", [c.name for c in PERSONS_AGE], "persons_age_unknown"),
    "source": ("new_cases", [c.name for c in SOURCE], None),
}
GROUPS: dict[str, list[str]] = {
    "cases": [c.name for c in CASES],
    "persons_sex": [c.name for c in PERSONS_SEX],
    "persons_age": [c.name for c in PERSONS_AGE],
    "source": [c.name for c in SOURCE],
    "problem": [c.name for c in PROBLEM],
    "orient": [c.name for c in ORIENT],
}

#: Enum values and the French aliases the template allows (matched after `normalise_header`).
HOST_TYPES: dict[str, tuple[str, ...]] = {
    "police": ("Police", "Commissariat"),
    "gendarmerie": ("Gendarmerie", "Brigade"),
    "mixed": ("Mixte",),
}
EMPLOYER_TYPES: dict[str, tuple[str, ...]] = {
    "association": ("Association",),
    "local_authority": ("Collectivité", "Commune", "Département", "EPCI"),
    "other_public": ("Autre public",),
}

#: Header aliases: every normalised spelling that names a canonical column.
HEADER_ALIASES: dict[str, str] = {
    **{normalise_header(c.name): c.name for c in COLUMNS},
    **{normalise_header(c.label_fr): c.name for c in COLUMNS},
}

#: Columns of the XLSX template (`swps template`) whose normalised header starts with this are its check
#: columns (formulas showing whether a group adds up): the reader sets them aside without an `extra_column`.
TEMPLATE_CHECK_PREFIX = "controle"
#: The template's sheet of definitions (no header row, by design): the reader does not report it as unread.
TEMPLATE_DEFINITIONS_SHEET = "Définitions"

#: Values that mean "not reported" in a numeric cell (compared after strip + lower-case).
NOT_REPORTED = frozenset({"", "-", "nr", "n.r.", "n/a"})

# Rule ids of the contract.
HARD_RULES: tuple[str, ...] = (
    "required",
    "type",
    "range",
    "enum",
    "department_code",
    "position_id",
    "year_mismatch",
    "sum_cases",
    "sum_persons_sex",
    "sum_persons_age",
    "sum_source",
    "unknown_negative",
    "problem_bound",
    "conflicting_duplicate",
)
SOFT_RULES: tuple[str, ...] = (
    "unknown_derived",
    "duplicate_identical",
    "cases_over_persons",
    "actions_under_cases",
    "unregistered_position",
    "activity_outlier",
    "extra_column",
    "extra_sheet",  # an XLSX sheet that was not read, reported once per sheet (issue 18; not in the contract)
)

#: Registry (`positions.csv`) columns.
REGISTRY_COLUMNS: list[str] = [
    "position_id",
    "department_code",
    "host_type",
    "host_site",
    "employer_type",
    "start_date",
    "end_date",
    "local_funders",
]
