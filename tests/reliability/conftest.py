"""Shared by the reliability tests: a small data folder, its corrected twin, their clean runs, the CLI.

The small folder is cut from the bundled data: the whole registry and crime
file, and three years (2020–2022) holding the files where the generator
planted bad rows or a bad file, plus the Ain (01), Haute-Loire (43) and
Seine-et-Marne (77) returns. A run on it takes a few seconds instead of ~15 s on the bundled data
and still goes through CSV and XLSX files, several encodings and layouts,
quarantined rows, duplicates and a rejected file.

The corrected twin differs by one value: in `returns/2021/retours_2021_dep43.csv`
the département fixed the position id typed `43-01` (quarantined: not an id)
into `43-001`. That return then becomes valid, leaves the quarantine and the
missing returns, and enters every sum of Haute-Loire and of the nation for
2021, so the two versions of most marts differ (some in length), and a test
can tell an old mart from a new one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.publish.warehouse import publish_run_folder, start_run_folder
from swps_pipeline.runner import materialise
from swps_pipeline.settings import Settings

REPO = Path(__file__).resolve().parents[2]
BUNDLED_DATA = REPO / "data" / "raw"
YEARS = (2020, 2021, 2022)
EXTRA_FILES = ("retours_{year}_dep01.csv", "retours_{year}_dep43.csv", "retours_{year}_dep77.csv")
CORRECTED_FILE = Path("returns/2021/retours_2021_dep43.csv")
CORRECTED_YEAR = 2021
TYPED_ID, CORRECTED_ID = "43-01", "43-001"
#: Values of the corrected row in the file.
CORRECTED_VALUES = {"department_code": "43", "persons_received": 202, "new_cases": 184, "actions": 627}


@dataclass(frozen=True)
class CleanRun:
    """A complete run: where its inputs and outputs are, and its marts as read back."""

    data_dir: Path
    output_dir: Path
    marts: dict[str, pd.DataFrame]


def write_small_folder(root: Path) -> None:
    """The small data folder described in the module docstring (version before the correction)."""
    manifest = json.loads((BUNDLED_DATA / "synthetic_manifest.json").read_text(encoding="utf-8"))
    planted = {item["source_file"] for item in manifest["planted"] if item["year"] in YEARS}
    root.mkdir(parents=True)
    shutil.copy2(BUNDLED_DATA / "positions.csv", root / "positions.csv")
    shutil.copytree(BUNDLED_DATA / "crime", root / "crime")
    for year in YEARS:
        source = BUNDLED_DATA / "returns" / str(year)
        (root / "returns" / str(year)).mkdir(parents=True)
        for path in sorted(source.iterdir()):
            relative = f"returns/{year}/{path.name}"
            wanted = relative in planted or "Seine-et-Marne" in path.name or any(
                path.name == pattern.format(year=year) for pattern in EXTRA_FILES
            )
            if wanted:
                shutil.copy2(path, root / relative)


def correct_one_value(root: Path) -> None:
    """Fix the typo: position id `43-01` becomes `43-001` in returns/2021/retours_2021_dep43.csv."""
    path = root / CORRECTED_FILE
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",")
    column = header.index("position_id")
    (line_number,) = [i for i, line in enumerate(lines) if line.split(",")[column] == TYPED_ID]
    cells = lines[line_number].split(",")
    assert '"' not in lines[line_number], "the bundled file changed"
    for name, value in CORRECTED_VALUES.items():
        assert cells[header.index(name)] == str(value), "the bundled file changed"
    cells[column] = CORRECTED_ID
    lines[line_number] = ",".join(cells)
    path.write_text("".join(lines), encoding="utf-8")


def read_marts(marts_dir: Path) -> dict[str, pd.DataFrame]:
    """Every published mart, as a reader finds them: `marts/*.parquet`."""
    return {path.stem: pd.read_parquet(path) for path in sorted(marts_dir.glob("*.parquet"))}


def assert_same_marts(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame], what: str) -> None:
    """The same tables, with exactly the same values, dtypes and row order.

    No mart holds a run id or a timestamp of the run (checked: the only date
    columns are the registry's start_date/end_date), so no column is excluded.
    """
    assert sorted(actual) == sorted(expected), f"{what}: not the same set of marts"
    for name in expected:
        pd.testing.assert_frame_equal(actual[name], expected[name], check_exact=True, obj=f"{what}: mart {name}")


def run_in_process(data_dir: Path, output_dir: Path, only_year: int | None = None) -> dg.ExecuteInProcessResult:
    settings = Settings(data_dir=data_dir, output_dir=output_dir)
    with dg.instance_for_test() as instance:
        result = materialise(settings, instance, only_year=only_year)
    assert result.success, f"run on {data_dir} failed"
    return result


def swps_command(*arguments: str) -> list[str]:
    """`swps ...` of the venv running the tests."""
    return [sys.executable, "-m", "swps_pipeline.cli", *arguments]


def cli_environment(data_dir: Path, output_dir: Path, dagster_home: Path, **extra: str) -> dict[str, str]:
    """Environment of a `swps` subprocess: its own data, output and Dagster instance (telemetry off)."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("SWPS_", "DAGSTER_"))
    }
    environment.update(
        SWPS_DATA_DIR=str(data_dir), SWPS_OUTPUT_DIR=str(output_dir), DAGSTER_HOME=str(dagster_home),
        PYTHONUNBUFFERED="1", **extra,
    )
    return environment


