"""The parameter file of the economics module: loading, validation, distributions, the CPI deflator.

One YAML file in the package (`parameters.yaml`) holds every economic
parameter with its uncertainty, its plausible bounds and its source; the
country profile adds the national ones (`with_profile`: discount-rate
guidance, default position cost, refund, price index, national unit values)
and, outside France, has every other money value transferred at
purchasing-power parity (`transferred_at_ppp`); a user
file and the run config override it field by field. Anything malformed or
implausible fails before the run starts with one line that names the file and
the parameter, so a bad run config never yields figures.

Every parameter's `value` is its mean, whatever its distribution (see the
head of parameters.yaml): the deterministic model at the values is the model
at the means, and a changed value moves the Monte Carlo with it.
"""

from __future__ import annotations

import copy
import math
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from swps_pipeline.profiles import PACKAGED_PROFILES, Profile, active_profile, load_profile

PACKAGED_FILE = "parameters.yaml"
DISTRIBUTIONS = ("fixed", "uniform", "triangular", "pert", "lognormal", "normal")
#: Benefit channels, then cost channels; each can be switched off.
BENEFIT_CHANNELS = ("police_time", "repeat_victimisation", "perpetrator_programmes")
COST_CHANNELS = ("office_costs", "emergency_housing", "child_protection")
CHANNELS = (*BENEFIT_CHANNELS, *COST_CHANNELS)
#: What a parameter may feed: a channel, the CBA costs, or the cost model only.
PARAMETER_USES = (*CHANNELS, "costs", "cost_model")
EFFECT_SOURCES = ("literature", "impact_estimate")
#: What a position-year with a valid return but a missing count an enabled channel reads becomes.
MISSING_COUNTS = ("impute", "leave_out")


#: z of the 95th percentile: a lognormal's 90 % interval spans 2 × Z90 standard deviations of its log.
#: `scipy.special.ndtri(0.95)` (what `scipy.stats.norm.ppf` computes), to the last bit (tests/economics/
#: test_parameters.py): the definitions check the packaged parameters at every start, and importing scipy for
#: this one number cost a quarter of a second (Python's `statistics.NormalDist` differs in the last bits).
Z90 = 1.6448536269514722


#: A lognormal's `value` must be the mean its 90 % interval implies, within this relative tolerance.
LOGNORMAL_MEAN_TOLERANCE = 0.005

#: Rounding allowed when a mode derived from a mean lands just outside [low, high] (share of the width).
MODE_SLACK = 1e-9
#: Limits checked before anything runs (issue 18): a parameter file is small and plain.
MAX_PARAMETER_FILE_BYTES = 256 * 1024
DISCOUNT_RATE_BOUNDS = (0.0, 0.15)
N_DRAWS_BOUNDS = (1, 1_000_000)
MAX_SEED = 2**63 - 1
MAX_REFUND_YEARS = 10
SCHEME_START_YEARS = (1980, 2100)
#: The country whose prices the shared money values of parameters.yaml are: euros of their price year in France
#: (Cour des comptes, DREES, Psytel; the British and American figures converted to euros). Another country's
#: profile gets each of them transferred at purchasing-power parity (`transferred_at_ppp`) unless it gives its own.
SHARED_VALUES_COUNTRY = "FR"
#: What the unit of a value transferred at PPP says, so that a reader of the pack's tables sees it.
TRANSFERRED_MARK = "transferred at PPP"

_PARAMETER_KEYS = {"value", "label", "distribution", "bounds", "unit", "price_year", "source", "rationale",
                   "channel"}
#: Fields a user file or the run config may not change: the package fixes what is plausible.
_FIXED_KEYS = {"bounds"}
_SETTING_KEYS = {
    "discount_rate", "base_year", "price_year", "include_office_costs", "n_draws", "seed", "channels",
    "effect_source", "impact_model", "missing_counts", "national_scheme_start", "refund_shares",
}
#: `impact` holds the impact estimators' settings (read by swps_pipeline.impact.settings, ignored here).
_TOP_KEYS = {"settings", "discount_rates", "parameters", "impact"}


