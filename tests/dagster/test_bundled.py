"""The bundled synthetic data, run through the whole graph, reproduce the programme's published figures."""

from __future__ import annotations

import warnings

import dagster as dg
import pandas as pd
import pytest

from swps_pipeline.publish.warehouse import read_mart


def test_seine_et_marne_2021_department_year(bundled_marts):
    row = read_mart(bundled_marts, "department_year").set_index(["department_code", "year"]).loc[("77", 2021)]
    assert (row["positions_active"], row["positions_reporting"], row["fte"]) == (7, 7, 7)
    assert row["actions"] == 4349
    assert row["child_in_danger_reports"] == 109
    assert row["new_cases"] == 1030
    assert row["persons_received"] == 1256
    assert round(row["cases_victim"] / 1030, 2) == 0.59
    assert round(row["cases_offender"] / 1030, 2) == 0.10
    assert round(row["cases_third_party"] / 1030, 2) == 0.30
    assert round(row["persons_women"] / 1256, 2) == 0.75
    problems = row[["problem_domestic_violence", "problem_vulnerability", "problem_schooling", "problem_housing"]]
    assert problems.tolist() == [952, 68, 74, 34]


def test_national_2022_standard_and_mean(bundled_marts):
    row = read_mart(bundled_marts, "national_year").set_index("year").loc[2022]
    assert row["departments_below_standard"] == 2
    assert row["mean_positions_per_department"] == pytest.approx(row["positions_active"] / 101)
    assert 3.5 <= row["mean_positions_per_department"] < 4.6


def test_seine_et_marne_2021_indicators(bundled_marts):
    indicators = read_mart(bundled_marts, "indicators")
    seine_et_marne = indicators[(indicators["level"] == "department") & (indicators["entity"] == "77")
                                & (indicators["year"] == 2021)].set_index("indicator")["value"]
    assert seine_et_marne["new_cases_per_fte"] == pytest.approx(1030 / 7)
    assert round(seine_et_marne["share_victims"], 2) == 0.59
    assert round(seine_et_marne["share_offenders"], 2) == 0.10
    assert round(seine_et_marne["share_third_parties"], 2) == 0.30
    assert round(seine_et_marne["share_women"], 2) == 0.75
    row = read_mart(bundled_marts, "department_year").set_index(["department_code", "year"]).loc[("77", 2021)]
    assert seine_et_marne["share_domestic_violence"] == pytest.approx(952 / (1030 + row["ongoing_cases"]))
    national = indicators[(indicators["level"] == "national") & (indicators["year"] == 2022)
                          & (indicators["indicator"] == "share_departments_meeting_standard")].iloc[0]
    assert (national["numerator"], national["denominator"]) == (99, 101)


def test_seine_et_marne_2021_cost_per_case(bundled_marts):
    costs = read_mart(bundled_marts, "cost_per_case")
    row = costs[(costs["level"] == "department") & (costs["entity"] == "77") & (costs["year"] == 2021)].iloc[0]
    # The default 52,500 EUR of 2022 in 2021 euros (INSEE CPI 106.35 / 111.88): 49,905.03 EUR a position.
    assert row["total_cost_eur"] == pytest.approx(7 * 52_500 * 106.35 / 111.88)
    assert round(row["cost_per_new_case"], 2) == 339.16
    assert round(row["cost_per_person_received"], 2) == 278.13
    assert row["positions_covered"] == 7


def test_no_row_is_lost_on_the_bundled_data(bundled_marts):
    accounting = read_mart(bundled_marts, "ingestion_accounting")
    parts = accounting[["rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped"]].sum(axis=1)
    assert (accounting["rows_read"] == parts).all()
    assert accounting["rows_valid"].sum() == len(read_mart(bundled_marts, "returns_valid"))
    assert accounting["rows_quarantined"].sum() == len(read_mart(bundled_marts, "returns_quarantine"))
    assert accounting["file_rejected"].sum() == len(read_mart(bundled_marts, "files_rejected")) == 7


