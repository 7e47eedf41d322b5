"""Recorded crime, the programme's deployment and its estimated impact on recorded intrafamily violence."""


from enum import Enum

import dagster as dg
import pandas as pd
from pydantic import Field

from swps_pipeline import impact
from swps_pipeline.assumptions import IMPACT_FIRST_YEAR
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, table_metadata
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.reuse import reused
from swps_pipeline.impact import settings as impact_settings
from swps_pipeline.impact.estimators import DIAGNOSTIC_COLUMNS, ESTIMATE_COLUMNS, EVENT_STUDY_COLUMNS
from swps_pipeline.impact.panel import IMPACT_PANEL_DTYPES
from swps_pipeline.panel.tables import POSITION_YEAR_DTYPES
from swps_pipeline.profiles import active_profile
from swps_pipeline.publish.stored import loaded_columns

IMPACT = {"group_name": "impact", "kinds": KINDS, "owners": OWNERS}
#: Metadata key of `recorded_crime` (and of the assets skipped without it): the edition read, or why none.
CRIME_STATUS = "recorded crime"
REPORTING_CAVEAT = (
    "Recorded intrafamily violence measures reporting as well as victimisation: a rise after the roll-out "
    "can be a success of the programme (more victims reporting)."
)


@dg.asset(
    **IMPACT,
    description="Recorded crime by département, year and indicator class (the profile's `recorded_crime.format`: "
    "SSMSI formats A and B of recorded_crime.md, or the generic CSV area_code;year;indicator;count;population of "
    "docs/replication.md; one edition). Grain: (department_code, year, indicator, unit). Source: the "
    "file under `crime/` of SWPS_DATA_DIR (a generated file in the bundled data). " + REPORTING_CAVEAT,
)
def recorded_crime(context: dg.AssetExecutionContext, settings: PipelineSettings) -> pd.DataFrame:
    """Empty, with the reason in its metadata, when no usable file is given: everything but the impact still runs."""
    profile = active_profile()
    crime = impact.load_recorded_crime(settings.paths.crime_dir, settings.paths.crime_edition, profile.crime_format,
                                       profile.area_codes(), (profile.crime_outcome, profile.crime_placebo))
    context.add_output_metadata({**table_metadata(crime.table), CRIME_STATUS: crime.status})
    return crime.table


def crime_skip_reason(context: dg.AssetExecutionContext) -> str:
    """Why `recorded_crime` is empty, as its materialisation in this run recorded it."""
    event = context.instance.get_latest_materialization_event(recorded_crime.key)
    return event.asset_materialization.metadata[CRIME_STATUS].value


def add_table_metadata(context: dg.AssetExecutionContext, table: pd.DataFrame, department_population: pd.DataFrame,
                       null_without_crime: str, rows: int = 10) -> None:
    """The table's metadata and, when the population (it comes with the crime file) is missing, which
    columns are null and why."""
    metadata = table_metadata(table, rows=rows)
    if department_population.empty:
        metadata[CRIME_STATUS] = f"{null_without_crime} are null: " + crime_skip_reason(context)
    context.add_output_metadata(metadata)


def skipped_metadata(context: dg.AssetExecutionContext) -> dict:
    """The metadata of an asset left empty for want of recorded-crime data: why, and how to add it."""
    return {"dagster/row_count": 0, CRIME_STATUS: crime_skip_reason(context)}


def empty_table(dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(dtypes)).astype(dtypes)


@dg.asset(
    **IMPACT,
    description="Population of each département and year, from the crime file's population column; the latest "
    "year available is carried forward and population_year says which was used. Grain: (department_code, year). "
    "Source: the population column (INSEE) of recorded_crime.",
)
def department_population(
    context: dg.AssetExecutionContext, settings: PipelineSettings, recorded_crime: pd.DataFrame
) -> pd.DataFrame:
    last_year = max([*recorded_crime["year"].astype(int), *settings.paths.returns_years()])
    table = impact.population_by_department_year(recorded_crime, range(IMPACT_FIRST_YEAR, last_year + 1))
    context.add_output_metadata(table_metadata(table) if len(table) else skipped_metadata(context))
    return table


