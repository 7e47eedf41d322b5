"""Publishing the marts of one run together, and the cleanup after a kill (issue 18, case 10)."""

from __future__ import annotations

import os

import pandas as pd

from swps_pipeline.publish.warehouse import publish_run_folder, remove_stale_runs, start_run_folder


def write_mart(folder, name: str, value: int) -> None:
    """As the warehouse writes a mart: a new file renamed into place (never in place: the run folder starts
    as hard links to the published marts)."""
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"value": [value]}).to_parquet(folder / f".{name}.tmp")
    os.replace(folder / f".{name}.tmp", folder / f"{name}.parquet")


def test_a_run_folder_starts_from_the_published_marts_and_is_published_by_one_rename(tmp_path):
    write_mart(tmp_path / "marts", "kept", 1)  # an output folder of an older version: `marts` a plain folder
    write_mart(tmp_path / "marts", "rewritten", 1)
    first = start_run_folder(tmp_path)
    assert sorted(path.name for path in first.iterdir()) == ["kept.parquet", "rewritten.parquet"]
    assert (first / "kept.parquet").stat().st_ino == (tmp_path / "marts" / "kept.parquet").stat().st_ino
    write_mart(first, "rewritten", 2)
    assert pd.read_parquet(tmp_path / "marts" / "rewritten.parquet")["value"].tolist() == [1]  # not yet published
    publish_run_folder(tmp_path, first)
    assert (tmp_path / "marts").is_symlink() and (tmp_path / "marts").resolve() == first.resolve()
    assert pd.read_parquet(tmp_path / "marts" / "rewritten.parquet")["value"].tolist() == [2]
    assert pd.read_parquet(tmp_path / "marts" / "kept.parquet")["value"].tolist() == [1]

    second = tmp_path / "runs" / "second"
    write_mart(second, "rewritten", 3)
    publish_run_folder(tmp_path, second)
    assert pd.read_parquet(tmp_path / "marts" / "rewritten.parquet")["value"].tolist() == [3]
    # The run just replaced is kept (a reader may be going through it); anything older is gone.
    assert sorted(path.name for path in (tmp_path / "runs").iterdir()) == sorted([first.name, "second"])
    third = tmp_path / "runs" / "third"
    write_mart(third, "rewritten", 4)
    publish_run_folder(tmp_path, third)
    assert sorted(path.name for path in (tmp_path / "runs").iterdir()) == ["second", "third"]


def test_the_next_run_removes_every_kind_of_temporary_a_killed_run_left(tmp_path):
    published = tmp_path / "runs" / "published"
    write_mart(published, "national_year", 1)
    os.symlink("runs/published", tmp_path / "marts")
    killed = tmp_path / "runs" / "killed"
    write_mart(killed, "national_year", 2)
    (published / ".national_year.parquet.4242.tmp").write_bytes(b"PAR1 half")
    os.symlink("runs/killed", tmp_path / ".marts.4242.tmp")
    pack_staging = tmp_path / ".evaluation_pack.abc123.tmp"
    (pack_staging / "csv").mkdir(parents=True)

    remove_stale_runs(tmp_path)

    assert [path.name for path in (tmp_path / "runs").iterdir()] == ["published"]
    assert sorted(path.name for path in published.iterdir()) == ["national_year.parquet"]
    assert not os.path.lexists(tmp_path / ".marts.4242.tmp") and not pack_staging.exists()
    assert pd.read_parquet(tmp_path / "marts" / "national_year.parquet")["value"].tolist() == [1]
