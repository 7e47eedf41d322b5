"""The shared unit values (French euros) outside France: benefit transfer at purchasing-power parity (issue 15).

Each expected figure is computed here by hand from the numbers the files hold: a value of parameters.yaml, the
price index of profiles/FR/cpi.csv, the parities of profiles/FR, BE and PL (Eurostat 2023, units per PPS).
"""

from __future__ import annotations

import copy
import shutil
from importlib import resources

import pytest
import yaml

from swps_pipeline.economics.parameters import (
    ParameterError,
    load_parameters,
    ppp_factor,
    transferred_at_ppp,
    with_profile,
)
from swps_pipeline.profiles import PACKAGED_PROFILES, read_profile

FR, BE, PL = (read_profile(PACKAGED_PROFILES / code) for code in ("FR", "BE", "PL"))
#: Eurostat prc_ppp_ind 2023, GDP, EU27_2020 = 1 (the profiles' costs.ppp.per_euro).
PPP_FR, PPP_BE, PPP_PL = 1.092349, 1.128835, 3.068560
#: profiles/FR/cpi.csv, 2012 and 2023 (INSEE, 2015 = 100).
CPI_FR_2012, CPI_FR_2023 = 98.61, 117.37


def shared() -> dict:
    """economics/parameters.yaml as read."""
    text = resources.files("swps_pipeline.economics").joinpath("parameters.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def use(monkeypatch, country: str) -> None:
    monkeypatch.delenv("SWPS_PROFILE_DIR", raising=False)
    monkeypatch.setenv("SWPS_PROFILE", country)


def test_the_figures_used_here_are_the_files():
    assert (FR.ppp_per_euro, BE.ppp_per_euro, PL.ppp_per_euro) == (PPP_FR, PPP_BE, PPP_PL)
    assert (FR.deflator[2012], FR.deflator[2023]) == (CPI_FR_2012, CPI_FR_2023)


def test_france_is_the_identity_the_same_file_unchanged():
    raw = shared()
    assert transferred_at_ppp(raw, FR, FR) is raw
    merged = with_profile(raw, FR)
    for name, entry in raw["parameters"].items():
        if name != "default_cost_per_fte_year_eur":  # the profile's own cost, as before
            assert merged["parameters"][name] == entry


def test_french_parameters_are_the_values_of_the_file(monkeypatch):
    use(monkeypatch, "FR")
    officer = load_parameters().parameters["officer_hourly_cost_eur"]
    assert (officer.value, officer.price_year, officer.unit, officer.bounds) == (
        50, 2012, "EUR per officer hour (loaded)", (10, 200))
    assert (officer.distribution.low, officer.distribution.high) == (37, 70)


def test_a_polish_value_by_hand(monkeypatch):
    """15,981 EUR of 2012 (a DV victimisation, France): × INSEE 2023 / 2012, ÷ France's PPP, × Poland's PPP."""
    use(monkeypatch, "PL")
    victimisation = load_parameters().parameters["unit_cost_dv_victimisation_eur"]
    factor = CPI_FR_2023 / CPI_FR_2012 * PPP_PL / PPP_FR  # 3.3436 złoty of 2023 per euro of 2012 in France
    assert factor == pytest.approx(3.343562, abs=1e-6)
    assert victimisation.value == pytest.approx(15_981 * factor, rel=1e-12)  # 53,433 PLN
    assert victimisation.price_year == 2023
    assert (victimisation.distribution.low, victimisation.distribution.high) == pytest.approx(
        (7_000 * factor, 30_000 * factor))
    assert victimisation.bounds == pytest.approx((100 * factor, 1_000_000 * factor))
    assert victimisation.unit == "PLN per domestic-violence victimisation (one year of harm); transferred at PPP"
    assert "transferred at PPP from France (EUR of 2012" in victimisation.source
    assert victimisation.source.startswith("assumption; ")  # the original source kept in front


def test_a_ratio_per_unit_of_money_keeps_its_value_and_names_the_currency(monkeypatch):
    use(monkeypatch, "PL")
    ratio = load_parameters().parameters["opportunity_cost_public_funds"]
    assert (ratio.value, ratio.price_year) == (1.2, None)
    assert ratio.unit == "ratio (welfare cost per PLN of net public funds)"


def test_a_national_unit_value_replaces_the_transfer(monkeypatch):
    """profiles/PL gives the officer hourly cost: 90 PLN of 2024, its distribution carried from the transferred one."""
    use(monkeypatch, "PL")
    officer = load_parameters().parameters["officer_hourly_cost_eur"]
    assert (officer.value, officer.price_year, officer.unit) == (90, 2024, "PLN per officer hour (loaded)")
    assert officer.source.startswith("ASSUMPTION (to verify)")
    factor = CPI_FR_2023 / CPI_FR_2012 * PPP_PL / PPP_FR  # the triangular 37-70 EUR transferred, then shifted to 90
    shift = 90 - 50 * factor
    assert (officer.distribution.low, officer.distribution.high) == pytest.approx((37 * factor + shift,
                                                                                   70 * factor + shift))


def test_belgium_transfers_too_at_its_parity(monkeypatch):
    """A euro country other than France: same currency, other price level (Belgium 3.3 % above France in 2023)."""
    use(monkeypatch, "BE")
    night = load_parameters().parameters["emergency_housing_cost_per_night_eur"]  # 26 EUR of 2023
    assert night.value == pytest.approx(26 * PPP_BE / PPP_FR, rel=1e-12)  # 26.87 EUR
    assert night.unit == "EUR per night of emergency housing; transferred at PPP"


def test_the_default_cost_is_the_profiles_in_its_currency(monkeypatch):
    use(monkeypatch, "PL")
    cost = load_parameters().parameters["default_cost_per_fte_year_eur"]
    assert (cost.value, cost.price_year, cost.unit) == (90_000, 2024, "PLN per FTE-year")
    assert cost.bounds == pytest.approx((10_000 * PPP_PL / PPP_FR, 200_000 * PPP_PL / PPP_FR))  # no price year


def test_parities_of_two_years_are_refused():
    later = copy.copy(PL)
    object.__setattr__(later, "ppp_year", 2024)
    with pytest.raises(ParameterError, match="costs.ppp.year 2024 differs from FR's \\(2023\\)"):
        ppp_factor(2012, FR, later)


def test_a_unit_value_that_is_not_a_money_parameter_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "PL"
    shutil.copytree(PACKAGED_PROFILES / "PL", folder)
    raw = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    raw["economics"]["unit_values"] = {"decay_rate": {"value": 0.1, "price_year": 2024, "source": "test"}}
    (folder / "profile.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SWPS_PROFILE_DIR", str(folder))
    with pytest.raises(ParameterError, match="economics.unit_values.decay_rate: not a money parameter"):
        load_parameters()
