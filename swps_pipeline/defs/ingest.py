"""Reference data and the yearly returns: read, validated, quarantined, accounted for."""

import warnings

import dagster as dg
import pandas as pd

from swps_pipeline.defs.metadata import KINDS, OWNERS, preview, table_metadata, year_metadata
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.ingest.folder import folder_fingerprint
from swps_pipeline.ingest.registry import RegistryError, read_registry
from swps_pipeline.reference import departements as official_departements
from swps_pipeline.reference import official_department_codes
from swps_pipeline.validate import ahead as validation_ahead
from swps_pipeline.validate import validate_years
from swps_pipeline.validate.tables import ACCOUNTING_COUNTS

returns_year = dg.DynamicPartitionsDefinition(name="returns_year")
"""One partition per folder `returns/<YYYY>/`: a new year needs no code change."""

YEAR_PARTITION = {"partition_expr": "year"}
warnings.filterwarnings("ignore", "Parameter `backfill_policy`", dg.BetaWarning)  # relied on deliberately
PER_YEAR = {
    "partitions_def": returns_year,
    "backfill_policy": dg.BackfillPolicy.single_run(),
    "metadata": YEAR_PARTITION,
}
"""A table computed year by year from that year's returns: a corrected year recomputes only itself, and a
run over several years (every run of `swps run`, "Materialize all") is one step per asset."""

FINGERPRINTS = "returns folder fingerprints"
"""Metadata of `ingestion_accounting`: each year's folder fingerprint when it was read (the sensor compares)."""


@dg.asset(
    group_name="reference",
    kinds=KINDS,
    owners=OWNERS,
    description=(
        "Registry of funded positions. "
        "Grain: one row per position. Source: the programme's registry, `positions.csv` under SWPS_DATA_DIR "
        "(synthetic in the bundled data)."
    ),
)
def positions_registry(context: dg.AssetExecutionContext, settings: PipelineSettings) -> pd.DataFrame:
    try:
        registry = read_registry(settings.paths.registry_path)
    except RegistryError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    context.add_output_metadata(table_metadata(registry))
    return registry


@dg.asset(
    group_name="reference",
    kinds=KINDS,
    owners=OWNERS,
    description=(
        "The 101 départements with their region. Grain: one row per département. "
        "Source: INSEE official geography (shared/reference/departements.csv)."
    ),
)
def departements(context: dg.AssetExecutionContext) -> pd.DataFrame:
    table = official_departements()
    context.add_output_metadata(table_metadata(table, rows=101))
    return table


INGEST_TABLES = {
    "returns_valid": "Accepted yearly returns, every canonical column of the contract plus source_file and "
    "source_row. Grain: one row per (position_id, year).",
    "returns_quarantine": "Input rows rejected by a hard rule, with the rule ids and a message a person can act "
    "on. Grain: one row per rejected input row.",
    "returns_warnings": "Soft-rule warnings (row kept). Grain: one row per warning.",
    "files_rejected": "Files rejected whole (empty, not CSV/XLSX, undecodable, no header, a required column "
    "missing). Grain: one row per file.",
    "files_ignored": "Entries of a year folder that are not returns and are not read (Excel lock files, "
    "system files, sub-folders other than corrections/), with the reason. Grain: one row per entry.",
    "ingestion_accounting": "Where every input row went: rows_read = valid + quarantined + summary skipped + "
    "duplicates dropped + superseded by a correction (`returns/<year>/corrections/`). Grain: one row per "
    "(year, source_file).",
}


def _most_broken_rules(quarantine: pd.DataFrame) -> pd.DataFrame:
    rules = quarantine["rules"].str.split(";").explode()
    return rules.value_counts().rename_axis("rule").reset_index(name="rows")


