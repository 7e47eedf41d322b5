"""The indicator catalogue: every published indicator, defined once.

An indicator is `numerator / denominator × scale`, where both terms are sums
over an entity-year (nation, region, département, position, host or employer
type). A `positions` indicator sums its terms over the positions that reported
every column it needs (a group not reported is left out, never read as zero);
an `areas` indicator sums département-level terms (positions active,
population, départements meeting the standard).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from swps_pipeline import contract
from swps_pipeline.profiles import active_profile

Family = Literal["activity", "public", "needs", "partnership", "orientation", "coverage", "quality"]
Basis = Literal["positions", "areas"]

LEVELS = ("national", "region", "department", "position", "host_type", "employer_type")
AREA_LEVELS = ("national", "region", "department")
GROUP_LEVELS = ("national", "region", "department", "host_type", "employer_type")
#: Levels at which year-on-year change is computed, and at which outliers are screened.
CHANGE_LEVELS = ("national", "department")
OUTLIER_LEVELS = ("position", "department")

PER_CAPITA = 100_000
#: The active country profile's coverage standard (positions per area) and target (inhabitants per worker).
STANDARD_POSITIONS_PER_DEPARTMENT = active_profile().positions_per_area
INHABITANTS_PER_WORKER_TARGET = active_profile().inhabitants_per_worker

#: Evaluation questions, after the questions each position's yearly evaluation answers
#: (ECPA application, question 11).
QUESTIONS: dict[str, str] = {
    "activity": "How many people do the social workers reach, and how much work does a position do "
    "per FTE-year and per inhabitant?",
    "public": "Who are the people helped: victims, offenders or third parties; of what sex and age?",
    "needs": "What problems bring people to the social worker (domestic violence first)?",
    "partnership": "How do people come to the social worker: which partnerships bring them?",
    "orientation": "How many orientations are made, and towards which partners?",
    "coverage": f"Does the programme cover the territory: {STANDARD_POSITIONS_PER_DEPARTMENT} positions per "
    f"département (Grenelle standard) and 1 social worker per {INHABITANTS_PER_WORKER_TARGET:,} inhabitants?",
    "quality": "Can the figures be trusted: how complete are the returns and which values look abnormal?",
}

#: Term names (columns of the enriched position or area frame) as a reader sees them.
TERM_LABELS: dict[str, str] = {
    "fte_years": "FTE-years (fte × months_active / 12)",
    "new_and_ongoing_cases": "(new_cases + ongoing_cases)",
    "orientations": "orientations (sum of orient_*, positions reporting them all)",
    "population": "population",
    "returned": "positions with a valid return",
    "returned_expected": "expected positions with a valid return",
    "expected": "positions expected by the registry",
    "outlier": "positions with an activity per FTE-year more than 4 robust z-scores from the median",
    "departments": "départements",
    "departments_covered": "départements with ≥ 1 active position",
    "departments_meeting_standard": f"départements with ≥ {STANDARD_POSITIONS_PER_DEPARTMENT} active positions",
    "departments_meeting_target": f"départements with ≥ 1 active position per "
    f"{INHABITANTS_PER_WORKER_TARGET:,} inhabitants",
    "positions_active": "active positions (registry, plus unregistered that reported)",
    "fte": "FTE of the reporting positions",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator: numerator / denominator × scale, over the levels it makes sense at."""

    id: str
    label_en: str
    label_fr: str
    family: Family
    unit: str
    numerator: str
    denominator: str | None
    levels: tuple[str, ...]
    basis: Basis = "positions"
    scale: float = 1.0
    outlier_check: bool = False

    @property
    def question(self) -> str:
        return QUESTIONS[self.family]

    @property
    def formula(self) -> str:
        numerator = TERM_LABELS.get(self.numerator, self.numerator)
        text = numerator if self.denominator is None else (
            f"{numerator} / {TERM_LABELS.get(self.denominator, self.denominator)}"
        )
        return text if self.scale == 1 else f"{text} × {self.scale:,.0f}"

    @property
    def reported_over(self) -> str:
        """Which positions enter the sums."""
        if self.basis == "areas":
            return "départements (sums of their positions)"
        needed = [t for t in (self.numerator, self.denominator) if t and t != "population"]
        return "positions that reported " + " and ".join(needed)


_ACTIVITY_EN = {
    "persons_received": "Persons received",
    "new_cases": "New cases",
    "ongoing_cases": "Ongoing cases",
    "actions": "Professional actions",
    "child_in_danger_reports": "Child-in-danger reports",
}
_ACTIVITY_UNITS = {
    "persons_received": "persons",
    "new_cases": "cases",
    "ongoing_cases": "cases",
    "actions": "actions",
    "child_in_danger_reports": "reports",
}
#: The public-of-new-cases ids are fixed by the indicators issue.
_CASES_IDS = {
    "cases_victim": "share_victims",
    "cases_offender": "share_offenders",
    "cases_third_party": "share_third_parties",
    "cases_public_unknown": "share_public_unknown",
}


