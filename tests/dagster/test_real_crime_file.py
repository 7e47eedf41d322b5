"""`swps run`'s graph on a data folder whose crime file is the real SSMSI edition (format A): no code change."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from swps_pipeline.publish.warehouse import read_mart
from swps_pipeline.runner import materialise
from swps_pipeline.settings import Settings

REPO = Path(__file__).resolve().parents[2]
REAL_CRIME_FILE = REPO.parent / "shared" / "data" / "ssmsi" / (
    "donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv.gz")


@pytest.mark.skipif(not REAL_CRIME_FILE.exists(), reason="the real SSMSI file lives in ../shared/data/ssmsi")
def test_the_graph_runs_on_the_real_crime_edition(tmp_path):
    data_dir = tmp_path / "raw"
    shutil.copytree(REPO / "data" / "raw", data_dir, ignore=shutil.ignore_patterns("crime"))
    (data_dir / "crime").mkdir()
    shutil.copy(REAL_CRIME_FILE, data_dir / "crime" / REAL_CRIME_FILE.name)
    settings = Settings(data_dir, tmp_path / "out")
    with dg.instance_for_test() as instance:
        assert materialise(settings, instance).success

    crime = read_mart(settings.marts_dir, "recorded_crime")
    assert crime["department_code"].nunique() == 101
    assert sorted(crime["year"].unique()) == list(range(2016, 2023))
    seine_et_marne = crime[(crime["department_code"] == "77") & (crime["year"] == 2021)
                           & (crime["indicator"] == "intrafamily_physical_violence")].iloc[0]
    assert (seine_et_marne["count"], seine_et_marne["population"]) == (3763, 1428636)
    estimates = read_mart(settings.marts_dir, "impact_estimates")
    assert {"twfe_treated", "twfe_intensity", "event_study", "callaway_santanna", "placebo"} <= set(estimates["model"])
    population = read_mart(settings.marts_dir, "department_population")
    # 2023-2025 returns use the latest population of the edition, carried forward and labelled.
    carried = population[(population["department_code"] == "77") & (population["year"] == 2025)].iloc[0]
    assert carried["population_year"] < 2025