class ParameterError(ValueError):
    """A parameter file or override is missing, malformed, implausible or names an unknown parameter."""


@dataclass(frozen=True)
class Distribution:
    """An uncertainty distribution whose mean is the parameter's value (see parameters.yaml)."""

    type: str
    low: float | None = None
    high: float | None = None

    def mode(self, mean: float) -> float:
        """Triangular and PERT: the mode that gives this mean on [low, high] (rounding kept inside the bounds)."""
        mode = 3 * mean - self.low - self.high if self.type == "triangular" else (6 * mean - self.low - self.high) / 4
        slack = MODE_SLACK * (self.high - self.low)
        return min(max(mode, self.low), self.high) if self.low - slack <= mode <= self.high + slack else mode

    def sample(self, mean: float, rng: np.random.Generator, n: int) -> np.ndarray:
        low, high = self.low, self.high
        if self.type == "fixed":
            return np.full(n, mean, dtype=float)
        if self.type == "uniform":
            return rng.uniform(low, high, n)
        if self.type == "triangular":
            return rng.triangular(low, self.mode(mean), high, n)
        if self.type == "pert":
            alpha, beta = self._pert_shapes(mean)
            return low + (high - low) * rng.beta(alpha, beta, n)
        if self.type == "normal":
            return rng.normal(mean, self.normal_sigma(), n)
        return rng.lognormal(math.log(self.median(mean)), self.log_sigma(), n)

    def quantile(self, mean: float, q: float) -> float:
        """The `q` quantile, as `scipy.stats`' `triang`, `beta` and `norm.ppf` compute it (the same formula and
        functions, so the same values) without importing `scipy.stats`: a re-run whose impact estimates are
        reused would import it for these alone, about a second (issue 17)."""
        from scipy.special import betaincinv, ndtri

        low, high = self.low, self.high
        if self.type == "fixed":
            return mean
        if self.type == "uniform":
            return low + q * (high - low)
        if self.type == "triangular":
            c = (self.mode(mean) - low) / (high - low)
            unit = math.sqrt(c * q) if q < c else 1 - math.sqrt((1 - c) * (1 - q))
            return unit * (high - low) + low
        if self.type == "pert":
            alpha, beta = self._pert_shapes(mean)
            return low + (high - low) * float(betaincinv(alpha, beta, q))
        if self.type == "normal":
            return mean + self.normal_sigma() * float(ndtri(q))
        return math.exp(math.log(self.median(mean)) + self.log_sigma() * float(ndtri(q)))

    def _pert_shapes(self, mean: float) -> tuple[float, float]:
        width, mode = self.high - self.low, self.mode(mean)
        return 1 + 4 * (mode - self.low) / width, 1 + 4 * (self.high - mode) / width

    def log_sigma(self) -> float:
        """Sigma of log(x) from the width of the 90 % interval [low, high]."""
        return math.log(self.high / self.low) / (2 * Z90)

    def normal_sigma(self) -> float:
        """Normal: the standard deviation from its 90 % interval [low, high]."""
        return (self.high - self.low) / (2 * Z90)

    def median(self, mean: float) -> float:
        """Lognormal: the median that gives this mean (mean = median × exp(sigma² / 2))."""
        return mean * math.exp(-self.log_sigma() ** 2 / 2)

    def implied_mean(self) -> float:
        """Uniform, normal and lognormal: the mean their low / high imply."""
        if self.type in ("uniform", "normal"):
            return (self.low + self.high) / 2
        return math.sqrt(self.low * self.high) * math.exp(self.log_sigma() ** 2 / 2)

    def moved_to(self, old_mean: float, new_mean: float) -> Distribution:
        """The same distribution carried to a new mean: shifted, or scaled for a lognormal."""
        if self.type == "fixed" or old_mean == new_mean:
            return self
        if self.type == "lognormal":
            factor = new_mean / old_mean
            return Distribution(self.type, self.low * factor, self.high * factor)
        shift = new_mean - old_mean
        return Distribution(self.type, self.low + shift, self.high + shift)


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    value: float
    distribution: Distribution
    bounds: tuple[float, float]
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
class Settings:
    discount_rate: DiscountRate
    base_year: int | None
    price_year: int
    include_office_costs: bool
    n_draws: int
    seed: int
    channels: dict[str, bool]
    effect_source: str
    impact_model: str
    missing_counts: str
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
    sources: tuple[str, ...]
    cpi: dict[int, float]

    def mean(self, name: str) -> float:
        """The parameter's value: its mean."""
        return self.parameters[name].value

    def means(self) -> dict[str, float]:
        return {name: p.value for name, p in self.parameters.items()}

    def deflator(self, from_year: int) -> float:
        """Multiply money of `from_year` by this to get money of the run's price year (the profile's price index)."""
        return self.cpi[self.settings.price_year] / self.cpi[from_year]

    def price_index(self, years: list[int]) -> list[float]:
        """The price index of each of `years`: a year of the data without one cannot have its costs converted, a
        ParameterError naming the first such year."""
        missing = sorted(set(years) - set(self.cpi))
        if missing:
            raise ParameterError(f"no consumer price index for {missing[0]} in the country profile's price index: "
                                 "add the year's annual average (the profile's costs.deflator_file) to convert its "
                                 "costs")
        return [self.cpi[year] for year in years]

    def in_euros_of(self, name: str, years: list[int]) -> list[float]:
        """The money parameter `name` (its mean, in euros of its own price year) in euros of each of `years`."""
        parameter = self.parameters[name]
        return [parameter.value * index / self.cpi[parameter.price_year] for index in self.price_index(years)]