@dg.multi_asset(
    outs={
        name: dg.AssetOut(
            group_name="ingest",
            kinds=KINDS,
            owners=OWNERS,
            description=f"{text} Source: the files under `returns/<year>/` of SWPS_DATA_DIR (synthetic in the bundled data).",
            metadata=YEAR_PARTITION,
        )
        for name, text in INGEST_TABLES.items()
    },
    partitions_def=returns_year,
    backfill_policy=dg.BackfillPolicy.single_run(),
    ins={"positions_registry": dg.AssetIn()},
    check_specs=[
        dg.AssetCheckSpec("accounting_balances", asset="ingestion_accounting",
                          description="For every file: rows_read = valid + quarantined + skipped + dropped "
                                      "+ superseded."),
        dg.AssetCheckSpec("position_year_unique", asset="returns_valid",
                          description="(position_id, year) is unique among valid returns."),
        dg.AssetCheckSpec("department_codes_official", asset="returns_valid",
                          description="Every département code of a valid return is one of the 101 official codes."),
    ],
)
def validated_returns(context: dg.AssetExecutionContext, settings: PipelineSettings, positions_registry: pd.DataFrame):
    """Read and validate each year's files; every row ends valid, quarantined or skipped. The years `swps run`
    validated while it started (`validate/ahead.py`) are taken as they are, when their inputs are these."""
    years = sorted(context.partition_keys, key=int)
    fingerprints = {year: folder_fingerprint(settings.paths.returns_dir / year) for year in years}
    data_dir, year_numbers = settings.paths.data_dir, [int(year) for year in years]
    ahead = validation_ahead.take(data_dir, year_numbers, positions_registry)
    results = validate_years(data_dir, year_numbers, positions_registry, validated=ahead)
    tables = {name: pd.concat([getattr(r, name) for r in results], ignore_index=True) for name in INGEST_TABLES}

    valid, quarantine, accounting = tables["returns_valid"], tables["returns_quarantine"], tables["ingestion_accounting"]
    per_year = (
        accounting.groupby("year")[ACCOUNTING_COUNTS].sum().reset_index()
    )
    not_read = pd.DataFrame(settings.paths.returns_folders()[1], columns=["entry of returns/", "why not read"])
    summary = {
        FINGERPRINTS: dg.MetadataValue.json(fingerprints),
        "years": ", ".join(years),
        "years validated while the run started": ", ".join(map(str, ahead)) or "none",
        "rows valid / quarantined per year": preview(per_year, rows=50),
        "folders not read": preview(not_read),
    }
    for name, table in tables.items():
        extra = summary if name == "ingestion_accounting" else {}
        if name == "returns_quarantine":
            extra = {"rules most broken": preview(_most_broken_rules(table), rows=20)}
        for year in years:  # each year partition shows its own rows
            context.add_asset_metadata(year_metadata(table, year), asset_key=name, partition_key=year)
        yield dg.Output(table, output_name=name, metadata={"rows in this run (all its years)": len(table), **extra})

    balance = accounting["rows_read"] - accounting[ACCOUNTING_COUNTS[1:]].sum(axis=1)
    unbalanced = accounting.loc[balance != 0, ["year", "source_file"]]
    yield dg.AssetCheckResult(
        check_name="accounting_balances", asset_key="ingestion_accounting", passed=unbalanced.empty,
        metadata={"files": len(accounting), "unbalanced files": preview(unbalanced)},
    )
    duplicated = valid[valid.duplicated(["position_id", "year"], keep=False)][["position_id", "year", "source_file"]]
    yield dg.AssetCheckResult(
        check_name="position_year_unique", asset_key="returns_valid", passed=duplicated.empty,
        metadata={"duplicated rows": len(duplicated), "examples": preview(duplicated)},
    )
    unofficial = valid[~valid["department_code"].isin(official_department_codes())][["position_id", "department_code"]]
    yield dg.AssetCheckResult(
        check_name="department_codes_official", asset_key="returns_valid", passed=unofficial.empty,
        metadata={"unofficial codes": len(unofficial), "examples": preview(unofficial)},
    )


ASSETS = [positions_registry, departements, validated_returns]
