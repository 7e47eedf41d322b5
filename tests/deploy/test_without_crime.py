"""Without a recorded-crime file (or with a bad one) everything but the impact runs, and says why.

The impact assets and the per-capita indicators need the SSMSI file (it also
carries the populations); a coordinator with only the returns must still get
the panel, the indicators, the costs and the cost-benefit model.
"""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.impact import load_recorded_crime
from swps_pipeline.runner import materialise
from swps_pipeline.settings import Settings

REPO = Path(__file__).resolve().parents[2]
BUNDLED_DATA = REPO / "data" / "raw"
(BUNDLED_CRIME,) = (BUNDLED_DATA / "crime").iterdir()
#: Assets computed from the recorded-crime file (directly or through its populations).
CRIME_ASSETS = {"recorded_crime", "department_population", "deployment_department_year", "impact_panel",
                "impact_estimates", "event_study", "impact_diagnostics"}
#: Indicator terms that need a population (per 150,000 inhabitants, the worker target).
POPULATION_TERMS = {"population", "departments_meeting_target"}
HOW_TO_ADD = "run `swps fetch crime` or copy the SSMSI département file into"


def test_no_crime_file_is_a_status_naming_the_folder_and_how_to_add_one(tmp_path):
    crime = load_recorded_crime(tmp_path / "crime")
    assert not crime.available and crime.table.empty
    assert list(crime.table.columns) == ["department_code", "year", "indicator", "unit", "count", "rate_per_1000",
                                         "population", "population_year"]
    assert f"no recorded-crime file (.csv or .csv.gz) in {tmp_path / 'crime'}" in crime.status
    assert f"{HOW_TO_ADD} {tmp_path / 'crime'}" in crime.status


@pytest.mark.parametrize("name, content, says", [
    ("crime.csv", b"", "crime.csv is unreadable"),
    ("crime.csv.gz", BUNDLED_CRIME.read_bytes()[:2000], "crime.csv.gz is unreadable"),
    ("crime.csv", b"a;b\n1;2\n", "crime.csv has an unknown header"),
])
def test_a_bad_crime_file_is_a_status_with_the_error(tmp_path, name, content, says):
    (tmp_path / "crime").mkdir()
    (tmp_path / "crime" / name).write_bytes(content)
    crime = load_recorded_crime(tmp_path / "crime")
    assert not crime.available
    assert says in crime.status and "impact skipped" in crime.status and HOW_TO_ADD in crime.status


def test_a_good_crime_file_names_the_edition_and_its_years():
    crime = load_recorded_crime(BUNDLED_DATA / "crime")
    table = crime.table
    assert crime.available
    expected = (f"{BUNDLED_CRIME.name}: {len(table):,} rows, "
                f"{table['year'].min()}–{table['year'].max()}")
    assert crime.status == expected
    with gzip.open(BUNDLED_CRIME, "rt", encoding="utf-8-sig") if BUNDLED_CRIME.suffix == ".gz" else open(
            BUNDLED_CRIME, encoding="utf-8-sig") as handle:
        assert len(table) == sum(1 for _ in handle) - 1  # one row per line of the file


def data_folder_without_crime(root: Path, crime_file: tuple[str, bytes] | None = None) -> Path:
    """The bundled data with an empty `crime/` folder (or one holding `crime_file`)."""
    shutil.copytree(BUNDLED_DATA, root, ignore=shutil.ignore_patterns("crime"))
    (root / "crime").mkdir()
    if crime_file:
        (root / "crime" / crime_file[0]).write_bytes(crime_file[1])
    return root


def test_a_bad_crime_file_skips_the_impact_with_the_error_and_the_rest_runs(tmp_path):
    """In process on the bundled data: the run succeeds; the impact assets carry the error in their metadata."""
    data = data_folder_without_crime(tmp_path / "raw", ("crime.csv", b"a;b\n1;2\n"))
    settings = Settings(data_dir=data, output_dir=tmp_path / "out")
    with dg.instance_for_test() as instance:
        result = materialise(settings, instance)
        assert result.success
        statuses = {}
        for event in result.get_asset_materialization_events():
            materialisation = event.event_specific_data.materialization
            statuses[materialisation.asset_key.path[-1]] = materialisation.metadata.get("recorded crime")
    for asset in ("recorded_crime", "department_population", "impact_panel", "impact_estimates", "event_study",
                  "impact_diagnostics"):
        assert "crime.csv has an unknown header" in statuses[asset].value, asset
        assert f"{HOW_TO_ADD} {data / 'crime'}" in statuses[asset].value
    assert statuses["indicators"].value.startswith("per-capita indicators are null: recorded-crime file crime.csv")
    assert statuses["deployment_department_year"].value.startswith("fte_per_100k and cohort_intensity are null")
    assert statuses["cost_position_year"] is None  # nothing to say where crime data are not used
    marts = settings.marts_dir
    assert pd.read_parquet(marts / "impact_estimates.parquet").empty
    deployment = pd.read_parquet(marts / "deployment_department_year.parquet")
    assert deployment["population"].isna().all() and deployment["positions_active"].sum() > 0
    assert (settings.pack_dir).is_dir()