def _member_en(column: str, prefix: str) -> str:
    return column.removeprefix(prefix).replace("_", " ").replace("18 25", "18-25").replace("26 59", "26-59") \
        .replace("60 plus", "60+")


def _activity() -> list[Indicator]:
    out: list[Indicator] = []
    for column in (c.name for c in contract.ACTIVITY):
        en, fr, unit = _ACTIVITY_EN[column], contract.BY_NAME[column].label, _ACTIVITY_UNITS[column]
        out += [
            Indicator(column, en, fr, "activity", unit, column, None, GROUP_LEVELS),
            Indicator(f"{column}_per_fte", f"{en} per FTE-year", f"{fr} par ETP annuel", "activity",
                      f"{unit} per FTE-year", column, "fte_years", GROUP_LEVELS + ("position",),
                      outlier_check=True),
            Indicator(f"{column}_per_100k", f"{en} per 100,000 inhabitants", f"{fr} pour 100 000 habitants",
                      "activity", f"{unit} per 100,000 inhabitants", column, "population", AREA_LEVELS,
                      scale=PER_CAPITA, outlier_check=True),
        ]
    return out


def _shares(members: list[contract.ReturnColumn], family: Family, denominator: str, ids: dict[str, str],
            en_prefix: str, fr_prefix: str) -> list[Indicator]:
    return [
        Indicator(ids[c.name], f"{en_prefix}{en}", f"{fr_prefix}{c.label}", family, "share (0-1)",
                  c.name, denominator, GROUP_LEVELS, outlier_check=True)
        for c in members
        for en in [_member_en(c.name, c.name.split("_")[0] + "_")]
    ]


def _public() -> list[Indicator]:
    persons = {c.name: "share_" + c.name.removeprefix("persons_") for c in contract.PERSONS_SEX + contract.PERSONS_AGE}
    return (
        _shares(contract.CASES, "public", "new_cases", _CASES_IDS, "Share of new cases: ",
                "Part des nouvelles situations : ")
        + _shares(contract.PERSONS_SEX + contract.PERSONS_AGE, "public", "persons_received", persons,
                  "Share of persons received: ", "Part des personnes reçues : ")
    )


def _needs() -> list[Indicator]:
    ids = {c.name: "share_" + c.name.removeprefix("problem_") for c in contract.PROBLEM}
    ids["problem_other"] = "share_other_problems"
    return _shares(contract.PROBLEM, "needs", "new_and_ongoing_cases", ids,
                   "Share of cases handled (new + ongoing) with problem: ",
                   "Part des situations suivies (nouvelles + en cours) : ")


def _partnership() -> list[Indicator]:
    ids = {c.name: f"share_{c.name}" for c in contract.SOURCE}
    return _shares(contract.SOURCE, "partnership", "new_cases", ids, "Share of new cases referred by: ",
                   "Part des nouvelles situations : ")


def _orientation() -> list[Indicator]:
    unit = "orientations per new case"
    total = Indicator("orientations_per_new_case", "Orientations per new case",
                      "Orientations par nouvelle situation", "orientation", unit, "orientations", "new_cases",
                      GROUP_LEVELS, outlier_check=True)
    return [total] + [
        Indicator(f"orientations_{c.name.removeprefix('orient_')}_per_new_case",
                  f"Orientations towards {_member_en(c.name, 'orient_')} per new case",
                  f"Orientations {c.label.lower()} par nouvelle situation", "orientation", unit,
                  c.name, "new_cases", GROUP_LEVELS, outlier_check=True)
        for c in contract.ORIENT
    ]


