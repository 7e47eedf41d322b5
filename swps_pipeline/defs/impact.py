"""Recorded crime, the programme's deployment and its estimated impact on recorded intrafamily violence."""


import dagster as dg
import pandas as pd

from swps_pipeline import impact
from swps_pipeline.assumptions import IMPACT_FIRST_YEAR
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, table_metadata
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.impact.estimators import ESTIMATE_COLUMNS, EVENT_STUDY_COLUMNS
from swps_pipeline.impact.panel import IMPACT_PANEL_DTYPES

IMPACT = {"group_name": "impact", "kinds": KINDS, "owners": OWNERS}
#: Metadata key of `recorded_crime` (and of the assets skipped without it): the edition read, or why none.
CRIME_STATUS = "recorded crime"
REPORTING_CAVEAT = (
    "Recorded intrafamily violence measures reporting as well as victimisation: a rise after the roll-out "
    "can be a success of the programme (more victims reporting)."
)


@dg.asset(
    **IMPACT,
    description="Recorded crime by département, year and indicator class (SSMSI, formats A and B of "
    "recorded_crime.md, one edition). Grain: (department_code, year, indicator, unit). " + REPORTING_CAVEAT,
)
def recorded_crime(context: dg.AssetExecutionContext, settings: PipelineSettings) -> pd.DataFrame:
    """Empty, with the reason in its metadata, when no usable file is given: everything but the impact still runs."""
    crime = impact.load_recorded_crime(settings.paths.crime_dir, settings.paths.crime_edition)
    context.add_output_metadata({**table_metadata(crime.table), CRIME_STATUS: crime.status})
    return crime.table


def crime_skip_reason(context: dg.AssetExecutionContext) -> str:
    """Why `recorded_crime` is empty, as its materialisation in this run recorded it."""
    event = context.instance.get_latest_materialization_event(recorded_crime.key)
    return event.asset_materialization.metadata[CRIME_STATUS].value


def skipped_metadata(context: dg.AssetExecutionContext) -> dict:
    """The metadata of an asset left empty for want of recorded-crime data: why, and how to add it."""
    return {"dagster/row_count": 0, CRIME_STATUS: crime_skip_reason(context)}


def empty_table(dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(dtypes)).astype(dtypes)


@dg.asset(
    **IMPACT,
    description="Population of each département and year, from the crime file's population column; the latest "
    "year available is carried forward and population_year says which was used. Grain: (department_code, year).",
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
    "worker per 150,000). Source: registry + valid returns (synthetic in the bundled data).",
)
def deployment_department_year(
    context: dg.AssetExecutionContext,
    positions_registry: pd.DataFrame,
    position_year: pd.DataFrame,
    department_population: pd.DataFrame,
) -> pd.DataFrame:
    last_year = int(department_population["year"].max()) if len(department_population) else int(
        position_year["year"].max())
    table = impact.deployment_department_year(
        positions_registry, position_year, department_population, IMPACT_FIRST_YEAR, last_year,
    )
    metadata = table_metadata(table)
    if department_population.empty:
        metadata[CRIME_STATUS] = "fte_per_100k and cohort_intensity are null: " + crime_skip_reason(context)
    context.add_output_metadata(metadata)
    return table


@dg.asset(
    **IMPACT,
    description="Deployment joined with the outcome (log intrafamily physical violence per 1,000 inhabitants) "
    "and a placebo outcome (vehicle thefts). Grain: (department_code, year). " + REPORTING_CAVEAT,
)
def impact_panel(
    context: dg.AssetExecutionContext, deployment_department_year: pd.DataFrame, recorded_crime: pd.DataFrame
) -> pd.DataFrame:
    if recorded_crime.empty:
        context.add_output_metadata(skipped_metadata(context))
        return empty_table(IMPACT_PANEL_DTYPES)
    table = impact.impact_panel(deployment_department_year, recorded_crime)
    context.add_output_metadata(table_metadata(table))
    return table


@dg.multi_asset(
    outs={
        "impact_estimates": dg.AssetOut(
            **IMPACT, description="TWFE (treated, intensity), event study with pre-trend test, Callaway–Sant'Anna "
            "against not-yet-treated départements (bootstrap clustered by département), placebo. Grain: (model, term)."),
        "event_study": dg.AssetOut(
            **IMPACT, description="Event-time estimates with 95 % intervals (TWFE event study and "
            "Callaway–Sant'Anna). Grain: (model, event_time)."),
    },
)
def impact_estimates(context: dg.AssetExecutionContext, impact_panel: pd.DataFrame):
    """Every estimator on the panel, with the interpretation an evaluator must read next to them."""
    if impact_panel.empty:
        for name, dtypes in (("impact_estimates", ESTIMATE_COLUMNS), ("event_study", EVENT_STUDY_COLUMNS)):
            yield dg.Output(empty_table(dtypes), output_name=name, metadata=skipped_metadata(context))
        return
    result = impact.estimate_impact(impact_panel, seed=2023)
    interpretation = dg.MetadataValue.md(impact.interpretation_markdown(result))
    yield dg.Output(result.impact_estimates, output_name="impact_estimates",
                    metadata={**table_metadata(result.impact_estimates, rows=40), "interpretation": interpretation})
    yield dg.Output(result.event_study, output_name="event_study", metadata={
        **table_metadata(result.event_study, rows=40),
        "event study chart": chart(impact.event_study_chart(result.event_study),
                                   "Event study: log recorded intrafamily violence around the first position"),
        "interpretation": interpretation,
    })


ASSETS = [recorded_crime, department_population, deployment_department_year, impact_panel, impact_estimates]
