"""Every indicator family on the small programme of conftest.py, against figures computed by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from pytest import approx

from swps_pipeline.indicators import CATALOGUE

# Département 77 in 2021: 77-001 (1.0 FTE × 12 months), 77-002 (0.5 × 12), 77-003 (1.0 × 6).
FTE_YEARS_77 = 1.0 + 0.5 + 1.0 * 6 / 12
POP_77 = 1_400_000


def check(found: pd.Series, value: float, numerator: float | None, denominator: float | None,
          reporting: int, expected: int) -> None:
    assert found["value"] == approx(value)
    assert (pd.isna(found["numerator"]) if numerator is None else found["numerator"] == approx(numerator))
    assert (pd.isna(found["denominator"]) if denominator is None else found["denominator"] == approx(denominator))
    assert (found["positions_reporting"], found["positions_expected"]) == (reporting, expected)


def test_activity_totals_per_fte_year_and_per_inhabitant(row):
    check(row("department", "77", 2021, "persons_received"), 190, 190, None, 3, 3)
    check(row("department", "77", 2021, "new_cases_per_fte"), 150 / FTE_YEARS_77, 150, FTE_YEARS_77, 3, 3)
    check(row("department", "77", 2021, "actions_per_fte"), 510 / 2.0, 510, 2.0, 3, 3)
    # ongoing cases and child reports: 77-002 did not report them, so neither its cases nor its FTE count.
    check(row("department", "77", 2021, "ongoing_cases_per_fte"), 25 / 1.5, 25, 1.5, 2, 3)
    check(row("department", "77", 2021, "child_in_danger_reports_per_fte"), 6 / 1.5, 6, 1.5, 2, 3)
    per_100k = row("department", "77", 2021, "persons_received_per_100k")
    check(per_100k, 190 / POP_77 * 100_000, 190, POP_77, 3, 3)
    assert per_100k["population_year"] == 2020  # the 2020 population carried forward to 2021
    check(row("position", "77-003", 2021, "persons_received_per_fte"), 30 / 0.5, 30, 0.5, 1, 1)
    assert pd.isna(row("department", "77", 2021, "new_cases")["population_year"])


def test_public_shares_are_over_the_positions_that_reported_the_group(row):
    check(row("department", "77", 2021, "share_victims"), 70 / 150, 70, 150, 3, 3)
    check(row("department", "77", 2021, "share_offenders"), 22 / 150, 22, 150, 3, 3)
    check(row("department", "77", 2021, "share_third_parties"), 48 / 150, 48, 150, 3, 3)
    check(row("department", "77", 2021, "share_women"), 130 / 190, 130, 190, 3, 3)
    # 77-002 left the age group blank: its 60 persons are out of the denominator, not counted as 0 minors.
    check(row("department", "77", 2021, "share_age_minor"), 12 / 130, 12, 130, 2, 3)
    check(row("department", "77", 2021, "share_age_26_59"), 80 / 130, 80, 130, 2, 3)


def test_needs_share_domestic_violence_over_new_plus_ongoing_cases(row):
    # 77-002 did not report ongoing cases, so it is left out of the share.
    check(row("department", "77", 2021, "share_domestic_violence"), 38 / 125, 38, 125, 2, 3)
    check(row("department", "77", 2021, "share_intrafamily_violence"), 10 / 125, 10, 125, 2, 3)


def test_partnership_shares_by_referral_source(row):
    check(row("department", "77", 2021, "share_source_gendarmerie"), 40 / 150, 40, 150, 3, 3)
    check(row("department", "77", 2021, "share_source_self"), 45 / 150, 45, 150, 3, 3)


def test_orientation_per_new_case_excludes_a_position_that_did_not_report_orientations(row):
    check(row("department", "77", 2021, "orientations_per_new_case"), 46 / 100, 46, 100, 2, 3)
    check(row("department", "77", 2021, "orientations_health_per_new_case"), 2 / 100, 2, 100, 2, 3)


def test_coverage(row):
    check(row("department", "77", 2021, "positions_active"), 3, 3, None, 3, 3)
    check(row("department", "77", 2021, "fte"), 2.5, 2.5, None, 3, 3)
    check(row("department", "77", 2021, "meets_standard"), 1, 1, 1, 3, 3)
    check(row("department", "01", 2021, "meets_standard"), 0, 0, 1, 0, 1)
    check(row("department", "77", 2021, "positions_per_150k"), 3 / POP_77 * 150_000, 3, POP_77, 3, 3)
    # 01: 1 position for 650,000 inhabitants, under the target of 1 per 150,000.
    check(row("department", "01", 2021, "meets_target"), 0, 0, 1, 0, 1)
    check(row("national", "FR", 2021, "share_departments_meeting_standard"), 1 / 101, 1, 101, 3, 4)
    check(row("national", "FR", 2021, "share_departments_covered"), 2 / 101, 2, 101, 3, 4)
    check(row("national", "FR", 2021, "positions_per_department"), 4 / 101, 4, 101, 3, 4)
    national_population = 1_400_000 + 650_000 + 99 * 500_000
    check(row("national", "FR", 2021, "positions_per_150k"), 4 / national_population * 150_000, 4,
          national_population, 3, 4)
    check(row("region", "11", 2021, "positions_active"), 3, 3, None, 3, 3)


def test_quality(row):
    check(row("national", "FR", 2021, "share_returns_received"), 3 / 4, 3, 4, 3, 4)
    check(row("department", "01", 2021, "share_returns_received"), 0, 0, 1, 0, 1)
    check(row("department", "77", 2021, "share_reporting_persons_age"), 2 / 3, 2, 3, 3, 3)
    check(row("department", "77", 2021, "share_reporting_orient"), 2 / 3, 2, 3, 3, 3)
    check(row("department", "77", 2021, "share_reporting_cases"), 1, 3, 3, 3, 3)
    check(row("department", "77", 2021, "share_positions_outlier"), 0, 0, 3, 3, 3)


def test_host_and_employer_type_take_the_return_over_the_registry(row):
    # 77-002 is `gendarmerie` in the registry but its return says `mixed`; 01-001 (mixed) did not report.
    check(row("host_type", "mixed", 2021, "persons_received"), 60, 60, None, 1, 2)
    check(row("host_type", "police", 2021, "new_cases_per_fte"), 100 / 1.5, 100, 1.5, 2, 2)
    check(row("employer_type", "local_authority", 2021, "share_women"), 40 / 60, 40, 60, 1, 1)


def test_a_missing_return_never_counts_as_zero(small_programme, row):
    nobody = row("department", "01", 2021, "persons_received")
    assert pd.isna(nobody["value"]) and pd.isna(nobody["numerator"])
    assert (nobody["positions_reporting"], nobody["positions_expected"]) == (0, 1)
    # The national per-FTE rate is the 3 reporting positions' rate, not diluted by a zero for 01-001.
    check(row("national", "FR", 2021, "new_cases_per_fte"), 150 / FTE_YEARS_77, 150, FTE_YEARS_77, 3, 4)
    assert pd.isna(row("department", "01", 2021, "share_women")["value"])
    indicators = small_programme["indicators"]
    assert not ((indicators["level"] == "position") & (indicators["entity"] == "01-001")
                & (indicators["year"] == 2021) & (indicators["value"] == 0)).any()


def test_year_on_year_change_at_national_and_department_level(small_programme, pick):
    # 2022: 77-001 120 persons, 77-003 10; 77-002 missing.
    changes = small_programme["indicator_changes"]
    found = pick(changes, "department", "77", 2022, "persons_received")
    assert (found["value"], found["value_previous_year"]) == (130, 190)
    assert found["change_abs"] == -60 and found["change_rel"] == approx(-60 / 190)
    national = pick(changes, "national", "FR", 2022, "persons_received")
    assert (national["value"], national["value_previous_year"], national["change_abs"]) == (170, 190, -20)
    assert pd.isna(pick(changes, "department", "77", 2021, "persons_received")["value_previous_year"])
    assert set(changes["level"]) == {"national", "department"}


def test_every_catalogue_indicator_appears_at_its_levels_with_one_row_per_entity_year(small_programme):
    indicators = small_programme["indicators"]
    assert not indicators.duplicated(["level", "entity", "year", "indicator"]).any()
    present = set(zip(indicators["indicator"], indicators["level"]))
    assert present == {(i.id, level) for i in CATALOGUE for level in i.levels}
    department = indicators[(indicators["level"] == "department") & (indicators["indicator"] == "share_victims")]
    assert len(department) == 101 * 2