def read_cpi() -> dict[int, float]:
    """The country profile's consumer price index (annual averages, 2015 = 100; France: INSEE)."""
    return dict(active_profile().deflator)


def shared_values_profile() -> Profile:
    """The profile of the country whose prices the shared money values are in (France)."""
    return load_profile((PACKAGED_PROFILES / SHARED_VALUES_COUNTRY).resolve())


def money_unit(unit: str) -> str | None:
    """The ISO 4217 code a money parameter's unit starts with (the code of 'XXX per night'), else None."""
    import pycountry

    word = str(unit).split(" ", 1)[0].rstrip(";,")
    return word if word.isupper() and pycountry.currencies.get(alpha_3=word) is not None else None


def ppp_factor(price_year: int | None, source: Profile, target: Profile) -> float:
    """What an amount of the source country's currency of `price_year` is multiplied by to be in the target's
    currency of the PPP year (benefit transfer at purchasing-power parity): brought to the PPP year with the
    source's price index, to PPS with the source's PPP, then to the target's currency with the target's PPP.
    Without a price year (a plausible range) only the PPP ratio applies."""
    if source.ppp_year != target.ppp_year:
        raise ParameterError(f"country profile {target.country}: costs.ppp.year {target.ppp_year} differs from "
                             f"{source.country}'s ({source.ppp_year}), whose prices the shared values are in: the "
                             f"transfer at purchasing-power parity needs both parities of one year")
    inflation = 1.0 if price_year is None else source.deflator[source.ppp_year] / source.deflator[price_year]
    return inflation * target.ppp_per_euro / source.ppp_per_euro


