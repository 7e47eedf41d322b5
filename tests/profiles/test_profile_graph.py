"""The packaged Belgian (euro) and Polish (złoty) profiles run the whole graph (ingest -> validate -> panel ->
indicators -> costs -> CBA -> impact -> pack) on `swps generate --profile XX`, with no code change; the published
values are checked against figures computed here from the generated files themselves (read with csv/openpyxl, not
the pipeline's reader), the money columns against the profile's currency and a unit value transferred at
purchasing-power parity against the profiles' own PPP and France's price index."""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.profiles import PACKAGED_PROFILES, Profile, read_profile
from swps_pipeline.synthetic.targets import ROLLOUT_EFFECT_INTRAFAMILY
from tests.synthetic.test_generate import number, read_rows
from tests.synthetic.test_generate_profile import header_index

YEAR = 2023
FIRST_YEAR_REFUND = 0.80  # both profiles hold France's 80 / 50 / 30 % as a placeholder


@dataclass(frozen=True)
class Expected:
    """What a packaged profile says, written out here by hand (profiles/<XX>/profile.yaml)."""

    areas: int
    #: the default cost: the midpoint of the profile's range per FTE-year, price year 2024 = the run's
    default_cost: float
    host_types: frozenset[str]
    outcome: str
    discount_rate: float
    money: str  # the word money columns carry
    #: the profile's price index in YEAR and in the default cost's price year (profiles/<XX>/cpi.csv): the cost
    #: tables carry the default cost to each year's prices
    price_index: tuple[float, float]


PROFILES = {
    "BE": Expected(11, 60_000, frozenset({"local_police", "federal_police"}), "intrafamily_violence", 0.03, "eur",
                   (125.9, 130.8)),
    "PL": Expected(16, 90_000, frozenset({"county_police_hq", "police_station"}), "domestic_violence", 0.05, "pln",
                   (145.9, 151.2)),
}
#: A shared unit value of economics/parameters.yaml (France, euros of its price year) neither profile gives itself.
TRANSFERRED = "emergency_housing_cost_per_night_eur"
TRANSFERRED_EUR, TRANSFERRED_PRICE_YEAR = 26, 2023


def french_cpi() -> dict[int, float]:
    """profiles/FR/cpi.csv, read here with csv."""
    lines = (PACKAGED_PROFILES / "FR" / "cpi.csv").read_text(encoding="utf-8").splitlines()
    return {int(row["year"]): float(row["index_2015_100"]) for row in csv.DictReader(l for l in lines
                                                                                        if not l.startswith("#"))}


def valid_returns(data: Path, manifest: dict, year: int, profile: Profile) -> pd.DataFrame:
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
        at, columns = header_index(rows, profile)
        for line, row in enumerate(rows[at + 1:], start=at + 2):
            if (relative, line) in bad_rows or not any(v not in (None, "") for v in row) or row[columns["year"]] == "Total":
                continue
            # a workbook read in read-only mode ends a row at its last filled cell
            records.append({name: row[j] if j < len(row) else None for name, j in columns.items()})
    table = pd.DataFrame(records)
    for column in ("fte", "months_active", "cost_eur", "new_cases"):
        table[column] = table[column].map(number)
    table["months_active"] = table["months_active"].fillna(12)  # the contract: blank means 12
    return table