@dg.asset(
    **IMPACT,
    description="Deployment of the programme for every département × year from 2016: active positions, "
    "FTE-years, FTE per 100,000 inhabitants, cohort (first position) and intensity cohort (first year at 1 "
    "worker per 150,000). Grain: (department_code, year). Source: registry + position_year + department_population "
    "(synthetic in the bundled data).",
    ins={"position_year": dg.AssetIn(metadata=loaded_columns(POSITION_YEAR_DTYPES, impact.DEPLOYMENT_INPUTS))},
)
def deployment_department_year(
    context: dg.AssetExecutionContext,
    settings: PipelineSettings,
    positions_registry: pd.DataFrame,
    position_year: pd.DataFrame,
    department_population: pd.DataFrame,
) -> pd.DataFrame:
    """Reused from an earlier run when its inputs and the code are the same (`swps_pipeline/reuse.py`): of the
    position-years, the columns it reads, so a corrected count leaves it as it was."""
    last_year = int(department_population["year"].max()) if len(department_population) else int(
        position_year["year"].max())
    table = reused(settings.paths.output_dir, impact.deployment_department_year)(
        positions_registry, position_year, department_population, IMPACT_FIRST_YEAR, last_year,
    )
    add_table_metadata(context, table, department_population, "fte_per_100k and cohort_intensity")
    return table


@dg.asset(
    **IMPACT,
    description="Deployment joined with the outcome (log intrafamily physical violence per 1,000 inhabitants) "
    "and a placebo outcome (vehicle thefts). Grain: (department_code, year). Source: deployment_department_year + "
    "recorded_crime. " + REPORTING_CAVEAT,
)
def impact_panel(
    context: dg.AssetExecutionContext, deployment_department_year: pd.DataFrame, recorded_crime: pd.DataFrame
) -> pd.DataFrame:
    if recorded_crime.empty:
        context.add_output_metadata(skipped_metadata(context))
        return empty_table(IMPACT_PANEL_DTYPES)
    profile = active_profile()
    table = impact.impact_panel(deployment_department_year, recorded_crime, profile.crime_outcome,
                                profile.crime_placebo)
    context.add_output_metadata(table_metadata(table))
    return table


def _enum(name: str, values: dict[str, str]) -> type[Enum]:
    """A Launchpad enum of a setting's allowed values (names = values)."""
    return Enum(name, {value: value for value in values}, type=str)


ControlGroup = _enum("ControlGroup", impact_settings.CONTROL_GROUPS)
BasePeriod = _enum("BasePeriod", impact_settings.BASE_PERIODS)
Aggregation = _enum("Aggregation", impact_settings.AGGREGATIONS)
BootstrapWeights = _enum("BootstrapWeights", impact_settings.BOOTSTRAP_WEIGHTS)
TwfeInference = _enum("TwfeInference", impact_settings.TWFE_INFERENCE)
HonestDidMethod = _enum("HonestDidMethod", impact_settings.HONEST_DID_METHODS)


class ImpactConfig(dg.Config):
    """Launchpad settings of the impact estimators (defaults: docs/methods_impact.md); unset = the parameter file's
    `impact:` section, else the default."""

    parameters_file: str | None = Field(default=None, description="A `swps run --parameters` YAML file whose "
                                        "`impact:` section sets these settings (the fields below override it).")
    control_group: ControlGroup | None = Field(
        default=None, description=impact_settings.DESCRIPTIONS["control_group"] + " Default: not_yet_treated.")
    base_period: BasePeriod | None = Field(
        default=None, description=impact_settings.DESCRIPTIONS["base_period"] + " Default: varying.")
    anticipation: int | None = Field(default=None, ge=0, description=impact_settings.DESCRIPTIONS["anticipation"])
    aggregations: list[Aggregation] | None = Field(
        default=None, description=impact_settings.DESCRIPTIONS["aggregations"] + " Default: all four.")
    bootstrap_weights: BootstrapWeights | None = Field(
        default=None, description=impact_settings.DESCRIPTIONS["bootstrap_weights"] + " Default: rademacher.")
    twfe_inference: TwfeInference | None = Field(
        default=None, description=impact_settings.DESCRIPTIONS["twfe_inference"] + " Default: auto.")
    honest_did_method: HonestDidMethod | None = Field(
        default=None, description=impact_settings.DESCRIPTIONS["honest_did_method"] + " Default: conditional.")
    n_boot: int | None = Field(default=None, ge=99, description=impact_settings.DESCRIPTIONS["n_boot"] + " Default: 999.")
    seed: int | None = Field(default=None, ge=0, description=impact_settings.DESCRIPTIONS["seed"] + " Default: 2023.")

    def settings(self) -> impact_settings.ImpactSettings:
        overrides = {key: [v.value for v in value] if isinstance(value, list) else getattr(value, "value", value)
                     for key, value in self.model_dump(exclude={"parameters_file"}).items() if value is not None}
        return impact_settings.settings_from_parameters_file(self.parameters_file, overrides)