def transferred_at_ppp(raw: dict[str, Any], source: Profile, target: Profile) -> dict[str, Any]:
    """The shared parameters with every money value in the target's currency, transferred at PPP (`ppp_factor`):
    value, distribution and plausible range scaled alike, priced in the PPP year, the unit and source saying so.
    The identity (the very same file) for the country whose prices they are."""
    if target.country == source.country:
        return raw
    merged = copy.deepcopy(raw)
    for name, entry in (merged.get("parameters") or {}).items():
        if not isinstance(entry, dict):
            continue
        if money_unit(entry.get("unit", "")) != source.currency:  # a ratio per unit of money: the target's
            if isinstance(entry.get("unit"), str):
                entry["unit"] = re.sub(rf"\b{source.currency}\b", target.currency, entry["unit"])
            continue
        year = entry.get("price_year")
        factor = ppp_factor(year, source, target)
        scaled = {key: entry[key] * factor for key in ("value",) if isinstance(entry.get(key), (int, float))}
        distribution = entry.get("distribution")
        if isinstance(distribution, dict):
            scaled["distribution"] = {**distribution, **{key: distribution[key] * factor for key in ("low", "high")
                                                         if isinstance(distribution.get(key), (int, float))}}
        if isinstance(entry.get("bounds"), list):
            scaled["bounds"] = [bound * factor for bound in entry["bounds"]]
        unit = f"{target.currency}{entry['unit'][len(source.currency):]}"
        how = (f"{TRANSFERRED_MARK} from {source.name}" + (f" ({source.currency} of {year}, {source.name}'s price "
               f"index to {target.ppp_year})" if year is not None else "") + f": × {factor:.6f} = "
               f"{target.ppp_per_euro:g} {target.currency} / {source.ppp_per_euro:g} {source.currency} per PPS "
               f"(Eurostat, {target.ppp_year})")
        merged["parameters"][name] = {**entry, **scaled, "unit": f"{unit}; {TRANSFERRED_MARK}",
                                      **({"price_year": target.ppp_year} if year is not None else {}),
                                      **({"source": f"{entry['source']}; {how}"} if "source" in entry else {})}
    return merged


def with_profile(raw: dict[str, Any], profile: Profile) -> dict[str, Any]:
    """The shared parameters completed with the national ones of a country profile.

    Outside the shared values' country every money value is first transferred at PPP (`transferred_at_ppp`).
    The profile gives the national discount-rate guidance (listed before the shared references, and the
    default rate), the default position cost (value, range, price year, source) and its own unit values
    (`economics.unit_values`: value, price year and source, the distribution carried to the new value); the
    refund shares and the scheme start are read from it in `_settings` unless a file sets them.
    """
    raw = transferred_at_ppp(raw, shared_values_profile(), profile)
    merged = copy.deepcopy(raw)
    merged["discount_rates"] = {**copy.deepcopy(profile.discount_rates), **(raw.get("discount_rates") or {})}
    merged.setdefault("settings", {}).setdefault("discount_rate", profile.discount_rate)
    low, high = profile.cost_per_fte_year_range
    cost = (raw.get("parameters") or {}).get("default_cost_per_fte_year_eur") or {}
    merged.setdefault("parameters", {})["default_cost_per_fte_year_eur"] = {
        **cost, "value": profile.cost_per_fte_year, "distribution": {**cost.get("distribution", {}), "low": low,
                                                                        "high": high},
        "price_year": profile.cost_price_year, "source": profile.sources["cost_per_fte_year"],
        "unit": _national_unit(cost.get("unit", ""), profile),
    }
    for name, given in profile.unit_values.items():
        origin = f"country profile {profile.country}: economics.unit_values"
        shared = merged["parameters"].get(name)
        if shared is None or money_unit(shared.get("unit", "")) is None:
            raise ParameterError(f"{origin}.{name}: not a money parameter of {PACKAGED_FILE}")
        national = {key: given[key] for key in ("value", "price_year", "source")}
        merged["parameters"][name] = {**_merged_parameter(name, shared, national, origin),
                                      "unit": _national_unit(shared["unit"], profile)}
    return merged


def _national_unit(unit: str, profile: Profile) -> str:
    """A money unit in the profile's currency, without the mark of a transferred value (the profile gave it)."""
    code = money_unit(unit)
    rest = unit[len(code):] if code else f" {unit}" if unit else ""
    return f"{profile.currency}{rest.removesuffix(f'; {TRANSFERRED_MARK}')}"


