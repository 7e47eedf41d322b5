"""Country profiles: everything national the pipeline uses, as data in a folder (issue 15).

A profile is a folder holding `profile.yaml` and the tables it names (areas,
populations, the return template's labels, the price index). The packaged
ones are `swps_pipeline/profiles/<ISO 3166-1 alpha-2>/`; `SWPS_PROFILE_DIR`
names any other folder, `SWPS_PROFILE` a packaged code (default `FR`). The
rest of the code asks `active_profile()` instead of holding national
constants, so another member state is a new folder, not a code change.
`check_profile` names every missing or inconsistent field, one line each;
loading a profile with a problem raises `ProfileError` with the first one.
"""

from __future__ import annotations

import csv
import io
import os
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

PROFILE_VARIABLE = "SWPS_PROFILE"
PROFILE_DIR_VARIABLE = "SWPS_PROFILE_DIR"
DEFAULT_PROFILE = "FR"
PACKAGED_PROFILES = Path(__file__).resolve().parent
PROFILE_FILE = "profile.yaml"
#: The value `swps profile new` writes for every national fact a person must supply.
TO_FILL = "TO FILL"
#: How a profile marks a value that no maintained source gave (profiles/BE: its source field or a file's comment).
ASSUMPTION_MARK = "ASSUMPTION (to verify)"
#: Formats of the recorded-crime source: France's SSMSI files (formats A and B of
#: shared/contract/recorded_crime.md), or the generic `area_code;year;indicator;count;population` CSV.
CRIME_FORMATS = ("ssmsi", "generic")
#: A refund over more years than this is a typo (the French scheme has three).
MAX_REFUND_YEARS = 10
AREA_COLUMNS = ["area_code", "area_name", "parent_code", "parent_name"]
POPULATION_COLUMNS = ["area_code", "year", "population"]
TEMPLATE_COLUMNS = ["column", "label", "aliases"]
DEFLATOR_COLUMNS = ["year", "index_2015_100"]


class ProfileError(Exception):
    """A country profile that cannot be used (one line naming the folder and the field)."""


@dataclass(frozen=True, eq=False)
class Profile:
    """One country's national facts; `sources` gives each fact's source by field name (hashed by identity)."""

    folder: Path
    country: str
    name: str
    language: str
    area_level: str
    area_level_plural: str
    parent_level: str
    #: area_code, area_name, parent_code, parent_name (str), one row per area the programme is organised by.
    areas: pd.DataFrame = field(repr=False)
    #: area_code (str), year (reference year, int), population (int).
    population: pd.DataFrame = field(repr=False)
    #: canonical column -> the template's label; canonical column -> other accepted headers.
    labels: dict[str, str] = field(repr=False)
    aliases: dict[str, tuple[str, ...]] = field(repr=False)
    #: canonical value -> accepted labels (the first is offered in the template).
    host_types: dict[str, tuple[str, ...]] = field(repr=False)
    employer_types: dict[str, tuple[str, ...]] = field(repr=False)
    #: regex of the area codes' shapes: a position id is `<area code>-<3 digits>`.
    position_id_prefix: str
    positions_per_area: int
    inhabitants_per_worker: int
    refund_shares: tuple[float, ...]
    scheme_start: date
    currency: str
    currency_symbol: str
    cost_per_fte_year: float
    cost_per_fte_year_range: tuple[float, float]
    cost_price_year: int
    #: year -> consumer price index (2015 = 100).
    deflator: dict[int, float] = field(repr=False)
    #: units of the currency worth one euro at purchasing-power parity (Eurostat's PPS, EU27 = 1) in `ppp_year`:
    #: what cross-country tables divide by (an amount in PPP-euros = amount / ppp_per_euro).
    ppp_per_euro: float
    ppp_year: int
    discount_rate: str
    #: national discount-rate guidance, in the layout of economics/parameters.yaml's `discount_rates`.
    discount_rates: dict[str, dict[str, Any]] = field(repr=False)
    #: national cost-benefit unit values (a money parameter of parameters.yaml -> {value, price_year, source}, in
    #: the profile's currency); every money value not given here is transferred at PPP (economics.parameters).
    unit_values: dict[str, dict[str, Any]] = field(repr=False)
    crime_format: str
    #: the indicator the impact is estimated on, and one the programme should not move (placebo).
    crime_outcome: str
    crime_placebo: str
    crime_portal: str
    crime_dataset: str
    timezone: str
    schedule: str
    returns_due: tuple[int, int]
    returns_recipient: str
    legal_basis: str
    sources: dict[str, str] = field(repr=False)

    def area_codes(self) -> frozenset[str]:
        return frozenset(self.areas["area_code"])


