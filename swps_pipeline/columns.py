"""The column dictionary: what every column of every published table means, written once.

The Dagster UI's column schemas, `docs/columns.md` and the test that checks
`docs/outputs.md` all read it. The columns of the return template are
described from `contract.py` (its French labels and groups), the indicator
vocabulary from the indicator catalogue; the rest is written here. A column
keeps one meaning across tables unless `TABLE_COLUMNS` says otherwise, and
the count columns of the aggregate tables are described as sums.
"""

from __future__ import annotations

from swps_pipeline import contract
from swps_pipeline.indicators.catalogue import LEVELS, QUESTIONS, STANDARD_POSITIONS_PER_DEPARTMENT

#: The template's identification and activity columns (shared/contract/position_returns.md).
_RETURN_COLUMNS = {
    "year": "Calendar year of activity (the `<YYYY>` of the returns folder).",
    "department_code": "Official département code (01–19, 2A, 2B, 21–95, 971–974, 976), as text.",
    "position_id": "Position identifier `<department_code>-<3 digits>`, e.g. 77-003.",
    "host_type": "Host of the position: police, gendarmerie or mixed.",
    "host_site": "Name of the police station or gendarmerie unit hosting the position.",
    "employer_type": "Employer of the social worker: association, local_authority or other_public.",
    "fte": "Full-time equivalent of the position (0 < fte ≤ 1).",
    "months_active": "Months of activity in the year (1–12; a blank return value is stored as 12).",
    "cost_eur": "Full cost of the position for the year in euros, when reported (null otherwise).",
    "persons_received": "Persons who had at least one interview in the year.",
    "new_cases": "Situations opened in the year.",
    "ongoing_cases": "Situations carried over from earlier years.",
    "actions": "Professional actions taken in the year.",
    "child_in_danger_reports": "Reports of a child in danger (informations préoccupantes and signalements).",
}
_GROUPS = {
    "cases": "New cases concerning {member} (group `cases_*`, sums to new_cases)",
    "persons_sex": "Persons received, {member} (group `persons_sex_*`, sums to persons_received)",
    "persons_age": "Persons received aged {member} (group `persons_age_*`, sums to persons_received)",
    "source": "New cases that came {member} (group `source_*`, sums to new_cases)",
    "problem": "Cases of the year with the problem {member} (several problems per case allowed)",
    "orient": "Orientations made towards {member}",
}
_MEMBER_PREFIX = {"cases": "cases_", "persons_sex": "persons_", "persons_age": "persons_age_",
                  "source": "source_", "problem": "problem_", "orient": "orient_"}


def _member(group: str, column: str) -> str:
    words = column.removeprefix(_MEMBER_PREFIX[group]).replace("_", " ")
    if group == "source":
        words = {"self": "on the person's own initiative", "other": "from another origin"}.get(words, f"via {words}")
    return words.replace("18 25", "18-25").replace("26 59", "26-59").replace("60 plus", "60 or over")


def _template_column(column: contract.ReturnColumn) -> str:
    text = _RETURN_COLUMNS.get(column.name) or _GROUPS[column.group].format(member=_member(column.group, column.name))
    return f"{text.rstrip('.')}. Template label « {column.label} »."


_LEVELS = ", ".join(LEVELS)
_FAMILIES = ", ".join(QUESTIONS)
_SCOPE = {
    "scope_level": "Geographic level of the cost-benefit scope: national or department.",
    "scope_entity": "Entity of the scope: the nation (as in indicators.entity) or a département code.",
    "first_year": "First year of activity in the scope.",
    "last_year": "Last year of activity in the scope.",
    "discount_rate_name": "Name of the discount rate used (economics/parameters.yaml, discount_rates).",
    "discount_rate": "Annual real discount rate used (0.032 = 3.2 %).",
    "base_year": "Year every flow is discounted to.",
    "price_year": "Euros of this year in every amount of the row (INSEE consumer price index).",
    "effect_source": "Where the programme's effect comes from: literature (the prior of parameters.yaml) or "
    "impact_estimate (the impact_estimates mart).",
}

