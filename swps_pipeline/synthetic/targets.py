"""What the synthetic data must reproduce, with the source of each figure.

Published figures come from shared/reference/cba_parameters.md ("Published
position counts") and the ECPA application (questions 9 and 12). Everything
marked *synthetic* is a choice of the generator, not a fact.
"""

from __future__ import annotations

#: The country whose published figures these are: its profile gets this calibration (`calibration.py`), any
#: other profile a plain roll-out built from the profile.
PUBLISHED_COUNTRY = "FR"

FIRST_REGISTRY_YEAR = 2012
LAST_YEAR = 2025
RETURN_YEARS = tuple(range(2019, LAST_YEAR + 1))
CRIME_YEARS = tuple(range(2016, LAST_YEAR + 1))

#: Year-end stock of active positions at scale 1. Published: 164 early 2012,
#: 260+ in 2017, 271 in Nov 2019, 357 at end 2020, about 450 in 2022-2023;
#: the 2023 programming law adds 200 over 5 years (about +40 a year).
#: Key 2011 is the stock at the start of 2012. Intermediate years interpolated.
YEAR_END_STOCK: dict[int, int] = {
    2011: 164, 2012: 176, 2013: 188, 2014: 203, 2015: 218, 2016: 238, 2017: 258,
    2018: 264, 2019: 275, 2020: 357, 2021: 405, 2022: 438, 2023: 452, 2024: 492, 2025: 532,
}  # fmt: skip

#: Number of départements whose first position starts in each year (2011 = before
#: 2012). 90 départements covered in 2017 (published), all 101 from 2023
#: (published); the staggering in between is synthetic, so that an impact
#: analysis has adoption cohorts.
COHORT_SIZES: dict[int, int] = {
    2011: 62, 2012: 4, 2013: 3, 2014: 3, 2015: 4, 2016: 7, 2017: 7,
    2018: 2, 2019: 3, 2020: 3, 2021: 1, 2022: 1, 2023: 1,
}  # fmt: skip

#: Host of the position, early 2012 (published: 59 % police zone, 27 % gendarmerie, 14 % mixed).
HOST_TYPE_SHARES: dict[str, float] = {"police": 0.59, "gendarmerie": 0.27, "mixed": 0.14}
#: Employers: associations or local authorities (ECPA question 14); shares synthetic.
EMPLOYER_SHARES: dict[str, float] = {"association": 0.55, "local_authority": 0.38, "other_public": 0.07}
#: Part-time positions (synthetic).
FTE_SHARES: dict[float, float] = {1.0: 0.82, 0.8: 0.10, 0.5: 0.08}
#: Start of a host site's name, by host type (synthetic).
HOST_SITE_LABEL = {"police": "Commissariat", "gendarmerie": "Groupement de gendarmerie", "mixed": "Site mixte"}
#: How the départements name their files, and the lines above a workbook's header (synthetic, as seen in practice).
FILE_NAME_PATTERNS = ("{code}_{name}_bilan_{year}", "Bilan_ISCG_{year}_{name}", "retours_{year}_dep{code}")
TITLE = ("Bilan d'activité {year} – intervenants sociaux en commissariat et gendarmerie", "Département : {name}")
#: Yearly probability that a position ends (replaced in the same département; synthetic).
END_PROBABILITY = 0.015