@pytest.mark.slow
@pytest.mark.parametrize("country", sorted(PROFILES))
def test_a_packaged_profile_runs_the_whole_graph_on_generated_data(tmp_path, country):
    expected, profile = PROFILES[country], read_profile(PACKAGED_PROFILES / country)
    money = expected.money
    data, out, home = tmp_path / "raw", tmp_path / "out", tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "SWPS_DATA_DIR": str(data), "SWPS_OUTPUT_DIR": str(out), "DAGSTER_HOME": str(home),
           "SWPS_PROFILE": "FR"}
    env.pop("SWPS_PROFILE_DIR", None)
    swps = [sys.executable, "-m", "swps_pipeline.cli"]
    generated = subprocess.run([*swps, "generate", "--profile", country, "--out", str(data)], env=env,
                               capture_output=True, text=True, timeout=300)
    assert generated.returncode == 0, generated.stderr[-2000:]
    done = subprocess.run([*swps, "--profile", country, "run"], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = expected.areas * 10 * 2  # areas × 2016-2025 × (outcome, placebo)
    assert f"recorded crime: recorded_crime_synthetic.csv: {rows} rows, 2016–2025" in done.stdout

    with dg.DagsterInstance.from_config(str(home)) as instance:  # the asset checks, on the profile's 11 areas
        run = instance.get_runs(limit=1)[0]
        checks = {(e.dagster_event.event_specific_data.check_name, e.dagster_event.event_specific_data.passed)
                  for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)}
    assert checks == {("accounting_balances", True), ("position_year_unique", True),
                      ("department_codes_official", True), ("department_year_complete", True)}

    def mart(name: str) -> pd.DataFrame:
        return pd.read_parquet(out / "marts" / f"{name}.parquet")

    manifest = json.loads((data / "synthetic_manifest.json").read_text(encoding="utf-8"))
    returns = valid_returns(data, manifest, YEAR, profile)
    valid = mart("returns_valid")
    assert len(valid[valid["year"] == YEAR]) == len(returns)
    assert set(valid["host_type"]) == expected.host_types  # the template's labels and aliases, read back

    # every money column of every mart and of the pack's CSVs says the profile's currency
    money_columns = {name: [c for c in pd.read_parquet(path).columns if c.endswith(("_eur", "_pln"))]
                     for name, path in ((p.stem, p) for p in (out / "marts").glob("*.parquet"))}
    assert money_columns["cost_position_year"] == [f"{c}_{money}" for c in ("cost", "police_office_cost",
                                                                             "total_cost", "state_refund",
                                                                             "local_share")]
    assert {c.rsplit("_", 1)[1] for columns in money_columns.values() for c in columns} == {money}
    assert f"npv_per_public_{money if money != 'eur' else 'euro'}" in mart("cba_summary").columns

    # national new cases of the year = the sum over its valid returns, in the mart and in the pack
    national = mart("national_year").set_index("year")
    assert national.loc[YEAR, "new_cases"] == returns["new_cases"].sum()
    pack = pd.read_csv(out / "evaluation_pack" / "csv" / "national_year.csv", encoding="utf-8-sig").set_index("year")
    assert int(pack.loc[YEAR, "new_cases"]) == returns["new_cases"].sum()
    # by 2025 every area has grown to the profile's standard (BE: one position per area, PL: two)
    assert national.loc[2025, "departments_meeting_standard"] == expected.areas

    # cost per case of the area with most returns: reported cost (the template's cost column, in the profile's
    # currency), else the profile's default per FTE-year carried from 2024 to YEAR's prices, over its new cases
    area = returns["department_code"].value_counts().index[0]
    rows = returns[returns["department_code"] == area]
    default = expected.default_cost * expected.price_index[0] / expected.price_index[1]
    cost = rows["cost_eur"].fillna(rows["fte"] * rows["months_active"] / 12 * default)
    per_case = mart("cost_per_case").set_index(["level", "entity", "year"])
    assert per_case.loc[("department", area, YEAR), "cost_per_new_case"] == pytest.approx(
        cost.sum() / rows["new_cases"].sum())
    assert per_case.loc[("department", area, YEAR), f"total_cost_{money}"] == pytest.approx(cost.sum())
    pack_costs = pd.read_csv(out / "evaluation_pack" / "csv" / "cost_national_year.csv", encoding="utf-8-sig")
    assert [c for c in pack_costs.columns if c.endswith(("_eur", "_pln"))] == money_columns["cost_national_year"]

    # the refund: 80 % of the cost in a position's first year (the scheme starts in 2019); none before the scheme
    registry = pd.read_csv(data / "positions.csv", parse_dates=["start_date"]).set_index("position_id")
    costs = mart("cost_position_year").set_index(["position_id", "year"])
    started = costs.loc[[(p, YEAR) for p in registry.index[registry["start_date"].dt.year == YEAR]
                         if (p, YEAR) in costs.index and costs.loc[(p, YEAR), "has_return"]]]
    assert len(started)
    assert started[f"state_refund_{money}"].to_numpy() == pytest.approx(
        FIRST_YEAR_REFUND * started[f"cost_{money}"].to_numpy())
    before = costs.loc[[i for i in costs.index if registry.loc[i[0], "start_date"].year < 2019]]
    assert len(before) and (before[f"state_refund_{money}"].dropna() == 0).all()

    # the impact runs on the profile's outcome and placebo, from the generic crime file
    panel = mart("impact_panel")
    assert set(panel["outcome"]) == {expected.outcome} and set(panel["placebo"]) == {"vehicle_theft"}
    crime = pd.read_csv(data / "crime" / "recorded_crime_synthetic.csv", sep=";")
    outcome = crime[(crime["indicator"] == expected.outcome) & (crime["area_code"] == area)
                    & (crime["year"] == YEAR)].iloc[0]
    published = panel[(panel["department_code"] == area) & (panel["year"] == YEAR)].iloc[0]
    assert published["outcome_rate_per_1000"] == pytest.approx(outcome["count"] / outcome["population"] * 1000)
    estimates = mart("impact_estimates").set_index(["model", "term"])
    assert estimates.loc[("callaway_santanna", "att_overall"), "outcome"] == f"log_{expected.outcome}_per_1000"
    # the generator's +5 % on the outcome from an area's first position is recovered; nothing on the placebo
    main, placebo = estimates.loc[("callaway_santanna", "att_overall")], estimates.loc[("placebo", "att_overall")]
    assert abs(main["estimate"] - math.log(ROLLOUT_EFFECT_INTRAFAMILY)) < 2 * main["std_error"] and main["p_value"] < 0.05
    assert placebo["p_value"] > 0.05

    # the cost-benefit model under the profile's discount rate, national rows under the country
    summary = mart("cba_summary")
    assert set(summary["scope_entity"][summary["scope_level"] == "national"]) == {country}
    assert set(summary["discount_rate"]) == {expected.discount_rate}
    assert (out / "evaluation_pack" / "evaluation_pack.xlsx").stat().st_size > 0

    # a shared unit value (France: 26 EUR a night, 2023) transferred at PPP: France's price index to the PPP year
    # (2023, so 1 here), to PPS with France's parity, to the profile's currency with its own
    parameters = mart("run_provenance").set_index("key")["value"]
    key = f"parameter.parameters.{TRANSFERRED}"
    cpi = french_cpi()
    by_hand = TRANSFERRED_EUR * cpi[2023] / cpi[TRANSFERRED_PRICE_YEAR] * {"BE": 1.128835, "PL": 3.068560}[country] \
        / 1.092349
    assert float(parameters[f"{key}.value"]) == pytest.approx(by_hand, rel=1e-12)
    assert parameters[f"{key}.price_year"] == "2023"
    assert parameters[f"{key}.unit"] == f"{profile.currency} per night of emergency housing; transferred at PPP"
    # Poland's own officer hourly cost (profiles/PL: 90 PLN of 2024) is used as given, not transferred
    if country == "PL":
        officer = "parameter.parameters.officer_hourly_cost_eur"
        assert (float(parameters[f"{officer}.value"]), parameters[f"{officer}.unit"]) == (
            90.0, "PLN per officer hour (loaded)")
