"""The cross-country comparison on small hand-made marts of three countries; every expected figure is worked out
by hand in the comments (the marts' values are made up for the test, not facts about these countries)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import openpyxl
import pandas as pd
import pytest

from swps_pipeline import cli
from swps_pipeline.defs.provenance import run_profile
from swps_pipeline.defs.publish import cross_country_comparison
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.profiles import PACKAGED_PROFILES, read_profile
from swps_pipeline.publish.comparison import (
    COMPARISON_COLUMNS,
    ComparisonError,
    compare_folders,
    write_comparison,
)
from swps_pipeline.publish.provenance import OUTPUTS_CONTRACT_VERSION, run_profile_table
from tests.conftest import SHARED

CBA = {"scope_entity": "x", "base_year": 2022, "benefit_cost_ratio_mean": 1.0, "probability_npv_positive": 0.5}


def profile_row(country: str, name: str, currency: str, ppp: float, assumptions: int, price_note: str = "fixture",
                contract: str = OUTPUTS_CONTRACT_VERSION) -> dict:
    return {"country": country, "country_name": name, "currency": currency, "ppp": ppp, "ppp_year": 2023,
            "ppp_source": price_note, "assumptions_to_verify": assumptions, "synthetic_data": True,
            "contract_version": contract}


def indicator_rows(entity: str, figures: dict[str, dict[int, tuple[float | None, float | None]]]) -> list[dict]:
    return [{"level": "national", "entity": entity, "year": year, "indicator": indicator,
             "numerator": numerator, "denominator": denominator,
             "value": None if numerator is None or not denominator else numerator / denominator,
             "population_year": year}
            for indicator, years in figures.items() for year, (numerator, denominator) in years.items()]


def write_marts(folder: Path, tables: dict[str, list[dict] | pd.DataFrame]) -> Path:
    """An output folder `folder/marts/<table>.parquet`, as `swps run` leaves it."""
    marts = folder / "marts"
    marts.mkdir(parents=True)
    for name, rows in tables.items():
        (rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)).to_parquet(marts / f"{name}.parquet")
    return folder


def belgium(tmp_path: Path) -> Path:
    """2022-2024, euro, 1.25 per PPP-euro; the cost-benefit covers 2022-2024 only (no 2023-2024 scope)."""
    people = {2023: (300, 1_000_000), 2024: (500, 1_000_000)}
    return write_marts(tmp_path / "be", {
        "run_profile": [profile_row("BE", "Belgium", "EUR", 1.25, 16)],
        "national_year": [{"year": 2022, "positions_active": 10}, {"year": 2023, "positions_active": 12},
                          {"year": 2024, "positions_active": 14}],
        "indicators": indicator_rows("BE", {
            "persons_received_per_100k": {2022: (100, 1_000_000), **people},
            "new_cases_per_100k": {2022: (90, 1_000_000), 2023: (200, 1_000_000), 2024: (300, 1_000_000)},
            "share_domestic_violence": {2022: (10, 90), 2023: (60, 200), 2024: (90, 300)},
            "positions_per_150k": {2024: (14, 1_000_000)}}),
        "cost_per_case": [{"level": "national", "entity": "BE", "year": y, "total_cost_eur": c, "new_cases": n}
                          for y, c, n in ((2022, 99_999.0, 90), (2023, 100_000.0, 200), (2024, 150_000.0, 300))]
        + [{"level": "department", "entity": "BE-VAN", "year": 2024, "total_cost_eur": 1e9, "new_cases": 1}],
        "cba_summary": [
            {**CBA, "scope_level": "national", "first_year": 2022, "last_year": 2024, "price_year": 2024,
             "effect_source": "literature", "headline": True, "npv_mean_eur": 1_000_000.0,
             "benefit_cost_ratio_mean": 1.1, "probability_npv_positive": 0.6},
            {**CBA, "scope_level": "national", "first_year": 2023, "last_year": 2023, "price_year": 2024,
             "effect_source": "literature", "headline": False, "npv_mean_eur": 7.0}],
        "impact_estimates": [
            {"model": "callaway_santanna", "term": "att_overall", "estimate": 0.05, "ci_low": -0.01, "ci_high": 0.11,
             "outcome": "log_intrafamily_violence_per_1000"},
            {"model": "twfe_treated", "term": "treated", "estimate": 9.0, "ci_low": 8.0, "ci_high": 10.0,
             "outcome": "log_intrafamily_violence_per_1000"}],
    })


def poland(tmp_path: Path) -> Path:
    """2023-2024, złoty (money columns `*_pln`), 2.5 per PPP-euro, cost-benefit in 2023 prices over 2023-2024,
    the impact table not published."""
    return write_marts(tmp_path / "pl", {
        "run_profile": [profile_row("PL", "Poland", "PLN", 2.5, 20)],
        "national_year": [{"year": 2023, "positions_active": 30}, {"year": 2024, "positions_active": 40}],
        "indicators": indicator_rows("PL", {
            "persons_received_per_100k": {2023: (1_000, 4_000_000), 2024: (1_400, 4_000_000)},
            "new_cases_per_100k": {2023: (800, 4_000_000), 2024: (1_200, 4_000_000)},
            "share_domestic_violence": {2023: (200, 1_000), 2024: (300, 1_000)}}),
        "cost_per_case": [{"level": "national", "entity": "PL", "year": y, "total_cost_pln": c, "new_cases": n}
                          for y, c, n in ((2023, 1_000_000.0, 800), (2024, 1_500_000.0, 1_200))],
        "cba_summary": [{**CBA, "scope_level": "national", "first_year": 2023, "last_year": 2024, "price_year": 2023,
                         "effect_source": "literature", "headline": True, "npv_mean_pln": 5_000_000.0,
                         "benefit_cost_ratio_mean": 1.3, "probability_npv_positive": 0.7}],
    })


def czechia(tmp_path: Path) -> Path:
    """No recorded-crime file (populations null), no cost_per_case table, an impact table without the estimate."""
    return write_marts(tmp_path / "cz", {
        "run_profile": [profile_row("CZ", "Czechia", "CZK", 16.0, 0)],
        "national_year": [{"year": 2023, "positions_active": 5}, {"year": 2024, "positions_active": 6}],
        "indicators": indicator_rows("CZ", {
            "persons_received_per_100k": {2023: (50, None), 2024: (60, None)},
            "new_cases_per_100k": {2023: (40, None), 2024: (45, None)},
            "share_domestic_violence": {2023: (20, 40), 2024: (None, None)}}),
        "cba_summary": [{**CBA, "scope_level": "national", "first_year": 2023, "last_year": 2024, "price_year": 2024,
                         "effect_source": "literature", "headline": True, "npv_mean_czk": 1_600_000.0}],
        "impact_estimates": pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
            ("model", object), ("term", object), ("estimate", float), ("ci_low", float), ("ci_high", float),
            ("outcome", object))}),
    })


def test_two_countries_side_by_side_per_100000_inhabitants_and_in_ppp_euros(tmp_path):
    table = compare_folders([poland(tmp_path), belgium(tmp_path)]).set_index("country")
    assert list(table.index) == ["BE", "PL"] and list(table.reset_index().columns) == COMPARISON_COLUMNS
    # the years both runs have: 2023-2024 (Belgium's 2022 is left out)
    assert set(table["first_year"]) == {2023} and set(table["last_year"]) == {2024} and set(table["years"]) == {2}
    be, pl = table.loc["BE"], table.loc["PL"]
    assert (be["population_covered"], be["population_year"], be["positions_active"]) == (1_000_000, 2024, 14)
    assert be["positions_per_100k"] == pytest.approx(1.4)  # 14 / 1,000,000 × 100,000
    assert be["persons_received_per_100k"] == pytest.approx(40.0)  # (300 + 500) / 2,000,000 × 100,000
    assert be["new_cases_per_100k"] == pytest.approx(25.0)  # (200 + 300) / 2,000,000 × 100,000
    assert be["share_domestic_violence"] == pytest.approx(0.3)  # (60 + 90) / (200 + 300)
    assert be["cost_per_new_case_national"] == pytest.approx(500.0)  # 250,000 / 500 (national rows only)
    assert be["cost_per_new_case_ppp_eur"] == pytest.approx(400.0)  # 500 / 1.25
    # no 2023-2024 scope: the headline 2022-2024, said in a caveat
    assert (be["cba_first_year"], be["cba_last_year"], be["cba_price_year"]) == (2022, 2024, 2024)
    assert be["npv_mean_national"] == 1_000_000 and be["npv_mean_ppp_eur"] == pytest.approx(800_000.0)
    assert (be["benefit_cost_ratio_mean"], be["probability_npv_positive"]) == (1.1, 0.6)
    assert (be["impact_outcome"], be["impact_estimate"], be["impact_ci_low"], be["impact_ci_high"]) == (
        "log_intrafamily_violence_per_1000", 0.05, -0.01, 0.11)
    assert pl["currency"] == "PLN" and pl["positions_per_100k"] == pytest.approx(1.0)  # 40 / 4,000,000 × 100,000
    assert pl["persons_received_per_100k"] == pytest.approx(30.0)  # 2,400 / 8,000,000 × 100,000
    assert pl["share_domestic_violence"] == pytest.approx(0.25)  # 500 / 2,000
    assert pl["cost_per_new_case_national"] == pytest.approx(1_250.0)  # 2,500,000 złoty / 2,000 (total_cost_pln)
    assert pl["cost_per_new_case_ppp_eur"] == pytest.approx(500.0)  # 1,250 / 2.5
    assert pl["npv_mean_national"] == 5_000_000 and pl["npv_mean_ppp_eur"] == pytest.approx(2_000_000.0)
    assert (pl["cba_first_year"], pl["cba_last_year"], pl["cba_price_year"]) == (2023, 2024, 2023)
    assert pl[["impact_outcome", "impact_estimate", "impact_ci_low", "impact_ci_high"]].isna().all()
    assert be["caveats"].split("; ") == [
        "synthetic data: no finding about Belgium", "16 profile values marked ASSUMPTION (to verify)",
        "years 2022 left out (not in every run)", "cost-benefit over 2022–2024, not the compared years 2023–2024",
        "cost-benefit in 2024 prices, other countries in 2023", "cost-benefit in 2024 prices converted at 2023 parities"]
    assert pl["caveats"].split("; ") == [
        "synthetic data: no finding about Poland", "20 profile values marked ASSUMPTION (to verify)",
        "no impact_estimates table: impact estimate null", "cost-benefit in 2023 prices, other countries in 2024"]


def test_what_a_run_lacks_is_null_with_a_caveat_never_zero(tmp_path):
    table = compare_folders([belgium(tmp_path), poland(tmp_path), czechia(tmp_path)]).set_index("country")
    cz = table.loc["CZ"]
    assert cz["positions_active"] == 6  # national_year is there
    for column in ("population_covered", "positions_per_100k", "persons_received_per_100k", "new_cases_per_100k",
                   "cost_per_new_case_national", "cost_per_new_case_ppp_eur", "impact_estimate", "impact_ci_low"):
        assert pd.isna(cz[column]), column
    assert cz["share_domestic_violence"] == pytest.approx(0.5)  # 20 / 40: 2024 has no count, left out and said
    assert cz["npv_mean_ppp_eur"] == pytest.approx(100_000.0)  # 1,600,000 koruna / 16
    assert cz["caveats"].split("; ") == [
        "synthetic data: no finding about Czechia", "no cost_per_case table: cost per new case null",
        "no population for 2024 (no recorded-crime file?): per 100,000 inhabitants null",
        "share of domestic violence without 2024", "no overall impact estimate (impact_diagnostics says why)",
        "cost-benefit in 2024 prices, other countries in 2023", "cost-benefit in 2024 prices converted at 2023 parities"]
    assert table.loc["BE", "cost_per_new_case_national"] == pytest.approx(500.0)  # the others are unchanged


def test_a_different_outcome_is_a_caveat_and_the_money_column_follows_the_currency(tmp_path):
    be, pl = belgium(tmp_path), poland(tmp_path)
    estimates = pd.read_parquet(be / "marts" / "impact_estimates.parquet").assign(outcome="log_vehicle_theft")
    estimates.to_parquet(pl / "marts" / "impact_estimates.parquet")
    costs = pd.read_parquet(pl / "marts" / "cost_per_case.parquet").rename(columns={"total_cost_pln": "total_cost_eur"})
    costs.to_parquet(pl / "marts" / "cost_per_case.parquet")  # a run whose złoty costs are labelled euros
    table = compare_folders([be, pl]).set_index("country")
    assert "impact estimated on log_intrafamily_violence_per_1000, other countries on log_vehicle_theft" in \
        table.loc["BE", "caveats"]
    assert pd.isna(table.loc["PL", "cost_per_new_case_national"])
    assert "no column total_cost_pln: cost per new case null" in table.loc["PL", "caveats"]


def test_a_figure_nobody_reported_is_null_with_a_caveat(tmp_path):
    be, pl = belgium(tmp_path), poland(tmp_path)
    indicators = pd.read_parquet(pl / "marts" / "indicators.parquet")
    shares = indicators["indicator"] == "share_domestic_violence"
    indicators.loc[shares, ["numerator", "denominator", "value"]] = None
    indicators.to_parquet(pl / "marts" / "indicators.parquet")
    poland_row = compare_folders([be, pl]).set_index("country").loc["PL"]
    assert pd.isna(poland_row["share_domestic_violence"])
    assert "no share of domestic violence in 2023–2024: null" in poland_row["caveats"]
    assert poland_row["persons_received_per_100k"] == pytest.approx(30.0)


def test_a_table_without_a_column_the_comparison_needs_is_left_out_with_a_caveat(tmp_path):
    be, pl = belgium(tmp_path), poland(tmp_path)
    summary = pd.read_parquet(pl / "marts" / "cba_summary.parquet").drop(columns=["headline", "price_year"])
    summary.to_parquet(pl / "marts" / "cba_summary.parquet")
    poland_row = compare_folders([be, pl]).set_index("country").loc["PL"]
    assert poland_row[["npv_mean_national", "npv_mean_ppp_eur", "benefit_cost_ratio_mean", "cba_price_year"]].isna().all()
    assert "cba_summary has no column price_year, headline: cost-benefit expected values null" in poland_row["caveats"]
    assert poland_row["cost_per_new_case_ppp_eur"] == pytest.approx(500.0)  # the rest as before
    pd.DataFrame([{"country": "PL"}]).to_parquet(pl / "marts" / "run_profile.parquet")
    with pytest.raises(ComparisonError, match=r"run_profile.parquet: no column country_name, currency, ppp, ppp_year, ppp_source"):
        compare_folders([be, pl])


def test_runs_that_cannot_be_compared_are_refused_in_one_line(tmp_path):
    be, pl = belgium(tmp_path), poland(tmp_path)
    refusals = {
        "same profile": ([be, be], f"{be} and {be} both hold runs of the BE profile: give one run per country"),
        "one run": ([be], "give the output folders of at least two runs (one per country), got 1"),
        "no folder": ([be, tmp_path / "nowhere"], f"{tmp_path / 'nowhere'}: no such folder"),
        "no marts": ([be, tmp_path], f"{tmp_path}: no marts (expected {tmp_path}/marts/<table>.parquet: run "
                                     f"`swps run` with SWPS_OUTPUT_DIR={tmp_path} first)"),
    }
    for case, (folders, message) in refusals.items():
        with pytest.raises(ComparisonError) as refused:
            compare_folders(folders)
        assert str(refused.value) == message, case
    other = write_marts(tmp_path / "v2", {"run_profile": [profile_row("LU", "Luxembourg", "EUR", 1.4, 0, contract="2")],
                                          "national_year": [{"year": 2023, "positions_active": 1}]})
    with pytest.raises(ComparisonError, match=r"different versions of the outputs contract \(.*be v1, .*v2 v2\)"):
        compare_folders([be, other])
    (pl / "marts" / "run_profile.parquet").unlink()
    with pytest.raises(ComparisonError, match="the marts do not say which country profile made them"):
        compare_folders([be, pl])
    late = write_marts(tmp_path / "lu", {"run_profile": [profile_row("LU", "Luxembourg", "EUR", 1.4, 0)],
                                         "national_year": [{"year": 2030, "positions_active": 1}]})
    with pytest.raises(ComparisonError, match=r"^the runs share no year \(BE 2022–2024, LU 2030\): nothing"):
        compare_folders([be, late])


def test_the_table_is_written_as_parquet_csv_and_a_workbook_sheet(tmp_path):
    table = compare_folders([belgium(tmp_path), poland(tmp_path)])
    written = write_comparison(table, tmp_path / "out")
    assert [p.name for p in written] == [f"cross_country_comparison.{s}" for s in ("parquet", "csv", "xlsx")]
    assert pd.read_parquet(written[0]).equals(table)
    csv = pd.read_csv(written[1], encoding="utf-8-sig")
    assert list(csv["country"]) == ["BE", "PL"] and csv["cost_per_new_case_ppp_eur"].tolist() == [400.0, 500.0]
    sheet = openpyxl.load_workbook(written[2]).active
    rows = list(sheet.values)
    assert list(rows[0]) == COMPARISON_COLUMNS and rows[2][COMPARISON_COLUMNS.index("npv_mean_national")] == 5_000_000
    assert sheet.freeze_panes == "B2"  # the country stays in view
    assert sheet.cell(3, COMPARISON_COLUMNS.index("cost_per_new_case_national") + 1).number_format == "#,##0"


def test_swps_compare_prints_a_summary_and_refuses_with_one_line(tmp_path, capsys):
    be, pl = belgium(tmp_path), poland(tmp_path)
    assert cli.main(["compare", str(be), str(pl), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("swps compare: 2 countries over 2023–2024 (2 years in every run)")
    assert out[1] == ("  BE Belgium: cost per new case 500 EUR (400 PPP-euros); expected NPV 1,000,000 EUR (800,000 "
                      "PPP-euros), benefit-cost ratio 1.10, P(NPV > 0) 60%; 6 caveat(s)")
    assert out[2].startswith("  PL Poland: cost per new case 1,250 PLN (500 PPP-euros)")
    assert (tmp_path / "out" / "cross_country_comparison.xlsx").is_file()
    assert cli.main(["compare", str(be), str(be)]) == 2
    assert capsys.readouterr().err == f"swps compare: {be} and {be} both hold runs of the BE profile: give one run " \
                                      f"per country\n"
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    assert cli.main(["compare", str(be), str(pl), "--out", str(blocker)]) == 2
    assert capsys.readouterr().err == (f"swps compare: {blocker}: the comparison folder (--out) is a file, not a "
                                       f"folder; choose a folder\n")


def test_each_run_says_which_profile_made_it():
    belgian = run_profile_table(read_profile(PACKAGED_PROFILES / "BE"), synthetic=True).iloc[0]
    # profile.yaml marks 14 sources or values, cpi.csv and population.csv one each (their first line)
    assert (belgian["country"], belgian["currency"], belgian["assumptions_to_verify"]) == ("BE", "EUR", 16)
    assert (belgian["ppp"], belgian["ppp_year"]) == (1.128835, 2023) and belgian["synthetic_data"]
    french = run_profile_table(read_profile(PACKAGED_PROFILES / "FR"), synthetic=False).iloc[0]
    assert (french["assumptions_to_verify"], french["synthetic_data"]) == (0, False)


@pytest.mark.skipif(not (SHARED / "contract" / "outputs.md").exists(), reason="the contracts live in ../shared")
def test_the_contract_version_is_the_one_of_the_outputs_contract():
    title = (SHARED / "contract" / "outputs.md").read_text(encoding="utf-8").splitlines()[0]
    assert title.endswith(f"(v{OUTPUTS_CONTRACT_VERSION})")


def _materialise_comparison(tmp_path: Path, compare_dirs: list[str]) -> dg.ExecuteInProcessResult:
    """The asset alone, this run's marts being `tmp_path/out/marts` (the tables it depends on are already there)."""
    settings = PipelineSettings(data_dir=str(tmp_path / "raw"), output_dir=str(tmp_path / "out"),
                                compare_dirs=compare_dirs)
    return dg.materialize([cross_country_comparison], resources={"settings": settings})


