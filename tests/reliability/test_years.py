"""Year folders (issue 18, case 5 and "nothing vanishes"): a typo in a year never crashes a run nor
creates a year, and the marts of a run hold exactly the years of the data folder."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from swps_pipeline.settings import Settings


def test_year_folders_outside_the_plausible_range_are_not_read_and_say_why(tmp_path):
    for name in ("2021", "2402", "0999", "0000", "1979", "2100", "misc"):
        (tmp_path / "returns" / name).mkdir(parents=True)
    (tmp_path / "returns" / "2022.csv").write_text("x", encoding="utf-8")
    outside = tmp_path.parent / f"{tmp_path.name}_elsewhere" / "2023"
    outside.mkdir(parents=True)
    (tmp_path / "returns" / "2023").symlink_to(outside)
    years, not_read = Settings(tmp_path, tmp_path / "out").returns_folders()
    assert years == [2021, 2100]
    typo = "year outside 1980–2100: a typo? rename the folder"
    assert dict(not_read) == {
        "returns/0000": typo, "returns/0999": typo, "returns/1979": typo, "returns/2402": typo,
        "returns/2022.csv": "not a year folder returns/<YYYY>/", "returns/misc": "not a year folder returns/<YYYY>/",
        "returns/2023": "symbolic link to outside the data folder: not followed",
    }


def test_a_year_folder_in_digits_other_than_0_to_9_is_not_read_and_says_how_to_rename_it(tmp_path):
    """int() reads '２０２４' as 2024, but the files are read from returns/2024/: they were neither read nor
    listed, and without a folder returns/2024/ the run crashed on an empty year."""
    for name in ("2021", "\uff12\uff10\uff12\uff14", "\u0662\u0660\u0662\u0666"):
        (tmp_path / "returns" / name).mkdir(parents=True)
    years, not_read = Settings(tmp_path, tmp_path / "out").returns_folders()
    assert years == [2021]
    assert dict(not_read) == {
        "returns/\uff12\uff10\uff12\uff14": "year written with digits other than 0-9: rename the folder returns/2024/",
        "returns/\u0662\u0660\u0662\u0666": "year written with digits other than 0-9: rename the folder returns/2026/",
    }


def _years(marts: dict[str, pd.DataFrame], name: str) -> list[int]:
    return sorted(int(year) for year in marts[name]["year"].unique())


@pytest.mark.slow
def test_a_typo_year_is_reported_and_a_deleted_year_leaves_the_marts(small_folder, support, tmp_path):
    data_dir = tmp_path / "raw"
    shutil.copytree(small_folder, data_dir)
    shutil.copytree(data_dir / "returns" / "2022", data_dir / "returns" / "2402")  # a typo for 2024... or 2042
    environment = support.cli_environment(data_dir, tmp_path / "out", tmp_path / "dagster_home")

    first = support.run_cli(environment, timeout=600)
    assert first.returncode == 0, first.stderr
    assert "  not read: returns/2402 (year outside 1980–2100: a typo? rename the folder)" in first.stdout.splitlines()
    marts = support.read_marts(tmp_path / "out" / "marts")
    for name in ("returns_valid", "ingestion_accounting", "files_rejected", "position_year", "national_year"):
        assert _years(marts, name) == [2020, 2021, 2022], name

    # The 2022 folder is deleted, and the run uses a new Dagster instance (which never saw 2022).
    shutil.rmtree(data_dir / "returns" / "2022")
    shutil.rmtree(tmp_path / "dagster_home")
    environment = support.cli_environment(data_dir, tmp_path / "out", tmp_path / "dagster_home")
    second = support.run_cli(environment, timeout=600)
    assert second.returncode == 0, second.stderr
    marts = support.read_marts(tmp_path / "out" / "marts")
    for name in ("returns_valid", "returns_quarantine", "ingestion_accounting", "files_rejected", "position_year",
                 "missing_returns", "national_year"):
        assert _years(marts, name) == [2020, 2021], name


@pytest.mark.slow
def test_next_years_folder_made_before_its_files_runs_with_every_return_missing(small_folder, support, tmp_path):
    """A coordinator makes returns/2026/ before any file arrives, and 2026 has no price index yet: the run
    succeeds, says the year's returns are all missing and costs nothing in it (it crashed on the merge of an empty
    file list, then on the missing price index)."""
    data_dir = tmp_path / "raw"
    shutil.copytree(small_folder, data_dir)
    (data_dir / "returns" / "2026").mkdir()
    environment = support.cli_environment(data_dir, tmp_path / "out", tmp_path / "dagster_home")

    run = support.run_cli(environment, timeout=600)
    assert run.returncode == 0, run.stderr
    marts = support.read_marts(tmp_path / "out" / "marts")
    expected = marts["position_year"].query("year == 2026")
    assert len(expected) > 0 and not expected["has_return"].any()
    missing = marts["missing_returns"].query("year == 2026")
    assert sorted(missing["position_id"]) == sorted(expected["position_id"])
    assert f"  2026: 0 valid, 0 quarantined, 0 files rejected, {len(missing)} missing returns" in run.stdout.splitlines()
    costs = marts["cost_position_year"].query("year == 2026")
    assert len(costs) == len(expected) and costs["cost_eur"].isna().all() and (costs["cost_source"] == "no_return").all()
