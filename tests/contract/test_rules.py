"""Every rule id of the contract both ways: broken → the row is quarantined (hard) or warned (soft) under that
exact id, with a message naming the column, the value and what was expected; holding → the row is valid."""

from __future__ import annotations

import json

import pytest

from swps_pipeline.contract import GROUPS, HARD_RULES, REGISTRY_COLUMNS, REQUIRED, SOFT_RULES
from swps_pipeline.ingest.registry import read_registry

BLANK_CASES_AND_SOURCES = {c: None for c in GROUPS["cases"] + GROUPS["source"]}

#: (rule, cells changed in the valid return, the whole quarantine message).
BROKEN = [
    *[("required", {column: None}, f"{column} is blank: it is required") for column in REQUIRED],
    ("type", {"persons_received": "abc"}, "persons_received = 'abc': expected a whole number"),
    ("type", {"orient_legal": "1,5"}, "orient_legal = '1,5': expected a whole number"),
    ("type", {"year": "2022.5"}, "year = '2022.5': expected a whole number, the year (e.g. 2021)"),
    ("type", {"fte": "0,8,1"}, "fte = '0,8,1': expected a number (e.g. 0,8 or 0.8)"),
    ("type", {"cost_eur": "48k"}, "cost_eur = '48k': expected a number (e.g. 0,8 or 0.8)"),
    ("range", {"child_in_danger_reports": -1}, "child_in_danger_reports = '-1': expected a whole number ≥ 0"),
    ("range", {"fte": 0}, "fte = '0': expected a number in (0, 1]"),
    ("range", {"fte": 1.2}, "fte = '1.2': expected a number in (0, 1]"),
    ("range", {"fte": "1,2"}, "fte = '1,2': expected a number in (0, 1]"),
    ("range", {"months_active": 13}, "months_active = '13': expected a whole number from 1 to 12"),
    ("range", {"months_active": 0}, "months_active = '0': expected a whole number from 1 to 12"),
    ("range", {"cost_eur": -1.0}, "cost_eur = '-1': expected an amount ≥ 0"),
    ("enum", {"host_type": "Préfecture"}, "host_type = 'Préfecture': expected one of police (Police, "
                                          "Commissariat), gendarmerie (Gendarmerie, Brigade), mixed (Mixte)"),
    ("enum", {"employer_type": "Mairie"}, "employer_type = 'Mairie': expected one of association (Association), "
                                          "local_authority (Collectivité, Commune, Département, EPCI), "
                                          "other_public (Autre public)"),
    ("department_code", {"department_code": "99", "position_id": "99-002"},
     "department_code = '99': expected one of the 101 official codes (01–19, 2A, 2B, 21–95, 971–974, 976)"),
    ("department_code", {"department_code": "20", "position_id": "20-002"},
     "department_code = '20': expected one of the 101 official codes (01–19, 2A, 2B, 21–95, 971–974, 976)"),
    ("position_id", {"position_id": "13-02"}, "position_id = '13-02': expected <department_code>-<3 digits>, "
                                              "e.g. 77-003"),
    ("position_id", {"position_id": "13002"}, "position_id = '13002': expected <department_code>-<3 digits>, "
                                              "e.g. 77-003"),
    ("position_id", {"position_id": "83-002"},
     "position_id = '83-002' does not start with department_code '13': correct one of them"),
    ("year_mismatch", {"year": 2021},
     "year = '2021': expected 2022, the year of folder returns/2022/ (correct the year or move the file)"),
    ("sum_cases", {"cases_victim": 61}, "cases_victim + cases_offender + cases_third_party + cases_public_unknown "
                                        "= 91, expected new_cases = 90 (a fully reported group adds up to its total)"),
    ("sum_persons_sex", {"persons_men": 34}, "persons_women + persons_men + persons_sex_unknown = 119, expected "
                                             "persons_received = 120 (a fully reported group adds up to its total)"),
    ("sum_persons_age", {"persons_age_minor": 13},
     "persons_age_minor + persons_age_18_25 + persons_age_26_59 + persons_age_60_plus + persons_age_unknown = 121, "
     "expected persons_received = 120 (a fully reported group adds up to its total)"),
    ("sum_source", {"source_other": 3},
     "source_police + source_gendarmerie + source_self + source_social_services + source_justice + source_health "
     "+ source_education + source_association + source_other = 91, expected new_cases = 90 (a fully reported "
     "group adds up to its total)"),
    ("unknown_negative", {"cases_public_unknown": None, "cases_victim": 70},
     "cases_victim + cases_offender + cases_third_party = 95 exceeds new_cases = 90 (cases_public_unknown blank: "
     "the known members cannot exceed the total)"),
    ("unknown_negative", {"persons_sex_unknown": "NR", "persons_women": 90},
     "persons_women + persons_men = 125 exceeds persons_received = 120 (persons_sex_unknown blank: the known "
     "members cannot exceed the total)"),
    ("unknown_negative", {"persons_age_unknown": "-", "persons_age_minor": 30},
     "persons_age_minor + persons_age_18_25 + persons_age_26_59 + persons_age_60_plus = 133 exceeds "
     "persons_received = 120 (persons_age_unknown blank: the known members cannot exceed the total)"),
    ("problem_bound", {"problem_housing": 121},  # new_cases 90 + ongoing_cases 30
     "problem_housing = 121: expected at most new_cases + ongoing_cases = 120"),
    ("problem_bound", {"ongoing_cases": None, "problem_housing": 211},  # new_cases 90 + persons_received 120
     "problem_housing = 211: expected at most new_cases + persons_received = 210"),
]

