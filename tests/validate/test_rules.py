"""Every rule id of the contract, both ways: broken → quarantined or warned under that exact id; holding → valid."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from swps_pipeline.contract import HARD_RULES, SOFT_RULES
from swps_pipeline.validate import validate_year

CASES_BLANK = {c: "" for c in ["cases_victim", "cases_offender", "cases_third_party", "cases_public_unknown"]}
SOURCE_BLANK = {c: "" for c in ["source_police", "source_gendarmerie", "source_self", "source_social_services",
                                "source_justice", "source_health", "source_education", "source_association",
                                "source_other"]}

BROKEN = [
    ("required", {"fte": ""}),
    ("required", {"actions": "NR"}),
    ("type", {"persons_received": "abc"}),
    ("type", {"year": "2021.5"}),
    ("type", {"fte": "0,8,1"}),
    ("type", {"orient_other": "1 2"}),  # a space that is not a thousands separator
    ("range", {"child_in_danger_reports": "-1"}),
    ("range", {"fte": "1,5"}),
    ("range", {"fte": "0"}),
    ("range", {"months_active": "13"}),
    ("range", {"cost_eur": "-5"}),
    ("enum", {"host_type": "Préfecture"}),
    ("enum", {"employer_type": "Mairie"}),
    ("department_code", {"department_code": "99", "position_id": "99-003"}),
    ("department_code", {"department_code": "20", "position_id": "20-003"}),
    ("position_id", {"position_id": "77-03"}),
    ("position_id", {"position_id": "78-003"}),
    ("year_mismatch", {"year": "2020"}),
    ("sum_cases", {"cases_victim": "51"}),
    ("sum_persons_sex", {"persons_men": "26"}),
    ("sum_persons_age", {"persons_age_minor": "11"}),
    ("sum_source", {"source_other": "3"}),
    ("unknown_negative", {"cases_public_unknown": "", "cases_victim": "60"}),  # 60 + 10 + 15 > 80
    ("unknown_negative", {"persons_sex_unknown": "-", "persons_women": "80"}),  # 80 + 25 > 100
    ("problem_bound", {"problem_housing": "101"}),  # > new_cases 80 + ongoing_cases 20
    ("problem_bound", {"ongoing_cases": "", "problem_housing": "181"}),  # > new_cases 80 + persons_received 100
]

HOLDING = [
    {"fte": "1"},
    {"fte": "0,5"},
    {"months_active": "1"},
    {"child_in_danger_reports": "0"},
    {"cost_eur": "0"},
    {"host_type": "Commissariat"},
    {"host_type": "BRIGADE"},
    {"employer_type": "Collectivité"},
    {"employer_type": "autre public"},
    {"department_code": "2A", "position_id": "2A-001"},
    {"department_code": "1", "position_id": "01-004"},
    {"department_code": "976", "position_id": "976-001"},
    {"problem_housing": "100"},
    {"ongoing_cases": "", "problem_housing": "180"},
    {"cases_public_unknown": "", "cases_victim": "55"},  # derived as 0
    {"source_other": ""},  # a partly reported group is not summed
    {"persons_women": "", "persons_men": "", "persons_sex_unknown": ""},  # a group left blank
    {"ongoing_cases": "N.R.", "cost_eur": "n/a", "months_active": "-"},
]


def test_every_hard_rule_id_is_exercised():
    assert {rule for rule, _ in BROKEN} | {"conflicting_duplicate"} == set(HARD_RULES)


@pytest.mark.parametrize(("rule", "changes"), BROKEN, ids=[f"{r}-{'-'.join(c)}" for r, c in BROKEN])
def test_broken_rule_quarantines_the_row_under_its_id(rule, changes, valid_return, write_return, data_dir):
    write_return([valid_return | changes])
    result = validate_year(data_dir, 2021, None)
    assert result.returns_valid.empty
    quarantined = result.returns_quarantine.iloc[0]
    assert quarantined["rules"] == rule
    assert quarantined["source_file"] == "returns/2021/return.csv"
    assert quarantined["source_row"] == 2
    assert quarantined["year"] == 2021
    assert any(column in quarantined["message"] for column in changes)


@pytest.mark.parametrize("changes", HOLDING, ids=["-".join(f"{k}={v}" for k, v in c.items()) for c in HOLDING])
def test_rule_holding_keeps_the_row(changes, valid_return, write_return, data_dir):
    write_return([valid_return | changes])
    result = validate_year(data_dir, 2021, None)
    assert result.returns_quarantine.empty
    assert len(result.returns_valid) == 1


def test_values_of_a_valid_row_are_typed(valid_return, write_return, data_dir):
    write_return([valid_return | {"department_code": "1", "position_id": "01-004", "host_type": "Commissariat",
                                  "employer_type": "Département", "fte": "0,8", "cost_eur": "52\u00a0000,50",
                                  "persons_received": "1\u202f000", "persons_women": "970", "persons_men": "25",
                                  "persons_age_26_59": "950"}])
    row = validate_year(data_dir, 2021, None).returns_valid.iloc[0]
    assert (row["department_code"], row["position_id"], row["host_type"], row["employer_type"]) == (
        "01", "01-004", "police", "local_authority")
    assert row["fte"] == 0.8
    assert row["cost_eur"] == 52000.5
    assert row["persons_received"] == 1000
    assert row["year"] == 2021


def test_not_reported_stays_null_and_months_active_defaults_to_12(valid_return, write_return, data_dir):
    write_return([valid_return | {"ongoing_cases": "NR", "cost_eur": "", "months_active": "",
                                  "persons_women": "", "persons_men": "", "persons_sex_unknown": ""}])
    valid = validate_year(data_dir, 2021, None).returns_valid
    assert valid["ongoing_cases"].isna().all()
    assert valid["persons_women"].isna().all() and valid["persons_sex_unknown"].isna().all()
    assert valid["cost_eur"].isna().all()
    assert valid["months_active"].tolist() == [12]
    assert str(valid["ongoing_cases"].dtype) == "Int64"


def test_an_unreadable_required_value_is_a_type_failure_only(valid_return, write_return, data_dir):
    write_return([valid_return | {"fte": "abc"}])
    quarantined = validate_year(data_dir, 2021, None).returns_quarantine.iloc[0]
    assert quarantined["rules"] == "type"
    assert quarantined["message"] == "fte = 'abc': expected a number (e.g. 0,8 or 0.8)"


def test_digits_other_than_0_to_9_and_numbers_beyond_a_float_are_type_failures(valid_return, write_return,
                                                                                   data_dir):
    """`\\d` matched fullwidth and Arabic-Indic digits, which the conversion then turned into a blank: an optional
    count read as not reported, a cost as unknown, a required count as "blank: it is required"."""
    write_return([valid_return | {"position_id": "77-001", "ongoing_cases": "\uff10"},
                  valid_return | {"position_id": "77-002", "cost_eur": "\uff14\uff15\uff10\uff10\uff10"},
                  valid_return | {"position_id": "77-004", "cost_eur": "9" * 320},
                  valid_return | {"position_id": "77-005", "persons_received": "\u0661\u0660\u0660"},
                  valid_return | {"position_id": "77-\uff10\uff10\uff16"},
                  valid_return])
    result = validate_year(data_dir, 2021, None)
    assert result.returns_valid["position_id"].tolist() == ["77-003"]
    assert result.returns_quarantine[["source_row", "rules", "message"]].values.tolist() == [
        [2, "type", "ongoing_cases = '\uff10': expected a whole number"],
        [3, "type", "cost_eur = '\uff14\uff15\uff10\uff10\uff10': expected a number (e.g. 0,8 or 0.8)"],
        [4, "type", f"cost_eur = '{'9' * 320}': expected a number (e.g. 0,8 or 0.8)"],
        [5, "type", "persons_received = '\u0661\u0660\u0660': expected a whole number"],
        [6, "position_id", "position_id = '77-\uff10\uff10\uff16': expected <department_code>-<3 digits>, e.g. 77-003"]]
    accounting = result.ingestion_accounting.iloc[0]
    assert (accounting["rows_read"], accounting["rows_valid"], accounting["rows_quarantined"]) == (6, 1, 5)


def test_message_names_column_value_and_expectation(valid_return, write_return, data_dir):
    write_return([valid_return | {"fte": "1,5", "year": "2020", "cases_victim": "51"}])
    quarantined = validate_year(data_dir, 2021, None).returns_quarantine.iloc[0]
    assert quarantined["rules"] == "range;year_mismatch;sum_cases"
    assert quarantined["message"].split("; ") == [
        "fte = '1,5': expected a number in (0, 1]",
        "year = '2020': expected 2021, the year of folder returns/2021/ (correct the year or move the file)",
        "cases_victim + cases_offender + cases_third_party + cases_public_unknown = 81, expected new_cases = 80 "
        "(a fully reported group adds up to its total)",
    ]


def test_problem_bound_message_names_the_counts_and_the_bound(valid_return, write_return, data_dir):
    write_return([valid_return | {"problem_housing": "101", "problem_other": "120"}])
    message = validate_year(data_dir, 2021, None).returns_quarantine.iloc[0]["message"]
    assert message == "problem_housing = 101, problem_other = 120: expected at most new_cases + ongoing_cases = 100"


def test_quarantine_keeps_the_row_as_read(valid_return, write_return, data_dir):
    row = valid_return | {"fte": "1,5", "host_site": "Brigade de Saint-Étienne"}
    write_return([row])
    quarantined = validate_year(data_dir, 2021, None).returns_quarantine.iloc[0]
    assert json.loads(quarantined["raw"]) == row
    assert "Saint-Étienne" in quarantined["raw"]  # not escaped


def test_blank_position_id_is_quarantined_with_null_id(valid_return, write_return, data_dir):
    write_return([valid_return | {"position_id": ""}])
    quarantined = validate_year(data_dir, 2021, None).returns_quarantine.iloc[0]
    assert quarantined["rules"] == "required"
    assert pd.isna(quarantined["position_id"])


# Soft rules -------------------------------------------------------------------------------------------------


def _warning_rules(result) -> list[str]:
    return result.returns_warnings["rule"].tolist()


def test_unknown_member_derived_as_the_remainder(valid_return, write_return, data_dir):
    write_return([valid_return | {"cases_public_unknown": "", "persons_age_unknown": "NR", "persons_age_minor": "15"}])
    result = validate_year(data_dir, 2021, None)
    row = result.returns_valid.iloc[0]
    assert row["cases_public_unknown"] == 80 - (50 + 10 + 15)
    assert row["persons_age_unknown"] == 100 - (15 + 20 + 50 + 15)
    assert _warning_rules(result) == ["unknown_derived", "unknown_derived"]
    assert "= 5" in result.returns_warnings["message"].iloc[0]


def test_unknown_member_not_derived_when_another_member_is_blank(valid_return, write_return, data_dir):
    write_return([valid_return | {"cases_public_unknown": "", "cases_offender": ""}])
    result = validate_year(data_dir, 2021, None)
    assert result.returns_valid["cases_public_unknown"].isna().all()
    assert result.returns_warnings.empty


def test_cases_over_persons_both_ways(valid_return, write_return, data_dir):
    over = valid_return | CASES_BLANK | SOURCE_BLANK | {"position_id": "77-004", "new_cases": "101"}
    equal = valid_return | CASES_BLANK | SOURCE_BLANK | {"position_id": "77-005", "new_cases": "100"}
    write_return([over, equal])
    result = validate_year(data_dir, 2021, None)
    assert len(result.returns_valid) == 2
    warned = result.returns_warnings.query("rule == 'cases_over_persons'")
    assert warned["position_id"].tolist() == ["77-004"]
    assert warned["message"].iloc[0].startswith("new_cases = 101 exceeds persons_received = 100")


def test_actions_under_cases_both_ways(valid_return, write_return, data_dir):
    write_return([valid_return | {"position_id": "77-004", "actions": "79"},
                  valid_return | {"position_id": "77-005", "actions": "80"}])
    result = validate_year(data_dir, 2021, None)
    assert result.returns_warnings[["position_id", "rule"]].values.tolist() == [["77-004", "actions_under_cases"]]
    assert result.returns_warnings["source_row"].tolist() == [2]


def test_unregistered_position_needs_the_registry(valid_return, write_return, data_dir, registry):
    write_return([valid_return, valid_return | {"position_id": "77-099"}])
    with_registry = validate_year(data_dir, 2021, registry)
    assert with_registry.returns_warnings[["position_id", "rule"]].values.tolist() == [
        ["77-099", "unregistered_position"]]
    assert validate_year(data_dir, 2021, None).returns_warnings.empty
    assert len(with_registry.returns_valid) == 2


def test_activity_outlier_against_the_national_median_per_fte(write_return, data_dir):
    minimal = {"year": "2021", "department_code": "77", "fte": "1", "new_cases": "10", "actions": "50"}
    persons = [60, *range(91, 110), 1000]  # 21 positions
    rows = [minimal | {"position_id": f"77-{i + 1:03d}", "persons_received": str(p)} for i, p in enumerate(persons)]
    rows[10] |= {"persons_received": "50", "fte": "0,5"}  # the 100 per FTE position, at half time
    write_return(rows)
    # Per FTE: median 100; absolute deviations 40, 0, 1, 1, ..., 9, 9, 900 → MAD 5, scale 1.4826 × 5 = 7.413.
    # 60: z = -40 / 7.413 = -5.4 and 1000: z = 900 / 7.413 = 121.4 are beyond 4; 91 and 109 (z = ∓1.2) are not.
    result = validate_year(data_dir, 2021, None)
    flagged = result.returns_warnings.query("rule == 'activity_outlier'")
    assert flagged["position_id"].tolist() == ["77-001", "77-021"]
    assert "robust z = -5.4" in flagged["message"].iloc[0]
    assert len(result.returns_valid) == 21


def test_no_activity_outlier_when_positions_agree(write_return, data_dir):
    minimal = {"year": "2021", "department_code": "77", "fte": "1", "new_cases": "10", "actions": "50",
               "persons_received": "100"}
    write_return([minimal | {"position_id": f"77-{i:03d}"} for i in range(1, 6)])
    assert validate_year(data_dir, 2021, None).returns_warnings.empty  # MAD 0: robust z undefined


def test_extra_column_warned_once_per_file(valid_return, write_return, data_dir):
    write_return([valid_return | {"Observations": "RAS"}, valid_return | {"position_id": "77-004"}], name="a.csv")
    write_return([valid_return | {"position_id": "77-005"}], name="b.csv")
    result = validate_year(data_dir, 2021, None)
    warnings = result.returns_warnings
    assert warnings[["source_file", "rule"]].values.tolist() == [["returns/2021/a.csv", "extra_column"]]
    assert warnings["source_row"].isna().all()
    assert "Observations" in warnings["message"].iloc[0]
    assert "Observations" not in result.returns_valid.columns


def test_warning_rule_ids_are_the_contract_soft_rules(valid_return, write_return, data_dir, registry):
    write_return([valid_return | {"Notes": "x", "cases_public_unknown": "", "actions": "79", "position_id": "77-099"},
                  valid_return | {"position_id": "77-001"}, valid_return | {"position_id": "77-001"}])
    rules = set(validate_year(data_dir, 2021, registry).returns_warnings["rule"])
    assert rules == {"extra_column", "unknown_derived", "actions_under_cases", "unregistered_position",
                     "duplicate_identical"}
    assert rules <= set(SOFT_RULES)