def assumptions_to_verify(profile: Profile) -> int:
    """How many values of the profile are marked ASSUMPTION (to verify), in profile.yaml and its tables: a reader
    of a cross-country table must know how much of a country's figures rests on unverified national facts."""
    return sum(path.read_text(encoding="utf-8").count(ASSUMPTION_MARK)
               for path in sorted(profile.folder.iterdir()) if path.suffix in (".yaml", ".csv"))


def profile_folder(selector: str | os.PathLike | None = None) -> Path:
    """The folder of a profile: a path, a packaged code, else `SWPS_PROFILE_DIR`, else `SWPS_PROFILE` (FR)."""
    if selector is None:
        selector = os.environ.get(PROFILE_DIR_VARIABLE) or os.environ.get(PROFILE_VARIABLE) or DEFAULT_PROFILE
    text = str(selector)
    if re.fullmatch(r"[A-Za-z]{2}", text) and not Path(text).is_dir():
        return PACKAGED_PROFILES / text.upper()
    return Path(text)


def active_profile() -> Profile:
    """The profile selected by the environment (read once per folder and process, its folder found once per
    setting and working folder: a run asks for it hundreds of times)."""
    return _selected_profile(os.environ.get(PROFILE_DIR_VARIABLE), os.environ.get(PROFILE_VARIABLE), os.getcwd())


@cache
def _selected_profile(_folder_setting: str | None, _code_setting: str | None, _working_folder: str) -> Profile:
    return load_profile(profile_folder().resolve())


def read_profile(folder: Path) -> Profile:
    """The profile in `folder`; `ProfileError` with the first problem `check_profile` finds."""
    problems: list[str] = []
    profile = _read(Path(folder), problems)
    if problems:
        more = f" (and {len(problems) - 1} more: run `swps profile check {folder}`)" if len(problems) > 1 else ""
        raise ProfileError(f"country profile {folder}: {problems[0]}{more}")
    assert profile is not None
    return profile


#: `read_profile` once per folder and process.
load_profile = cache(read_profile)


def check_profile(folder: Path) -> list[str]:
    """Every missing or inconsistent field of the profile in `folder`, one line each (empty when clean)."""
    problems: list[str] = []
    _read(Path(folder), problems)
    return problems


class _Fields:
    """Reads dotted fields of profile.yaml, noting each problem (missing, still to fill, wrong type)."""

    def __init__(self, raw: dict[str, Any], problems: list[str]):
        self.raw, self.problems = raw, problems

    def value(self, path: str) -> Any:
        node: Any = self.raw
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node or node[part] is None:
                self.problems.append(f"{path}: missing")
                return None
            node = node[part]
        if isinstance(node, str) and node.strip().upper() == TO_FILL:
            self.problems.append(f"{path}: still to fill")
            return None
        return node

    def text(self, path: str) -> str:
        value = self.value(path)
        if value is None:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{path}: expected text, got {value!r}")
            return ""
        return value.strip()

    def number(self, path: str, low: float, high: float) -> float:
        value = self.value(path)
        if value is None:
            return float("nan")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.problems.append(f"{path}: expected a number from {low:g} to {high:g}, got {value!r}")
            return float("nan")
        return float(value)

    def choices(self, path: str) -> dict[str, tuple[str, ...]]:
        value = self.value(path)
        if value is None:
            return {}
        if not isinstance(value, dict) or not value or not all(
                isinstance(labels, list) and labels and all(isinstance(x, str) and x.strip() for x in labels)
                and x.strip().upper() != TO_FILL for labels in value.values() for x in labels):
            self.problems.append(f"{path}: expected a mapping of each value to a non-empty list of labels")
            return {}
        return {str(key): tuple(labels) for key, labels in value.items()}