#: (rule, cells changed in the valid return) that keep the rule holding, at its edge where it has one.
HOLDING = [
    ("required", {"ongoing_cases": None, "cost_eur": None, "host_type": None, "months_active": None}),
    ("type", {"persons_received": " 120 ", "fte": "0,80", "cost_eur": "48 000,00", "year": "2022"}),
    ("range", {"child_in_danger_reports": 0, "fte": 1.0, "months_active": 1, "cost_eur": 0.0}),
    ("range", {"fte": 0.01, "months_active": 12}),
    ("enum", {"host_type": "Commissariat", "employer_type": "Collectivité"}),
    ("enum", {"host_type": "BRIGADE", "employer_type": "autre public"}),
    ("enum", {"host_type": "Mixte", "employer_type": "EPCI"}),
    ("department_code", {"department_code": "2A", "position_id": "2A-002"}),
    ("department_code", {"department_code": "2b", "position_id": "2b-002"}),
    ("department_code", {"department_code": "976", "position_id": "976-002"}),
    ("department_code", {"department_code": "1", "position_id": "01-002"}),
    ("position_id", {"position_id": "13-999"}),
    ("year_mismatch", {"year": 2022}),
    ("sum_cases", {"cases_victim": None}),  # a partly reported group is not summed
    ("sum_persons_sex", {"persons_women": None, "persons_men": None, "persons_sex_unknown": None}),
    ("sum_persons_age", {"persons_age_minor": "NR"}),
    ("sum_source", {"source_police": 41, "source_other": 1}),
    ("problem_bound", {"problem_housing": 120}),
    ("problem_bound", {"ongoing_cases": None, "problem_housing": 210}),
    ("problem_bound", {"ongoing_cases": 0, "problem_domestic_violence": 90, "problem_housing": 90}),
]


def test_every_rule_id_is_tested_both_ways():
    assert {rule for rule, _, _ in BROKEN} | {"conflicting_duplicate"} == set(HARD_RULES)
    assert {rule for rule, _ in HOLDING} | {"unknown_negative", "conflicting_duplicate"} == set(HARD_RULES)
    assert {rule for rule, *_ in SOFT} | {"unknown_derived", "duplicate_identical", "extra_column", "extra_sheet",
                                          "unregistered_position", "activity_outlier"} == set(SOFT_RULES)


@pytest.mark.parametrize(("rule", "changes", "message"), BROKEN,
                         ids=[f"{rule}-{'-'.join(changes)}" for rule, changes, _ in BROKEN])
def test_broken_hard_rule_quarantines_under_its_id(folder, rule, changes, message):
    folder.csv([folder.row(position_id="13-001"), folder.row(**changes)])
    result = folder.validate()
    assert result.returns_valid["position_id"].tolist() == ["13-001"]
    quarantine = result.returns_quarantine
    assert quarantine[["source_file", "source_row", "year", "rules", "message"]].values.tolist() == [
        ["returns/2022/return.csv", 3, 2022, rule, message]]
    raw = json.loads(quarantine["raw"].iloc[0])
    assert {column: raw[column] for column in changes} == {c: folder.cell(v) for c, v in changes.items()}


@pytest.mark.parametrize(("rule", "changes"), HOLDING, ids=[f"{rule}-{'-'.join(c)}" for rule, c in HOLDING])
def test_holding_hard_rule_keeps_the_row(folder, rule, changes):
    folder.csv([folder.row(**changes)])
    result = folder.validate()
    assert result.returns_quarantine.empty
    assert len(result.returns_valid) == 1
    assert result.returns_warnings.empty