@dg.multi_asset(
    outs={
        "impact_estimates": dg.AssetOut(
            **IMPACT, description="TWFE (treated, intensity; wild cluster bootstrap with few départements), event "
            "study with pre-trend F, Callaway–Sant'Anna (group-time effects aggregated simple/group/dynamic/calendar, "
            "multiplier bootstrap clustered by département, Wald pre-test), placebo, CGBS dose-response, HonestDiD "
            "breakdown values (model honest_did, terms `breakdown_mbar_*` / `breakdown_m_*`). The settings that "
            "produced each row are columns (control_group, base_period, anticipation, inference); `warning` holds the "
            "few-cluster warning. Grain: (model, term). Source: impact_panel. " + REPORTING_CAVEAT),
        "event_study": dg.AssetOut(
            **IMPACT, description="Event-time estimates on a common base (year −1): Callaway–Sant'Anna with "
            "pointwise and uniform 95 % bands, and the TWFE event study. Grain: (model, event_time). "
            "Source: impact_panel."),
        "impact_diagnostics": dg.AssetOut(
            **IMPACT, description="Why an estimate is missing or fragile: terms not identified (rank check), "
            "group-time cells without control or base year, breakdown search notes. Grain: (model, term, check). "
            "Source: impact_panel."),
    },
)
def impact_estimates(context: dg.AssetExecutionContext, config: ImpactConfig, settings: PipelineSettings,
                     impact_panel: pd.DataFrame):
    """Every estimator on the panel, with the interpretation an evaluator must read next to them (reused from an
    earlier run when the panel, the settings and the code are the same: `swps_pipeline/reuse.py`)."""
    try:
        estimation = config.settings()
    except impact_settings.ImpactSettingsError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    if impact_panel.empty:  # no recorded-crime data: no estimate, and the diagnostics say why
        reason = skipped_metadata(context)
        yield dg.Output(empty_table(ESTIMATE_COLUMNS), output_name="impact_estimates", metadata=reason)
        yield dg.Output(empty_table(EVENT_STUDY_COLUMNS), output_name="event_study", metadata=reason)
        diagnostics = pd.DataFrame({"model": ["all"], "term": ["all"], "check": ["recorded_crime"],
                                    "message": [reason[CRIME_STATUS]]}).astype(DIAGNOSTIC_COLUMNS)
        yield dg.Output(diagnostics, output_name="impact_diagnostics", metadata={**reason, "dagster/row_count": 1})
        return
    output_dir = settings.paths.output_dir
    result = reused(output_dir, impact.estimate_impact)(impact_panel, estimation, draw_event_study=True)
    interpretation = dg.MetadataValue.md(impact.interpretation_markdown(result))
    warning = {"few-cluster warning": dg.MetadataValue.md(result.warnings()[0])} if result.warnings() else {}
    for text in result.warnings()[:1]:
        context.log.warning(text)
    settings_text = dg.MetadataValue.json(impact_settings.as_dict(estimation))
    yield dg.Output(result.impact_estimates, output_name="impact_estimates",
                    metadata={**table_metadata(result.impact_estimates, rows=40), **warning,
                              "breakdown value": dg.MetadataValue.md(impact.breakdown_text(result)),
                              "settings": settings_text, "interpretation": interpretation})
    yield dg.Output(result.event_study, output_name="event_study", metadata={
        **table_metadata(result.event_study, rows=40), **warning,
        "event study chart": chart(result.event_study_png,
                                   "Event study: log recorded intrafamily violence around the first position"),
        "interpretation": interpretation,
    })
    yield dg.Output(result.diagnostics, output_name="impact_diagnostics",
                    metadata={**table_metadata(result.diagnostics, rows=40), **warning})


ASSETS = [recorded_crime, department_population, deployment_department_year, impact_panel, impact_estimates]
