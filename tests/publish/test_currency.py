"""Money columns say their currency where tables are published (issue 15): the names, the marts' writer and
reader, the workbook's formats."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from swps_pipeline.publish.currency import (
    Money,
    canonical_columns,
    canonical_name,
    published_columns,
    published_name,
)
from swps_pipeline.publish.warehouse import SCHEMA, read_mart, write_parquet_atomically
from swps_pipeline.publish.xlsx import DECIMAL, number_format

CANONICAL = ["year", "cost_eur", "npv_mean_eur", "cost_per_new_case", "npv_per_public_euro", "fte_years"]
POLISH = ["year", "cost_pln", "npv_mean_pln", "cost_per_new_case", "npv_per_public_pln", "fte_years"]


@pytest.mark.parametrize("canonical, polish", list(zip(CANONICAL, POLISH)))
def test_a_money_column_takes_the_currency_code_and_comes_back(canonical, polish):
    assert published_name(canonical, "PLN") == polish
    assert canonical_name(polish, "PLN") == canonical
    assert published_name(canonical, "EUR") == canonical == canonical_name(canonical, "EUR")


def test_a_euro_table_is_the_same_frame():
    frame = pd.DataFrame(columns=CANONICAL)
    assert published_columns(frame, "EUR") is frame and canonical_columns(frame, "EUR") is frame
    assert list(published_columns(frame, "PLN").columns) == POLISH


def _warehouse(tmp_path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    connection.execute(f"CREATE TABLE {SCHEMA}.cost_national_year AS SELECT * FROM (VALUES "
                       "(2024, 90000.0, 0.5), (2023, 45000.0, NULL)) AS t(year, cost_eur, npv_per_public_euro)")
    return connection


def test_the_marts_writer_names_money_in_the_profiles_currency_and_read_mart_gives_the_canonical_names(tmp_path):
    with _warehouse(tmp_path) as connection:
        write_parquet_atomically(connection, "cost_national_year", tmp_path / "pl" / "cost_national_year.parquet",
                                 "PLN")
        write_parquet_atomically(connection, "cost_national_year", tmp_path / "eur" / "cost_national_year.parquet",
                                 "EUR")
        write_parquet_atomically(connection, "cost_national_year", tmp_path / "as_is" / "cost_national_year.parquet")
    polish = pd.read_parquet(tmp_path / "pl" / "cost_national_year.parquet")
    assert list(polish.columns) == ["year", "cost_pln", "npv_per_public_pln"]
    assert polish["cost_pln"].tolist() == [45_000, 90_000] and pd.isna(polish["npv_per_public_pln"].iloc[0])
    # a euro profile's mart is the warehouse table as it was exported before (byte for byte)
    assert (tmp_path / "eur" / "cost_national_year.parquet").read_bytes() == \
        (tmp_path / "as_is" / "cost_national_year.parquet").read_bytes()
    back = read_mart(tmp_path / "pl", "cost_national_year", "PLN")
    assert list(back.columns) == ["year", "cost_eur", "npv_per_public_euro"]
    assert back["cost_eur"].tolist() == [45_000, 90_000]


def test_read_mart_follows_the_active_profile(tmp_path, monkeypatch):
    monkeypatch.delenv("SWPS_PROFILE_DIR", raising=False)
    monkeypatch.setenv("SWPS_PROFILE", "PL")
    with _warehouse(tmp_path) as connection:
        write_parquet_atomically(connection, "cost_national_year", tmp_path / "cost_national_year.parquet", "PLN")
    assert "cost_eur" in read_mart(tmp_path, "cost_national_year").columns


def test_the_workbook_formats_amounts_in_the_currency():
    zloty, euro = Money("PLN", "zł"), Money("EUR", "€")
    assert number_format("cost_pln", False, zloty) == '#,##0 "zł"'
    assert number_format("cost_per_new_case", False, zloty) == '#,##0 "zł"'
    assert number_format("npv_per_public_pln", False, zloty) == DECIMAL  # a ratio, not an amount
    assert number_format("cost_eur", False, euro) == '#,##0 "€"'
    assert (zloty.millions, zloty.millions_format, euro.millions) == ("M zł", '#,##0.0 "M zł"', "M€")
    assert (zloty.name("en"), euro.name("fr"), zloty.name("en", count=1)) == ("Polish zlotys", "euros",
                                                                               "Polish zloty")


def test_the_headlines_speak_in_the_profiles_currency():
    """The summary sheet's amounts for a złoty profile: M zł in the label and the format, no euro anywhere."""
    from swps_pipeline.publish.evaluation import headlines

    cba = pd.DataFrame({"scope_level": ["national"], "first_year": [2019], "last_year": [2025],
                        "discount_rate": [0.05], "n_draws": [100], "npv_mean_eur": [-298_497_100.0],
                        "npv_per_position_year_eur": [1_234.4], "npv_per_public_euro": [0.25]})
    impact = pd.DataFrame(columns=["model", "term"])
    found = {h.label: h for h in headlines(cba, impact, money=Money("PLN", "zł"))}
    mean = found["Mean net present value, 2019–2025 (M zł)"]
    assert (mean.number_format, mean.text()) == ('#,##0.0 "M zł"', "-298.5 M zł")
    assert found["NPV per full-time position-year (mean), 2019–2025"].text() == "1,234 zł"
    assert found["NPV per public Polish zloty (mean), 2019–2025"].text() == "0.250"
    assert not any("€" in h.label + h.text() or "euro" in h.label for h in found.values())


def test_the_assets_column_schema_names_the_columns_as_their_mart_does():
    from swps_pipeline.publish.warehouse import column_schema

    frame = pd.DataFrame({"year": [2024], "cost_eur": [90_000.0]})
    schema = {c.name: c.description for c in column_schema(frame, "cost_national_year", "PLN").columns}
    assert list(schema) == ["year", "cost_pln"] and schema["cost_pln"] == column_schema(
        frame, "cost_national_year").columns[1].description  # described as the canonical column