def test_the_asset_records_that_there_is_nothing_to_compare_and_writes_nothing(tmp_path):
    result = _materialise_comparison(tmp_path, [])
    metadata = result.asset_materializations_for_node("cross_country_comparison")[0].metadata
    assert metadata["compared"].value == "nothing to compare: SWPS_COMPARE_DIRS is empty"
    assert not (tmp_path / "out" / "comparison").exists()


def test_the_asset_puts_this_run_beside_the_listed_runs(tmp_path):
    belgium(tmp_path).rename(tmp_path / "out")  # this run: Belgium's
    result = _materialise_comparison(tmp_path, [str(poland(tmp_path))])
    metadata = result.asset_materializations_for_node("cross_country_comparison")[0].metadata
    assert (metadata["compared"].value, metadata["rows"].value) == ("2 countries: BE, PL", 2)
    assert "table: impact estimate null" in metadata["caveats"].value  # Poland's
    table = pd.read_parquet(tmp_path / "out" / "comparison" / "cross_country_comparison.parquet")
    assert table["source_folder"].tolist() == [f"this run ({tmp_path / 'out'})", str(tmp_path / "pl")]
    assert table["npv_mean_ppp_eur"].tolist() == [800_000.0, 2_000_000.0]
    refused = _materialise_comparison(tmp_path, [str(tmp_path / "out")])  # itself again: refused, the run goes on
    assert refused.success
    assert refused.asset_materializations_for_node("cross_country_comparison")[0].metadata["compared"].value == (
        f"not compared: this run ({tmp_path / 'out'}) and {tmp_path / 'out'} both hold runs of the BE profile: give "
        "one run per country")


def test_the_run_profile_asset_records_the_active_profile(tmp_path):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "synthetic_manifest.json").write_text("{}", encoding="utf-8")
    settings = PipelineSettings(data_dir=str(tmp_path / "raw"), output_dir=str(tmp_path / "out"))
    result = dg.materialize([run_profile], resources={"settings": settings, "io_manager": dg.mem_io_manager})
    record = result.output_for_node("run_profile").iloc[0]
    assert (record["country"], record["currency"], record["synthetic_data"]) == ("FR", "EUR", True)