def test_holding_values_are_stored_in_their_types(folder):
    folder.csv([folder.row(persons_received=" 120 ", fte="0,80", cost_eur="48 000,00", host_type="BRIGADE",
                           employer_type="autre public", department_code="2b", position_id="2b-002")])
    row = folder.validate().returns_valid.iloc[0]
    assert (row["persons_received"], row["fte"], row["cost_eur"]) == (120, 0.8, 48000.0)
    assert (row["host_type"], row["employer_type"]) == ("gendarmerie", "other_public")
    assert (row["department_code"], row["position_id"]) == ("2B", "2B-002")


def test_every_broken_rule_of_a_row_is_listed_with_its_message(folder):
    folder.csv([folder.row(fte=1.5, year=2021, host_type="Préfecture", cases_victim=61)])
    quarantined = folder.validate().returns_quarantine.iloc[0]
    assert quarantined["rules"] == "range;enum;year_mismatch;sum_cases"
    assert quarantined["message"].split("; ")[:3] == [
        "fte = '1.5': expected a number in (0, 1]",
        "host_type = 'Préfecture': expected one of police (Police, Commissariat), gendarmerie (Gendarmerie, Brigade), "
        "mixed (Mixte)",
        "year = '2021': expected 2022, the year of folder returns/2022/ (correct the year or move the file)",
    ]


def test_a_quarantined_row_keeps_its_raw_cells_under_the_file_headers(folder):
    folder.csv([folder.row(fte="1,5") | {"Commentaire": "à revoir"}], labels="fr", separator=";")
    raw = json.loads(folder.validate().returns_quarantine["raw"].iloc[0])
    assert (raw["ETP"], raw["Identifiant du poste"], raw["Commentaire"]) == ("1,5", "13-002", "à revoir")


def test_conflicting_duplicate_across_two_files_quarantines_every_copy(folder):
    folder.csv([folder.row(position_id="13-001"), folder.row()], name="a.csv")
    folder.xlsx([folder.row(actions=401)], name="b.xlsx")
    result = folder.validate()
    assert result.returns_valid["position_id"].tolist() == ["13-001"]
    expected = ("13-002 has several different returns for 2022 (returns/2022/a.csv row 3; returns/2022/b.xlsx "
                "row 2): all are quarantined, nothing is guessed; send one corrected return")
    assert result.returns_quarantine[["source_file", "source_row", "position_id", "rules", "message"]].values.tolist() \
        == [["returns/2022/a.csv", 3, "13-002", "conflicting_duplicate", expected],
            ["returns/2022/b.xlsx", 2, "13-002", "conflicting_duplicate", expected]]


def test_identical_duplicate_is_kept_once_whatever_the_spelling(folder):
    folder.csv([folder.row()], name="a.csv")
    folder.csv([folder.row()], name="b.csv", separator=";", decimal=",", labels="fr")  # fte '0,8' is 0.8
    folder.xlsx([folder.row()], name="c.xlsx")
    result = folder.validate()
    assert result.returns_valid[["source_file", "source_row"]].values.tolist() == [["returns/2022/a.csv", 2]]
    assert result.returns_quarantine.empty
    assert result.returns_warnings[["source_file", "source_row", "rule", "message"]].values.tolist() == [
        ["returns/2022/b.csv", 2, "duplicate_identical",
         "identical copy of the return of 13-002 kept at returns/2022/a.csv row 2: this copy is dropped"],
        ["returns/2022/c.xlsx", 2, "duplicate_identical",
         "identical copy of the return of 13-002 kept at returns/2022/a.csv row 2: this copy is dropped"],
    ]
    assert result.ingestion_accounting["rows_duplicate_dropped"].tolist() == [0, 1, 1]


def test_two_identical_copies_and_a_different_one_are_all_quarantined(folder):
    folder.csv([folder.row(), folder.row(), folder.row(fte=1.0)])
    result = folder.validate()
    assert result.returns_valid.empty
    assert result.returns_quarantine["source_row"].tolist() == [2, 3, 4]
    assert set(result.returns_quarantine["rules"]) == {"conflicting_duplicate"}


def test_same_position_in_another_year_is_no_duplicate(folder):
    folder.csv([folder.row()])
    folder.csv([folder.row(year=2021)], year=2021)
    assert folder.validate().returns_quarantine.empty
    assert folder.validate(year=2021).returns_quarantine.empty


