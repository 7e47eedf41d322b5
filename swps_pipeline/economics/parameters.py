"""The parameter file of the economics module: loading, validation, distributions.

One YAML file in the package (`parameters.yaml`) holds every economic
parameter with its uncertainty and its source; a user file and the run config
override it field by field. Anything malformed fails early with one line that
names the file and the parameter, so a bad run config never yields figures.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import stats

from swps_pipeline import assumptions

PACKAGED_FILE = "parameters.yaml"
DISTRIBUTIONS = ("fixed", "uniform", "triangular", "pert", "lognormal")
CHANNELS = ("police_time", "repeat_victimisation", "perpetrator_programmes", "child_protection")
#: What a parameter may feed: a benefit channel, the CBA costs, or the cost model only.
PARAMETER_USES = (*CHANNELS, "costs", "cost_model")
#: z of the 95th percentile: a lognormal's 90 % interval spans 2 × Z90 standard deviations of its log.
Z90 = float(stats.norm.ppf(0.95))

_PARAMETER_KEYS = {"value", "value_from", "distribution", "unit", "price_year", "source", "rationale", "channel"}
_SETTING_KEYS = {
    "discount_rate", "benefit_horizon_years", "include_office_costs", "n_draws", "seed", "channels",
    "national_scheme_start", "refund_shares",
}
#: `impact` holds the impact estimators' settings (read by swps_pipeline.impact.settings, ignored here).
_TOP_KEYS = {"settings", "discount_rates", "parameters", "scenarios", "impact"}


class ParameterError(ValueError):
    """A parameter file or override is missing, malformed or names an unknown parameter."""


@dataclass(frozen=True)
class Distribution:
    """An uncertainty distribution around a central value (see parameters.yaml for the conventions)."""

    type: str
    low: float | None = None
    high: float | None = None

    def sample(self, central: float, rng: np.random.Generator, n: int) -> np.ndarray:
        low, high = self.low, self.high
        if self.type == "fixed":
            return np.full(n, central, dtype=float)
        if self.type == "uniform":
            return rng.uniform(low, high, n)
        if self.type == "triangular":
            return rng.triangular(low, central, high, n)
        if self.type == "pert":
            alpha, beta = self._pert_shapes(central)
            return low + (high - low) * rng.beta(alpha, beta, n)
        return rng.lognormal(math.log(central), self._log_sigma(), n)

    def quantile(self, central: float, q: float) -> float:
        low, high = self.low, self.high
        if self.type == "fixed":
            return central
        if self.type == "uniform":
            return low + q * (high - low)
        if self.type == "triangular":
            return float(stats.triang.ppf(q, (central - low) / (high - low), loc=low, scale=high - low))
        if self.type == "pert":
            alpha, beta = self._pert_shapes(central)
            return low + (high - low) * float(stats.beta.ppf(q, alpha, beta))
        return math.exp(math.log(central) + self._log_sigma() * float(stats.norm.ppf(q)))

    def _pert_shapes(self, mode: float) -> tuple[float, float]:
        width = self.high - self.low
        return 1 + 4 * (mode - self.low) / width, 1 + 4 * (self.high - mode) / width

    def _log_sigma(self) -> float:
        """Sigma of log(x) from the width of the 90 % interval [low, high]; the median stays `value`."""
        return math.log(self.high / self.low) / (2 * Z90)


@dataclass(frozen=True)
class Parameter:
    name: str
    value: float
    distribution: Distribution
    unit: str
    price_year: int | None
    source: str
    rationale: str | None
    uses: tuple[str, ...]

    @property
    def is_assumption(self) -> bool:
        return self.source == "assumption"

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.distribution.sample(self.value, rng, n)

    def quantile(self, q: float) -> float:
        return self.distribution.quantile(self.value, q)


@dataclass(frozen=True)
class DiscountRate:
    name: str
    value: float
    source: str


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    values: dict[str, float]


@dataclass(frozen=True)
class Settings:
    discount_rate: DiscountRate
    benefit_horizon_years: int
    include_office_costs: bool
    n_draws: int
    seed: int
    channels: dict[str, bool]
    national_scheme_start: date
    refund_shares: tuple[float, ...]

    @property
    def enabled_channels(self) -> tuple[str, ...]:
        return tuple(c for c in CHANNELS if self.channels[c])


@dataclass(frozen=True)
class Parameters:
    """Everything the cost and cost-benefit models read from the parameter file(s)."""

    parameters: dict[str, Parameter]
    settings: Settings
    discount_rates: dict[str, DiscountRate]
    scenarios: dict[str, Scenario]
    sources: tuple[str, ...]

    def central(self, name: str) -> float:
        return self.parameters[name].value

    def central_values(self) -> dict[str, float]:
        return {name: p.value for name, p in self.parameters.items()}


def load_parameters(user_yaml: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Parameters:
    """The packaged parameters, overridden by a user YAML file, then by run-config overrides.

    Overrides use the file's layout (`{"parameters": {name: {field: ...}}, "settings": {...}}`);
    a bare number for a parameter sets its value. Raises `ParameterError` (one line) on a
    missing or malformed file, an unknown parameter or setting, or an invalid value.
    """
    packaged = resources.files(__package__).joinpath(PACKAGED_FILE)
    raw = _read_yaml(packaged.read_text(encoding="utf-8"), str(packaged))
    sources = [f"swps_pipeline/economics/{PACKAGED_FILE}"]
    if user_yaml is not None:
        path = Path(user_yaml)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ParameterError(f"{path}: cannot read the parameter file ({error.strerror or error})") from None
        raw = _merge(raw, _read_yaml(text, str(path)), str(path))
        sources.append(str(path))
    if overrides:
        raw = _merge(raw, dict(overrides), "run config")
        sources.append("run config")
    return _build(raw, " + ".join(sources), tuple(sources))


def _read_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ParameterError(f"{origin}: not valid YAML{where}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(f"{origin}: expected a mapping at the top level, got {type(data).__name__}")
    return data


def _merge(base: dict[str, Any], update: dict[str, Any], origin: str) -> dict[str, Any]:
    """Deep-merge `update` into a copy of `base`; only parameters and settings that exist may be changed."""
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if key not in _TOP_KEYS:
            raise ParameterError(f"{origin}: unknown section '{key}' (expected one of {sorted(_TOP_KEYS)})")
        if not isinstance(value, dict):
            raise ParameterError(f"{origin}: section '{key}' must be a mapping")
        section = merged.setdefault(key, {})
        for name, entry in value.items():
            if key == "parameters":
                if name not in section:
                    raise ParameterError(f"{origin}: unknown parameter '{name}'")
                entry = entry if isinstance(entry, dict) else {"value": entry}
                if "value" in entry:
                    section[name].pop("value_from", None)
                section[name] = {**section[name], **entry}
            elif key == "settings":
                if name not in _SETTING_KEYS:
                    raise ParameterError(f"{origin}: unknown setting '{name}'")
                if name == "channels" and isinstance(entry, dict):
                    unknown = set(entry) - set(CHANNELS)
                    if unknown:
                        raise ParameterError(f"{origin}: unknown channel '{sorted(unknown)[0]}'")
                    entry = {**section.get("channels", {}), **entry}
                section[name] = entry
            else:  # discount rates and scenarios may be added or replaced whole
                section[name] = entry
    return merged


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _build(raw: dict[str, Any], origin: str, sources: tuple[str, ...]) -> Parameters:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ParameterError(f"{origin}: unknown section '{sorted(unknown)[0]}'")
    rates = {name: _discount_rate(name, entry, origin) for name, entry in (raw.get("discount_rates") or {}).items()}
    parameters = {name: _parameter(name, entry, origin) for name, entry in (raw.get("parameters") or {}).items()}
    if not parameters:
        raise ParameterError(f"{origin}: no parameters")
    settings = _settings(raw.get("settings") or {}, rates, origin)
    scenarios = {
        name: _scenario(name, entry, parameters, origin) for name, entry in (raw.get("scenarios") or {}).items()
    }
    return Parameters(parameters, settings, rates, scenarios, sources)


def _parameter(name: str, entry: Any, origin: str) -> Parameter:
    where = f"{origin}: parameter '{name}'"
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a mapping of fields")
    extra = set(entry) - _PARAMETER_KEYS
    if extra:
        raise ParameterError(f"{where}: unknown field '{sorted(extra)[0]}'")
    missing = [k for k in ("distribution", "unit", "price_year", "source", "channel") if k not in entry]
    if "value" not in entry and "value_from" not in entry:
        missing.insert(0, "value")
    if missing:
        raise ParameterError(f"{where}: missing field '{missing[0]}'")
    if "value" in entry:
        value = _number(entry["value"], where)
    else:
        constant = getattr(assumptions, str(entry["value_from"]), None)
        if constant is None:
            raise ParameterError(f"{where}: value_from '{entry['value_from']}' is not a constant of assumptions.py")
        value = _number(constant, where)
    source = str(entry["source"] or "").strip()
    rationale = str(entry.get("rationale") or "").strip() or None
    if not source:
        raise ParameterError(f"{where}: empty source (give a reference or the word 'assumption')")
    if source == "assumption" and not rationale:
        raise ParameterError(f"{where}: an assumption needs a one-line rationale")
    price_year = entry["price_year"]
    if price_year is not None and (isinstance(price_year, bool) or not isinstance(price_year, int)):
        raise ParameterError(f"{where}: price_year must be a year or null, got {price_year!r}")
    if price_year is None and str(entry["unit"]).startswith("EUR"):
        raise ParameterError(f"{where}: a money amount needs a price_year")
    uses = entry["channel"] if isinstance(entry["channel"], list) else [entry["channel"]]
    bad = [u for u in uses if u not in PARAMETER_USES]
    if bad:
        raise ParameterError(f"{where}: unknown channel '{bad[0]}' (expected one of {list(PARAMETER_USES)})")
    distribution = _distribution(entry["distribution"], value, where)
    return Parameter(name, value, distribution, str(entry["unit"]), price_year, source, rationale, tuple(uses))


def _distribution(spec: Any, value: float, where: str) -> Distribution:
    if not isinstance(spec, dict) or spec.get("type") not in DISTRIBUTIONS:
        raise ParameterError(f"{where}: distribution type must be one of {list(DISTRIBUTIONS)}, got {spec!r}")
    kind = spec["type"]
    if kind == "fixed":
        return Distribution("fixed")
    if "low" not in spec or "high" not in spec:
        raise ParameterError(f"{where}: a {kind} distribution needs low and high")
    low, high = _number(spec["low"], where), _number(spec["high"], where)
    if not low < high:
        raise ParameterError(f"{where}: low ({low:g}) must be below high ({high:g})")
    if kind == "lognormal" and not 0 < low < value < high:
        raise ParameterError(f"{where}: lognormal needs 0 < low < value (median) < high, got {low:g}, {value:g}, {high:g}")
    if not low <= value <= high:
        raise ParameterError(f"{where}: value {value:g} outside its distribution [{low:g}, {high:g}]")
    return Distribution(kind, low, high)


def _discount_rate(name: str, entry: Any, origin: str) -> DiscountRate:
    where = f"{origin}: discount rate '{name}'"
    if not isinstance(entry, dict) or "value" not in entry or not str(entry.get("source") or "").strip():
        raise ParameterError(f"{where}: needs a value and a source")
    source = str(entry["source"]).strip()
    if source == "assumption" and not str(entry.get("rationale") or "").strip():
        raise ParameterError(f"{where}: an assumption needs a one-line rationale")
    value = _number(entry["value"], where)
    if not -0.5 < value < 1:
        raise ParameterError(f"{where}: {value:g} is not a plausible annual rate")
    return DiscountRate(name, value, source)


def _settings(raw: dict[str, Any], rates: dict[str, DiscountRate], origin: str) -> Settings:
    unknown = set(raw) - _SETTING_KEYS
    if unknown:
        raise ParameterError(f"{origin}: unknown setting '{sorted(unknown)[0]}'")
    rate = raw.get("discount_rate", "france_2021")
    if isinstance(rate, str):
        if rate not in rates:
            raise ParameterError(f"{origin}: setting 'discount_rate': unknown rate '{rate}' (known: {sorted(rates)})")
        discount = rates[rate]
    else:
        discount = DiscountRate("custom", _number(rate, f"{origin}: setting 'discount_rate'"), "run setting")
    channels = raw.get("channels") or {}
    if not isinstance(channels, dict) or set(channels) - set(CHANNELS):
        raise ParameterError(f"{origin}: setting 'channels' must map channel names {list(CHANNELS)} to true/false")
    start = raw.get("national_scheme_start", assumptions.NATIONAL_SCHEME_START)
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start)
        except ValueError:
            raise ParameterError(f"{origin}: setting 'national_scheme_start': not a date ({start!r})") from None
    if not isinstance(start, date):
        raise ParameterError(f"{origin}: setting 'national_scheme_start': not a date ({start!r})")
    shares = tuple(_number(s, f"{origin}: setting 'refund_shares'")
                   for s in raw.get("refund_shares", assumptions.STATE_REFUND_SHARES))
    horizon, n_draws = raw.get("benefit_horizon_years", 3), raw.get("n_draws", 10_000)
    for key, number in (("benefit_horizon_years", horizon), ("n_draws", n_draws)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ParameterError(f"{origin}: setting '{key}' must be a positive integer, got {number!r}")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ParameterError(f"{origin}: setting 'seed' must be an integer, got {seed!r}")
    return Settings(
        discount_rate=discount,
        benefit_horizon_years=horizon,
        include_office_costs=bool(raw.get("include_office_costs", False)),
        n_draws=n_draws,
        seed=seed,
        channels={c: bool(channels.get(c, False)) for c in CHANNELS},
        national_scheme_start=start,
        refund_shares=shares,
    )


def _scenario(name: str, entry: Any, parameters: dict[str, Parameter], origin: str) -> Scenario:
    where = f"{origin}: scenario '{name}'"
    if not isinstance(entry, dict) or not str(entry.get("description") or "").strip():
        raise ParameterError(f"{where}: needs a description")
    values = entry.get("parameters") or {}
    unknown = set(values) - set(parameters)
    if unknown:
        raise ParameterError(f"{where}: unknown parameter '{sorted(unknown)[0]}'")
    return Scenario(name, str(entry["description"]), {k: _number(v, f"{where}: '{k}'") for k, v in values.items()})