def catalogue_messages() -> list[tuple[str, str, int]]:
    """(label, file, line) of every packaged parameter's label, for `swps i18n extract`: the tornado chart and its
    reading show the labels in the pack's language (a parameter file's own labels stay as written)."""
    text = resources.files(__package__).joinpath(PACKAGED_FILE).read_text(encoding="utf-8")
    labels = [str(entry["label"]) for entry in yaml.safe_load(text)["parameters"].values() if "label" in entry]
    return [(label, f"swps_pipeline/economics/{PACKAGED_FILE}", 0) for label in labels]


def load_parameters(user_yaml: Path | None = None, overrides: Mapping[str, Any] | None = None) -> Parameters:
    """The packaged parameters, overridden by a user YAML file, then by run-config overrides.

    Overrides use the file's layout (`{"parameters": {name: {field: ...}}, "settings": {...}}`);
    a bare number for a parameter sets its value. Raises `ParameterError` (one line) on a
    missing, oversized or malformed file, an unknown parameter or setting, or an implausible value.
    """
    packaged = resources.files(__package__).joinpath(PACKAGED_FILE)
    raw = with_profile(_read_yaml(packaged.read_text(encoding="utf-8"), str(packaged)), active_profile())
    sources = [f"swps_pipeline/economics/{PACKAGED_FILE}"]  # with the profile's values, each with its source
    if user_yaml is not None:
        path = Path(user_yaml)
        raw = _merge(raw, _read_yaml(_read_user_file(path), str(path)), str(path))
        sources.append(str(path))
    if overrides:
        raw = _merge(raw, dict(overrides), "run config")
        sources.append("run config")
    return _build(raw, " + ".join(sources), tuple(sources))


def _read_user_file(path: Path) -> str:
    """The text of a user parameter file: a regular file, at most MAX_PARAMETER_FILE_BYTES, UTF-8."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            raise ParameterError(f"{path}: not a regular file (a parameter file must be a plain YAML file)")
        if status.st_size > MAX_PARAMETER_FILE_BYTES:
            raise ParameterError(
                f"{path}: parameter file of {status.st_size:,} bytes, over the limit of {MAX_PARAMETER_FILE_BYTES:,}"
            )
        with open(path, "rb") as handle:
            data = handle.read(MAX_PARAMETER_FILE_BYTES + 1)
    except OSError as error:
        raise ParameterError(f"{path}: cannot read the parameter file ({error.strerror or error})") from None
    if len(data) > MAX_PARAMETER_FILE_BYTES:
        raise ParameterError(f"{path}: parameter file over the limit of {MAX_PARAMETER_FILE_BYTES:,} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ParameterError(f"{path}: not UTF-8 text (byte {error.start})") from None


#: LibYAML's safe loader where PyYAML has it (a tenth of the pure-Python loader's time on parameters.yaml, which
#: a run reads three times).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_aliases(text: str) -> None:
    """A parameter file never needs aliases, and an alias bomb needs them: refused before anything is built."""
    for event in yaml.parse(text, Loader=_SAFE_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in a parameter file",
                                              event.start_mark)


def _read_yaml(text: str, origin: str) -> dict[str, Any]:
    try:
        _refuse_aliases(text)
        data = yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None)
        raise ParameterError(f"{origin}: not valid YAML{where}" + (f" ({problem})" if problem else "")) from None
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
                section[name] = _merged_parameter(name, section.get(name), entry, origin)
            elif key == "settings":
                if name not in _SETTING_KEYS:
                    raise ParameterError(f"{origin}: unknown setting '{name}'")
                if name == "channels" and isinstance(entry, dict):
                    unknown = set(entry) - set(CHANNELS)
                    if unknown:
                        raise ParameterError(f"{origin}: unknown channel '{sorted(unknown)[0]}' "
                                             f"(known: {', '.join(CHANNELS)})")
                    entry = {**section.get("channels", {}), **entry}
                section[name] = entry
            else:  # discount rates may be added or replaced whole
                section[name] = entry
    return merged


def _merged_parameter(name: str, packaged: dict | None, entry: Any, origin: str) -> dict:
    """One parameter's fields after an override; a new value alone carries the distribution with it."""
    if packaged is None:
        raise ParameterError(f"{origin}: unknown parameter '{name}'")
    entry = entry if isinstance(entry, dict) else {"value": entry}
    fixed = _FIXED_KEYS & set(entry)
    if fixed:
        raise ParameterError(f"{origin}: parameter '{name}': '{sorted(fixed)[0]}' is fixed by the package")
    merged = {**packaged, **entry}
    old, new = packaged.get("value"), entry.get("value")
    spec = packaged.get("distribution")
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (old, new))
    if "distribution" not in entry and numbers and isinstance(spec, dict) and spec.get("type") in DISTRIBUTIONS[1:]:
        try:
            moved = Distribution(spec["type"], float(spec["low"]), float(spec["high"])).moved_to(old, new)
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            return merged  # the packaged spec is checked in _distribution
        merged["distribution"] = {"type": moved.type, "low": moved.low, "high": moved.high}
    elif "distribution" in entry and "value" not in entry and isinstance(entry["distribution"], dict):
        kind = entry["distribution"].get("type")
        if kind in ("uniform", "normal", "lognormal"):
            try:
                implied = Distribution(kind, float(entry["distribution"]["low"]), float(entry["distribution"]["high"]))
                merged["value"] = implied.implied_mean()
            except (KeyError, TypeError, ValueError, ZeroDivisionError):
                pass  # reported by _distribution with the file's words
    return merged


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParameterError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ParameterError(f"{where}: expected a whole number from {low:,} to {high:,}, got {value!r}")
    return value