#: (rule, cells that break it, cells at the edge where it holds, the warning message).
SOFT = [
    ("cases_over_persons", {"new_cases": 121, **BLANK_CASES_AND_SOURCES}, {"new_cases": 120, **BLANK_CASES_AND_SOURCES},
     "new_cases = 121 exceeds persons_received = 120: check both figures"),
    ("actions_under_cases", {"actions": 89}, {"actions": 90},
     "actions = 89 is below new_cases = 90: each new case takes at least one action; check both figures"),
]


@pytest.mark.parametrize(("rule", "broken", "holding", "message"), SOFT, ids=[rule for rule, *_ in SOFT])
def test_soft_rule_both_ways(folder, rule, broken, holding, message):
    folder.csv([folder.row(position_id="13-001", **holding), folder.row(**broken)])
    result = folder.validate()
    assert result.returns_quarantine.empty
    assert result.returns_valid["position_id"].tolist() == ["13-001", "13-002"]
    assert result.returns_warnings[["source_row", "position_id", "rule", "message"]].values.tolist() == [
        [3, "13-002", rule, message]]


def test_unregistered_position_is_warned_against_the_registry(folder):
    folder.csv([folder.row(position_id="13-001"), folder.row(position_id="13-007")])
    positions = folder.data_dir / "positions.csv"
    positions.write_text(",".join(REGISTRY_COLUMNS) + "\n13-001,13,police,,association,2019-01-01,,1\n"
                         "13-002,13,police,,association,2019-01-01,,1\n")
    registry = read_registry(positions)
    warnings = folder.validate(registry=registry).returns_warnings
    assert warnings[["source_row", "position_id", "rule", "message"]].values.tolist() == [
        [3, "13-007", "unregistered_position",
         "13-007 is not in positions.csv: register the position or correct the id"]]


def test_unregistered_position_is_skipped_without_a_registry(folder):
    folder.csv([folder.row(position_id="13-007")])
    result = folder.validate(registry=None)
    assert result.returns_warnings.empty and len(result.returns_valid) == 1


def normal_year(folder, odd_persons: int):
    """20 positions receiving 100..119 persons on one FTE (median 110, MAD 5), and 13-021 receiving `odd_persons`
    (50 new cases each, the groups left blank, so that no other rule is met)."""
    blank_groups = {c: None for c in GROUPS["persons_sex"] + GROUPS["persons_age"]} | BLANK_CASES_AND_SOURCES
    blank_groups["new_cases"] = 50
    rows = [folder.row(position_id=f"13-{i + 1:03d}", fte=1.0, persons_received=100 + i, **blank_groups)
            for i in range(20)]
    folder.csv([*rows, folder.row(position_id="13-021", fte=1.0, persons_received=odd_persons, **blank_groups)])
    return folder.validate().returns_warnings


def test_activity_outlier_far_from_the_median_is_warned(folder):
    # robust z = (1000 - 110) / (1.4826 × 5) = 120.06
    warnings = normal_year(folder, 1000)
    assert warnings[["position_id", "rule", "message"]].values.tolist() == [
        ["13-021", "activity_outlier", "persons_received per FTE = 1000.0, robust z = 120.1 from the national "
                                       "median 110.0 (threshold ±4): check persons_received and fte"]]


@pytest.mark.parametrize(("persons", "flagged"), [(140, True), (139, False), (79, True), (80, False)])
def test_activity_outlier_threshold_is_four_robust_z(folder, persons, flagged):
    # MAD stays 5 (1.4826 × 5 = 7.413); the median is 110 above, 109 when the odd value is below it:
    # 140 → z = 4.05, 139 → 3.91, 79 → -4.05, 80 → -3.91
    warnings = normal_year(folder, persons)
    assert warnings["position_id"].tolist() == (["13-021"] if flagged else [])
    assert set(warnings["rule"]) <= {"activity_outlier"}


def test_activity_outlier_uses_persons_per_fte(folder):
    """Half an FTE receiving 60 persons is 120 per FTE: not an outlier; a full FTE receiving 60 would be."""
    blank_groups = {c: None for c in GROUPS["persons_sex"] + GROUPS["persons_age"]}
    rows = [folder.row(position_id=f"13-{i + 1:03d}", fte=1.0, persons_received=100 + i, **blank_groups)
            for i in range(20)]
    folder.csv([*rows, folder.row(position_id="13-021", fte=0.5, persons_received=60, new_cases=60,
                                  **blank_groups, **BLANK_CASES_AND_SOURCES)])
    assert folder.validate().returns_warnings.empty