@pytest.mark.slow
def test_swps_run_without_crime_file_gives_every_other_mart_unchanged(tmp_path, bundled_marts):
    """`swps run` with an empty crime/: exit 0, the summary says why, and every mart not computed from the crime
    file is identical to the bundled run with it; the per-capita indicators alone are null, and the cost-benefit
    tables lack only their side-by-side run on the impact estimate (the headline uses the literature)."""
    data = data_folder_without_crime(tmp_path / "raw")
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    environment = {key: value for key, value in __import__("os").environ.items()
                   if not key.startswith(("SWPS_", "DAGSTER_"))}
    environment.update(SWPS_DATA_DIR=str(data), SWPS_OUTPUT_DIR=str(tmp_path / "out"), DAGSTER_HOME=str(home))
    result = subprocess.run([sys.executable, "-m", "swps_pipeline.cli", "run"], env=environment, cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert (f"  recorded crime: no recorded-crime file (.csv or .csv.gz) in {data / 'crime'}; impact skipped — "
            f"{HOW_TO_ADD} {data / 'crime'}\n") in result.stdout

    with_crime = {path.stem: pd.read_parquet(path) for path in bundled_marts.glob("*.parquet")}
    without = {path.stem: pd.read_parquet(path) for path in (tmp_path / "out" / "marts").glob("*.parquet")}
    assert sorted(without) == sorted(with_crime)
    # run_provenance describes the run: its id, its input count and the crime file's hash differ, nothing else.
    provenance = {label: table.set_index("key")["value"] for label, table in
                  (("with", with_crime.pop("run_provenance")), ("without", without.pop("run_provenance")))}
    changed = provenance["with"].index.symmetric_difference(provenance["without"].index)
    assert changed.tolist() == [f"input_sha256.crime/{path.name}" for path in (BUNDLED_DATA / "crime").iterdir()]
    shared = provenance["without"].index.intersection(provenance["with"].index)
    differing = shared[provenance["with"][shared] != provenance["without"][shared]]
    assert differing.tolist() == ["dagster_run_id", "input_files"]
    assert int(provenance["with"]["input_files"]) == int(provenance["without"]["input_files"]) + 1
    for name in sorted(set(with_crime) - CRIME_ASSETS - {"indicators", "indicator_outliers", "indicator_changes"}):
        if "effect_source" in with_crime[name]:  # the cost-benefit model's side-by-side run on the impact estimate
            assert set(without[name]["effect_source"]) == {"literature"}, name
            kept = with_crime[name][with_crime[name]["effect_source"] == "literature"].reset_index(drop=True)
            if "headline" in kept:
                assert len(with_crime[name]) - len(kept) == 1  # one whole-period row on the impact estimate
            pd.testing.assert_frame_equal(without[name], kept, check_exact=True, obj=name)
            continue
        pd.testing.assert_frame_equal(without[name], with_crime[name], check_exact=True, obj=name)
    for name in sorted(CRIME_ASSETS - {"deployment_department_year", "impact_diagnostics"}):
        assert without[name].empty and list(without[name].columns) == list(with_crime[name].columns), name
    diagnostics = without["impact_diagnostics"]
    assert diagnostics[["model", "term", "check"]].values.tolist() == [["all", "all", "recorded_crime"]]
    assert diagnostics["message"].iloc[0].startswith(f"no recorded-crime file (.csv or .csv.gz) in {data / 'crime'}")

    definitions = with_crime["indicator_definitions"]
    per_capita = set(definitions.loc[definitions["numerator"].isin(POPULATION_TERMS)
                                     | definitions["denominator"].isin(POPULATION_TERMS), "indicator"])
    assert {"persons_received_per_100k", "positions_per_150k", "meets_target"} <= per_capita
    for name in ("indicators", "indicator_outliers", "indicator_changes"):
        kept = {table: frame[~frame["indicator"].isin(per_capita)].reset_index(drop=True)
                for table, frame in (("with", with_crime[name]), ("without", without[name]))}
        pd.testing.assert_frame_equal(kept["without"], kept["with"], check_exact=True, obj=name)
    nulls = without["indicators"][without["indicators"]["indicator"].isin(per_capita)]
    assert len(nulls) > 0 and nulls["value"].isna().all()
    assert not without["indicator_outliers"]["indicator"].isin(per_capita).any()
