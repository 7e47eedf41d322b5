"""Fixtures shared by the suite: the repo's paths and one pipeline run on the bundled data."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from swps_pipeline.runner import materialise
from swps_pipeline.settings import Settings

REPO = Path(__file__).resolve().parents[1]
BUNDLED_DATA = REPO / "data" / "raw"
SHARED = REPO.parent / "shared"
REAL_CRIME_FILE = SHARED / "data" / "ssmsi" / "donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv.gz"


@pytest.fixture(scope="session")
def bundled_marts(tmp_path_factory) -> Path:
    """The marts of one whole run on the bundled synthetic data (shared by the tests that read them)."""
    settings = Settings(data_dir=BUNDLED_DATA, output_dir=tmp_path_factory.mktemp("bundled_output"))
    with dg.instance_for_test() as instance:
        result = materialise(settings, instance)
        assert result.success
    return settings.marts_dir