def _read(folder: Path, problems: list[str]) -> Profile | None:
    path = folder / PROFILE_FILE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"no {PROFILE_FILE} in {folder} (create one with `swps profile new XX`)")
        return None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        problems.append(f"{PROFILE_FILE}: cannot be read ({str(error).splitlines()[0]})")
        return None
    if not isinstance(raw, dict):
        problems.append(f"{PROFILE_FILE}: expected a mapping at the top level")
        return None
    fields = _Fields(raw, problems)
    country = fields.text("country")
    _check_country(country, problems)
    currency = fields.text("costs.currency")
    _check_currency(currency, problems)
    areas = _table(folder, fields.text("areas.file"), "areas.file", AREA_COLUMNS, problems)
    areas = _check_areas(areas, problems)
    population = _table(folder, fields.text("areas.population_file"), "areas.population_file", POPULATION_COLUMNS,
                        problems)
    population = _check_population(population, areas, problems)
    labels, aliases = _template(folder, fields.text("template.file"), problems)
    host_types, employer_types = fields.choices("template.host_types"), fields.choices("template.employer_types")
    prefix = _position_id_prefix(fields.text("template.position_id_prefix"), areas, problems)
    shares = _refund_shares(fields.value("funding.refund_shares"), problems)
    start = _date(fields.value("funding.scheme_start"), "funding.scheme_start", problems)
    deflator = _deflator(folder, fields.text("costs.deflator_file"), problems)
    price_year = fields.number("costs.price_year", 1900, 2100)
    if deflator and price_year == price_year and int(price_year) not in deflator:
        problems.append(f"costs.price_year: {int(price_year)} is not a year of the deflator "
                        f"({min(deflator)}-{max(deflator)})")
    cost = fields.number("costs.cost_per_fte_year", 0.01, 1e9)
    low, high = fields.number("costs.cost_per_fte_year_low", 0, 1e9), fields.number("costs.cost_per_fte_year_high",
                                                                                      0, 1e9)
    if not low <= cost <= high and all(v == v for v in (cost, low, high)):
        problems.append(f"costs.cost_per_fte_year: {cost:g} is outside its range [{low:g}, {high:g}]")
    ppp = fields.number("costs.ppp.per_euro", 1e-4, 1e6)
    ppp_year = fields.number("costs.ppp.year", 1990, 2100)
    rate, rates = fields.text("economics.discount_rate"), fields.value("economics.discount_rates")
    rates = _discount_rates(rates, problems)
    if rate and rates and rate not in rates:
        problems.append(f"economics.discount_rate: '{rate}' is not one of economics.discount_rates ({', '.join(rates)})")
    unit_values = _unit_values((raw.get("economics") or {}).get("unit_values"), deflator, problems)
    crime_format = fields.text("recorded_crime.format")
    if crime_format and crime_format not in CRIME_FORMATS:
        problems.append(f"recorded_crime.format: expected one of {', '.join(CRIME_FORMATS)}, got '{crime_format}'")
    indicators = {key: fields.text(f"recorded_crime.{key}") for key in ("outcome", "placebo")}
    for key, name in indicators.items():
        if name and name != _indicator_name(name):
            problems.append(f"recorded_crime.{key}: write the indicator as '{_indicator_name(name)}' (lower case, "
                            f"'_' between words, as the recorded-crime table names it)")
    if indicators["outcome"] and indicators["outcome"] == indicators["placebo"]:
        problems.append("recorded_crime.placebo: must be another indicator than the outcome")
    timezone = fields.text("calendar.timezone")
    if timezone:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.append(f"calendar.timezone: '{timezone}' is not an IANA time zone (e.g. Europe/Brussels)")
    schedule = fields.text("calendar.schedule")
    if schedule and len(schedule.split()) != 5:
        problems.append(f"calendar.schedule: '{schedule}' is not a cron schedule of five fields")
    due = _month_day(fields.text("calendar.returns_due"), problems)
    sources = {key: fields.text(path) for key, path in {
        "areas": "areas.source", "population": "areas.population_source", "template": "template.source",
        "positions_per_area": "coverage.positions_per_area_source",
        "inhabitants_per_worker": "coverage.inhabitants_per_worker_source", "refund_shares": "funding.refund_source",
        "scheme_start": "funding.scheme_start_source", "cost_per_fte_year": "costs.cost_source",
        "deflator": "costs.deflator_source", "ppp": "costs.ppp.source", "recorded_crime": "recorded_crime.source"}.items()}
    profile = Profile(
        folder=folder, country=country, name=fields.text("name"), language=fields.text("language"),
        area_level=fields.text("areas.level"), area_level_plural=fields.text("areas.level_plural"),
        parent_level=fields.text("areas.parent_level"), areas=areas, population=population,
        labels=labels, aliases=aliases, host_types=host_types, employer_types=employer_types,
        position_id_prefix=prefix,
        positions_per_area=int(_or_zero(fields.number("coverage.positions_per_area", 1, 1000))),
        inhabitants_per_worker=int(_or_zero(fields.number("coverage.inhabitants_per_worker", 1, 1e8))),
        refund_shares=shares, scheme_start=start, currency=currency,
        currency_symbol=fields.text("costs.currency_symbol"), cost_per_fte_year=cost,
        cost_per_fte_year_range=(low, high), cost_price_year=int(_or_zero(price_year)), deflator=deflator,
        ppp_per_euro=ppp, ppp_year=int(_or_zero(ppp_year)),
        discount_rate=rate, discount_rates=rates, unit_values=unit_values, crime_format=crime_format,
        crime_outcome=indicators["outcome"], crime_placebo=indicators["placebo"],
        crime_portal=fields.text("recorded_crime.portal"), crime_dataset=fields.text("recorded_crime.dataset"), timezone=timezone, schedule=schedule, returns_due=due,
        returns_recipient=fields.text("calendar.returns_recipient"), legal_basis=fields.text("legal_basis"),
        sources=sources,
    )
    return profile