#: Seine-et-Marne 2021 (ECPA application, question 12): 7 social workers and the sums of their returns.
SEINE_ET_MARNE = "77"
SEINE_ET_MARNE_YEAR = 2021
SEINE_ET_MARNE_POSITIONS = 7
SEINE_ET_MARNE_2021: dict[str, int] = {
    "actions": 4349,
    "child_in_danger_reports": 109,
    "new_cases": 1030,
    "persons_received": 1256,
    "problem_domestic_violence": 952,
    "problem_vulnerability": 68,
    "problem_schooling": 74,
    "problem_housing": 34,
}
#: Shares published for Seine-et-Marne 2021, used as the national mixes too:
#: cases 59 % victims, 10 % offenders, 30 % third parties; 75 % women.
CASES_MIX: dict[str, float] = {
    "cases_victim": 0.59,
    "cases_offender": 0.10,
    "cases_third_party": 0.30,
    "cases_public_unknown": 0.01,
}
PERSONS_SEX_MIX: dict[str, float] = {"persons_women": 0.75, "persons_men": 0.24, "persons_sex_unknown": 0.01}
#: Synthetic mixes (no published figure).
PERSONS_AGE_MIX: dict[str, float] = {
    "persons_age_minor": 0.08,
    "persons_age_18_25": 0.15,
    "persons_age_26_59": 0.64,
    "persons_age_60_plus": 0.10,
    "persons_age_unknown": 0.03,
}
#: How cases came in, by host type: mostly the host force (synthetic).
SOURCE_MIX: dict[str, dict[str, float]] = {
    host: {
        "source_police": police,
        "source_gendarmerie": gendarmerie,
        "source_self": 0.08,
        "source_social_services": 0.06,
        "source_justice": 0.03,
        "source_health": 0.02,
        "source_education": 0.02,
        "source_association": 0.03,
        "source_other": 0.04,
    }
    for host, police, gendarmerie in (("police", 0.69, 0.03), ("gendarmerie", 0.04, 0.68), ("mixed", 0.40, 0.32))
}
#: Another profile's positions are all hosted by law enforcement: they get the mix of a police-hosted position.
LAW_ENFORCEMENT_HOST_SOURCE_MIX = SOURCE_MIX["police"]
#: Share of new cases concerned by each problem (several per case; synthetic,
#: domestic violence the main one as in Seine-et-Marne, 952 of 1,030).
PROBLEM_RATES: dict[str, float] = {
    "problem_domestic_violence": 0.72,
    "problem_intrafamily_violence": 0.15,
    "problem_child_protection": 0.09,
    "problem_vulnerability": 0.07,
    "problem_schooling": 0.06,
    "problem_housing": 0.05,
    "problem_mental_health": 0.08,
    "problem_addiction": 0.05,
    "problem_runaway": 0.02,
    "problem_harassment": 0.04,
    "problem_trafficking": 0.005,
    "problem_eviction": 0.02,
    "problem_other": 0.07,
}
#: Orientations per new case, by partner (synthetic).
ORIENT_RATES: dict[str, float] = {
    "orient_social_services": 0.45,
    "orient_victim_support": 0.40,
    "orient_legal": 0.30,
    "orient_health": 0.10,
    "orient_psychologist": 0.15,
    "orient_addiction": 0.04,
    "orient_emergency_housing": 0.08,
    "orient_social_landlord": 0.05,
    "orient_perpetrator_programme": 0.03,
    "orient_employment": 0.03,
    "orient_other": 0.06,
}
#: Activity per FTE-year (synthetic; Seine-et-Marne 2021: 179 persons per
#: worker, 0.82 new case and 3.46 actions per person, 0.087 child-in-danger report per person).
PERSONS_PER_FTE_YEAR = 195.0
NEW_CASES_PER_PERSON = 0.82
ONGOING_PER_NEW_CASE = 0.40
ACTIONS_PER_PERSON = 3.5
CHILD_REPORTS_PER_PERSON = 0.085
#: Cost of a position per FTE-year when reported (ECPA question 16: 50,000-55,000 EUR), share reporting it (synthetic).
COST_PER_FTE_YEAR_RANGE = (48_000.0, 57_000.0)
COST_REPORTED_SHARE = 0.3

#: Synthetic effect of the roll-out on recorded intrafamily physical violence:
#: counts are multiplied by this from the year of a département's first
#: position on (more reporting, not more violence). No effect on other indicators.
ROLLOUT_EFFECT_INTRAFAMILY = 1.05
