"""The yearly schedule and the returns-folder sensor, with Dagster's own test helpers."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import dagster as dg
from zoneinfo import ZoneInfo

from swps_pipeline.defs.automation import returns_folder_sensor, returns_year_partitions, yearly_returns_schedule
from swps_pipeline.defs.resources import PipelineSettings


def _settings(data_dir: Path, output_dir: Path) -> PipelineSettings:
    return PipelineSettings(data_dir=str(data_dir), output_dir=str(output_dir))


def _year_folders(root: Path, years: list[int]) -> None:
    for year in years:
        folder = root / "returns" / str(year)
        folder.mkdir(parents=True)
        (folder / "77.csv").write_text(f"year,department_code\n{year},77\n", encoding="utf-8")


def _schedule_context(instance, tmp_path):
    """Entered with `with`, as the context sets the instance's state storage until it exits."""
    return dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime(2026, 3, 1, 6, 0, tzinfo=ZoneInfo("Europe/Paris")),
        resources={"settings": _settings(tmp_path, tmp_path / "out")},
    )


def test_schedule_on_1_march_2026_requests_the_2025_partition(tmp_path):
    _year_folders(tmp_path, [2024, 2025])
    with dg.instance_for_test() as instance, _schedule_context(instance, tmp_path) as context:
        request = yearly_returns_schedule(context)
        assert isinstance(request, dg.RunRequest)
        assert request.partition_key == "2025"
        assert instance.has_dynamic_partition("returns_year", "2025")


def test_schedule_skips_when_the_year_has_no_folder(tmp_path):
    _year_folders(tmp_path, [2024])
    with dg.instance_for_test() as instance, _schedule_context(instance, tmp_path) as context:
        assert isinstance(yearly_returns_schedule(context), dg.SkipReason)


def test_schedule_is_due_on_1_march_paris_time():
    assert yearly_returns_schedule.cron_schedule == "0 6 1 3 *"
    assert yearly_returns_schedule.execution_timezone == "Europe/Paris"


def _tick(instance, cursor, settings):
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"settings": settings}) as context:
        result = returns_folder_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def _ranges(result) -> list[tuple[str, str]]:
    return [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
            for r in result.run_requests]


def test_sensor_requests_one_run_for_the_changed_years_together_then_only_what_changed(tmp_path):
    _year_folders(tmp_path, [2019, 2020, 2021])
    settings = _settings(tmp_path, tmp_path / "out")
    with dg.instance_for_test() as instance:
        first = _tick(instance, None, settings)  # nothing materialised yet: every year, in one run
        assert _ranges(first) == [("2019", "2021")]
        assert sorted(first.dynamic_partitions_requests[0].partition_keys) == ["2019", "2020", "2021"]

        second = _tick(instance, first.cursor, settings)
        assert second.run_requests == []

        touched = tmp_path / "returns" / "2020" / "77.csv"
        stat = touched.stat()
        os.utime(touched, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        third = _tick(instance, second.cursor, settings)
        assert _ranges(third) == [("2020", "2020")]
        assert third.dynamic_partitions_requests == []

        _year_folders(tmp_path, [2022])
        (tmp_path / "returns" / "2019" / "late.csv").write_text("year\n2019\n", encoding="utf-8")
        fourth = _tick(instance, third.cursor, settings)  # a late 2019 file and a new year: one run, 2019-2022
        assert _ranges(fourth) == [("2019", "2022")]
        assert list(fourth.dynamic_partitions_requests[0].partition_keys) == ["2022"]
        assert set(json.loads(fourth.cursor)) == {"2019", "2020", "2021", "2022"}


def test_the_partition_sensor_registers_new_year_folders_without_a_run(tmp_path):
    _year_folders(tmp_path, [2024, 2025])
    settings = _settings(tmp_path, tmp_path / "out")
    with (dg.instance_for_test() as instance,
          dg.build_sensor_context(instance=instance, resources={"settings": settings}) as context):
        instance.add_dynamic_partitions("returns_year", ["2024"])
        result = returns_year_partitions(context)
        assert result.run_requests == []
        assert list(result.dynamic_partitions_requests[0].partition_keys) == ["2025"]
        instance.add_dynamic_partitions("returns_year", ["2025"])
        assert isinstance(returns_year_partitions(context), dg.SkipReason)
