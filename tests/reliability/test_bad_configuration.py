"""Bad configuration: `swps run` refuses with exit 2 and one line naming the file and the problem.

Every case runs the real command line in a subprocess on its own data folder.
They fail in the preflight, before Dagster starts, so they are quick; they are
started together (a few at a time) by one fixture, and each test reads its
case's outcome. Each case checks: exit code 2, exactly one line on stderr that
names the file or folder and says what is wrong, no traceback anywhere, nothing
written into the input folder, and no output folder or Dagster run created.
A missing or bad crime file is not among them: the run goes on without the
impact (issue 14, tests/deploy/test_without_crime.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REGISTRY = """position_id,department_code,host_type,host_site,employer_type,start_date,end_date,local_funders
77-001,77,police,Meaux,association,2015-01-01,,2
77-002,77,gendarmerie,Coulommiers,local_authority,2020-10-01,,1
"""
RETURNS = (
    "year,department_code,position_id,fte,months_active,persons_received,new_cases,actions,"
    "cases_victim,cases_offender,cases_third_party,cases_public_unknown\n"
    "2021,77,77-001,1,12,120,60,360,30,6,20,4\n"
)
GARBAGE = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@dataclass(frozen=True)
class Case:
    """A broken configuration: how to break a good data folder, and what the one line must say."""

    break_it: Callable[[Path, Path], None]  # (data folder, the case's own folder) -> None
    says: tuple[str, ...]  # substrings of the error line (the file or folder, the problem); {data}: data folder
    arguments: tuple[str, ...] = ()
    environment: dict[str, str] = field(default_factory=dict)  # {case}: the case's own folder
    output_is_broken: bool = False  # the case breaks the output folder itself (it exists, as the case made it)


def write_good_folder(root: Path, bundled: Path) -> None:
    (root / "returns" / "2021").mkdir(parents=True)
    (root / "positions.csv").write_text(REGISTRY, encoding="utf-8")
    (root / "returns" / "2021" / "77.csv").write_text(RETURNS, encoding="utf-8")
    shutil.copytree(bundled / "crime", root / "crime")


def edit_registry(old: str, new: str) -> Callable[[Path, Path], None]:
    def edit(root: Path, _: Path) -> None:
        assert old in REGISTRY
        (root / "positions.csv").write_text(REGISTRY.replace(old, new), encoding="utf-8")
    return edit


def parameters_file(text: str) -> Callable[[Path, Path], None]:
    def write(_: Path, case_folder: Path) -> None:
        (case_folder / "my_parameters.yaml").write_text(text, encoding="utf-8")
    return write


def no_year_folder(root: Path, _: Path) -> None:
    shutil.rmtree(root / "returns")
    (root / "returns" / "misc").mkdir(parents=True)
    (root / "returns" / "21").mkdir()
    (root / "returns" / "2021.csv").write_text(RETURNS, encoding="utf-8")


def nothing(_: Path, __: Path) -> None:
    pass


CASES = {
    "registry missing": Case(
        lambda root, _: (root / "positions.csv").unlink(), ("{data}/positions.csv", "registry not found")),
    "registry binary garbage": Case(
        lambda root, _: (root / "positions.csv").write_bytes(GARBAGE),
        ("positions.csv", "binary content", "not a text CSV", "save the registry as CSV (UTF-8)")),
    "registry column missing": Case(
        edit_registry(",local_funders\n", "\n"), ("positions.csv", "'local_funders'", "missing")),
    "registry bad date": Case(
        edit_registry("2020-10-01", "2020-13-45"), ("positions.csv", "start_date", "not a date", "line 3", "77-002")),
    "parameters not YAML": Case(
        parameters_file("parameters:\n  officer_hourly_cost_eur: [1, 2\n"), ("my_parameters.yaml", "not valid YAML"),
        arguments=("--parameters", "my_parameters.yaml")),
    "parameters unknown parameter": Case(
        parameters_file("parameters:\n  magic_multiplier: 2\n"),
        ("my_parameters.yaml", "unknown parameter 'magic_multiplier'"),
        arguments=("--parameters", "my_parameters.yaml")),
    "parameters value not a number": Case(
        parameters_file("parameters:\n  officer_hourly_cost_eur: lots\n"),
        ("my_parameters.yaml", "officer_hourly_cost_eur", "expected a number", "'lots'"),
        arguments=("--parameters", "my_parameters.yaml")),
    "parameters file missing": Case(
        nothing, ("absent.yaml", "cannot read the parameter file"), arguments=("--parameters", "absent.yaml")),
    "data folder missing": Case(
        lambda root, _: shutil.rmtree(root), ("{data}", "does not exist")),
    "returns without year folders": Case(no_year_folder, ("no year folder", "{data}/returns")),
    "--year of a folder outside the plausible years": Case(
        lambda root, _: (root / "returns" / "2402").mkdir(),
        ("{data}/returns/2402", "year outside 1980–2100"), arguments=("--year", "2402")),
    "registry with only a header": Case(
        lambda root, _: (root / "positions.csv").write_text(REGISTRY.splitlines()[0] + "\n", encoding="utf-8"),
        ("positions.csv", "no positions, only a header row")),
    "parameters file is a FIFO": Case(
        lambda _, case_folder: os.mkfifo(case_folder / "pipe.yaml"),
        ("pipe.yaml", "the parameter file is a named pipe (FIFO), not a regular file"),
        arguments=("--parameters", "pipe.yaml")),
    "output folder is a plain file": Case(
        lambda _, case_folder: (case_folder / "out").write_text("not a folder", encoding="utf-8"),
        ("{case}/out", "the output folder (SWPS_OUTPUT_DIR) is a file, not a folder"), output_is_broken=True),
    "DAGSTER_HOME is a plain file": Case(
        lambda _, case_folder: (case_folder / "home_file").write_text("not a folder", encoding="utf-8"),
        ("{case}/home_file", "the Dagster instance folder (DAGSTER_HOME) is a file, not a folder"),
        environment={"DAGSTER_HOME": "{case}/home_file"}, output_is_broken=True),
    "SWPS_WORKERS not a number": Case(
        lambda *_: None, ("SWPS_WORKERS='two'", "write a whole number of processes"),
        environment={"SWPS_WORKERS": "two"}),
}


def snapshot(folder: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under `folder` with its size, mtime and content hash."""
    if not folder.exists():
        return {}
    return {
        path.relative_to(folder).as_posix(): (
            path.stat().st_size, path.stat().st_mtime_ns,
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder",
        )
        for path in sorted(folder.rglob("*"))
    }