#: Columns outside the template, by name (one meaning wherever they appear).
COLUMNS: dict[str, str] = {
    **_SCOPE,
    # reference and registry
    "department_name": "Name of the département (INSEE official geography).",
    "region_code": "INSEE code of the région the département belongs to.",
    "region_name": "Name of the région.",
    "start_date": "First day of activity of the position (registry).",
    "end_date": "Last day of activity of the position (registry); null while active.",
    "local_funders": "Number of local bodies that co-fund the position (registry).",
    # ingestion
    "source_file": "File the row was read from, relative to SWPS_DATA_DIR, with / separators.",
    "source_row": "1-based line (CSV) or sheet row (XLSX) of the row in its file; null for a file-level warning.",
    "rules": "Rule ids the row broke, `;`-separated (shared/contract/position_returns.md, Rules).",
    "rule": "Rule id of the warning (soft rule of shared/contract/position_returns.md).",
    "message": "What is wrong and what to do, for the person who filled the return.",
    "raw": "The row as read from the file, as JSON: each column under its header; a cell without a value as {\"formula\": ...} or {\"error\": ...}; a CSV row's cells beyond the header as a list under \"(beyond the header)\".",
    "reason": "Why the whole file was rejected (empty, not CSV/XLSX, undecodable, no header, required column missing).",
    "rows_read": "Rows read from the file (blank rows aside).",
    "rows_valid": "Rows accepted into returns_valid.",
    "rows_quarantined": "Rows set aside in returns_quarantine.",
    "rows_summary_skipped": "Summary rows (no position id, first cell starting with 'total') skipped.",
    "rows_duplicate_dropped": "Identical copies of a row dropped (kept once, with a warning).",
    "file_rejected": "True when the whole file was rejected (see files_rejected); its counts are then 0.",
    "rows_superseded": "Rows replaced by a row of the same position in `returns/<year>/corrections/`.",
    # collection
    "returns_received": "Positions with a return received: returns_valid + returns_quarantined.",
    "returns_valid": "Positions with a valid return.",
    "returns_quarantined": "Positions (or unreadable rows) whose return was quarantined.",
    "returns_missing": "Expected positions that sent nothing at all.",
    "files_rejected": "Files of the département rejected whole.",
    "correction_files": "Correction files received (`returns/<year>/corrections/`).",
    "last_file_date": "Date of the département's last file.",
    "lines_to_correct": "Lines the département must correct (quarantined).",
    "lines_to_check": "Lines kept with a warning, to check.",
    "xlsx": "File name of the département's XLSX feedback under `feedback/<year>/`.",
    "html": "File name of the département's printable HTML feedback under `feedback/<year>/`.",
    # panel
    "registered": "True when the position is in the registry.",
    "expected": "True when the registry says the position was active on at least one day of the year.",
    "has_return": "True when a valid return exists for the position and year.",
    "months_registered": "Months of the year within the registry's start and end dates.",
    "fte_years": "FTE-years of activity: fte × months_active / 12.",
    "positions_active": "Positions active on at least one day of the year (registry).",
    "positions_reporting": "Active positions with a valid return for the year.",
    "positions_missing": "Active positions without a valid return (see missing_returns).",
    "meets_standard": f"True when the département has at least {STANDARD_POSITIONS_PER_DEPARTMENT} active positions "
    "(Grenelle standard).",
    "departments_covered": "Départements with at least one active position.",
    "departments_meeting_standard": f"Départements with at least {STANDARD_POSITIONS_PER_DEPARTMENT} active "
    "positions.",
    "departments_below_standard": f"Départements with fewer than {STANDARD_POSITIONS_PER_DEPARTMENT} active positions.",
    "mean_positions_per_department": "Active positions divided by the 101 départements.",
    # indicators
    "indicator": "Indicator id; its definition is in indicator_definitions and docs/indicators.md.",
    "family": f"Family of the indicator, one per evaluation question: {_FAMILIES}.",
    "label_en": "Label of the indicator in English.",
    "label_fr": "Label of the indicator in French.",
    "formula": "How the indicator is computed: numerator / denominator × scale.",
    "numerator": "Numerator of the indicator, summed over the positions that reported its terms.",
    "denominator": "Denominator of the indicator (null for a plain count).",
    "scale": "Multiplier applied to numerator / denominator (e.g. 100,000 for a rate per 100,000 inhabitants).",
    "levels": "Levels at which the indicator is published.",
    "reported_over": "Which positions the indicator is computed over (those that reported its terms).",
    "question": "The evaluation question the indicator answers.",
    "level": f"Level of the entity: {_LEVELS}.",
    "entity": "The entity at that level: FR, a région or département code, a position id, a host or employer type.",
    "value": "Value of the indicator, in the unit of indicator_definitions.unit; null when nobody reported it.",
    "positions_expected": "Positions expected to report at this level and year (registry).",
    "population_year": "Year of the population figure used (the latest available is carried forward).",
    "value_previous_year": "Value of the same indicator and entity the year before.",
    "change_abs": "value − value_previous_year.",
    "change_rel": "value / value_previous_year − 1 (0.10 = +10 %).",
    "median": "Median of the indicator over the entities of the level and year.",
    "mad": "Median absolute deviation of the indicator over the entities of the level and year.",
    "robust_z": "(value − median) / (1.4826 × mad): above 4 in absolute value, the value is an outlier.",
    # costs
    "cost_source": "Where cost_eur comes from: reported, default (52,500 € of 2022 per FTE-year, in the year's "
    "euros) or no_return.",
    "police_office_cost_eur": "Cost of the office provided by the police or gendarmerie, in euros.",
    "total_cost_eur": "cost_eur + police_office_cost_eur, in euros.",
    "state_refund_eur": "State refund: 80 / 50 / 30 % of the cost over a position's first 36 months, in euros.",
    "local_share_eur": "Cost left to local funders: cost_eur − state_refund_eur, in euros.",
    "positions": "Position-years of cost_position_year in the group (expected or reporting positions).",
    "positions_costed": "Positions with a cost figure (a valid return) for the year.",
    "cost_per_new_case": "Total cost / new cases, over positions reporting both, in euros.",
    "cost_per_person_received": "Total cost / persons received, over positions reporting both, in euros.",
    "cost_per_action": "Total cost / professional actions, over positions reporting both, in euros.",
    "cost_per_domestic_violence_case": "Cost of the positions that reported domestic-violence cases / those cases, "
    "in euros: its numerator is not total_cost_eur, which covers every position with a return.",
    "positions_covered": "Positions whose cost and activity enter the figure.",
    "positions_covered_domestic_violence": "Positions whose cost and domestic-violence cases enter the figure.",
    # cost-benefit
    "channels": "Benefit and cost channels switched on, comma-separated.",
    "position_years_covered": "Position-years whose costs and activity enter the scope.",
    "n_draws": "Monte Carlo draws.",
    "seed": "Random seed of the Monte Carlo draws (same seed, same figures): every scope of a run uses the same "
    "seed, so the same draws of the parameters, and differs from another only through its data.",
    "pv_costs_mean_eur": "Mean present value of the costs over the draws, in euros.",
    "pv_benefits_mean_eur": "Mean present value of the benefits over the draws, in euros.",
    "npv_mean_eur": "Mean net present value over the draws, in euros.",
    "npv_p5_eur": "5th percentile of the net present value over the draws, in euros.",
    "npv_p50_eur": "Median net present value over the draws, in euros.",
    "npv_p95_eur": "95th percentile of the net present value over the draws, in euros.",
    "benefit_cost_ratio": "Mean benefits / mean costs (the same as benefit_cost_ratio_mean, kept for readers of "
    "the earlier name); null when the mean benefits are negative.",
    "benefit_cost_ratio_mean": "Mean present value of the benefits / mean present value of the costs; null when "
    "the mean benefits are negative (a ratio of a loss to a cost means nothing: read the NPV).",
    "headline": "True on the one row to quote: national, whole period, the chosen effect source.",
    "channels_without_data": "Enabled channels no position-year of the scope reports a count for: off for the "
    "scope, benefits and costs alike.",
    "position_years_left_out": "Valid returns missing a count a channel reads, left out of costs and benefits.",
    "position_years_imputed": "Valid returns missing a count a channel reads, imputed on the scope's rate per "
    "FTE-year.",
    "npv_std_error_eur": "Monte Carlo standard error of npv_mean_eur, in euros.",
    "npv_per_position_year_eur": "npv_mean_eur / the scope's FTE-years discounted like the NPV: per full-time "
    "position-year, in euros.",
    "npv_per_person_received_eur": "npv_mean_eur / the scope's persons received discounted like the NPV, in euros.",
    "pv_public_costs_mean_eur": "Mean present value of the gross outlays of the State and local authorities, in "
    "euros.",
    "npv_per_public_euro": "npv_mean_eur / pv_public_costs_mean_eur: net value per euro of public money.",
    "pv_costs_at_means_eur": "Present value of the costs with every parameter at its mean, in euros.",
    "pv_benefits_at_means_eur": "Present value of the benefits with every parameter at its mean, in euros.",
    "npv_at_means_eur": "Net present value with every parameter at its mean (the deterministic case), in euros.",
    "break_even_averted_victimisations_per_fte_year": "Averted 12-month repeat victimisations per FTE-year at "
    "which the NPV at means is zero.",
    "kind": "benefit or cost (amounts are positive; benefits − costs = NPV).",
    "pv_at_means_eur": "Present value of the item with every parameter at its mean, in euros.",
    "perspective": "Who gains or pays: state, local_authorities, associations, victims_and_children, "
    "rest_of_society; the rows add up to the scope's NPV.",
    "label": "Label of the parameter (economics/parameters.yaml).",
    "mean_value": "Mean of the parameter, in its own price year.",
    "quantile": "Quantile of the simulated NPV the scenario's draw sits at (0.1 / 0.5 / 0.9).",
    "probability_npv_positive": "Share of the draws with a positive net present value (0.62 = 62 %).",
    "break_even_relative_reduction": "Relative reduction of repeat victimisation at which the NPV at means is zero "
    "(0.10 = 10 %).",
    "channel": "Benefit or cost item: a channel of economics/parameters.yaml, position_costs or deadweight.",
    "enabled": "True when the item counts in the NPV.",
    "pv_mean_eur": "Mean present value of the item over the draws, in euros.",
    "pv_p5_eur": "5th percentile of the item's present value, in euros.",
    "pv_p95_eur": "95th percentile of the item's present value, in euros.",
    "parameter": "Parameter id of economics/parameters.yaml.",
    "low_value": "Parameter at its 10th percentile.",
    "high_value": "Parameter at its 90th percentile.",
    "npv_low_eur": "NPV at means with this parameter at its 10th percentile, in euros.",
    "npv_high_eur": "NPV at means with this parameter at its 90th percentile, in euros.",
    "swing_eur": "Absolute difference between npv_high_eur and npv_low_eur: how much the NPV depends on the "
    "parameter, in euros.",
    "scenario": "Scenario: conservative, central or optimistic (the draws at the 10th / 50th / 90th percentile of "
    "the NPV).",
    "description": "What the scenario assumes.",
    "pv_costs_eur": "Present value of the costs of the scenario's draw, in euros.",
    "pv_benefits_eur": "Present value of the benefits of the scenario's draw, in euros.",
    "npv_eur": "Net present value, in euros.",
    "draw": "Monte Carlo draw number (0-based).",
    # impact
    "count": "Recorded offences or victims (SSMSI faits / nombre).",
    "rate_per_1000": "count per 1,000 inhabitants (per 1,000 dwellings for burglaries), as published by the SSMSI.",
    "population": "Population of the département (INSEE, from the crime file).",
    "fte_per_100k": "Social-worker FTE-years per 100,000 inhabitants.",
    "meets_worker_target": "True when the département has at least 1 social worker per 150,000 inhabitants.",
    "cohort": "Year the département's first registered position started (null: none by the panel's last year).",
    "treated_before_panel": "True when the département had a position before the panel's first year.",
    "cohort_intensity": "First year the département reached 1 worker per 150,000 inhabitants.",
    "treated": "True from the cohort year on (département with at least one position).",
    "outcome": "Outcome indicator: the profile's recorded_crime.outcome (France: intrafamily_physical_violence).",
    "outcome_count": "Recorded count of the outcome (France: intrafamily physical violence, victims); measures "
                     "reporting as well as victimisation.",
    "outcome_rate_per_1000": "outcome_count per 1,000 inhabitants.",
    "log_outcome_rate": "Natural log of outcome_rate_per_1000 (the estimated outcome).",
    "placebo": "Placebo indicator, which the programme should not move: the profile's recorded_crime.placebo "
               "(France: vehicle_theft).",
    "placebo_count": "Recorded count of the placebo (France: vehicle thefts).",
    "placebo_rate_per_1000": "placebo_count per 1,000 inhabitants.",
    "log_placebo_rate": "Natural log of placebo_rate_per_1000.",
    "model": "Estimator: TWFE, event study, Callaway–Sant'Anna or placebo (docs/methods_impact.md).",
    "term": "Coefficient or test of the model (e.g. att_overall, pretrend_joint_f).",
    "estimate": "Point estimate (on the log outcome: ×100 ≈ % change).",
    "std_error": "Standard error, clustered by département.",
    "ci_low": "Lower bound of the 95 % confidence interval.",
    "ci_high": "Upper bound of the 95 % confidence interval.",
    "p_value": "Two-sided p-value.",
    "n_obs": "Département-years used.",
    "n_clusters": "Départements (clusters) used.",
    "control_group": "Comparison départements: not_yet_treated or never_treated (docs/methods_impact.md).",
    "base_period": "Base year of each comparison: varying or universal (g − 1 − anticipation).",
    "anticipation": "Years before the first position in which an effect may show.",
    "inference": "How standard errors and p-values were computed (e.g. wild cluster bootstrap, CR1 with t on "
    "G − 1 df).",
    "warning": "Few-cluster warning: read the intervals as indicative (null when none).",
    "ci_low_uniform": "Lower bound of the uniform 95 % band over all event times.",
    "ci_high_uniform": "Upper bound of the uniform 95 % band over all event times.",
    "reference": "True on the reference event time (−1), fixed at 0.",
    "check": "The diagnostic: a term not identified (rank check), a group-time cell without control or base year, "
    "a breakdown search note.",
    "event_time": "Years since the département's first position (0 = the first year; negative: before).",
    # provenance
    "key": "What is recorded: scenario, dagster_run_id, package_version, git_commit, parameters_sha256, "
    "`parameter.<name>`, `input_sha256.<file>`, …",
    "country": "ISO 3166-1 alpha-2 code of the country profile that made the run (SWPS_PROFILE).",
    "country_name": "The country's name, as its profile writes it.",
    "currency": "ISO 4217 code of the currency of the run's money columns.",
    "ppp": "Purchasing-power parity: units of the currency worth one PPP-euro (Eurostat's purchasing power "
    "standard, EU27 = 1); an amount in PPP-euros is the amount divided by this.",
    "ppp_year": "Year of the purchasing-power parity.",
    "ppp_source": "Where the purchasing-power parity comes from (the profile's costs.ppp.source).",
    "assumptions_to_verify": "Values of the country profile marked ASSUMPTION (to verify): facts no maintained "
    "source gave (0 when every value is sourced).",
    "synthetic_data": "True when the data folder holds generated data (a synthetic_manifest.json from "
    "`swps generate`): no finding about the country.",
    "contract_version": "Version of the outputs contract the tables follow (shared/contract/outputs.md).",
}

