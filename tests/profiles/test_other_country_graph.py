"""The whole graph for another country with no code change (issue 15): a profile made by `swps profile new BE`,
filled from a fixture, and a small hand-made data folder; the published tables checked against hand figures."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest

from swps_pipeline import cli
from swps_pipeline.contract import COLUMN_NAMES
from tests.profiles.belgium import fill_belgian_scaffold

REGISTRY = """position_id,department_code,host_type,host_site,employer_type,start_date,end_date,local_funders
BE-VAN-001,BE-VAN,local_police,Antwerpen,municipality,2023-01-01,,1
BE-VAN-002,BE-VAN,federal_police,Antwerpen,municipality,2024-01-01,,1
BE-WNA-001,BE-WNA,local_police,Namur,municipality,2024-03-01,,1
"""


def _return(position_id: str, host_label: str, fte: str, persons: int, new_cases: int, actions: int) -> str:
    values = dict.fromkeys(COLUMN_NAMES, "")
    values.update(year="2024", department_code="BE-VAN", position_id=position_id, host_type=host_label,
                  host_site="Antwerpen", employer_type="Gemeente", fte=fte, months_active="12",
                  persons_received=persons, new_cases=new_cases, actions=actions)
    return ";".join(str(values[c]) for c in COLUMN_NAMES)


@pytest.mark.slow
def test_a_belgian_profile_runs_the_whole_graph(tmp_path):
    profile = tmp_path / "BE"
    assert cli.main(["profile", "new", "BE", "--out", str(profile)]) == 0
    fill_belgian_scaffold(profile)  # 1 position per area, refund 50 % in year 1 from 2024, 60,000 per FTE-year
    data = tmp_path / "raw"
    (data / "returns" / "2024").mkdir(parents=True)
    (data / "positions.csv").write_text(REGISTRY, encoding="utf-8")
    (data / "returns" / "2024" / "antwerpen.csv").write_text("\n".join([
        ";".join(COLUMN_NAMES),
        _return("BE-VAN-001", "Lokale politie", "1", 100, 80, 200),
        _return("BE-VAN-002", "Police fédérale", "0,5", 40, 30, 60),
    ]) + "\n", encoding="utf-8")
    env = {**os.environ, "SWPS_DATA_DIR": str(data), "SWPS_OUTPUT_DIR": str(tmp_path / "out"),
           "DAGSTER_HOME": str(tmp_path / "home")}
    env.pop("SWPS_PROFILE_DIR", None)
    (tmp_path / "home").mkdir()
    done = subprocess.run([sys.executable, "-m", "swps_pipeline.cli", "--profile", str(profile), "run"], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2024: 2 valid, 0 quarantined, 0 files rejected, 1 missing returns" in done.stdout

    def mart(name: str) -> pd.DataFrame:
        return pd.read_parquet(tmp_path / "out" / "marts" / f"{name}.parquet")

    valid = mart("returns_valid").set_index("position_id")
    assert valid["host_type"].to_dict() == {"BE-VAN-001": "local_police", "BE-VAN-002": "federal_police"}
    assert set(valid["employer_type"]) == {"municipality"}
    areas = mart("department_year").set_index("department_code")
    assert len(areas) == 11 and areas.loc["BE-VAN", "region_code"] == "BE-VLG"
    assert pd.isna(areas.loc["BE-BRU", "region_code"])  # the Brussels-Capital region has no parent: null
    assert areas["meets_standard"].sum() == 2  # Antwerpen (2 positions) and Namur (1): the standard is 1
    national = mart("national_year").iloc[0]
    assert (national["positions_active"], national["positions_reporting"], national["positions_missing"]) == (3, 2, 1)
    assert (national["departments_covered"], national["departments_below_standard"]) == (2, 9)
    assert national["mean_positions_per_department"] == pytest.approx(3 / 11)
    assert national["persons_received"] == 140
    costs = mart("cost_position_year").set_index("position_id")
    assert costs.loc["BE-VAN-001", "cost_eur"] == 60_000 and costs.loc["BE-VAN-002", "cost_eur"] == 30_000
    # the refund: 50 % of the first year from 2024; BE-VAN-001 started in 2023, before the scheme: none
    assert costs.loc["BE-VAN-001", "state_refund_eur"] == 0 and costs.loc["BE-VAN-002", "state_refund_eur"] == 15_000
    indicators = mart("indicators")
    national_rows = indicators[indicators["level"] == "national"].set_index("indicator")
    assert set(national_rows["entity"]) == {"BE"}
    assert national_rows.loc["share_departments_meeting_standard", "value"] == pytest.approx(2 / 11)