@dataclass
class Outcome:
    result: subprocess.CompletedProcess
    data_dir: Path
    output_dir: Path
    dagster_home: Path
    before: dict
    after: dict


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, support) -> dict[str, Outcome]:
    """Run every case's `swps run` (three at a time: each spends ~3 s importing the pipeline)."""
    prepared = {}
    for name, case in CASES.items():
        folder = tmp_path_factory.mktemp("bad_configuration")
        data_dir = folder / "raw"
        write_good_folder(data_dir, support.BUNDLED_DATA)
        case.break_it(data_dir, folder)
        environment = {**support.cli_environment(data_dir, folder / "out", folder / "dagster_home"),
                       **{key: value.format(case=folder) for key, value in case.environment.items()}}
        prepared[name] = (folder, environment, snapshot(folder))

    def run(name: str) -> Outcome:
        folder, environment, before = prepared[name]
        result = subprocess.run(
            support.swps_command("run", *CASES[name].arguments), env=environment, cwd=folder,
            capture_output=True, text=True, timeout=120,
        )
        return Outcome(result, folder / "raw", folder / "out", folder / "dagster_home", before, snapshot(folder))

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(zip(CASES, pool.map(run, CASES)))


@pytest.mark.parametrize("name", list(CASES))
def test_a_bad_configuration_stops_with_exit_2_and_one_line_naming_the_file(name, outcomes):
    outcome = outcomes[name]
    result = outcome.result
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith("swps run: ")
    for text in CASES[name].says:
        text = text.format(data=outcome.data_dir, case=outcome.data_dir.parent)
        assert text in line, f"{text!r} not in {line!r}"
    # Nothing was written: not into the input folder (nor anywhere in the case's folder), no output folder.
    assert outcome.after == outcome.before
    if CASES[name].output_is_broken:
        return
    assert not outcome.output_dir.exists()
    assert sorted(p.name for p in outcome.dagster_home.iterdir()) == ["dagster.yaml"]
