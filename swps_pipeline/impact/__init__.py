"""Impact of the roll-out on recorded intrafamily violence (docs/methods_impact.md)."""

from swps_pipeline.impact.crime import (
    CrimeFileError,
    RecordedCrime,
    load_recorded_crime,
    population_by_department_year,
    read_recorded_crime,
)
from swps_pipeline.impact.deployment import DEPLOYMENT_INPUTS, deployment_department_year
from swps_pipeline.impact.panel import impact_panel
from swps_pipeline.impact.settings import ImpactSettings, ImpactSettingsError, settings_from_parameters_file
from swps_pipeline.impact.results import (
    ImpactResult,
    breakdown_headlines,
    breakdown_text,
    estimate_impact,
    event_study_chart,
    interpretation_markdown,
)

__all__ = [
    "DEPLOYMENT_INPUTS",
    "CrimeFileError",
    "ImpactResult",
    "RecordedCrime",
    "ImpactSettings",
    "ImpactSettingsError",
    "breakdown_headlines",
    "breakdown_text",
    "deployment_department_year",
    "estimate_impact",
    "event_study_chart",
    "impact_panel",
    "interpretation_markdown",
    "load_recorded_crime",
    "population_by_department_year",
    "read_recorded_crime",
    "settings_from_parameters_file",
]