def _build(raw: dict[str, Any], origin: str, sources: tuple[str, ...]) -> Parameters:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ParameterError(f"{origin}: unknown section '{sorted(unknown)[0]}'")
    rates = {name: _discount_rate(name, entry, origin) for name, entry in (raw.get("discount_rates") or {}).items()}
    parameters = {name: _parameter(name, entry, origin) for name, entry in (raw.get("parameters") or {}).items()}
    if not parameters:
        raise ParameterError(f"{origin}: no parameters")
    shares = [parameters[n].value for n in ("harm_share_victims_and_children", "harm_share_public_services")
              if n in parameters]
    if sum(shares) > 1:
        raise ParameterError(f"{origin}: the harm shares of victims and public services add up to more than 1")
    cpi = read_cpi()
    settings = _settings(raw.get("settings") or {}, rates, cpi, origin)
    for parameter in parameters.values():
        if parameter.price_year is not None and parameter.price_year not in cpi:
            raise ParameterError(f"{origin}: parameter '{parameter.name}': price_year {parameter.price_year} is not "
                                 f"in the price index ({min(cpi)}-{max(cpi)}, the country profile's costs.deflator_file)")
    return Parameters(parameters, settings, rates, sources, cpi)


def _parameter(name: str, entry: Any, origin: str) -> Parameter:
    where = f"{origin}: parameter '{name}'"
    if not isinstance(entry, dict):
        raise ParameterError(f"{where}: expected a mapping of fields")
    extra = set(entry) - _PARAMETER_KEYS
    if extra:
        raise ParameterError(f"{where}: unknown field '{sorted(extra)[0]}'")
    missing = [k for k in ("label", "distribution", "bounds", "unit", "price_year", "source", "channel") if k not in entry]
    if "value" not in entry:
        missing.insert(0, "value")
    if missing:
        raise ParameterError(f"{where}: missing field '{missing[0]}'")
    value = _number(entry["value"], where)
    source = str(entry["source"] or "").strip()
    rationale = str(entry.get("rationale") or "").strip() or None
    if not source:
        raise ParameterError(f"{where}: empty source (give a reference or the word 'assumption')")
    if source == "assumption" and not rationale:
        raise ParameterError(f"{where}: an assumption needs a one-line rationale")
    price_year = entry["price_year"]
    if price_year is not None and (isinstance(price_year, bool) or not isinstance(price_year, int)):
        raise ParameterError(f"{where}: price_year must be a year or null, got {price_year!r}")
    if price_year is None and money_unit(entry["unit"]):
        raise ParameterError(f"{where}: a money amount needs a price_year")
    uses = entry["channel"] if isinstance(entry["channel"], list) else [entry["channel"]]
    bad = [u for u in uses if u not in PARAMETER_USES]
    if bad:
        raise ParameterError(f"{where}: unknown channel '{bad[0]}' (expected one of {list(PARAMETER_USES)})")
    bounds = entry["bounds"]
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise ParameterError(f"{where}: bounds must be [low, high]")
    bounds = (_number(bounds[0], where), _number(bounds[1], where))
    distribution = _distribution(entry["distribution"], value, bounds, where)
    return Parameter(name, str(entry["label"]), value, distribution, bounds, str(entry["unit"]), price_year, source, rationale, tuple(uses))


