"""What the feedback and the status of one collection year are computed from.

The command line validates the year folder as it is now (no pipeline run
needed to chase a département before the due date); the Dagster assets pass
the ingestion tables they already have. Either way the same `CollectionYear`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from swps_pipeline.collect.attribution import (
    ReadBack,
    file_departments,
    quarantine_departments,
    read_back_quarantine,
)
from swps_pipeline.ingest.folder import safe_name
from swps_pipeline.ingest.registry import read_registry
from swps_pipeline.publish.stored import as_loaded, loaded_columns
from swps_pipeline.settings import Settings
from swps_pipeline.validate import validate_year
from swps_pipeline.validate.tables import SCHEMAS, ValidationResult

#: The generator writes this next to the bundled data: its presence means the returns are synthetic.
SYNTHETIC_MANIFEST = "synthetic_manifest.json"


@dataclass(frozen=True)
class CollectionYear:
    """One year's ingestion tables (that year's rows only), the registry, and when each file arrived."""

    year: int
    registry: pd.DataFrame
    valid: pd.DataFrame
    quarantine: pd.DataFrame
    warnings: pd.DataFrame
    files_rejected: pd.DataFrame
    file_dates: pd.DataFrame  # source_file, received (date the file was last written)
    synthetic: bool

    @cached_property
    def read_back(self) -> ReadBack:
        """The quarantined rows as the ingestion typed them (`attribution.read_back_quarantine`)."""
        return read_back_quarantine(self.quarantine)

    @cached_property
    def quarantine_departments(self) -> pd.Series:
        """The département of each quarantined row (null: unattributed)."""
        return quarantine_departments(self.quarantine, self.read_back.typed, self.valid)

    @cached_property
    def files(self) -> pd.DataFrame:
        """(source_file, department_code, received) of every file that brought rows of a département."""
        pairs = file_departments(self.valid, self.quarantine, self.quarantine_departments, self.files_rejected)
        return pairs.merge(self.file_dates, on="source_file", how="left")


def file_dates(data_dir: Path, year: int) -> pd.DataFrame:
    """Every file under `returns/<year>/` (sub-folders included) with the UTC date it was last written."""
    year_dir = data_dir / "returns" / str(year)
    paths = sorted(p for p in year_dir.rglob("*") if p.is_file()) if year_dir.is_dir() else []
    # Typed as text and dates even for an empty folder (next year's, created before its files arrive): untyped
    # empty columns are float64, which no merge on `source_file` accepts.
    return pd.DataFrame({
        "source_file": pd.Series([safe_name(p.relative_to(data_dir).as_posix()) for p in paths],  # as in every table
                                 dtype=object),
        "received": pd.Series([dt.datetime.fromtimestamp(p.stat().st_mtime, dt.timezone.utc).date() for p in paths],
                              dtype=object),
    })


def is_synthetic(data_dir: Path) -> bool:
    return (data_dir / SYNTHETIC_MANIFEST).is_file()


#: The columns of the valid returns the status and the feedback read (which département, file and row; the
#: figures a warning quotes): the rest of the return's 61 columns stay out of the reused steps' keys (the seven
#: years' status keys at 10x the bundled data: 0.18 s instead of 0.4 s; issue 17).
VALID_COLUMNS = ["position_id", "department_code", "source_file", "source_row", "persons_received", "new_cases",
                 "actions", "fte"]
#: The `AssetIn` metadata with which the `collection` step loads the valid returns (their year and `VALID_COLUMNS`).
VALID_LOADED = loaded_columns(SCHEMAS["returns_valid"], ["year", *VALID_COLUMNS])
#: The ingestion tables a collection year is made from, as the `collection` step names its inputs.
INGESTION_TABLES = ("returns_valid", "returns_quarantine", "returns_warnings", "files_rejected")


def from_tables(year: int, data_dir: Path, registry: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> CollectionYear:
    """The collection year from the ingestion tables (`returns_valid`, ... as the assets hold them, all years);
    of the valid returns, the `VALID_COLUMNS`."""
    of_year = {name: frame[frame["year"] == year].reset_index(drop=True) for name, frame in tables.items()}
    of_year["returns_valid"] = of_year["returns_valid"][VALID_COLUMNS]
    return CollectionYear(
        year=year, registry=registry, valid=of_year["returns_valid"], quarantine=of_year["returns_quarantine"],
        warnings=of_year["returns_warnings"], files_rejected=of_year["files_rejected"],
        file_dates=file_dates(data_dir, year), synthetic=is_synthetic(data_dir),
    )


def loaded_from(result: ValidationResult) -> dict[str, pd.DataFrame]:
    """A year's validation's ingestion tables as the `collection` step loads them from the warehouse once they
    are stored (`publish.stored.as_loaded`): the same rows, columns, types and order."""
    return {name: as_loaded(getattr(result, name), VALID_LOADED["columns"] if name == "returns_valid" else None)
            for name in INGESTION_TABLES}


def read_collection_year(settings: Settings, year: int) -> CollectionYear:
    """Validate `returns/<year>/` as it is now. Raises `RegistryError` on a bad registry."""
    registry = read_registry(settings.registry_path)
    result = validate_year(settings.data_dir, year, registry)
    return from_tables(year, settings.data_dir, registry, {
        "returns_valid": result.returns_valid, "returns_quarantine": result.returns_quarantine,
        "returns_warnings": result.returns_warnings, "files_rejected": result.files_rejected,
    })