def _indicator_name(name: str) -> str:
    """An indicator as the recorded-crime table writes it (contract.py imports this module: imported here)."""
    from swps_pipeline.contract import normalise_header

    return normalise_header(name)


def _or_zero(value: float) -> float:
    return 0.0 if value != value else value


def _check_country(code: str, problems: list[str]) -> None:
    import pycountry

    if code and pycountry.countries.get(alpha_2=code) is None:
        problems.append(f"country: '{code}' is not an ISO 3166-1 alpha-2 code")


def _check_currency(code: str, problems: list[str]) -> None:
    import pycountry

    if code and pycountry.currencies.get(alpha_3=code) is None:
        problems.append(f"costs.currency: '{code}' is not an ISO 4217 code")


def _table(folder: Path, name: str, key: str, columns: list[str], problems: list[str]) -> pd.DataFrame:
    """A CSV of the profile read as text, with exactly the expected columns first (empty on a problem)."""
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if not name:
        return empty
    try:
        text = (folder / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{key}: cannot read {name} ({getattr(error, 'strerror', None) or error})")
        return empty
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, comment="#")
    if list(table.columns[: len(columns)]) != columns:
        problems.append(f"{key}: {name} must start with the columns {', '.join(columns)} "
                        f"(has {', '.join(map(str, table.columns))})")
        return empty
    return table[columns]