def _distribution(spec: Any, value: float, bounds: tuple[float, float], where: str) -> Distribution:
    lowest, highest = bounds
    if not lowest <= value <= highest:
        raise ParameterError(f"{where}: value {value:g} outside its plausible range [{lowest:g}, {highest:g}]")
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
    if low < lowest or high > highest:
        raise ParameterError(f"{where}: distribution [{low:g}, {high:g}] leaves the plausible range "
                             f"[{lowest:g}, {highest:g}]")
    distribution = Distribution(kind, low, high)
    if kind == "lognormal" and low <= 0:
        raise ParameterError(f"{where}: a lognormal needs 0 < low < high, got {low:g}, {high:g}")
    if kind in ("uniform", "normal") and not math.isclose(value, distribution.implied_mean(), rel_tol=1e-9, abs_tol=1e-12):
        raise ParameterError(f"{where}: value {value:g} is not the mean of {kind} [{low:g}, {high:g}] "
                             f"({distribution.implied_mean():g}); change the value alone to move the distribution")
    if kind == "lognormal" and not math.isclose(value, distribution.implied_mean(), rel_tol=LOGNORMAL_MEAN_TOLERANCE):
        raise ParameterError(f"{where}: value {value:g} is not the mean of the lognormal with 90 % interval "
                             f"[{low:g}, {high:g}] ({distribution.implied_mean():.0f})")
    if kind in ("triangular", "pert"):
        mode = distribution.mode(value)
        if not low <= mode <= high:  # mode() has already absorbed rounding
            raise ParameterError(f"{where}: value (mean) {value:g} is impossible for a {kind} on [{low:g}, {high:g}] "
                                 f"(its mode would be {mode:g})")
    return distribution


def _discount_rate(name: str, entry: Any, origin: str) -> DiscountRate:
    where = f"{origin}: discount rate '{name}'"
    if not isinstance(entry, dict) or "value" not in entry or not str(entry.get("source") or "").strip():
        raise ParameterError(f"{where}: needs a value and a source")
    source = str(entry["source"]).strip()
    if source == "assumption" and not str(entry.get("rationale") or "").strip():
        raise ParameterError(f"{where}: an assumption needs a one-line rationale")
    return DiscountRate(name, _rate(entry["value"], where), source)


def _rate(value: Any, where: str) -> float:
    rate = _number(value, where)
    low, high = DISCOUNT_RATE_BOUNDS
    if not low <= rate <= high:
        raise ParameterError(f"{where}: {rate:g} is not a plausible real discount rate (expected {low:g} to {high:g})")
    return rate


