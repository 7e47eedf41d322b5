"""Country profiles (issue 15): France's as data, `swps profile new` and `swps profile check`."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from swps_pipeline import cli, contract
from swps_pipeline.i18n import N_, Texts, available_languages
from swps_pipeline.profiles import (
    PACKAGED_PROFILES,
    PROFILE_DIR_VARIABLE,
    PROFILE_VARIABLE,
    TO_FILL,
    ProfileError,
    check_profile,
    read_profile,
)
from tests.profiles.belgium import BELGIAN_AREAS, fill_belgian_scaffold

FR = PACKAGED_PROFILES / "FR"


@pytest.fixture(autouse=True)
def _profile_environment(monkeypatch):
    """`--profile` writes the environment: restore it after each test."""
    monkeypatch.setenv(PROFILE_VARIABLE, "FR")
    monkeypatch.setenv(PROFILE_DIR_VARIABLE, "")  # recorded, so that what `--profile` sets is undone
    monkeypatch.delenv(PROFILE_DIR_VARIABLE)


def test_the_french_profile_holds_the_national_facts():
    profile = read_profile(FR)
    assert (profile.country, profile.currency, profile.currency_symbol, profile.language) == ("FR", "EUR", "€", "fr")
    assert len(profile.areas) == 101 and profile.area_level == "département"
    assert {"01", "2A", "2B", "77", "971", "976"} <= profile.area_codes()
    assert profile.areas.set_index("area_code").loc["77", "area_name"] == "Seine-et-Marne"
    assert (profile.positions_per_area, profile.inhabitants_per_worker) == (2, 150_000)
    assert profile.refund_shares == (0.80, 0.50, 0.30) and profile.scheme_start == date(2019, 1, 1)
    assert (profile.cost_per_fte_year, profile.cost_per_fte_year_range, profile.cost_price_year) == (
        52_500, (50_000, 55_000), 2022)
    assert (profile.timezone, profile.schedule, profile.returns_due) == ("Europe/Paris", "0 6 1 3 *", (2, 15))
    assert profile.discount_rate == "france_2021" and profile.discount_rates["france_2021"]["value"] == 0.032
    assert profile.crime_format == "ssmsi" and profile.deflator[2015] == 100.0
    # Seine-et-Marne's INSEE population of reference year 2020, as carried by the SSMSI edition
    population = profile.population.set_index(["area_code", "year"])["population"]
    assert population[("77", 2020)] == 1_428_636
    assert set(profile.labels) == set(contract.COLUMN_NAMES)
    assert contract.BY_NAME["fte"].label == "ETP" and contract.HOST_TYPES["gendarmerie"] == ("Gendarmerie", "Brigade")
    assert contract.HEADER_ALIASES["identifiant_du_poste"] == "position_id"
    assert check_profile(FR) == []


def test_profile_new_be_lists_the_belgian_provinces_and_the_euro(tmp_path, capsys):
    folder = tmp_path / "BE"
    assert cli.main(["profile", "new", "be", "--out", str(folder)]) == 0
    with (folder / "areas.csv").open(encoding="utf-8") as handle:
        areas = list(csv.DictReader(handle))
    assert [a["area_code"] for a in areas] == BELGIAN_AREAS
    antwerp = next(a for a in areas if a["area_code"] == "BE-VAN")
    assert (antwerp["area_name"], antwerp["parent_code"]) == ("Antwerpen", "BE-VLG")
    raw = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    assert (raw["country"], raw["costs"]["currency"], raw["calendar"]["timezone"]) == ("BE", "EUR", "Europe/Brussels")
    assert raw["funding"]["refund_shares"] == TO_FILL and raw["legal_basis"] == TO_FILL
    capsys.readouterr()
    assert cli.main(["profile", "check", str(folder)]) == 2
    lines = capsys.readouterr().out.splitlines()
    assert f"{folder}: funding.refund_shares: still to fill" in lines
    assert f"{folder}: areas.population_file: the population of 11 area(s) is still to fill (first: 'BE-BRU')" in lines
    assert f"{folder}: legal_basis: still to fill" in lines
    assert all(line.startswith(f"{folder}: ") for line in lines)


def test_profile_new_at_a_chosen_level_and_outside_the_euro_area(tmp_path):
    from swps_pipeline.profiles.scaffold import iso_areas, national_defaults

    assert [a["area_code"] for a in iso_areas("BE", "Region")] == ["BE-BRU", "BE-VLG", "BE-WAL"]
    poland = iso_areas("PL")
    assert len(poland) == 16 and {"PL-14", "PL-12"} <= {a["area_code"] for a in poland}  # Mazowieckie, Małopolskie
    assert national_defaults("PL")["currency"] == "PLN" and national_defaults("PL")["timezone"] == "Europe/Warsaw"
    with pytest.raises(ProfileError, match="no subdivision of type 'canton'"):
        iso_areas("BE", "canton")


def test_profile_new_refuses_an_unknown_country_and_an_existing_folder(tmp_path, capsys):
    assert cli.main(["profile", "new", "XX", "--out", str(tmp_path / "XX")]) == 2
    assert capsys.readouterr().out.strip() == "swps profile new: 'XX' is not an ISO 3166-1 alpha-2 country code"
    assert cli.main(["profile", "new", "BE", "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().out


def _french_copy(tmp_path: Path, change) -> Path:
    folder = tmp_path / "profile"
    shutil.copytree(FR, folder)
    raw = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    change(raw)
    (folder / "profile.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("change", "problem"), [
    (lambda raw: raw["funding"].pop("refund_shares"), "funding.refund_shares: missing"),
    (lambda raw: raw["funding"].update(refund_shares=[0.3, 0.5]),
     "funding.refund_shares: expected 1 to 10 yearly shares in [0, 1], none above the one before, got [0.3, 0.5]"),
    (lambda raw: raw["costs"].update(currency="EURO"), "costs.currency: 'EURO' is not an ISO 4217 code"),
    (lambda raw: raw["costs"].update(cost_per_fte_year=60000),
     "costs.cost_per_fte_year: 60000 is outside its range [50000, 55000]"),
    (lambda raw: raw["economics"].update(discount_rate="green_book"),
     "economics.discount_rate: 'green_book' is not one of economics.discount_rates "
     "(france_2021, france_2021_low_beta, quinet_2013)"),
    (lambda raw: raw["calendar"].update(timezone="Europe/Pariss"),
     "calendar.timezone: 'Europe/Pariss' is not an IANA time zone (e.g. Europe/Brussels)"),
    (lambda raw: raw["costs"].update(price_year=2031), "costs.price_year: 2031 is not a year of the deflator (2010-2025)"),
    (lambda raw: raw.update(country="FX"), "country: 'FX' is not an ISO 3166-1 alpha-2 code"),
    (lambda raw: raw["recorded_crime"].update(format="csv"),
     "recorded_crime.format: expected one of ssmsi, generic, got 'csv'"),
    (lambda raw: raw["recorded_crime"].update(outcome="Domestic violence"),
     "recorded_crime.outcome: write the indicator as 'domestic_violence' (lower case, '_' between words, as the "
     "recorded-crime table names it)"),
    (lambda raw: raw["recorded_crime"].update(placebo="intrafamily_physical_violence"),
     "recorded_crime.placebo: must be another indicator than the outcome"),
    (lambda raw: raw["recorded_crime"].pop("placebo"), "recorded_crime.placebo: missing"),
])
def test_a_bad_profile_is_reported_field_by_field(tmp_path, capsys, change, problem):
    folder = _french_copy(tmp_path, change)
    assert check_profile(folder) == [problem]
    assert cli.main(["profile", "check", str(folder)]) == 2
    assert capsys.readouterr().out == f"{folder}: {problem}\n"
    with pytest.raises(ProfileError) as error:
        read_profile(folder)
    assert str(error.value) == f"country profile {folder}: {problem}"


def test_inconsistent_tables_are_named(tmp_path):
    folder = _french_copy(tmp_path, lambda raw: None)
    with (folder / "population.csv").open("a", encoding="utf-8") as handle:
        handle.write("99,2020,1000\n")
    template = (folder / "template.csv").read_text(encoding="utf-8")
    (folder / "template.csv").write_text(template.replace("ETP,", "Mois d'activité,"), encoding="utf-8")
    assert check_profile(folder) == [
        "areas.population_file: area '99' is not in the areas file",
        "template.file: the header 'Mois d'activité' names both 'fte' and 'months_active'",
    ]


def test_a_filled_scaffold_checks_clean(tmp_path, capsys):
    """`swps profile new` then filling every TO FILL from a fixture gives a clean profile."""
    folder = tmp_path / "BE"
    assert cli.main(["profile", "new", "BE", "--out", str(folder)]) == 0
    fill_belgian_scaffold(folder)
    capsys.readouterr()
    assert cli.main(["profile", "check", str(folder)]) == 0
    assert capsys.readouterr().out == f"{folder}: clean (Belgium: 11 provinces, currency EUR, time zone Europe/Brussels)\n"
    profile = read_profile(folder)
    assert profile.population.set_index("area_code")["population"]["BE-WNA"] == 1_100_000
    assert profile.host_types["federal_police"] == ("Federale politie", "Police fédérale")
    assert profile.position_id_prefix.split("|")[:2] == ["BE\\-BRU", "BE\\-VAN"]


def test_profile_option_selects_the_profile_for_the_command(tmp_path, capsys):
    folder = _french_copy(tmp_path, lambda raw: raw["funding"].pop("refund_shares"))
    assert cli.main(["--profile", str(folder), "profile", "check"]) == 2
    assert capsys.readouterr().out == f"{folder}: funding.refund_shares: missing\n"
    assert os.environ[PROFILE_DIR_VARIABLE] == str(folder)


def test_a_broken_active_profile_stops_a_command_with_one_line(tmp_path):
    folder = _french_copy(tmp_path, lambda raw: raw["funding"].pop("refund_shares"))
    env = {**os.environ, PROFILE_DIR_VARIABLE: str(folder), "SWPS_DATA_DIR": str(tmp_path / "none"),
           "SWPS_OUTPUT_DIR": str(tmp_path / "out")}
    done = subprocess.run([sys.executable, "-m", "swps_pipeline.cli", "template", "--year", "2024"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr == f"swps: country profile {folder}: funding.refund_shares: missing\n"


def test_the_packaged_belgian_profile_checks_clean_and_marks_its_assumptions(capsys):
    """profiles/BE: clean; only the areas (ISO 3166-2) and the PPP (Eurostat) are sourced, every other source says it
    is to verify."""
    assert cli.main(["profile", "check", "BE"]) == 0
    assert capsys.readouterr().out.endswith(": clean (Belgium: 11 provincies / provinces, currency EUR, "
                                            "time zone Europe/Brussels)\n")
    belgium = read_profile(PACKAGED_PROFILES / "BE")
    assert sorted(belgium.areas["area_code"]) == BELGIAN_AREAS
    assert belgium.sources["areas"].startswith("ISO 3166-2:BE via pycountry")
    assert belgium.sources["ppp"].startswith("Eurostat") and belgium.ppp_per_euro == 1.128835
    unsourced = {key: text for key, text in belgium.sources.items() if key not in ("areas", "ppp")}
    assert all(text.startswith("ASSUMPTION (to verify)") for text in unsourced.values()), unsourced
    assert belgium.labels["new_cases"] == "Nieuwe situaties" and "Nouvelles situations" in belgium.aliases["new_cases"]
    assert (belgium.crime_format, belgium.crime_outcome, belgium.crime_placebo) == (
        "generic", "intrafamily_violence", "vehicle_theft")


def test_the_packaged_polish_profile_checks_clean_and_marks_its_assumptions(capsys):
    """profiles/PL, outside the euro area: clean; the 16 voivodeships are ISO 3166-2:PL's, the PPP Eurostat's, and
    every other source (the national unit value and discount rates included) says it is to verify."""
    import pycountry

    assert cli.main(["profile", "check", "PL"]) == 0
    assert capsys.readouterr().out.endswith(": clean (Poland: 16 województwa / voivodeships, currency PLN, "
                                            "time zone Europe/Warsaw)\n")
    poland = read_profile(PACKAGED_PROFILES / "PL")
    voivodeships = {s.code: s.name for s in pycountry.subdivisions.get(country_code="PL") if s.type == "Voivodship"}
    assert dict(zip(poland.areas["area_code"], poland.areas["area_name"])) == voivodeships
    assert poland.sources["areas"].startswith("ISO 3166-2:PL via pycountry")
    assert (poland.currency, poland.ppp_per_euro, poland.ppp_year) == ("PLN", 3.068560, 2023)
    assert poland.sources["ppp"] == read_profile(FR).sources["ppp"]  # the same Eurostat table as France's
    unsourced = {key: text for key, text in poland.sources.items() if key not in ("areas", "ppp")}
    unsourced |= {f"unit_values.{k}": v["source"] for k, v in poland.unit_values.items()}
    unsourced |= {f"discount_rates.{k}": v["source"] for k, v in poland.discount_rates.items()}
    assert all(text.startswith("ASSUMPTION (to verify)") for text in unsourced.values()), unsourced
    assert poland.legal_basis.startswith("ASSUMPTION (to verify)")
    assert poland.labels["new_cases"] == "Nowe sprawy" and "New cases" in poland.aliases["new_cases"]
    assert set(poland.host_types) == {"county_police_hq", "police_station"}
    assert (poland.crime_format, poland.crime_outcome, poland.timezone) == ("generic", "domestic_violence",
                                                                            "Europe/Warsaw")
    # no Polish catalogue: the texts fall back to English, as the profile's header says
    assert "pl" not in available_languages() and Texts("pl")(N_("Summary")) == "Summary"


@pytest.mark.parametrize("entry, problem", [
    ({"value": 90, "price_year": 2024}, "economics.unit_values.officer_hourly_cost_eur: needs a value above 0, a "
                                        "price_year and a source"),
    ({"value": 90, "price_year": 1999, "source": "x"}, "economics.unit_values.officer_hourly_cost_eur: price_year "
                                                       "1999 is not a year of the deflator (2010-2025)"),
])
def test_a_national_unit_value_needs_a_value_a_price_year_of_the_index_and_a_source(tmp_path, entry, problem):
    folder = tmp_path / "PL"
    shutil.copytree(PACKAGED_PROFILES / "PL", folder)
    raw = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    raw["economics"]["unit_values"] = {"officer_hourly_cost_eur": entry}
    (folder / "profile.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert check_profile(folder) == [problem]