#: Columns whose meaning in one table differs from `COLUMNS`: (table, column) -> description.
TABLE_COLUMNS: dict[tuple[str, str], str] = {
    ("indicator_definitions", "numerator"): "Term summed for the numerator (a column of the panel).",
    ("indicator_definitions", "denominator"): "Term summed for the denominator; empty for a plain count.",
    ("indicator_definitions", "unit"): "Unit of the indicator's value (e.g. cases per FTE-year, share).",
    ("cba_sensitivity", "unit"): "Unit of the parameter (economics/parameters.yaml).",
    ("recorded_crime", "indicator"): "Recorded-crime class, normalised (intrafamily_physical_violence, "
    "sexual_violence, …).",
    ("recorded_crime", "unit"): "Unit of count: victims, offences, vehicles, … (SSMSI unité de compte); null for "
                                "the generic CSV, which has none.",
    ("impact_estimates", "outcome"): "Outcome the model was estimated on.",
    ("run_provenance", "value"): "The recorded value, as text.",
    ("cost_per_case", "total_cost_eur"): "Total cost of the covered positions, in euros (the numerator of every "
    "cost per unit except cost_per_domestic_violence_case, which divides the cost of the positions that reported "
    "domestic-violence cases only).",
    ("cost_position_year", "cost_eur"): "Cost of the position for the year, in euros of that year: the cost "
    "reported in the return, else the default cost per FTE-year carried to the year's prices × fte × "
    "months_active / 12 (cost_source says which); null without a valid return.",
    ("cost_department_year", "cost_eur"): "Sum of cost_position_year.cost_eur over the costed positions (reported "
    "or default costs), in euros of the year; null when none was costed.",
    ("cost_national_year", "cost_eur"): "Sum of cost_position_year.cost_eur over the costed positions (reported or "
    "default costs), in euros of the year; null when none was costed.",
    ("cost_position_year", "local_funders"): "Number of local bodies that co-fund the position (registry): an "
    "association's position with at least one has its local_share_eur paid with local public money in the "
    "cost-benefit model, else with the association's own funds.",
    ("cba_scenarios", "benefit_cost_ratio"): "Present value of the benefits / present value of the costs of the "
    "scenario's one draw (not the headline's ratio of means, benefit_cost_ratio_mean); null when the draw's "
    "benefits are negative.",
    ("cba_npv_draws", "npv_eur"): "Net present value of the draw, whole-period national scope, in euros.",
}

