"""What-if runs never touch the official outputs, and every run records its provenance."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline import cli
from swps_pipeline.definitions import build_definitions
from swps_pipeline.defs.economics import ECONOMICS_TABLES
from swps_pipeline.defs.scenario import parameters_record, run_record
from swps_pipeline.economics import load_parameters
from swps_pipeline.parallel import WORKERS_VARIABLE
from swps_pipeline.publish import provenance
from swps_pipeline.publish.warehouse import overlay_marts
from swps_pipeline.settings import Settings

REPO = Path(__file__).resolve().parents[2]
BUNDLED_DATA = REPO / "data" / "raw"
#: A Launchpad launch of the economics and what reads it: the rest is read from the official warehouse.
WHAT_IF_ASSETS = [*ECONOMICS_TABLES, "run_provenance", "evaluation_pack"]


def _fingerprints(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _facts(marts_dir: Path) -> pd.Series:
    return pd.read_parquet(marts_dir / "run_provenance.parquet").set_index("key")["value"]


@pytest.fixture(scope="module")
def what_if(bundled_marts: Path):
    """The bundled official run, then a Launchpad-style run with a zero discount rate over part of the graph."""
    output_dir = bundled_marts.parent
    official = {name: _fingerprints(output_dir / name) for name in ("marts", "evaluation_pack")}
    settings = Settings(data_dir=BUNDLED_DATA, output_dir=output_dir)
    run_config = {"ops": {"economic_model": {"config": {"discount_rate": "zero"}}}}
    with dg.instance_for_test() as instance:
        # the deployment's instance knows the year partitions the official run wrote
        instance.add_dynamic_partitions("returns_year", [str(year) for year in settings.returns_years()])
        job = build_definitions(settings).resolve_job_def("swps_all")
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False,
            asset_selection=[dg.AssetKey(name) for name in WHAT_IF_ASSETS],
            tags={provenance.SCENARIO_TAG: "zero-discount"},
        )
    return settings, official, result


def test_a_what_if_run_leaves_the_official_marts_and_workbook_byte_identical(what_if):
    settings, official, result = what_if
    assert result.success
    for name, fingerprints in official.items():
        assert _fingerprints(settings.output_dir / name) == fingerprints
    assert _facts(settings.marts_dir)["scenario"] == "official"


def test_the_scenario_folder_holds_the_override_and_its_provenance(what_if):
    settings, _, result = what_if
    scenario = settings.scenario("zero-discount")
    assert scenario.output_dir == settings.output_dir / "scenarios" / "zero-discount"
    official_npv = pd.read_parquet(settings.marts_dir / "cba_summary.parquet")
    what_if_npv = pd.read_parquet(scenario.marts_dir / "cba_summary.parquet")
    assert set(official_npv["discount_rate_name"]) == {"france_2021"}
    assert set(what_if_npv["discount_rate_name"]) == {"zero"} and set(what_if_npv["discount_rate"]) == {0.0}
    # discounted to the first year, every later flow weighs more without discounting
    official_headline, what_if_headline = (t[t["headline"]].iloc[0] for t in (official_npv, what_if_npv))
    for present_value in ("pv_costs_mean_eur", "pv_benefits_mean_eur"):
        assert what_if_headline[present_value] > official_headline[present_value]

    facts = _facts(scenario.marts_dir)
    expected = parameters_record(load_parameters(overrides={"settings": {"discount_rate": "zero"}}))
    assert facts["scenario"] == "zero-discount"
    assert facts["dagster_run_id"] == result.run_id
    assert facts["parameter.settings.discount_rate.name"] == "zero"
    assert facts["parameters_sha256"] == provenance.record_hash(expected) != _facts(settings.marts_dir)[
        "parameters_sha256"]
    registry = hashlib.sha256((BUNDLED_DATA / "positions.csv").read_bytes()).hexdigest()
    assert facts["input_sha256.positions.csv"] == registry
    assert int(facts["input_files"]) == sum(1 for p in BUNDLED_DATA.rglob("*") if p.is_file())
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert facts["git_commit"] == (head.stdout.strip() if head.returncode == 0 else "unknown")
    assert (scenario.pack_dir / "evaluation_pack.xlsx").is_file()


def test_a_scenario_reads_the_tables_it_did_not_recompute_from_the_official_warehouse(what_if):
    settings, _, result = what_if
    scenario = settings.scenario("zero-discount")
    # position_year was not recomputed: the scenario has no copy, its costs match the official ones
    assert not (scenario.marts_dir / "position_year.parquet").exists()
    costs = [pd.read_parquet(d / "cost_position_year.parquet") for d in (settings.marts_dir, scenario.marts_dir)]
    pd.testing.assert_frame_equal(*costs)
    materialised = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert materialised["cba_summary"]["scenario"].value == "zero-discount"
    assert materialised["evaluation_pack"]["scenario"].value == "zero-discount"


@pytest.mark.parametrize(
    ("tags", "parameters_hash", "expected"),
    [
        ({}, "d" * 64, "official"),  # the packaged parameters
        ({}, "0123abcd" + "e" * 56, "what-if-0123abcd"),  # an override without a name
        ({provenance.SCENARIO_TAG: "high-uptake"}, "d" * 64, "high-uptake"),
        ({provenance.PUBLISH_TAG: "true"}, "0123abcd" + "e" * 56, "official"),  # explicitly published
        ({provenance.PUBLISH_TAG: "true", provenance.SCENARIO_TAG: "x"}, "d" * 64, "official"),
    ],
)
def test_which_scenario_a_run_writes_to(tags, parameters_hash, expected):
    assert provenance.scenario_of(tags, parameters_hash, "d" * 64) == expected


@pytest.mark.parametrize("name", ["official", "../marts", "a b", "", "x" * 65])
def test_a_scenario_name_must_be_a_plain_folder_name(name):
    with pytest.raises(provenance.ScenarioError):
        provenance.checked_scenario_name(name)


def test_swps_run_options_become_run_tags():
    assert provenance.cli_run_tags(None, None, False) == {}
    assert provenance.cli_run_tags("/tmp/my rates.yaml", None, False) == {provenance.SCENARIO_TAG: "my-rates"}
    assert provenance.cli_run_tags("rates.yaml", "low", False) == {provenance.SCENARIO_TAG: "low"}
    assert provenance.cli_run_tags("rates.yaml", None, True) == {provenance.PUBLISH_TAG: "true"}
    with pytest.raises(provenance.ScenarioError, match="choose one"):
        provenance.cli_run_tags("rates.yaml", "low", True)


def test_checksums_and_flattened_records(tmp_path: Path):
    (tmp_path / "returns" / "2021").mkdir(parents=True)
    (tmp_path / "returns" / "2021" / "77.csv").write_bytes(b"abc")
    (tmp_path / ".swps-run.lock").write_text("pid 1")
    assert provenance.file_checksums(tmp_path) == {
        "returns/2021/77.csv": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # SHA-256("abc")
    }
    record = provenance.flat_record({"b": {"y": 2, "x": None}, "a": (0.8, 0.5)})
    assert record == {"a": "[0.8, 0.5]", "b.x": "", "b.y": "2"}
    assert provenance.record_hash(record) == provenance.record_hash(dict(reversed(record.items())))


def test_checksums_reread_only_the_files_whose_size_or_time_changed(tmp_path: Path):
    data, cache = tmp_path / "raw", tmp_path / "out" / ".input_checksums.json"
    (data / "returns" / "2021").mkdir(parents=True)
    cache.parent.mkdir()
    returns = data / "returns" / "2021" / "77.csv"
    returns.write_bytes(b"abc")
    abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # SHA-256("abc")
    assert provenance.file_checksums(data, cache) == {"returns/2021/77.csv": abc}
    stamp = returns.stat()
    returns.write_bytes(b"xyz")  # same size, time put back: taken from the cache, not read
    os.utime(returns, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert provenance.file_checksums(data, cache) == {"returns/2021/77.csv": abc}
    os.utime(returns, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1))  # a new time: read again
    xyz = "3608bca1e44ea6c4d268eb6db02260269892c0b42b86bbf1e77a6fa16c3c9282"  # SHA-256("xyz")
    assert provenance.file_checksums(data, cache) == {"returns/2021/77.csv": xyz}
    cache.write_text("[not a cache", encoding="utf-8")  # an unreadable cache: every file is read
    assert provenance.file_checksums(data, cache) == {"returns/2021/77.csv": xyz}


def test_overlay_prefers_the_scenario_marts(tmp_path: Path):
    official, scenario = tmp_path / "official", tmp_path / "scenario"
    for folder, names in ((official, ["a", "b"]), (scenario, ["b"])):
        folder.mkdir()
        for name in names:
            (folder / f"{name}.parquet").write_text(folder.name)
    view = overlay_marts(official, scenario, tmp_path / "view")
    assert {p.name: p.read_text() for p in view.iterdir()} == {"a.parquet": "official", "b.parquet": "scenario"}


def test_swps_run_refuses_a_scenario_that_is_also_published(capsys):
    assert cli.main(["run", "--parameters", "rates.yaml", "--scenario", "low", "--publish"]) == cli.EXIT_CANNOT_RUN
    assert capsys.readouterr().err.strip() == (
        "swps run: --publish writes the official outputs and --scenario a what-if: choose one")


def test_swps_run_refuses_a_what_if_of_one_year(tmp_path: Path, monkeypatch, capsys):
    """A what-if reads its own per-year tables: run on one year, its costs and CBA would cover that year only."""
    parameters = tmp_path / "zero-rate.yaml"
    parameters.write_text("settings:\n  discount_rate: zero\n", encoding="utf-8")
    monkeypatch.setenv("SWPS_DATA_DIR", str(BUNDLED_DATA))
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(tmp_path / "output"))
    assert cli.main(["run", "--year", "2025", "--parameters", str(parameters)]) == cli.EXIT_CANNOT_RUN
    assert capsys.readouterr().err.strip() == (
        "swps run: --year 2025 re-runs one year into the official outputs; a what-if run (scenario zero-rate) "
        "recomputes every year: drop --year")
    assert not (tmp_path / "output" / "scenarios").exists()


@pytest.mark.slow
def test_swps_run_with_a_parameter_file_writes_a_scenario_named_after_it(
        bundled_marts: Path, tmp_path: Path, monkeypatch, capsys):
    output_dir = bundled_marts.parent
    official = {name: _fingerprints(output_dir / name) for name in ("marts", "evaluation_pack")}
    parameters = tmp_path / "zero-rate.yaml"
    parameters.write_text("settings:\n  discount_rate: zero\n", encoding="utf-8")
    monkeypatch.setenv("SWPS_DATA_DIR", str(BUNDLED_DATA))
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(output_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    assert cli.main(["run", "--parameters", str(parameters)]) == 0
    printed = capsys.readouterr().out
    with dg.DagsterInstance.get() as instance:  # the years were validated while the run started, and taken
        accounting = instance.get_latest_materialization_event(dg.AssetKey("ingestion_accounting"))
        feedback = instance.get_latest_materialization_event(dg.AssetKey("collection_feedback"))
    years = ", ".join(map(str, Settings(BUNDLED_DATA, output_dir).returns_years()))
    assert accounting.asset_materialization.metadata["years validated while the run started"].value == years
    # the latest year's reports, prepared from its validation, were those of the tables the warehouse gave back
    assert feedback.asset_materialization.metadata["reports prepared while the run started"].value == "yes"
    assert "what-if scenario 'zero-rate': the official outputs are untouched" in printed
    assert f"marts:     {output_dir / 'scenarios' / 'zero-rate' / 'marts'}/<table>.parquet" in printed
    for name, fingerprints in official.items():
        assert _fingerprints(output_dir / name) == fingerprints
    facts = _facts(output_dir / "scenarios" / "zero-rate" / "marts")
    assert facts["scenario"] == "zero-rate" and facts["parameter.settings.discount_rate.value"] == "0.0"
    assert str(parameters) in facts["parameters_loaded_from"]


def test_an_override_of_any_step_config_makes_a_what_if():
    packaged = provenance.record_hash(run_record({}))
    assert provenance.record_hash(run_record({"ops": {"economic_model": {"config": {}}}})) == packaged
    record = run_record({"ops": {"impact_estimates": {"config": {"seed": 7, "model": None}}}})
    assert record["config.impact_estimates.seed"] == "7" and "config.impact_estimates.model" not in record
    assert provenance.record_hash(record) != packaged
    economics = run_record({"ops": {"economic_model": {"config": {"discount_rate": "zero"}}}})
    assert economics["settings.discount_rate.value"] == "0.0" and provenance.record_hash(economics) != packaged