def test_definitions_load_without_warnings(tmp_path):
    from swps_pipeline.definitions import build_definitions
    from swps_pipeline.settings import Settings

    with dg.instance_for_test(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        definitions = build_definitions(Settings(tmp_path / "raw", tmp_path / "out"))
        dg.Definitions.validate_loadable(definitions)
        specs = definitions.resolve_all_asset_specs()
    assert [str(w.message) for w in caught if not issubclass(w.category, ResourceWarning)] == []
    assert {spec.group_name for spec in specs} == {
        "reference", "ingest", "panel", "indicators", "economics", "impact", "publish", "collect"
    }
    assert all(spec.description for spec in specs)


def test_evaluation_pack_of_the_bundled_run(bundled_marts):
    from openpyxl import load_workbook

    from swps_pipeline.assumptions import SYNTHETIC_NOTICE
    from swps_pipeline.i18n import Texts
    from swps_pipeline.publish.evaluation import PACK_TABLES

    pack = bundled_marts.parent / "evaluation_pack"
    workbook = load_workbook(pack / "evaluation_pack.xlsx", read_only=True)
    assert workbook.sheetnames[0] == "README"
    readme = " ".join(str(c) for row in workbook["README"].iter_rows(values_only=True) for c in row if c)
    # The pack speaks the profile's language (French for FR; tests/i18n/test_pack_language.py).
    assert Texts("fr")(SYNTHETIC_NOTICE) in readme and "<5" in readme
    assert {name[:31] for name in PACK_TABLES} <= set(workbook.sheetnames)
    # Some départements have fewer than 5 child-in-danger reports: the pack hides them, the mart does not.
    department_year = read_mart(bundled_marts, "department_year")
    small = department_year[department_year["child_in_danger_reports"].between(1, 4)]
    assert len(small) > 0
    sheet = pd.read_csv(pack / "csv" / "department_year.csv", dtype=str, encoding="utf-8-sig")
    shown = sheet.set_index(["department_code", "year"]).loc[
        (small.iloc[0]["department_code"], str(small.iloc[0]["year"])), "child_in_danger_reports"]
    assert shown == "<5"
    assert {p.name for p in (pack / "charts").iterdir()} == {
        "national_trend.png", "npv_distribution.png", "tornado.png", "event_study.png"}


def _page_text(page: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_the_french_pack_methods_page_is_french(bundled_marts):
    """The bundled run's pack (French, the FR profile's language): the methods, readings and warnings in French,
    none of their English originals."""
    page = (bundled_marts.parent / "evaluation_pack" / "methods.html").read_text(encoding="utf-8")
    text = _page_text(page)

    assert '<html lang="fr">' in page
    assert "<h2>Méthodes : coûts et analyse coûts-bénéfices</h2>" in page
    assert "<h3>2. Modèle coûts-bénéfices</h3>" in page and "<h3>Hypothèses et réserves</h3>" in page
    assert "Sur 2019–2025, la VAN espérée (moyenne) est de −4,2 M€" in text
    assert "Peu de grappes : 18 départements (< 30)" in text
    for english in ("Cost-benefit model", "How a value is computed", "Assumptions and caveats",
                    "What the model cannot say", "the expected (mean) NPV is", "Few clusters:",
                    "Standard errors and intervals rest on few", "log points", "What the figures say"):
        assert english not in text, english


def test_the_pack_in_english_on_request(bundled_marts, tmp_path, monkeypatch):
    """`swps --language en export` on a copy of the bundled marts gives the English originals."""
    import shutil

    from swps_pipeline import cli

    shutil.copytree(bundled_marts, tmp_path / "marts")
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(tmp_path))
    monkeypatch.setenv("SWPS_LANGUAGE", "")  # restored after the test: the option sets the variable
    assert cli.main(["--language", "en", "export"]) == 0
    page = (tmp_path / "evaluation_pack" / "methods.html").read_text(encoding="utf-8")
    text = _page_text(page)

    assert '<html lang="en">' in page and "<h3>2. Cost-benefit model</h3>" in page
    assert "Over 2019–2025 the expected (mean) NPV is −4.2 M€" in text
    assert "Few clusters: 18 départements (< 30)" in text
    assert "Modèle coûts-bénéfices" not in text and "Peu de grappes" not in text