#: Tables whose template count columns are sums over the reporting positions.
AGGREGATE_TABLES = frozenset({"department_year", "national_year"})
_SUMMED = frozenset({"fte", "fte_years", "cost_eur"})


def describe(table: str, column: str) -> str:
    """The description of `column` in the published table `table` ("" when the dictionary lacks it)."""
    if (table, column) in TABLE_COLUMNS:
        return TABLE_COLUMNS[(table, column)]
    template = contract.BY_NAME.get(column)
    if table in AGGREGATE_TABLES and (column in contract.COUNT_COLUMNS or column in _SUMMED):
        base = _template_column(template) if template else COLUMNS[column]
        return f"Sum over the positions that reported it (null when none did): {base}"
    if column in COLUMNS:
        return COLUMNS[column]
    return _template_column(template) if template else ""


def dictionary_markdown(tables: dict[str, list[str]]) -> str:
    """docs/columns.md: one section per table, one row per column."""
    lines = ["# Column dictionary", "",
             "Generated from `swps_pipeline/columns.py` (`python -m swps_pipeline.columns`); the Dagster UI shows",
             "the same text in each asset's column schema. The bundled data are synthetic.", ""]
    for table, columns in sorted(tables.items()):
        lines += [f"## `{table}`", "", "| column | description |", "| --- | --- |"]
        lines += [f"| `{c}` | {describe(table, c)} |" for c in columns]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m swps_pipeline.columns [MARTS_DIR] > docs/columns.md
    import sys
    from pathlib import Path

    import pyarrow.parquet as pq

    marts = Path(sys.argv[1] if len(sys.argv) > 1 else "data/warehouse/marts")
    print(dictionary_markdown({p.stem: pq.read_schema(p).names for p in sorted(marts.glob("*.parquet"))}), end="")
