"""Robust outlier listing, the catalogue table and its doc, and the headline views."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.image
import pandas as pd
from pytest import approx

from swps_pipeline.indicators import (
    catalogue_markdown,
    indicator_definitions,
    indicator_outliers,
    national_headline_markdown,
    national_trend_png,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def _long(level: str, indicator: str, values: list[float], year: int = 2021) -> pd.DataFrame:
    return pd.DataFrame({
        "level": level, "entity": [f"e{i}" for i in range(len(values))], "year": year, "indicator": indicator,
        "value": values, "numerator": values, "denominator": 1.0,
        "positions_reporting": pd.array([1] * len(values), dtype="Int64"),
    })


def test_outliers_flag_beyond_four_robust_z_scores_on_rate_indicators_only():
    values = [10.0, 11.0, 12.0, 13.0, 14.0, 100.0]  # median 12.5, MAD 1.5
    indicators = pd.concat([
        _long("position", "persons_received_per_fte", values),
        _long("department", "share_victims", values),
        _long("position", "persons_received_per_fte", values, year=2022),
        _long("department", "persons_received", values),  # a total: not screened
        _long("national", "share_victims", values),  # national level: not screened
        _long("department", "share_women", [0.5] * 5 + [0.9]),  # MAD 0: no spread, nothing flagged
    ], ignore_index=True)
    outliers = indicator_outliers(indicators)
    assert set(zip(outliers["level"], outliers["indicator"], outliers["year"])) == {
        ("position", "persons_received_per_fte", 2021),
        ("department", "share_victims", 2021),
        ("position", "persons_received_per_fte", 2022),
    }
    assert (outliers["entity"] == "e5").all()
    first = outliers.iloc[0]
    assert (first["median"], first["mad"]) == (12.5, 1.5)
    assert first["robust_z"] == approx(87.5 / (1.4826 * 1.5))
    assert first["family"] in {"activity", "public"}


def test_definitions_table_has_the_fixed_ids_and_a_full_description():
    definitions = indicator_definitions()
    fixed = {"new_cases_per_fte", "share_victims", "share_offenders", "share_third_parties", "share_women",
             "share_domestic_violence", "share_departments_meeting_standard"}
    assert fixed <= set(definitions["indicator"])
    assert definitions["indicator"].is_unique
    assert set(definitions["family"]) == {"activity", "public", "needs", "partnership", "orientation",
                                          "coverage", "quality"}
    assert definitions.notna().drop(columns="denominator").all().all()
    share = definitions.set_index("indicator").loc["share_domestic_violence"]
    assert share["formula"] == "problem_domestic_violence / (new_cases + ongoing_cases)"
    assert share["label_fr"].endswith("Violences conjugales")


def test_the_doc_contains_the_generated_catalogue():
    assert catalogue_markdown() in DOC.read_text(encoding="utf-8")


def test_headline_and_trend(small_programme):
    text = national_headline_markdown(small_programme["indicator_changes"], 2022)
    assert "| Persons received | 170 | 190 | 3 / 4 |" in text
    assert "| Returns received / expected | 75.0% | 75.0% | 3 / 4 |" in text
    image = matplotlib.image.imread(io.BytesIO(national_trend_png(small_programme["indicators"])), format="png")
    assert image.shape[0] > 200 and image.shape[1] > 600
