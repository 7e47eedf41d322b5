"""`swps compare` on real runs of two profiles: Belgium on generated data and France on the bundled data, both
for 2024-2025; each figure of the comparison is worked out here from the marts of the two runs and the profiles'
purchasing-power parities read from their profile.yaml. France's run lists Belgium's output in SWPS_COMPARE_DIRS, so
its `cross_country_comparison` asset writes the same table."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from swps_pipeline.profiles import PACKAGED_PROFILES
from tests.conftest import BUNDLED_DATA

YEARS = [2024, 2025]
SWPS = [sys.executable, "-m", "swps_pipeline.cli"]


def run(arguments: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run([*SWPS, *arguments], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def environment(tmp_path: Path, name: str, data: Path, **more: str) -> dict[str, str]:
    home = tmp_path / f"{name}-home"
    home.mkdir()
    env = {**os.environ, "SWPS_DATA_DIR": str(data), "SWPS_OUTPUT_DIR": str(tmp_path / name),
           "DAGSTER_HOME": str(home), **more}
    for variable in ("SWPS_PROFILE_DIR", "SWPS_COMPARE_DIRS", "SWPS_LANGUAGE"):
        if variable not in more:
            env.pop(variable, None)
    return env


def expected_row(out: Path, profile: str) -> dict:
    """The comparison's figures from the marts of one run, for 2024-2025."""
    marts = out / "marts"
    ppp = yaml.safe_load((PACKAGED_PROFILES / profile / "profile.yaml").read_text(encoding="utf-8"))["costs"]["ppp"]
    indicators = pd.read_parquet(marts / "indicators.parquet")
    national = indicators[(indicators["level"] == "national") & indicators["year"].isin(YEARS)].set_index(
        ["indicator", "year"])

    def pooled(indicator: str) -> float:
        rows = national.loc[indicator]
        return rows["numerator"].sum() / rows["denominator"].sum()

    population = national.loc[("persons_received_per_100k", 2025), "denominator"]
    positions = pd.read_parquet(marts / "national_year.parquet").set_index("year").loc[2025, "positions_active"]
    costs = pd.read_parquet(marts / "cost_per_case.parquet")
    costs = costs[(costs["level"] == "national") & costs["year"].isin(YEARS)]
    cost = costs["total_cost_eur"].sum() / costs["new_cases"].sum()
    summary = pd.read_parquet(marts / "cba_summary.parquet")
    headline = summary[summary["headline"]].iloc[0]
    assert (headline["first_year"], headline["last_year"]) == (2024, 2025)  # the run's whole period: its headline
    estimates = pd.read_parquet(marts / "impact_estimates.parquet").set_index(["model", "term"])
    return {
        "population_covered": population, "positions_active": positions,
        "positions_per_100k": positions / population * 100_000,
        "persons_received_per_100k": pooled("persons_received_per_100k") * 100_000,
        "new_cases_per_100k": pooled("new_cases_per_100k") * 100_000,
        "share_domestic_violence": pooled("share_domestic_violence"),
        "cost_per_new_case_national": cost, "cost_per_new_case_ppp_eur": cost / ppp["per_euro"],
        "ppp_per_euro": ppp["per_euro"], "ppp_year": ppp["year"],
        "npv_mean_national": headline["npv_mean_eur"], "npv_mean_ppp_eur": headline["npv_mean_eur"] / ppp["per_euro"],
        "benefit_cost_ratio_mean": headline["benefit_cost_ratio_mean"],
        "probability_npv_positive": headline["probability_npv_positive"],
        "impact_estimate": estimates.loc[("callaway_santanna", "att_overall"), "estimate"],
        "impact_ci_low": estimates.loc[("callaway_santanna", "att_overall"), "ci_low"],
    }


@pytest.mark.slow
def test_swps_compare_puts_the_runs_of_two_profiles_side_by_side(tmp_path):
    belgian_data, french_data = tmp_path / "be-raw", tmp_path / "fr-raw"
    run(["generate", "--profile", "BE", "--out", str(belgian_data)], environment(tmp_path, "gen", belgian_data))
    for folder in (belgian_data / "returns").iterdir():
        if int(folder.name) not in YEARS:
            shutil.rmtree(folder)
    shutil.copytree(BUNDLED_DATA, french_data, ignore=lambda folder, names: [
        n for n in names if Path(folder).name == "returns" and int(n) not in YEARS])
    run(["--profile", "BE", "run"], environment(tmp_path, "be", belgian_data))
    run(["--profile", "FR", "run"], environment(tmp_path, "fr", french_data, SWPS_COMPARE_DIRS=str(tmp_path / "be")))
    done = run(["compare", str(tmp_path / "be"), str(tmp_path / "fr"), "--out", str(tmp_path / "cmp")],
               environment(tmp_path, "cmp", french_data))
    assert done.stdout.startswith("swps compare: 2 countries over 2024–2025 (2 years in every run)")

    table = pd.read_parquet(tmp_path / "cmp" / "cross_country_comparison.parquet").set_index("country")
    assert list(table.index) == ["BE", "FR"] and set(table["currency"]) == {"EUR"}
    for country, out in (("BE", tmp_path / "be"), ("FR", tmp_path / "fr")):
        row = table.loc[country]
        for column, value in expected_row(out, country).items():
            assert row[column] == pytest.approx(value, rel=1e-12), (country, column)
        assert row["synthetic_data"] and f"synthetic data: no finding about {row['country_name']}" in row["caveats"]
    assert table.loc["BE", "assumptions_to_verify"] == 16 and table.loc["FR", "assumptions_to_verify"] == 0
    assert "16 profile values marked ASSUMPTION (to verify)" in table.loc["BE", "caveats"]
    assert "profile values marked" not in table.loc["FR", "caveats"]

    # France's run compared itself with Belgium's output: the same figures
    from_asset = pd.read_parquet(tmp_path / "fr" / "comparison" / "cross_country_comparison.parquet")
    assert from_asset["source_folder"].tolist() == [str(tmp_path / "be"), f"this run ({tmp_path / 'fr'})"]
    assert from_asset.drop(columns="source_folder").equals(table.reset_index().drop(columns="source_folder"))