def _coverage() -> list[Indicator]:
    per_target = f"per {INHABITANTS_PER_WORKER_TARGET:,} inhabitants"
    per_target_fr = f"pour {INHABITANTS_PER_WORKER_TARGET:,} habitants".replace(",", " ")
    national_region = ("national", "region")

    def area(id_: str, en: str, fr: str, unit: str, numerator: str, denominator: str | None,
             levels: tuple[str, ...], scale: float = 1.0, outlier: bool = False) -> Indicator:
        return Indicator(id_, en, fr, "coverage", unit, numerator, denominator, levels, basis="areas",
                         scale=scale, outlier_check=outlier)

    return [
        area("positions_active", "Active positions", "Postes actifs", "positions", "positions_active", None,
             AREA_LEVELS),
        area("fte", "FTE of the reporting positions", "ETP des postes ayant répondu", "FTE", "fte", None,
             AREA_LEVELS),
        area("positions_per_department", "Active positions per département", "Postes actifs par département",
             "positions per département", "positions_active", "departments", national_region),
        area("fte_per_department", "FTE per département", "ETP par département", "FTE per département",
             "fte", "departments", national_region),
        area("positions_per_150k", f"Active positions {per_target}", f"Postes actifs {per_target_fr}",
             f"positions {per_target}", "positions_active", "population", AREA_LEVELS,
             scale=INHABITANTS_PER_WORKER_TARGET, outlier=True),
        area("fte_per_150k", f"FTE {per_target}", f"ETP {per_target_fr}", f"FTE {per_target}", "fte",
             "population", AREA_LEVELS, scale=INHABITANTS_PER_WORKER_TARGET),
        area("meets_standard", f"Département has ≥ {STANDARD_POSITIONS_PER_DEPARTMENT} active positions",
             f"Le département a au moins {STANDARD_POSITIONS_PER_DEPARTMENT} postes actifs", "0/1",
             "departments_meeting_standard", "departments", ("department",)),
        area("meets_target", f"Département has ≥ 1 active position {per_target}",
             f"Le département a au moins 1 poste actif {per_target_fr}", "0/1", "departments_meeting_target",
             "departments", ("department",)),
        area("share_departments_covered", "Share of départements with an active position",
             "Part des départements dotés d'un poste", "share (0-1)", "departments_covered", "departments",
             national_region),
        area("share_departments_meeting_standard",
             f"Share of départements with ≥ {STANDARD_POSITIONS_PER_DEPARTMENT} active positions",
             f"Part des départements ayant au moins {STANDARD_POSITIONS_PER_DEPARTMENT} postes actifs",
             "share (0-1)", "departments_meeting_standard", "departments", national_region),
        area("share_departments_meeting_target", f"Share of départements with ≥ 1 active position {per_target}",
             f"Part des départements ayant au moins 1 poste actif {per_target_fr}", "share (0-1)",
             "departments_meeting_target", "departments", national_region),
    ]


#: Optional columns and breakdown groups whose reporting rate the quality family measures.
REPORTED_ITEMS: dict[str, list[str]] = {
    "ongoing_cases": ["ongoing_cases"],
    "child_in_danger_reports": ["child_in_danger_reports"],
    **contract.GROUPS,
}


def _quality() -> list[Indicator]:
    unit = "share (0-1)"
    return [
        Indicator("share_returns_received", "Returns received / expected", "Bilans reçus / attendus", "quality",
                  unit, "returned_expected", "expected", GROUP_LEVELS),
        *(
            Indicator(f"share_reporting_{item}", f"Share of reporting positions that reported {item}",
                      f"Part des postes ayant répondu qui renseignent {item}", "quality", unit,
                      f"reported_{item}", "returned", GROUP_LEVELS)
            for item in REPORTED_ITEMS
        ),
        Indicator("share_positions_outlier", "Share of reporting positions flagged as outliers",
                  "Part des postes ayant répondu signalés comme atypiques", "quality", unit, "outlier",
                  "returned", GROUP_LEVELS),
    ]


CATALOGUE: list[Indicator] = (
    _activity() + _public() + _needs() + _partnership() + _orientation() + _coverage() + _quality()
)
BY_ID: dict[str, Indicator] = {i.id: i for i in CATALOGUE}

DEFINITION_COLUMNS = ["indicator", "family", "label_en", "label_fr", "formula", "numerator", "denominator",
                      "scale", "unit", "levels", "reported_over", "question"]


def indicator_definitions() -> pd.DataFrame:
    """The catalogue as the published table `indicator_definitions`."""
    return pd.DataFrame(
        [
            {
                "indicator": i.id, "family": i.family, "label_en": i.label_en, "label_fr": i.label_fr,
                "formula": i.formula, "numerator": i.numerator, "denominator": i.denominator,
                "scale": float(i.scale), "unit": i.unit, "levels": ",".join(i.levels),
                "reported_over": i.reported_over, "question": i.question,
            }
            for i in CATALOGUE
        ],
        columns=DEFINITION_COLUMNS,
    )


def catalogue_markdown() -> str:
    """The catalogue as Markdown, one table per family (the text of docs/indicators.md)."""
    lines: list[str] = []
    for family, question in QUESTIONS.items():
        lines += [f"### {family}", "", f"_{question}_", "",
                  "| id | label (en) | label (fr) | formula | unit | levels |", "| --- | --- | --- | --- | --- | --- |"]
        lines += [
            f"| `{i.id}` | {i.label_en} | {i.label_fr} | {i.formula} | {i.unit} | {', '.join(i.levels)} |"
            for i in CATALOGUE
            if i.family == family
        ]
        lines.append("")
    return "\n".join(lines)
