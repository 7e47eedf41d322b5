"""The whole impact chain from a data folder: any registry and crime file the contracts allow, no code change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from swps_pipeline.impact import (
    deployment_department_year,
    estimate_impact,
    event_study_chart,
    impact_panel,
    interpretation_markdown,
    population_by_department_year,
    read_recorded_crime,
)
from swps_pipeline.impact.settings import ImpactSettings
from swps_pipeline.reference import departements

BUNDLED_REGISTRY = Path(__file__).resolve().parents[2] / "data" / "raw" / "positions.csv"
MODELS = {"twfe_treated", "twfe_intensity", "event_study", "callaway_santanna",
          "callaway_santanna_intensity_cohort", "placebo", "dose_response_cgbs", "honest_did"}
HEADER_A = "classe;annee;Code.département;Code.région;unité.de.compte;millPOP;millLOG;faits;POP;LOG;tauxpourmille"


def _read_registry(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"position_id": str, "department_code": str},
                       parse_dates=["start_date", "end_date"])


def _run(data_dir: Path, first_year: int, last_year: int):
    crime = read_recorded_crime(data_dir / "crime")
    years = range(first_year, last_year + 1)
    deployment = deployment_department_year(_read_registry(data_dir / "positions.csv"), None,
                                            population_by_department_year(crime, years), first_year, last_year)
    panel = impact_panel(deployment, crime)
    return panel, estimate_impact(panel, ImpactSettings(seed=7, n_boot=199))


def _write_folder(root: Path) -> Path:
    """A registry with one position per département starting 2013-2021 (or never) and a format-A crime file.

    Intrafamily violence rises by 20 % from adoption on; vehicle thefts do not move.
    """
    rng = np.random.default_rng(11)
    codes = departements()["department_code"]
    start_year = pd.Series(np.resize([2013, 2018, 2019, 2020, 2021, 0], len(codes)), index=codes)
    adopting = start_year[start_year > 0]
    registry = pd.DataFrame({"position_id": [f"{c}-1" for c in adopting.index], "department_code": adopting.index,
                             "start_date": [f"{y}-03-01" for y in adopting], "end_date": ""})
    root.mkdir(parents=True)
    registry.to_csv(root / "positions.csv", index=False)
    rows = []
    for i, code in enumerate(codes):
        # every third département small enough for one position to reach 1 worker per 150,000
        population = 100_000 if i % 3 == 0 else int(rng.integers(200_000, 2_000_000))
        level = {"intrafamily": rng.normal(np.log(2), 0.2), "vehicles": rng.normal(np.log(2.5), 0.2)}
        for year in range(2016, 2023):
            adopted = 0 < start_year[code] <= year
            for label, key, unit, effect in (("Coups et blessures volontaires intrafamiliaux", "intrafamily",
                                              "victime", 0.2 * adopted),
                                             ("Vols de véhicules", "vehicles", "véhicule", 0.0)):
                rate = np.exp(level[key] + 0.05 * (year - 2016) + effect + rng.normal(0, 0.02))
                count = round(rate * population / 1000)
                rows.append(f"{label};{year - 2000};{code};00;{unit};{min(year, 2020) - 2000};{min(year, 2020) - 2000};"
                            f"{count};{population};{population / 2:.4f};{count / population * 1000:.6f}".replace(
                                ".", ","))
    (root / "crime").mkdir()
    (root / "crime" / "other-edition.csv").write_bytes(("\n".join([HEADER_A, *rows]) + "\n").encode("utf-8-sig"))
    return root


def test_another_data_folder_estimates_everything(tmp_path):
    panel, result = _run(_write_folder(tmp_path / "data"), 2016, 2022)
    assert len(panel) == 101 * 7
    assert set(result.impact_estimates["model"]) == MODELS
    # adoption designs: the cohorts 2018-2021 and the never-treated (17 départements adopted in 2013)
    cohorts = panel.drop_duplicates("department_code")["cohort"]
    expected_clusters = int((cohorts.isna() | (cohorts > 2016)).sum())
    cs = result.row("callaway_santanna", "att_overall")
    assert cs["n_clusters"] == expected_clusters == 101 - 17
    assert cs["ci_low"] <= 0.2 <= cs["ci_high"]
    intensity = result.row("callaway_santanna_intensity_cohort", "att_overall")
    # the effect shows, attenuated: large départements that adopted never reach the target and sit among the controls
    assert 0 < intensity["ci_low"] and intensity["estimate"] < 0.2
    placebo = result.row("placebo", "att_overall")
    assert placebo["ci_low"] <= 0.0 <= placebo["ci_high"]
    assert event_study_chart(result.event_study).startswith(b"\x89PNG\r\n\x1a\n")
    # a clear 20 % jump with flat pre-trends: the finding survives a trend violation as large as the pre-period ones
    breakdown = result.row("honest_did", "breakdown_mbar_att_dynamic_overall")
    assert breakdown["estimate"] > 1 or np.isnan(breakdown["estimate"])
    assert breakdown["base_period"] == "universal" and breakdown["control_group"] == "not_yet_treated"


def test_real_crime_file_with_bundled_registry(real_crime_file, tmp_path):
    if not BUNDLED_REGISTRY.is_file():
        pytest.skip(f"the bundled registry is absent ({BUNDLED_REGISTRY})")
    (tmp_path / "crime").mkdir()
    (tmp_path / "crime" / real_crime_file.name).symlink_to(real_crime_file)
    (tmp_path / "positions.csv").symlink_to(BUNDLED_REGISTRY)
    panel, result = _run(tmp_path, 2016, 2022)
    assert (panel["department_code"].nunique(), sorted(panel["year"].unique())) == (101, list(range(2016, 2023)))
    seine_et_marne = panel.set_index(["department_code", "year"]).loc[("77", 2021)]
    assert seine_et_marne["outcome_count"] == 3763 and seine_et_marne["population"] == 1428636
    assert seine_et_marne["outcome_rate_per_1000"] == pytest.approx(3763 / 1428636 * 1000)
    assert set(result.impact_estimates["model"]) == MODELS
    text = interpretation_markdown(result)
    # 14 pre-adoption cells on 18 départements: R's Wald pre-test is not defined, and the reading says why
    assert result.row("callaway_santanna", "pretest_wald_chi2") is None
    assert "Pre-test (Wald, every Callaway–Sant'Anna pre-adoption cell jointly zero) could not be run: the " \
           "covariance of the 14 pre-adoption cells is singular" in text
    assert result.warnings()[0].startswith("Few clusters: 18 départements (< 30)")