def _settings(raw: dict[str, Any], rates: dict[str, DiscountRate], cpi: dict[int, float], origin: str) -> Settings:
    unknown = set(raw) - _SETTING_KEYS
    if unknown:
        raise ParameterError(f"{origin}: unknown setting '{sorted(unknown)[0]}'")
    where = f"{origin}: setting"
    rate = raw.get("discount_rate", active_profile().discount_rate)
    if isinstance(rate, str):
        if rate not in rates:
            raise ParameterError(f"{where} 'discount_rate': unknown rate '{rate}' (known: {sorted(rates)})")
        discount = rates[rate]
    else:
        discount = DiscountRate("custom", _rate(rate, f"{where} 'discount_rate'"), "run setting")
    channels = raw.get("channels") or {}
    if not isinstance(channels, dict) or set(channels) - set(CHANNELS) or \
            not all(isinstance(on, bool) for on in channels.values()):
        raise ParameterError(f"{where} 'channels' must map channel names {list(CHANNELS)} to true/false")
    start = raw.get("national_scheme_start", active_profile().scheme_start)
    if isinstance(start, str):
        try:
            start = date.fromisoformat(start)
        except ValueError:
            raise ParameterError(f"{where} 'national_scheme_start': not a date ({start!r})") from None
    if not isinstance(start, date) or not SCHEME_START_YEARS[0] <= start.year <= SCHEME_START_YEARS[1]:
        raise ParameterError(f"{where} 'national_scheme_start': not a date from {SCHEME_START_YEARS[0]} to "
                             f"{SCHEME_START_YEARS[1]} ({start!r})")
    shares = raw.get("refund_shares", active_profile().refund_shares)
    if not isinstance(shares, (list, tuple)) or not 1 <= len(shares) <= MAX_REFUND_YEARS:
        raise ParameterError(f"{where} 'refund_shares': expected a list of 1 to {MAX_REFUND_YEARS} yearly shares, "
                             f"got {shares!r}")
    shares = tuple(_number(s, f"{where} 'refund_shares'") for s in shares)
    if not all(0 <= s <= 1 for s in shares) or any(b > a for a, b in zip(shares, shares[1:])):
        raise ParameterError(f"{where} 'refund_shares': each share must be in [0, 1] and none above the one before, "
                             f"got {list(shares)}")
    years = f"a year of the price index ({min(cpi)}-{max(cpi)})"
    price_year = raw.get("price_year", max(cpi))
    if price_year not in cpi or isinstance(price_year, bool):
        raise ParameterError(f"{where} 'price_year': expected {years}, got {price_year!r}")
    base_year = raw.get("base_year")
    if base_year is not None:
        base_year = _integer(base_year, f"{where} 'base_year'", *SCHEME_START_YEARS)
    effect_source = raw.get("effect_source", "literature")
    if effect_source not in EFFECT_SOURCES:
        raise ParameterError(f"{where} 'effect_source': expected one of {list(EFFECT_SOURCES)}, got {effect_source!r}")
    impact_model = raw.get("impact_model", "callaway_santanna")
    if not isinstance(impact_model, str) or not impact_model:
        raise ParameterError(f"{where} 'impact_model': expected a model name, got {impact_model!r}")
    missing = raw.get("missing_counts", "impute")
    if missing not in MISSING_COUNTS:
        raise ParameterError(f"{where} 'missing_counts': expected one of {list(MISSING_COUNTS)}, got {missing!r}")
    office = raw.get("include_office_costs", False)
    if not isinstance(office, bool):
        raise ParameterError(f"{where} 'include_office_costs': expected true or false, got {office!r}")
    return Settings(
        discount_rate=discount,
        base_year=base_year,
        price_year=price_year,
        include_office_costs=office,
        n_draws=_integer(raw.get("n_draws", 10_000), f"{where} 'n_draws'", *N_DRAWS_BOUNDS),
        seed=_integer(raw.get("seed", 0), f"{where} 'seed'", 0, MAX_SEED),
        channels={c: bool(channels.get(c, False)) for c in CHANNELS},
        effect_source=effect_source,
        impact_model=impact_model,
        missing_counts=missing,
        national_scheme_start=start,
        refund_shares=shares,
    )
