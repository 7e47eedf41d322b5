"""`swps compare` on real runs of two profiles on generated data for 2024-2025: Belgium (euro) and Poland (złoty,
money columns `*_pln`); each figure of the comparison is worked out here from the marts of the two runs and the
profiles' purchasing-power parities read from their profile.yaml. Poland's run lists Belgium's output in
SWPS_COMPARE_DIRS, so its `cross_country_comparison` asset writes the same table."""

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
    """The comparison's figures from the marts of one run, for 2024-2025 (money columns named in its currency)."""
    marts = out / "marts"
    costs_section = yaml.safe_load((PACKAGED_PROFILES / profile / "profile.yaml").read_text(encoding="utf-8"))["costs"]
    ppp, money = costs_section["ppp"], costs_section["currency"].lower()
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
    cost = costs[f"total_cost_{money}"].sum() / costs["new_cases"].sum()
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
        "ppp": ppp["per_euro"], "ppp_year": ppp["year"],
        "npv_mean_national": headline[f"npv_mean_{money}"],
        "npv_mean_ppp_eur": headline[f"npv_mean_{money}"] / ppp["per_euro"],
        "benefit_cost_ratio_mean": headline["benefit_cost_ratio_mean"],
        "probability_npv_positive": headline["probability_npv_positive"],
        "impact_estimate": estimates.loc[("callaway_santanna", "att_overall"), "estimate"],
        "impact_ci_low": estimates.loc[("callaway_santanna", "att_overall"), "ci_low"],
    }


@pytest.mark.slow
def test_swps_compare_puts_the_runs_of_two_profiles_side_by_side(tmp_path):
    for profile in ("BE", "PL"):
        data = tmp_path / f"{profile}-raw"
        run(["generate", "--profile", profile, "--out", str(data)], environment(tmp_path, f"gen-{profile}", data))
        for folder in (data / "returns").iterdir():
            if int(folder.name) not in YEARS:
                shutil.rmtree(folder)
    run(["--profile", "BE", "run"], environment(tmp_path, "be", tmp_path / "BE-raw"))
    run(["--profile", "PL", "run"], environment(tmp_path, "pl", tmp_path / "PL-raw",
                                                SWPS_COMPARE_DIRS=str(tmp_path / "be")))
    done = run(["compare", str(tmp_path / "pl"), str(tmp_path / "be"), "--out", str(tmp_path / "cmp")],
               environment(tmp_path, "cmp", tmp_path / "BE-raw"))
    assert done.stdout.startswith("swps compare: 2 countries over 2024–2025 (2 years in every run)")
    assert "  PL Poland: cost per new case " in done.stdout and " PLN (" in done.stdout

    table = pd.read_parquet(tmp_path / "cmp" / "cross_country_comparison.parquet").set_index("country")
    assert list(table.index) == ["BE", "PL"] and table["currency"].tolist() == ["EUR", "PLN"]
    for country, out in (("BE", tmp_path / "be"), ("PL", tmp_path / "pl")):
        row = table.loc[country]
        for column, value in expected_row(out, country).items():
            assert row[column] == pytest.approx(value, rel=1e-12), (country, column)
        assert row["synthetic_data"] and f"synthetic data: no finding about {row['country_name']}" in row["caveats"]
    # marked in profile.yaml (BE 14, PL 17) and in the first line of cpi.csv and population.csv
    assert table["assumptions_to_verify"].tolist() == [16, 19]
    assert "19 profile values marked ASSUMPTION (to verify)" in table.loc["PL", "caveats"]

    # Poland's run compared itself with Belgium's output: the same figures
    from_asset = pd.read_parquet(tmp_path / "pl" / "comparison" / "cross_country_comparison.parquet")
    assert from_asset["source_folder"].tolist() == [str(tmp_path / "be"), f"this run ({tmp_path / 'pl'})"]
    assert from_asset.drop(columns="source_folder").equals(table.reset_index().drop(columns="source_folder"))
