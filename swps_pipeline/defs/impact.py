"""Recorded crime, the programme's deployment and its estimated impact on recorded intrafamily violence."""


import dagster as dg
import pandas as pd

from swps_pipeline import impact
from swps_pipeline.assumptions import IMPACT_FIRST_YEAR
from swps_pipeline.defs.metadata import KINDS, OWNERS, chart, table_metadata
from swps_pipeline.defs.resources import PipelineSettings

IMPACT = {"group_name": "impact", "kinds": KINDS, "owners": OWNERS}
REPORTING_CAVEAT = (
    "Recorded intrafamily violence measures reporting as well as victimisation: a rise after the roll-out "
    "can be a success of the programme (more victims reporting)."
)


@dg.asset(
    **IMPACT,
    description="Recorded crime by département, year and indicator class (SSMSI, formats A and B of "
    "recorded_crime.md, one edition). Grain: (department_code, year, indicator, unit). Source: the SSMSI "
    "département file under `crime/` of SWPS_DATA_DIR (a generated file in the bundled data). " + REPORTING_CAVEAT,
)
def recorded_crime(context: dg.AssetExecutionContext, settings: PipelineSettings) -> pd.DataFrame:
    try:
        table = impact.read_recorded_crime(settings.paths.crime_dir, settings.paths.crime_edition)
    except impact.CrimeFileError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    context.add_output_metadata(table_metadata(table))
    return table


@dg.asset(
    **IMPACT,
    description="Population of each département and year, from the crime file's population column; the latest "
    "year available is carried forward and population_year says which was used. Grain: (department_code, year). "
    "Source: the population column (INSEE) of recorded_crime.",
)
def department_population(
    context: dg.AssetExecutionContext, settings: PipelineSettings, recorded_crime: pd.DataFrame
) -> pd.DataFrame:
    last_year = max([int(recorded_crime["year"].max()), *settings.paths.returns_years()])
    table = impact.population_by_department_year(recorded_crime, range(IMPACT_FIRST_YEAR, last_year + 1))
    context.add_output_metadata(table_metadata(table))
    return table


@dg.asset(
    **IMPACT,
    description="Deployment of the programme for every département × year from 2016: active positions, "
    "FTE-years, FTE per 100,000 inhabitants, cohort (first position) and intensity cohort (first year at 1 "
    "worker per 150,000). Grain: (department_code, year). Source: registry + position_year + department_population "
    "(synthetic in the bundled data).",
)
def deployment_department_year(
    context: dg.AssetExecutionContext,
    positions_registry: pd.DataFrame,
    position_year: pd.DataFrame,
    department_population: pd.DataFrame,
) -> pd.DataFrame:
    table = impact.deployment_department_year(
        positions_registry, position_year, department_population,
        IMPACT_FIRST_YEAR, int(department_population["year"].max()),
    )
    context.add_output_metadata(table_metadata(table))
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
    table = impact.impact_panel(deployment_department_year, recorded_crime)
    context.add_output_metadata(table_metadata(table))
    return table


@dg.multi_asset(
    outs={
        "impact_estimates": dg.AssetOut(
            **IMPACT, description="TWFE (treated, intensity), event study with pre-trend test, Callaway–Sant'Anna "
            "against not-yet-treated départements (bootstrap clustered by département), placebo. Grain: (model, term). "
            "Source: impact_panel."),
        "event_study": dg.AssetOut(
            **IMPACT, description="Event-time estimates with 95 % intervals (TWFE event study and "
            "Callaway–Sant'Anna). Grain: (model, event_time). Source: impact_panel."),
    },
)
def impact_estimates(impact_panel: pd.DataFrame):
    """Every estimator on the panel, with the interpretation an evaluator must read next to them."""
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