def _check_areas(areas: pd.DataFrame, problems: list[str]) -> pd.DataFrame:
    if areas.empty:
        problems.append("areas.file: no area")
        return areas
    blank = areas[(areas["area_code"].str.strip() == "") | (areas["area_name"].str.strip() == "")]
    if not blank.empty:
        problems.append(f"areas.file: row {blank.index[0] + 2} has no code or no name")
    doubled = areas["area_code"][areas["area_code"].duplicated()]
    if not doubled.empty:
        problems.append(f"areas.file: area code '{doubled.iloc[0]}' appears twice")
    still = areas[areas.apply(lambda row: row.str.strip().str.upper().eq(TO_FILL).any(), axis=1)]
    if not still.empty:
        problems.append(f"areas.file: area '{still['area_code'].iloc[0]}' has a value still to fill")
    parents = ["parent_code", "parent_name"]
    return areas.assign(**{c: areas[c].where(areas[c].str.strip() != "", None) for c in parents})  # no parent: null


def _check_population(population: pd.DataFrame, areas: pd.DataFrame, problems: list[str]) -> pd.DataFrame:
    to_fill = population[(population[["year", "population"]].apply(lambda c: c.str.strip().str.upper()) == TO_FILL)
                         .any(axis=1)]
    if not to_fill.empty:
        problems.append(f"areas.population_file: the population of {len(to_fill)} area(s) is still to fill "
                        f"(first: '{to_fill['area_code'].iloc[0]}')")
        return _no_population()
    typed = pd.DataFrame({"area_code": population["area_code"],
                          "year": pd.to_numeric(population["year"], errors="coerce"),
                          "population": pd.to_numeric(population["population"], errors="coerce")})
    bad = typed[typed["year"].isna() | typed["population"].isna() | (typed["population"] <= 0)]
    if not bad.empty:
        problems.append(f"areas.population_file: row {bad.index[0] + 2} needs a year and a population above 0")
        return _no_population()
    unknown = sorted(set(typed["area_code"]) - set(areas["area_code"]))
    if unknown:
        problems.append(f"areas.population_file: area '{unknown[0]}' is not in the areas file")
    without = sorted(set(areas["area_code"]) - set(typed["area_code"]))
    if without and not areas.empty:
        problems.append(f"areas.population_file: no population for area '{without[0]}'"
                        + (f" and {len(without) - 1} more" if len(without) > 1 else ""))
    return typed.astype({"year": int, "population": int})


def _no_population() -> pd.DataFrame:
    return pd.DataFrame({"area_code": pd.Series(dtype=object), "year": pd.Series(dtype="int64"),
                         "population": pd.Series(dtype="int64")})


