"""The Dagster graph materialised on a small data folder written here, read back from the marts."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import yaml

from swps_pipeline.publish.warehouse import read_mart
from swps_pipeline.definitions import build_definitions
from swps_pipeline.defs.automation import returns_folder_sensor
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.runner import StepProgress, materialise
from swps_pipeline.settings import Settings

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data" / "raw"

REGISTRY = """position_id,department_code,host_type,host_site,employer_type,start_date,end_date,local_funders
77-001,77,police,Meaux,association,2015-01-01,,2
77-002,77,gendarmerie,Coulommiers,local_authority,2020-10-01,,1
01-001,01,mixed,Bourg,association,2019-03-01,2020-06-30,1
"""
HEADER = (
    "year,department_code,position_id,fte,months_active,persons_received,new_cases,actions,"
    "cases_victim,cases_offender,cases_third_party,cases_public_unknown"
)


def write_folder(root: Path) -> None:
    shutil.copytree(BUNDLED_DATA / "crime", root / "crime")
    (root / "returns" / "2020").mkdir(parents=True)
    (root / "returns" / "2021").mkdir(parents=True)
    (root / "positions.csv").write_text(REGISTRY, encoding="utf-8")
    (root / "returns" / "2020" / "77.csv").write_text(
        f"{HEADER}\n2020,77,77-001,1,12,100,50,300,30,5,15,0\n2020,77,77-002,1,3,20,10,40,,,,\n", encoding="utf-8"
    )
    (root / "returns" / "2020" / "01.csv").write_text(
        f"{HEADER}\n2020,1,01-001,0.5,6,40,20,80,10,2,8,\n", encoding="utf-8"
    )
    (root / "returns" / "2021" / "77.csv").write_text(
        f"{HEADER}\n2021,77,77-001,1,12,120,60,360,30,6,20,4\n"
        f"2021,77,77-002,2,12,80,40,200,20,4,16,0\n",  # fte 2 breaks `range`
        encoding="utf-8",
    )
    (root / "returns" / "2021" / "empty.csv").write_bytes(b"")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def terminal():
    """What `swps run` would show on a terminal's standard error during the small run."""
    return Terminal()


