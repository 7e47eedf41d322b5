"""The parameter file: every parameter sourced, value = mean, overrides, one-line errors, plausible ranges."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from swps_pipeline import cli
from swps_pipeline.economics import ParameterError, load_parameters
from swps_pipeline.economics.parameters import MAX_PARAMETER_FILE_BYTES, Distribution, read_cpi

BUNDLED_CRIME = Path(__file__).resolve().parents[2] / "data" / "raw" / "crime"


def test_every_parameter_has_a_label_bounds_and_a_source_or_is_a_stated_assumption():
    params = load_parameters()
    assert len(params.parameters) == 22
    for name, parameter in params.parameters.items():
        assert parameter.source and parameter.label, name
        assert parameter.bounds[0] <= parameter.value <= parameter.bounds[1], name
        if parameter.is_assumption:
            assert parameter.rationale and "\n" not in parameter.rationale, name
        if parameter.unit.startswith("EUR"):
            assert parameter.price_year in params.cpi, name
    for rate in params.discount_rates.values():
        assert rate.source
    assert params.parameters["unit_cost_dv_victimisation_eur"].is_assumption
    assert not params.parameters["default_cost_per_fte_year_eur"].is_assumption


def test_defaults_come_from_the_country_profile_and_the_reference_file():
    params = load_parameters()  # France's profile: ECPA application, questions 16, 15 and 5
    cost = params.parameters["default_cost_per_fte_year_eur"]
    assert (cost.value, cost.distribution.low, cost.distribution.high, cost.price_year) == (52_500, 50_000, 55_000,
                                                                                           2022)
    assert params.settings.refund_shares == (0.80, 0.50, 0.30)
    assert params.settings.national_scheme_start == date(2019, 1, 1)
    assert (params.settings.discount_rate.name, params.settings.discount_rate.value) == ("france_2021", 0.032)
    assert {k: v.value for k, v in params.discount_rates.items()} == {
        "france_2021": 0.032, "france_2021_low_beta": 0.022, "quinet_2013": 0.045, "uk_green_book": 0.035,
        "zero": 0.0, "seven_percent": 0.07,
    }
    assert params.mean("opportunity_cost_public_funds") == 1.2
    assert params.parameters["opportunity_cost_public_funds"].distribution == Distribution("triangular", 1.0, 1.5)
    assert (params.settings.n_draws, params.settings.price_year, params.settings.base_year) == (10_000, 2024, None)
    assert params.settings.enabled_channels == (
        "police_time", "repeat_victimisation", "perpetrator_programmes", "office_costs", "emergency_housing",
        "child_protection")
    # the UK £34,015 per victim counts about three years of harm: the unit cost is for one year
    assert "one year of harm" in params.parameters["unit_cost_dv_victimisation_eur"].unit


def test_the_price_index_is_shipped_with_its_source():
    cpi = read_cpi()
    assert cpi[2015] == 100.0
    assert cpi[2014] == pytest.approx(cpi[2015] / 1.000) and cpi[2013] == pytest.approx(cpi[2014] / 1.005, abs=0.01)
    assert cpi[2023] / cpi[2022] == pytest.approx(1.049, abs=0.001)
    assert min(cpi) <= 2012 and max(cpi) >= 2025


def test_value_is_the_mean_for_every_distribution_type():
    rng = np.random.default_rng(7)
    for name, parameter in load_parameters().parameters.items():
        draws = parameter.sample(rng, 400_000)
        assert draws.mean() == pytest.approx(parameter.value, rel=0.005, abs=1e-4), name
    # the lognormal's 90 % interval is the one declared (issue 11 point 5)
    cost = load_parameters().parameters["unit_cost_dv_victimisation_eur"]
    assert (cost.quantile(0.05), cost.quantile(0.95)) == pytest.approx((7_000, 30_000), rel=0.005)


def test_a_value_alone_carries_the_distribution_and_a_distribution_alone_sets_the_value(tmp_path):
    params = load_parameters(overrides={"parameters": {
        "default_cost_per_fte_year_eur": 50_000, "unit_cost_dv_victimisation_eur": 31_962,
        "perpetrator_programme_uptake": {"distribution": {"type": "uniform", "low": 0.2, "high": 0.4}},
        "relative_reduction_repeat_victimisation": 0.2,
    }})
    assert params.parameters["default_cost_per_fte_year_eur"].distribution == Distribution("uniform", 47_500, 52_500)
    assert params.parameters["unit_cost_dv_victimisation_eur"].distribution.low == pytest.approx(14_000, rel=1e-4)
    assert params.mean("perpetrator_programme_uptake") == pytest.approx(0.3)
    # shifted by 0.2 − 0.4 / 3 (the packaged mean of triangular(0, 0.10, 0.30)): [0 + 1/15, 0.30 + 1/15]
    reduction = params.parameters["relative_reduction_repeat_victimisation"].distribution
    assert (reduction.type, reduction.low, reduction.high) == ("triangular", pytest.approx(1 / 15),
                                                               pytest.approx(0.30 + 1 / 15))


def test_user_file_then_run_config_override(tmp_path):
    user = tmp_path / "mine.yaml"
    user.write_text(
        "settings:\n  discount_rate: quinet_2013\n  channels: {child_protection: false}\n"
        "parameters:\n  officer_hourly_cost_eur: {value: 55}\n  eligible_share: 0.8\n",
        encoding="utf-8",
    )
    params = load_parameters(user, {"parameters": {"officer_hourly_cost_eur": 45}, "settings": {"discount_rate": 0.05}})
    assert params.mean("officer_hourly_cost_eur") == 45
    assert params.mean("eligible_share") == 0.8
    assert params.parameters["officer_hourly_cost_eur"].distribution == Distribution("triangular", 32, 65)
    assert not params.settings.channels["child_protection"] and params.settings.channels["police_time"]
    assert (params.settings.discount_rate.name, params.settings.discount_rate.value) == ("custom", 0.05)
    assert params.sources[1:] == (str(user), "run config")
    assert load_parameters(user).settings.discount_rate.value == 0.045


#: "Billion laughs" in YAML: 11 levels of 9 aliases, 9^11 strings once expanded, in under 600 bytes.
ALIAS_BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(10))

BAD_FILES = {
    "unknown parameter": ("parameters:\n  no_such_thing: 3\n", "unknown parameter 'no_such_thing'"),
    "value outside plausible range": ("parameters:\n  officer_hourly_cost_eur: {value: 300}\n",
                                      "parameter 'officer_hourly_cost_eur': value 300 outside its plausible range"),
    "distribution leaves the range": ("parameters:\n  baseline_repeat_probability: 0.9\n",
                                      # shifted by 0.9 − 0.95 / 3: [0.20 + 0.58333, 0.45 + 0.58333]
                                      "distribution [0.783333, 1.03333] leaves the plausible range [0, 1]"),
    "mean impossible for a triangular": (
        "parameters:\n  officer_hours_per_new_case: {value: 3.9, distribution: {type: triangular, low: 1, high: 4}}\n",
        "value (mean) 3.9 is impossible for a triangular on [1, 4]"),
    "lognormal value not its mean": (
        "parameters:\n  unit_cost_dv_victimisation_eur: {value: 16000, distribution: "
        "{type: lognormal, low: 8000, high: 40000}}\n", "is not the mean of the lognormal with 90 % interval"),
    "low above high": ("parameters:\n  decay_rate: {value: 0.2, distribution: {type: uniform, low: 0.3, high: 0.1}}\n",
                       "low (0.3) must be below high (0.1)"),
    "bounds are fixed": ("parameters:\n  decay_rate: {bounds: [0, 5]}\n", "'bounds' is fixed by the package"),
    "unknown distribution": ("parameters:\n  officer_hourly_cost_eur: {distribution: {type: gamma}}\n",
                             "distribution type must be one of"),
    "assumption without rationale": ("parameters:\n  officer_hours_per_new_case: {rationale: ''}\n",
                                     "an assumption needs a one-line rationale"),
    "not a number": ("parameters:\n  officer_hourly_cost_eur: {value: cheap}\n", "expected a number, got 'cheap'"),
    "money without price year": ("parameters:\n  officer_hourly_cost_eur: {price_year: null}\n",
                                 "a money amount needs a price_year"),
    "unknown setting": ("settings:\n  colour: blue\n", "unknown setting 'colour'"),
    "unknown channel": ("settings:\n  channels: {magic: true}\n", "unknown channel 'magic'"),
    "channel not a boolean": ("settings:\n  channels: {police_time: maybe}\n", "to true/false"),
    "unknown rate": ("settings:\n  discount_rate: martian\n", "unknown rate 'martian'"),
    "discount rate -1": ("settings:\n  discount_rate: -1\n", "-1 is not a plausible real discount rate"),
    "discount rate 1000": ("settings:\n  discount_rate: 1000\n", "1000 is not a plausible real discount rate"),
    "discount rate -0.03": ("settings:\n  discount_rate: -0.03\n", "-0.03 is not a plausible real discount rate"),
    "named rate out of range": ("discount_rates:\n  wild: {value: 0.5, source: me}\n",
                                "discount rate 'wild': 0.5 is not a plausible"),
    "refund shares empty": ("settings:\n  refund_shares: []\n", "'refund_shares': expected a list of 1 to 10"),
    "refund shares out of [0, 1]": ("settings:\n  refund_shares: [5, -3]\n", "each share must be in [0, 1]"),
    "refund shares increasing": ("settings:\n  refund_shares: [0.5, 0.8]\n", "none above the one before"),
    "no draws": ("settings:\n  n_draws: 0\n", "'n_draws': expected a whole number from 1 to 1,000,000, got 0"),
    "absurd draws": ("settings:\n  n_draws: 1000000000\n", "'n_draws': expected a whole number from 1 to 1,000,000"),
    "negative seed": ("settings:\n  seed: -1\n", "'seed': expected a whole number from 0"),
    "persistence too long": ("parameters:\n  persistence_years: 100\n", "value 100 outside its plausible range [1, 30]"),
    "price year without index": ("settings:\n  price_year: 1990\n", "'price_year': expected a year of the price index"),
    "missing counts": ("settings:\n  missing_counts: zero\n", "expected one of ['impute', 'leave_out']"),
    "python tag": ("parameters: !!python/object/apply:os.system ['true']\n", "not valid YAML at line 1"),
    "alias bomb": (ALIAS_BOMB, "aliases (*name) are not allowed in a parameter file"),
    "not YAML": ("parameters: [1, 2\n", "not valid YAML at line"),
    "a list": ("- just\n- a list\n", "expected a mapping at the top level"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_parameter_file_fails_with_one_line_naming_file_and_parameter(tmp_path, case):
    text, expected = BAD_FILES[case]
    user = tmp_path / "bad.yaml"
    user.write_text(text, encoding="utf-8")
    with pytest.raises(ParameterError) as error:
        load_parameters(user)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(str(user)) or message.startswith(f"swps_pipeline/economics/parameters.yaml + {user}")
    assert expected in message


def test_the_alias_bomb_is_small_and_refused_fast(tmp_path):
    user = tmp_path / "bomb.yaml"
    user.write_text(ALIAS_BOMB, encoding="utf-8")
    assert len(ALIAS_BOMB.encode()) < 600  # issue 18 measured 71 s and 2.65 GB for a 518-byte one
    started = time.perf_counter()
    with pytest.raises(ParameterError, match="aliases"):
        load_parameters(user)
    assert time.perf_counter() - started < 1.0


def test_files_that_are_not_small_plain_text_are_refused(tmp_path):
    with pytest.raises(ParameterError, match=r"absent\.yaml: cannot read the parameter file"):
        load_parameters(tmp_path / "absent.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * MAX_PARAMETER_FILE_BYTES + "\n", encoding="utf-8")
    with pytest.raises(ParameterError, match=r"big\.yaml: parameter file of 262,147 bytes, over the limit of 262,144"):
        load_parameters(big)
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ParameterError, match=r"fifo\.yaml: not a regular file"):  # refused, not read (would hang)
        load_parameters(fifo)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("settings:\n  seed: 1 # é\n".encode("latin-1"))
    with pytest.raises(ParameterError, match=r"latin\.yaml: not UTF-8 text \(byte 22\)"):
        load_parameters(latin)
    with pytest.raises(ParameterError, match=r"^run config: unknown parameter 'speed'$"):
        load_parameters(overrides={"parameters": {"speed": 1}})


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory) -> Path:
    """A minimal good data folder: the registry, one return, the bundled crime file."""
    root = tmp_path_factory.mktemp("data")
    (root / "returns" / "2021").mkdir(parents=True)
    (root / "positions.csv").write_text(
        "position_id,department_code,host_type,host_site,employer_type,start_date,end_date,local_funders\n"
        "77-001,77,police,Meaux,association,2015-01-01,,2\n", encoding="utf-8")
    (root / "returns" / "2021" / "77.csv").write_text(
        "year,department_code,position_id,fte,months_active,persons_received,new_cases,actions\n"
        "2021,77,77-001,1,12,120,60,360\n", encoding="utf-8")
    shutil.copytree(BUNDLED_CRIME, root / "crime")
    return root


CLI_CASES = ("discount rate -1", "discount rate 1000", "discount rate -0.03", "refund shares empty",
             "refund shares out of [0, 1]", "no draws", "absurd draws", "negative seed", "alias bomb", "python tag",
             "persistence too long")


@pytest.mark.parametrize("case", CLI_CASES)
def test_swps_run_refuses_a_bad_parameter_file_with_exit_2_and_one_line(case, data_folder, tmp_path, monkeypatch,
                                                                         capsys):
    text, expected = BAD_FILES[case]
    user = tmp_path / "my_parameters.yaml"
    user.write_text(text, encoding="utf-8")
    monkeypatch.setenv("SWPS_DATA_DIR", str(data_folder))
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(tmp_path / "out"))
    assert cli.main(["run", "--parameters", str(user)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("swps run: ") and "my_parameters.yaml" in lines[0]
    assert expected in lines[0]
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_quantiles_follow_the_documented_conventions():
    triangular = Distribution("triangular", 0.0, 0.30)
    # mean 0.13 on [0, 0.3]: mode 0.09; below it F(x) = x² / ((b - a)(c - a)), so p10 = sqrt(0.1 × 0.3 × 0.09)
    assert triangular.mode(0.13) == pytest.approx(0.09)
    assert triangular.quantile(0.13, 0.10) == pytest.approx(math.sqrt(0.1 * 0.3 * 0.09))
    lognormal = Distribution("lognormal", 7_000, 30_000)
    # the 5th / 95th percentiles are low / high; the median is their geometric mean
    assert lognormal.quantile(lognormal.implied_mean(), 0.5) == pytest.approx(math.sqrt(7_000 * 30_000))
    assert lognormal.quantile(lognormal.implied_mean(), 0.95) == pytest.approx(30_000)
    assert Distribution("uniform", 0.3, 0.7).quantile(0.5, 0.9) == pytest.approx(0.66)
    assert Distribution("normal", 0.0, 2 * 1.6448536).quantile(1.6448536, 0.5) == pytest.approx(1.6448536)
    assert Distribution("pert", 1, 4).mode(13 / 6) == pytest.approx(2.0)
    assert Distribution("fixed").quantile(1.2, 0.1) == 1.2


#: Every kind of distribution the quantiles are taken of, with a mean inside it.
QUANTILE_CASES = [
    (Distribution("triangular", 0.0, 0.30), 0.13), (Distribution("triangular", 2.0, 5.0), 3.9),
    (Distribution("pert", 1, 4), 13 / 6), (Distribution("pert", 0.05, 0.6), 0.2),
    (Distribution("normal", 0.1, 0.5), 0.3), (Distribution("lognormal", 7_000, 30_000), None),
    (Distribution("uniform", 0.3, 0.7), 0.5),
]


@pytest.mark.parametrize("distribution, mean", QUANTILE_CASES)
def test_quantiles_are_exactly_scipy_stats_ppf(distribution, mean):
    """The known truth: `scipy.stats`' percent-point functions with the same shapes, bit for bit (the tornado's
    values must not move when the quantiles are computed without importing `scipy.stats`)."""
    from scipy import stats

    mean = distribution.implied_mean() if mean is None else mean
    low, high = distribution.low, distribution.high
    for q in np.linspace(0.01, 0.99, 99):
        if distribution.type == "triangular":
            truth = stats.triang.ppf(q, (distribution.mode(mean) - low) / (high - low), loc=low, scale=high - low)
        elif distribution.type == "pert":
            truth = low + (high - low) * float(stats.beta.ppf(q, *distribution._pert_shapes(mean)))
        elif distribution.type == "normal":
            truth = mean + distribution.normal_sigma() * float(stats.norm.ppf(q))
        elif distribution.type == "lognormal":
            truth = math.exp(math.log(distribution.median(mean)) + distribution.log_sigma() * float(stats.norm.ppf(q)))
        else:
            truth = low + q * (high - low)
        assert distribution.quantile(mean, q) == float(truth)


def test_the_quantiles_of_every_parameter_need_no_scipy_stats():
    """A re-run whose impact estimates are reused computes the tornado without importing `scipy.stats` (a
    second of a corrected year's re-run, issue 17)."""
    code = ("import sys; from swps_pipeline.economics import load_parameters; "
            "[p.quantile(q) for p in load_parameters().parameters.values() for q in (0.1, 0.9)]; "
            "print('scipy.stats' in sys.modules)")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip().splitlines()[-1] == "False"


def test_z90_is_scipys_95th_percentile_of_the_normal_to_the_last_bit():
    from scipy.special import ndtri
    from scipy.stats import norm

    from swps_pipeline.economics.parameters import Z90

    assert Z90 == float(ndtri(0.95)) == float(norm.ppf(0.95))


def test_the_priors_follow_the_reference_values_or_say_why_not():
    """Review of 2026-12-03, item 7: three triangular priors had modes 1.9, 0.31 and 0.09 against the reference's
    triangular(1, 2, 4), (0.20, 0.30, 0.45) and (0, 0.10, 0.30) (shared/reference/cba_parameters.md) with no reason.
    Mode = 3 × mean − low − high."""
    parameters = load_parameters().parameters
    reference = {"officer_hours_per_new_case": (1, 2, 4), "baseline_repeat_probability": (0.20, 0.30, 0.45),
                 "relative_reduction_repeat_victimisation": (0, 0.10, 0.30),
                 "baseline_reoffending_probability": (0.20, 0.30, 0.45)}
    for name, (low, mode, high) in reference.items():
        p = parameters[name]
        assert (p.distribution.low, p.distribution.high) == (low, high), name
        assert p.distribution.mode(p.value) == pytest.approx(mode), name
        assert p.value == pytest.approx((low + mode + high) / 3), name
    # The ones that depart from the reference say so, with the reason, next to the value.
    for name in ("officer_hourly_cost_eur", "unit_cost_dv_victimisation_eur", "reoffending_reduction"):
        assert "Differs from cba_parameters.md" in f"{parameters[name].source} {parameters[name].rationale}", name