def _template(folder: Path, name: str, problems: list[str]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """The template's label and other accepted headers of every canonical column of the contract."""
    from swps_pipeline.contract import COLUMN_NAMES, normalise_header

    table = _table(folder, name, "template.file", TEMPLATE_COLUMNS, problems)
    if table.empty:
        return {}, {}
    unknown = sorted(set(table["column"]) - set(COLUMN_NAMES))
    if unknown:
        problems.append(f"template.file: '{unknown[0]}' is not a column of the contract")
    missing = [c for c in COLUMN_NAMES if c not in set(table["column"])]
    if missing:
        problems.append(f"template.file: no label for the column '{missing[0]}'"
                        + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    labels = dict(zip(table["column"], table["label"].str.strip()))
    unlabelled = [c for c, label in labels.items() if not label or label.upper() == TO_FILL]
    if unlabelled:
        problems.append(f"template.file: the label of {len(unlabelled)} column(s) is still to fill "
                        f"(first: '{unlabelled[0]}')")
    aliases = {c: tuple(a.strip() for a in text.split("|") if a.strip()) for c, text in zip(table["column"],
                                                                                          table["aliases"])}
    seen: dict[str, str] = {}
    for column in table["column"]:
        for header in (column, labels[column], *aliases[column]):
            key = normalise_header(header)
            if header.upper() == TO_FILL:
                continue
            if seen.setdefault(key, column) != column:
                problems.append(f"template.file: the header '{header}' names both '{seen[key]}' and '{column}'")
    return labels, aliases


def _position_id_prefix(pattern: str, areas: pd.DataFrame, problems: list[str]) -> str:
    """The regex must compile and match every area code, so that every area's position ids are well formed."""
    if not pattern:
        return pattern
    try:
        compiled = re.compile(rf"(?:{pattern})")
    except re.error as error:
        problems.append(f"template.position_id_prefix: not a regular expression ({error})")
        return pattern
    unmatched = [code for code in areas["area_code"] if not compiled.fullmatch(code)]
    if unmatched:
        problems.append(f"template.position_id_prefix: does not match the area code '{unmatched[0]}'")
    return pattern


def _refund_shares(value: Any, problems: list[str]) -> tuple[float, ...]:
    if value is None:
        return ()
    ok = isinstance(value, list) and 1 <= len(value) <= MAX_REFUND_YEARS and all(
        isinstance(s, (int, float)) and not isinstance(s, bool) and 0 <= s <= 1 for s in value)
    if not ok or any(b > a for a, b in zip(value, value[1:])):
        problems.append(f"funding.refund_shares: expected 1 to {MAX_REFUND_YEARS} yearly shares in [0, 1], none above "
                        f"the one before, got {value!r}")
        return ()
    return tuple(float(s) for s in value)


def _date(value: Any, key: str, problems: list[str]) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        if value is not None:
            problems.append(f"{key}: expected a date YYYY-MM-DD, got {value!r}")
        return date.min


def _month_day(text: str, problems: list[str]) -> tuple[int, int]:
    if not text:
        return (0, 0)
    try:
        parsed = date.fromisoformat(f"2001-{text}")
    except ValueError:
        problems.append(f"calendar.returns_due: expected MM-DD, got '{text}'")
        return (0, 0)
    return (parsed.month, parsed.day)


def _deflator(folder: Path, name: str, problems: list[str]) -> dict[int, float]:
    if not name:
        return {}
    try:
        text = (folder / name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"costs.deflator_file: cannot read {name} ({getattr(error, 'strerror', None) or error})")
        return {}
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    try:
        index = {int(row["year"]): float(row["index_2015_100"]) for row in rows}
    except (KeyError, TypeError, ValueError):
        problems.append(f"costs.deflator_file: {name} needs the columns {', '.join(DEFLATOR_COLUMNS)}, "
                        f"a year and an index on every row")
        return {}
    if not index or min(index.values()) <= 0:
        problems.append(f"costs.deflator_file: {name} needs at least one year with an index above 0")
        return {}
    return index


def _discount_rates(value: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        problems.append("economics.discount_rates: expected a mapping of names to {value, source}")
        return {}
    for name, entry in value.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), (int, float)) or \
                not str(entry.get("source") or "").strip() or str(entry.get("source")).strip().upper() == TO_FILL:
            problems.append(f"economics.discount_rates.{name}: needs a value and a source")
    return value


def _unit_values(value: Any, deflator: dict[int, float], problems: list[str]) -> dict[str, dict[str, Any]]:
    """Optional national unit values: each a number above 0 with a price year of the deflator and a source."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append("economics.unit_values: expected a mapping of parameter names to {value, price_year, source}")
        return {}
    for name, entry in value.items():
        entry = entry if isinstance(entry, dict) else {}
        amount, year, source = entry.get("value"), entry.get("price_year"), str(entry.get("source") or "").strip()
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not amount > 0 or \
                isinstance(year, bool) or not isinstance(year, int) or not source or source.upper() == TO_FILL:
            problems.append(f"economics.unit_values.{name}: needs a value above 0, a price_year and a source")
        elif deflator and year not in deflator:
            problems.append(f"economics.unit_values.{name}: price_year {year} is not a year of the deflator "
                            f"({min(deflator)}-{max(deflator)})")
    return value
