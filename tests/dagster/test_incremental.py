"""A corrected year re-run alone (`swps run --year Y`) gives the marts of a full run from scratch,
reads no other year's files, and leaves out the reference tables when nothing they come from changed."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.defs.selection import REFERENCE_ASSETS, unchanged_reference_assets
from swps_pipeline.publish.warehouse import read_mart
from swps_pipeline.reuse import reference_inputs_key
from swps_pipeline.runner import materialise
from swps_pipeline.settings import Settings

pytestmark = pytest.mark.slow  # three runs of the pipeline

BUNDLED_DATA = Path(__file__).resolve().parents[2] / "data" / "raw"
YEARS = (2023, 2024, 2025)
CORRECTED = 2024  # a middle year: the next year's year-on-year changes depend on it
CORRECTED_FILE = "03_Allier_bilan_2024.csv"  # its last line: 03-004, 165 persons received

#: The file the paths opened are written to while a run is watched: a descriptor the step's forked workers
#: (swps_pipeline/parallel.py) inherit, so the files they read are counted too.
_opened_log: int | None = None


def _record_opens(event: str, args: tuple) -> None:
    if event == "open" and _opened_log is not None and isinstance(args[0], (str, Path)):
        os.write(_opened_log, f"{args[0]}\n".encode())  # os.write opens nothing: no event of its own


sys.addaudithook(_record_opens)  # audit hooks cannot be removed: it records only while `_opened_log` is set


def _copy_bundled(root: Path) -> Path:
    root.mkdir()
    shutil.copy(BUNDLED_DATA / "positions.csv", root / "positions.csv")
    shutil.copytree(BUNDLED_DATA / "crime", root / "crime")
    for year in YEARS:
        shutil.copytree(BUNDLED_DATA / "returns" / str(year), root / "returns" / str(year))
    return root


def _drop_last_line(path: Path) -> None:
    lines = path.read_bytes().rstrip(b"\r\n").splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))


def _marts(settings: Settings) -> dict[str, pd.DataFrame]:
    return {path.stem: read_mart(settings.marts_dir, path.stem) for path in sorted(settings.marts_dir.glob("*.parquet"))}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A full run, a correction and that year's re-run on one instance (kept open for the tests), then a full run
    of the corrected data from scratch on another."""
    global _opened_log
    root = tmp_path_factory.mktemp("incremental")
    data = _copy_bundled(root / "raw")
    incremental, scratch = Settings(data, root / "incremental"), Settings(data, root / "scratch")
    with dg.instance_for_test() as instance:
        assert materialise(incremental, instance).success
        before, files_before = _marts(incremental), _mart_files(incremental)
        corrected = data / "returns" / str(CORRECTED) / CORRECTED_FILE
        _drop_last_line(corrected)
        kept_before = _kept_results(incremental)
        log = root / "opened.txt"
        _opened_log = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            rerun = materialise(incremental, instance, only_year=CORRECTED)
            assert rerun.success
        finally:
            os.close(_opened_log)
            _opened_log = None
        opened = log.read_text().splitlines()
        with dg.instance_for_test() as scratch_instance:
            assert materialise(scratch, scratch_instance).success
        yield {"before": before, "incremental": _marts(incremental), "scratch": _marts(scratch),
               "opened": opened, "data": data, "corrected": corrected, "kept_before": kept_before,
               "kept_after": _kept_results(incremental), "files_before": files_before,
               "files_after": _mart_files(incremental), "instance": instance, "settings": incremental,
               "rerun": {event.asset_key.path[-1] for event in rerun.get_asset_materialization_events()}}


def _mart_files(settings: Settings) -> dict[str, int]:
    """Each published mart's file (its inode): a run's folder starts as hard links to the marts before it."""
    return {path.stem: path.stat().st_ino for path in settings.marts_dir.glob("*.parquet")}


def _kept_results(settings: Settings) -> dict[str, int]:
    """How many results `swps_pipeline/reuse.py` keeps, by the function that computed them."""
    counts: dict[str, int] = {}
    for metadata in (settings.output_dir / ".cache").rglob("metadata.json"):
        function = json.loads(metadata.read_text())["input_args"]["function"].split()[1]
        counts[function] = counts.get(function, 0) + 1
    return counts


def test_a_corrected_year_re_run_alone_gives_the_marts_of_a_full_run(runs):
    incremental, scratch = runs["incremental"], runs["scratch"]
    assert sorted(incremental) == sorted(scratch)
    for name in scratch:
        pd.testing.assert_frame_equal(*(_without_run_id(marts[name]) for marts in (incremental, scratch)), obj=name,
                                      check_exact=True)  # to the last digit


def _without_run_id(mart: pd.DataFrame) -> pd.DataFrame:
    """run_provenance names the Dagster run that wrote it: by design the one row two runs never share."""
    return mart[mart["key"] != "dagster_run_id"].reset_index(drop=True) if "key" in mart else mart