def run_cli(environment: dict[str, str], *arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """`swps run ...` to completion, from the folder holding the output (never from the repo)."""
    return subprocess.run(
        swps_command("run", *arguments), env=environment, cwd=Path(environment["SWPS_OUTPUT_DIR"]).parent,
        capture_output=True, text=True, timeout=timeout,
    )


def copy_output(run: CleanRun, destination: Path) -> Path:
    """A copy of a complete run's output folder (warehouse, marts, pack): "the marts of a previous run",
    laid out as `swps run` leaves them (`marts` a link to the folder of that run)."""
    shutil.copytree(run.output_dir, destination)
    publish_run_folder(destination, start_run_folder(destination))
    return destination


@pytest.fixture(scope="session")
def support() -> SimpleNamespace:
    """The helpers above, for the test modules (with --import-mode=importlib they cannot import this file)."""
    return SimpleNamespace(
        read_marts=read_marts, assert_same_marts=assert_same_marts, run_in_process=run_in_process,
        swps_command=swps_command, cli_environment=cli_environment, run_cli=run_cli, copy_output=copy_output,
        CORRECTED_FILE=CORRECTED_FILE, CORRECTED_YEAR=CORRECTED_YEAR, TYPED_ID=TYPED_ID, CORRECTED_ID=CORRECTED_ID,
        CORRECTED_VALUES=CORRECTED_VALUES, YEARS=YEARS, BUNDLED_DATA=BUNDLED_DATA,
    )


@pytest.fixture(scope="session")
def small_folder(tmp_path_factory) -> Path:
    """The small data folder before the correction (never modified by a test: copy it first)."""
    root = tmp_path_factory.mktemp("reliability_inputs") / "raw"
    write_small_folder(root)
    return root


@pytest.fixture(scope="session")
def corrected_folder(tmp_path_factory, small_folder) -> Path:
    """The small data folder after the correction of one value in one 2021 file."""
    root = tmp_path_factory.mktemp("reliability_inputs_corrected") / "raw"
    shutil.copytree(small_folder, root)
    correct_one_value(root)
    return root


@pytest.fixture(scope="session")
def original_run(tmp_path_factory, small_folder) -> CleanRun:
    """One complete run on the small folder, into a fresh output folder."""
    output = tmp_path_factory.mktemp("reliability_original") / "out"
    run_in_process(small_folder, output)
    run = CleanRun(small_folder, output, read_marts(output / "marts"))
    valid, quarantine = run.marts["returns_valid"], run.marts["returns_quarantine"]
    assert sorted(valid["year"].unique()) == list(YEARS)
    assert not ((valid["position_id"] == CORRECTED_ID) & (valid["year"] == CORRECTED_YEAR)).any()
    typed = (quarantine["position_id"] == TYPED_ID) & (quarantine["source_file"] == CORRECTED_FILE.as_posix())
    assert typed.sum() == 1
    assert len(run.marts["returns_quarantine"]) > 0 and len(run.marts["files_rejected"]) > 0
    return run


@pytest.fixture(scope="session")
def corrected_run(tmp_path_factory, corrected_folder, original_run) -> CleanRun:
    """One complete run on the corrected folder, into a fresh output folder: what any later run must give."""
    output = tmp_path_factory.mktemp("reliability_corrected") / "out"
    run_in_process(corrected_folder, output)
    run = CleanRun(corrected_folder, output, read_marts(output / "marts"))
    changed = [name for name in run.marts if not run.marts[name].equals(original_run.marts[name])]
    for name in ("returns_valid", "returns_quarantine", "missing_returns", "position_year", "department_year",
                 "national_year"):
        assert name in changed, f"the correction should change {name}"
    return run