@pytest.fixture(scope="module")
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, terminal, instance):
    root = tmp_path_factory.mktemp("small")
    write_folder(root / "raw")
    settings = Settings(data_dir=root / "raw", output_dir=root / "out")
    result = materialise(settings, instance, progress=StepProgress.for_stream(terminal))
    checks = {
        (e.asset_key.path[-1], e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
    }
    return settings, result, checks


def test_every_row_is_accounted_for_and_the_bad_one_quarantined(small_run):
    settings, result, checks = small_run
    assert result.success
    accounting = read_mart(settings.marts_dir, "ingestion_accounting").set_index("source_file")
    assert accounting.loc["returns/2020/77.csv", "rows_valid"] == 2
    assert accounting.loc["returns/2021/77.csv", ["rows_read", "rows_valid", "rows_quarantined"]].tolist() == [2, 1, 1]
    quarantine = read_mart(settings.marts_dir, "returns_quarantine")
    assert quarantine[["position_id", "rules"]].values.tolist() == [["77-002", "range"]]
    rejected = read_mart(settings.marts_dir, "files_rejected")
    assert rejected["source_file"].tolist() == ["returns/2021/empty.csv"]
    assert checks[("ingestion_accounting", "accounting_balances")]
    assert checks[("returns_valid", "position_year_unique")]


def test_panel_sums_only_what_was_reported(small_run):
    settings, _, checks = small_run
    department_year = read_mart(settings.marts_dir, "department_year").set_index(["department_code", "year"])
    assert len(department_year) == 101 * 2
    assert checks[("department_year", "department_year_complete")]
    seine_et_marne_2020 = department_year.loc[("77", 2020)]
    assert seine_et_marne_2020["positions_active"] == 2
    assert seine_et_marne_2020["persons_received"] == 120
    assert seine_et_marne_2020["new_cases"] == 60
    # 77-002 left the cases group blank in 2020: the victims sum covers 77-001 only, never a 0 for 77-002.
    assert seine_et_marne_2020["cases_victim"] == 30
    # In 2021 the only 77-002 return was quarantined: a missing return, not zero activity.
    assert department_year.loc[("77", 2021), "positions_reporting"] == 1
    assert department_year.loc[("77", 2021), "persons_received"] == 120
    assert pd.isna(department_year.loc[("13", 2021), "persons_received"])
    missing = read_mart(settings.marts_dir, "missing_returns")
    assert missing[["position_id", "year"]].values.tolist() == [["77-002", 2021]]


def test_national_year_counts_departements_below_standard(small_run):
    settings, _, _ = small_run
    national = read_mart(settings.marts_dir, "national_year").set_index("year")
    # 2020: 77 has 2 positions (meets the standard), 01 has 1 (ended mid-2020), 99 others have none.
    assert national.loc[2020, "positions_active"] == 3
    assert national.loc[2020, "departments_covered"] == 2
    assert national.loc[2020, "departments_below_standard"] == 100
    assert national.loc[2021, "positions_active"] == 2
    assert national.loc[2021, "mean_positions_per_department"] == pytest.approx(2 / 101)


def test_each_year_partition_shows_its_own_row_count_and_the_columns_their_descriptions(small_run):
    _, result, _ = small_run
    events = {(e.asset_key.path[-1], e.partition): e.materialization.metadata
              for e in result.get_asset_materialization_events()}
    # 2020: three valid returns; 2021: one valid, one quarantined (fte 2), one empty file rejected
    counts = {key: meta["dagster/row_count"].value for key, meta in events.items() if key[1] is not None}
    assert counts[("returns_valid", "2020")] == 3 and counts[("returns_valid", "2021")] == 1
    assert counts[("returns_quarantine", "2020")] == 0 and counts[("returns_quarantine", "2021")] == 1
    assert counts[("files_rejected", "2020")] == 0 and counts[("files_rejected", "2021")] == 1
    assert events[("ingestion_accounting", "2020")]["years"].value == "2020, 2021"
    schema = events[("department_year", "2021")]["dagster/column_schema"].schema
    assert all(column.description for column in schema.columns)


def test_a_run_is_recorded_as_a_launch_from_the_code_location(small_run):
    """The UI lists it under the location's job (Overview timeline, Runs tab) and re-executes it without a
    version warning: same location, repository label and job snapshot as the code location's own job."""
    settings, result, _ = small_run
    run = result.dagster_run
    workspace = yaml.safe_load((Path(__file__).resolve().parents[2] / "workspace.yaml").read_text(encoding="utf-8"))
    location = workspace["load_from"][0]["python_module"]["location_name"]
    assert run.remote_job_origin.location_name == location
    assert run.tags_for_storage()[".dagster/repository"] == f"__repository__@{location}"
    assert run.job_snapshot_id == build_definitions(settings).resolve_job_def("swps_all").get_job_snapshot_id()
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == (
        "2020", "2021")


def test_progress_shows_each_step_and_how_many_are_done_on_a_terminal_only(small_run, terminal):
    _, result, _ = small_run
    steps = [event.step_key for event in result.all_events if event.is_step_start]
    shown = [line.removesuffix("\x1b[K") for line in terminal.getvalue().split("\r")]
    shown = [line for line in shown if line]
    assert len(steps) == len(result.job_def.graph.nodes) > 10
    for done, (step, line) in enumerate(zip(steps, shown, strict=True)):
        assert line.startswith(f"swps run: [{done}/{len(steps)}] running {step} (")
    assert terminal.getvalue().endswith("\r\x1b[K")  # the line is cleared when the run ends
    assert StepProgress.for_stream(io.StringIO()) is None  # a file or a pipe: no progress line


def test_the_sensor_switched_on_after_a_run_requests_nothing_until_a_year_changes(small_run, instance):
    settings, _, _ = small_run
    resources = {"settings": PipelineSettings(data_dir=str(settings.data_dir), output_dir=str(settings.output_dir))}
    with dg.build_sensor_context(instance=instance, cursor=None, resources=resources) as context:
        first = returns_folder_sensor(context)
    assert first.run_requests == [] and first.dynamic_partitions_requests == []

    touched = settings.data_dir / "returns" / "2021" / "77.csv"
    stat = touched.stat()
    os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with dg.build_sensor_context(instance=instance, cursor=first.cursor, resources=resources) as context:
        second = returns_folder_sensor(context)
    assert [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in second.run_requests] == [("2021", "2021")]