def test_the_correction_reached_its_year_and_the_next_years_changes(runs):
    def valid(marts, year):
        accounting = marts["ingestion_accounting"]
        return int(accounting.loc[accounting["year"] == year, "rows_valid"].sum())

    before, after = runs["before"], runs["incremental"]
    assert valid(after, CORRECTED) == valid(before, CORRECTED) - 1
    assert all(valid(after, year) == valid(before, year) for year in YEARS if year != CORRECTED)

    def national(marts, year, column):
        changes = marts["indicator_changes"]
        row = changes[(changes["level"] == "national") & (changes["year"] == year)
                      & (changes["indicator"] == "persons_received")]
        return float(row[column].iloc[0])

    assert national(after, CORRECTED, "value") == national(before, CORRECTED, "value") - 165
    assert national(after, CORRECTED + 1, "value_previous_year") == national(before, CORRECTED, "value") - 165
    assert national(after, CORRECTED + 1, "value") == national(before, CORRECTED + 1, "value")


def test_a_year_re_run_reads_only_that_years_files(runs):
    returns_dir = runs["data"] / "returns"
    read = {Path(path).resolve() for path in runs["opened"] if Path(path).resolve().is_relative_to(returns_dir)}
    assert read == {path.resolve() for path in (returns_dir / str(CORRECTED)).iterdir()}
    assert runs["corrected"].resolve() in read


def test_what_the_correction_left_unchanged_was_reused(runs):
    """The impact estimates read the recorded crime and the registry, which the correction left alone: the
    re-run reused them. The costs of 2024 changed: the cost-benefit model simulated again the whole period
    (with the chosen effect source and the other one) and 2024, not 2023 and 2025 (5 scopes, then 3 more), with
    the sensitivity bounds of the two sets of parameters kept.
    The disclosure control solved again only the blocks of cells the correction changed."""
    before, after = runs["kept_before"], runs["kept_after"]
    assert before["estimate_impact"] == after["estimate_impact"] == 1
    assert (before["simulate_scope"], after["simulate_scope"]) == (5, 8)
    assert before["sensitivity_bounds"] == after["sensitivity_bounds"] == 2  # the parameters did not change
    assert 0 < after["protect_block"] - before["protect_block"] < before["protect_block"] / 2


def test_a_mart_whose_content_the_correction_left_unchanged_is_not_written_again(runs):
    """The warehouse tables are written again, but a mart exported from the same rows is kept as it was (the
    same file, hard-linked into the re-run's folder); a mart the correction changed is a new file."""
    before, after = runs["files_before"], runs["files_after"]
    assert sorted(before) == sorted(after)
    kept = {name for name in after if after[name] == before[name]}
    assert {"impact_estimates", "event_study", "departements", "recorded_crime", "positions_registry"} <= kept
    assert not {"returns_valid", "ingestion_accounting", "department_year", "national_year", "cba_summary",
                "run_provenance"} & kept


def test_a_year_re_run_reads_the_reference_tables_it_finds_unchanged_from_the_warehouse(runs):
    """Nothing the registry, the crime file or the catalogue come from changed: the re-run left them out (their
    marts are the full run's, `test_a_corrected_year_re_run_alone_gives_the_marts_of_a_full_run`)."""
    assert runs["rerun"].isdisjoint(REFERENCE_ASSETS)
    assert {"returns_valid", "position_year", "deployment_department_year", "impact_estimates", "run_provenance",
            "evaluation_pack"} <= runs["rerun"]


def test_reference_tables_are_computed_again_when_what_they_come_from_changed(runs, tmp_path, monkeypatch):
    instance, settings = runs["instance"], runs["settings"]
    everything = {dg.AssetKey(name) for name in REFERENCE_ASSETS}

    def unchanged(data: Path, years: list[int], tables=frozenset(REFERENCE_ASSETS), output_dir=settings.output_dir):
        key = reference_inputs_key(data, data / "returns", years)
        return unchanged_reference_assets(instance, Settings(data, output_dir), key, set(tables))

    years = settings.returns_years()
    assert unchanged(settings.data_dir, years) == everything
    copy = tmp_path / "raw"  # the same reference files elsewhere, without the returns: the same key
    shutil.copytree(settings.data_dir, copy, ignore=lambda folder, _: ["returns"] * (Path(folder) == settings.data_dir))
    assert unchanged(copy, years) == everything
    assert unchanged(copy, [*years, 2026]) == set()  # a new year folder: the population spans it
    assert unchanged(copy, years, tables=set(REFERENCE_ASSETS) - {"recorded_crime"}) == set()  # gone from the warehouse
    assert unchanged(copy, years, output_dir=tmp_path / "elsewhere") == set()
    monkeypatch.setenv("SWPS_REUSE", "off")
    assert unchanged(copy, years) == set()
    monkeypatch.delenv("SWPS_REUSE")
    registry = copy / "positions.csv"
    registry.write_bytes(registry.read_bytes() + b"\n")  # one empty line more
    assert unchanged(copy, years) == set()
