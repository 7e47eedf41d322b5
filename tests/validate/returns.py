"""A return that breaks no rule, shared by the validation and the fuzzing tests."""

#: One position's return (canonical headers, text cells): every group adds up, every bound holds.
VALID_RETURN = {
    "year": "2021", "department_code": "77", "position_id": "77-003", "host_type": "police",
    "host_site": "Commissariat de Meaux", "employer_type": "association", "fte": "0.8", "months_active": "12",
    "cost_eur": "52000", "persons_received": "100", "new_cases": "80", "ongoing_cases": "20", "actions": "300",
    "child_in_danger_reports": "5",
    "cases_victim": "50", "cases_offender": "10", "cases_third_party": "15", "cases_public_unknown": "5",
    "persons_women": "70", "persons_men": "25", "persons_sex_unknown": "5",
    "persons_age_minor": "10", "persons_age_18_25": "20", "persons_age_26_59": "50", "persons_age_60_plus": "15",
    "persons_age_unknown": "5",
    "source_police": "30", "source_gendarmerie": "10", "source_self": "10", "source_social_services": "10",
    "source_justice": "5", "source_health": "5", "source_education": "5", "source_association": "3",
    "source_other": "2",
    "problem_domestic_violence": "40", "problem_intrafamily_violence": "20", "problem_child_protection": "5",
    "problem_other": "3",
    "orient_social_services": "10", "orient_victim_support": "12", "orient_other": "1",
}
