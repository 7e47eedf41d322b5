"""The packaged Belgian profile runs the whole graph (ingest -> validate -> panel -> indicators -> costs -> CBA ->
impact -> pack) on `swps generate --profile BE`, with no code change; the published values are checked against
figures computed here from the generated files themselves (read with csv/openpyxl, not the pipeline's reader)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.synthetic.targets import ROLLOUT_EFFECT_INTRAFAMILY
from tests.synthetic.test_generate import number, read_rows
from tests.synthetic.test_generate_profile import header_index

YEAR = 2023
#: profiles/BE: the default cost (mean of 55,000-65,000 per FTE-year, price year 2024 = the run's) and the refund.
DEFAULT_COST_PER_FTE_YEAR = 60_000
FIRST_YEAR_REFUND = 0.80


def valid_returns(data: Path, manifest: dict, year: int) -> pd.DataFrame:
    """Every row of the year's files but the planted bad rows (and both rows of a conflicting duplicate, the second
    copy of an identical one), the bad file and the workbooks' total rows: what must end valid."""
    planted = [p for p in manifest["planted"] if p["year"] == year]
    bad_rows = {(p["source_file"], p["source_row"]) for p in planted if p["source_row"] is not None}
    bad_files = {p["source_file"] for p in planted if p["severity"] == "file"}
    records = []
    for path in sorted((data / "returns" / str(year)).iterdir()):
        relative = f"returns/{year}/{path.name}"
        if relative in bad_files:
            continue
        rows = read_rows(path)
        at, columns = header_index(rows)
        for line, row in enumerate(rows[at + 1:], start=at + 2):
            if (relative, line) in bad_rows or not any(v not in (None, "") for v in row) or row[columns["year"]] == "Total":
                continue
            records.append({name: row[j] for name, j in columns.items()})
    table = pd.DataFrame(records)
    for column in ("fte", "months_active", "cost_eur", "new_cases"):
        table[column] = table[column].map(number)
    table["months_active"] = table["months_active"].fillna(12)  # the contract: blank means 12
    return table


@pytest.mark.slow
def test_the_belgian_profile_runs_the_whole_graph_on_generated_data(tmp_path):
    data, out, home = tmp_path / "raw", tmp_path / "out", tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "SWPS_DATA_DIR": str(data), "SWPS_OUTPUT_DIR": str(out), "DAGSTER_HOME": str(home),
           "SWPS_PROFILE": "FR"}
    env.pop("SWPS_PROFILE_DIR", None)
    swps = [sys.executable, "-m", "swps_pipeline.cli"]
    generated = subprocess.run([*swps, "generate", "--profile", "BE", "--out", str(data)], env=env,
                               capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stderr[-2000:]
    done = subprocess.run([*swps, "--profile", "BE", "run"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "recorded crime: recorded_crime_synthetic.csv: 220 rows, 2016–2025" in done.stdout  # 11 areas × 10 × 2

    with dg.DagsterInstance.from_config(str(home)) as instance:  # the asset checks, on the profile's 11 areas
        run = instance.get_runs(limit=1)[0]
        checks = {(e.dagster_event.event_specific_data.check_name, e.dagster_event.event_specific_data.passed)
                  for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)}
    assert checks == {("accounting_balances", True), ("position_year_unique", True),
                      ("department_codes_official", True), ("department_year_complete", True)}

    def mart(name: str) -> pd.DataFrame:
        return pd.read_parquet(out / "marts" / f"{name}.parquet")

    manifest = json.loads((data / "synthetic_manifest.json").read_text(encoding="utf-8"))
    returns = valid_returns(data, manifest, YEAR)
    valid = mart("returns_valid")
    assert len(valid[valid["year"] == YEAR]) == len(returns)
    assert set(valid["host_type"]) == {"local_police", "federal_police"}  # labels in Dutch and French, read back

    # national new cases of the year = the sum over its valid returns, in the mart and in the pack
    national = mart("national_year").set_index("year")
    assert national.loc[YEAR, "new_cases"] == returns["new_cases"].sum()
    pack = pd.read_csv(out / "evaluation_pack" / "csv" / "national_year.csv", encoding="utf-8-sig").set_index("year")
    assert int(pack.loc[YEAR, "new_cases"]) == returns["new_cases"].sum()
    # every area is covered by 2023 and the Belgian standard is one position per area
    assert national.loc[2025, "departments_meeting_standard"] == 11

    # cost per case of the area with most returns: reported cost, else 60,000 per FTE-year, over its new cases
    area = returns["department_code"].value_counts().index[0]
    rows = returns[returns["department_code"] == area]
    cost = rows["cost_eur"].fillna(rows["fte"] * rows["months_active"] / 12 * DEFAULT_COST_PER_FTE_YEAR)
    per_case = mart("cost_per_case").set_index(["level", "entity", "year"])
    assert per_case.loc[("department", area, YEAR), "cost_per_new_case"] == pytest.approx(
        cost.sum() / rows["new_cases"].sum())

    # the refund: 80 % of the cost in a position's first year (the scheme starts in 2019); none before the scheme
    registry = pd.read_csv(data / "positions.csv", parse_dates=["start_date"]).set_index("position_id")
    costs = mart("cost_position_year").set_index(["position_id", "year"])
    started = costs.loc[[(p, YEAR) for p in registry.index[registry["start_date"].dt.year == YEAR]
                         if (p, YEAR) in costs.index and costs.loc[(p, YEAR), "has_return"]]]
    assert len(started)
    assert started["state_refund_eur"].to_numpy() == pytest.approx(FIRST_YEAR_REFUND * started["cost_eur"].to_numpy())
    before = costs.loc[[i for i in costs.index if registry.loc[i[0], "start_date"].year < 2019]]
    assert len(before) and (before["state_refund_eur"].dropna() == 0).all()

    # the impact runs on the profile's outcome and placebo, from the generic crime file
    panel = mart("impact_panel")
    assert set(panel["outcome"]) == {"intrafamily_violence"} and set(panel["placebo"]) == {"vehicle_theft"}
    crime = pd.read_csv(data / "crime" / "recorded_crime_synthetic.csv", sep=";")
    outcome = crime[(crime["indicator"] == "intrafamily_violence") & (crime["area_code"] == area)
                    & (crime["year"] == YEAR)].iloc[0]
    published = panel[(panel["department_code"] == area) & (panel["year"] == YEAR)].iloc[0]
    assert published["outcome_rate_per_1000"] == pytest.approx(outcome["count"] / outcome["population"] * 1000)
    estimates = mart("impact_estimates").set_index(["model", "term"])
    assert estimates.loc[("callaway_santanna", "att_overall"), "outcome"] == "log_intrafamily_violence_per_1000"
    # the generator's +5 % on the outcome from an area's first position is recovered; nothing on the placebo
    main, placebo = estimates.loc[("callaway_santanna", "att_overall")], estimates.loc[("placebo", "att_overall")]
    assert abs(main["estimate"] - math.log(ROLLOUT_EFFECT_INTRAFAMILY)) < 2 * main["std_error"] and main["p_value"] < 0.05
    assert placebo["p_value"] > 0.05

    # the cost-benefit model under the profile's discount rate, national rows under BE
    summary = mart("cba_summary")
    assert set(summary["scope_entity"][summary["scope_level"] == "national"]) == {"BE"}
    assert set(summary["discount_rate"]) == {0.03}
    assert (out / "evaluation_pack" / "evaluation_pack.xlsx").stat().st_size > 0
