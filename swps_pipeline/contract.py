"""The yearly return template of `shared/contract/position_returns.md`, as data.

Ingestion, validation, the synthetic generator and the panel all read the
column list from here, so the contract is written down once. The canonical
columns, types, groups and rule ids are the same in every country; the
template's labels and aliases and the host and employer types are national:
they come from the active country profile (`swps_pipeline.profiles`), read
when first asked for (`HOST_TYPES`, `EMPLOYER_TYPES`, `HEADER_ALIASES`,
`ReturnColumn.label`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Literal

from swps_pipeline.i18n import N_, every_translation
from swps_pipeline.profiles import Profile, active_profile

ColumnType = Literal["int", "float", "str", "enum"]


@dataclass(frozen=True)
class ReturnColumn:
    """One canonical column of the template; its label is the active profile's."""

    name: str
    type: ColumnType
    required: bool = False
    group: str | None = None  # "cases", "persons_sex", "persons_age", "source", "problem", "orient"

    @property
    def label(self) -> str:
        """The template's label of this column in the active country profile."""
        return active_profile().labels[self.name]


def normalise_header(text: object) -> str:
    """Contract header normalisation: trim, lower-case, strip accents, non a-z0-9 runs → '_'."""
    text = str(text)
    return _kept_normalisation(text) if len(text) <= _KEPT_HEADER_LENGTH else _normalisation(text)


def _normalisation(text: str) -> str:
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", value.strip().lower()).strip("_")


#: The normalisations of short texts are kept: the same few hundred header cells come back in every file (a
#: year's files at 10x the bundled data normalised 10,000 of them); a long cell is not kept (a hostile file's).
_KEPT_HEADER_LENGTH = 200
_kept_normalisation = lru_cache(maxsize=4096)(_normalisation)


def _counts(group: str | None, names: list[str]) -> list[ReturnColumn]:
    return [ReturnColumn(name, "int", group=group) for name in names]


IDENTIFICATION: list[ReturnColumn] = [
    ReturnColumn("year", "int", required=True),
    ReturnColumn("department_code", "str", required=True),
    ReturnColumn("position_id", "str", required=True),
    ReturnColumn("host_type", "enum"),
    ReturnColumn("host_site", "str"),
    ReturnColumn("employer_type", "enum"),
    ReturnColumn("fte", "float", required=True),
    ReturnColumn("months_active", "int"),
    ReturnColumn("cost_eur", "float"),
]

ACTIVITY: list[ReturnColumn] = [
    ReturnColumn("persons_received", "int", required=True),
    ReturnColumn("new_cases", "int", required=True),
    ReturnColumn("ongoing_cases", "int"),
    ReturnColumn("actions", "int", required=True),
    ReturnColumn("child_in_danger_reports", "int"),
]

CASES = _counts(
    "cases",
    [
        "cases_victim",
        "cases_offender",
        "cases_third_party",
        "cases_public_unknown",
    ],
)
PERSONS_SEX = _counts(
    "persons_sex",
    [
        "persons_women",
        "persons_men",
        "persons_sex_unknown",
    ],
)
PERSONS_AGE = _counts(
    "persons_age",
    [
        "persons_age_minor",
        "persons_age_18_25",
        "persons_age_26_59",
        "persons_age_60_plus",
        "persons_age_unknown",
    ],
)
SOURCE = _counts(
    "source",
    [
        "source_police",
        "source_gendarmerie",
        "source_self",
        "source_social_services",
        "source_justice",
        "source_health",
        "source_education",
        "source_association",
        "source_other",
    ],
)
PROBLEM = _counts(
    "problem",
    [
        "problem_domestic_violence",
        "problem_intrafamily_violence",
        "problem_child_protection",
        "problem_vulnerability",
        "problem_schooling",
        "problem_housing",
        "problem_mental_health",
        "problem_addiction",
        "problem_runaway",
        "problem_harassment",
        "problem_trafficking",
        "problem_eviction",
        "problem_other",
    ],
)
ORIENT = _counts(
    "orient",
    [
        "orient_social_services",
        "orient_victim_support",
        "orient_legal",
        "orient_health",
        "orient_psychologist",
        "orient_addiction",
        "orient_emergency_housing",
        "orient_social_landlord",
        "orient_perpetrator_programme",
        "orient_employment",
        "orient_other",
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

def header_aliases(profile: Profile) -> dict[str, str]:
    """Every normalised spelling that names a canonical column: its name, the profile's label and aliases."""
    return {
        **{normalise_header(c.name): c.name for c in COLUMNS},
        **{normalise_header(profile.labels[c.name]): c.name for c in COLUMNS},
        **{normalise_header(alias): c.name for c in COLUMNS for alias in profile.aliases.get(c.name, ())},
    }


def __getattr__(name: str) -> object:
    """The national parts of the template, from the active country profile when first imported:
    `HOST_TYPES` and `EMPLOYER_TYPES` (each canonical value and the labels the template accepts, matched after
    `normalise_header`), `HEADER_ALIASES` (normalised header -> canonical column)."""
    if name == "HOST_TYPES":
        return active_profile().host_types
    if name == "EMPLOYER_TYPES":
        return active_profile().employer_types
    if name == "HEADER_ALIASES":
        return header_aliases(active_profile())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Columns of the XLSX template (`swps template`) whose header starts with this word, in any language with a
#: catalogue ("Check", "Contrôle"), are its check columns (formulas showing whether a group adds up): the reader
#: sets them aside without an `extra_column` (`template_check_prefixes`).
TEMPLATE_CHECK_WORD = N_("Check")
#: The template's sheet of definitions (no header row, by design), named in the template's language: the reader
#: does not report it as unread under any of its names (`i18n.every_translation`).
TEMPLATE_DEFINITIONS_SHEET = N_("Definitions")


@cache
def template_check_prefixes() -> frozenset[str]:
    """The normalised check word of the template in every language with a catalogue."""
    return frozenset(normalise_header(word) for word in every_translation(TEMPLATE_CHECK_WORD))

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
