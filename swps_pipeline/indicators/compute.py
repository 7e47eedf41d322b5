"""The long `indicators` table: every catalogue indicator at every level, entity and year.

Sums are taken per indicator over the positions that reported every column the
indicator needs, so a blank group or a missing return lowers
`positions_reporting`, never the value. Group sums use `np.bincount` on
precomputed entity-year codes: one pass per (indicator, level), no per-row loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline import contract
from swps_pipeline.indicators.catalogue import (
    CATALOGUE,
    CHANGE_LEVELS,
    LEVELS,
    REPORTED_ITEMS,
    Indicator,
)
from swps_pipeline.indicators.outliers import is_outlier, robust_z
from swps_pipeline.profiles import active_profile
from swps_pipeline.reference import departements

#: The entity of national rows: the active profile's country code (ISO 3166-1 alpha-2).
NATIONAL_ENTITY = active_profile().country
UNKNOWN_TYPE = "unknown"

INDICATOR_DTYPES: dict[str, str] = {
    "level": "object",
    "entity": "object",
    "year": "int64",
    "indicator": "object",
    "value": "float64",
    "numerator": "float64",
    "denominator": "float64",
    "positions_reporting": "Int64",
    "positions_expected": "Int64",
    "population_year": "Int64",
}
CHANGE_DTYPES: dict[str, str] = {
    **{name: INDICATOR_DTYPES[name] for name in
       ("level", "entity", "year", "indicator", "value", "positions_reporting", "positions_expected")},
    "value_previous_year": "float64",
    "change_abs": "float64",
    "change_rel": "float64",
}

_ACTIVITY_COUNTS = [c.name for c in contract.ACTIVITY]
_AREA_SUMS = ["positions_active", "positions_reporting", "fte", "departments", "departments_covered",
              "departments_meeting_standard", "departments_meeting_target"]


def _activity_outlier(terms: pd.DataFrame, year: pd.Series) -> pd.Series:
    """A position whose activity per FTE-year is > 4 robust z-scores from that year's median, on any count."""
    flags = [is_outlier(robust_z(terms[c] / terms["fte_years"], [year])["robust_z"]) for c in _ACTIVITY_COUNTS]
    return pd.concat(flags, axis=1).any(axis=1)


def _position_terms(position_year: pd.DataFrame) -> pd.DataFrame:
    """Per position-year, every term a `positions` indicator sums, as float64 with NaN for not reported."""
    returned = position_year["has_return"].to_numpy(bool)
    expected = position_year["expected"].to_numpy(bool)
    terms = position_year[contract.COUNT_COLUMNS].astype("float64")
    terms["fte"] = position_year["fte"]
    terms["fte_years"] = position_year["fte_years"]
    terms["new_and_ongoing_cases"] = terms["new_cases"] + terms["ongoing_cases"]
    orient = terms[contract.GROUPS["orient"]]
    terms["orientations"] = orient.sum(axis=1).where(orient.notna().all(axis=1))
    one = pd.Series(1.0, index=terms.index)
    terms["returned"] = one.where(returned)
    terms["expected"] = one.where(expected)
    terms["returned_expected"] = pd.Series(returned, index=terms.index, dtype="float64").where(expected)
    for item, columns in REPORTED_ITEMS.items():
        terms[f"reported_{item}"] = position_year[columns].notna().all(axis=1).astype("float64").where(returned)
    terms["outlier"] = _activity_outlier(terms, position_year["year"]).astype("float64").where(returned)
    return terms


def _population(population: pd.DataFrame, wanted: pd.DataFrame) -> pd.DataFrame:
    """Population of each wanted (département, year): the latest table year at or before it, carried forward."""
    table = population[["department_code", "year", "population", "population_year"]].rename(
        columns={"year": "table_year"}
    ).astype({"table_year": "int64", "population": "float64"})
    matched = pd.merge_asof(
        wanted.astype({"year": "int64"}).sort_values("year"), table.sort_values("table_year"),
        left_on="year", right_on="table_year", by="department_code", direction="backward",
    )
    return matched.drop(columns="table_year")


def _area_terms(department_year: pd.DataFrame, national_year: pd.DataFrame,
                population: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per area level, the `areas` terms indexed by (entity, year).

    National figures repeat `national_year`; regions sum their départements.
    An area's population is null if any of its départements lacks one, and its
    population_year is the oldest reference year that entered the sum.
    """
    # In département order, whatever the order of the rows given: a region's sums then add the same numbers in
    # the same order in a year's re-run as in a full run, to the last digit.
    dept = _population(population, department_year[["department_code", "year"]]).merge(
        department_year, on=["department_code", "year"]
    ).sort_values(["year", "department_code"], ignore_index=True)
    dept["departments"] = 1
    dept["departments_covered"] = dept["positions_active"] >= 1
    dept["departments_meeting_standard"] = dept["meets_standard"].astype(bool)
    dept["departments_meeting_target"] = dept["positions_active"] * active_profile().inhabitants_per_worker >= dept["population"]

    def summed(keys: list[str]) -> pd.DataFrame:
        grouped = dept.groupby(keys)
        out = grouped[_AREA_SUMS].sum().astype("float64")
        out["fte"] = grouped["fte"].sum(min_count=1)
        out["population"] = grouped["population"].sum().where(grouped["population"].count() == grouped.size())
        out["population_year"] = grouped["population_year"].min()
        # Without a population (no recorded-crime file), whether the target is met is unknown, not "no".
        out["departments_meeting_target"] = out["departments_meeting_target"].where(out["population"].notna())
        return out

    national = summed(["year"])
    from_table = national_year.set_index("year")
    national[["positions_active", "positions_reporting", "fte", "departments_covered",
              "departments_meeting_standard"]] = from_table[
        ["positions_active", "positions_reporting", "fte", "departments_covered", "departments_meeting_standard"]
    ].astype("float64")
    national["departments"] = (from_table["departments_meeting_standard"]
                               + from_table["departments_below_standard"]).astype("float64")
    national.index = pd.MultiIndex.from_arrays(
        [np.full(len(national), NATIONAL_ENTITY, dtype=object), national.index], names=["entity", "year"]
    )
    frames = {
        "national": national,
        "region": summed(["region_code", "year"]).rename_axis(["entity", "year"]),
        "department": summed(["department_code", "year"]).rename_axis(["entity", "year"]),
    }
    for frame in frames.values():
        frame["population_year"] = frame["population_year"].astype("Int64")
    return frames


def _position_entities(position_year: pd.DataFrame) -> dict[str, pd.Series]:
    """The entity each position-year belongs to, per level."""
    region = position_year["department_code"].map(
        departements().set_index("department_code")["region_code"]
    )
    return {
        "national": pd.Series(NATIONAL_ENTITY, index=position_year.index, dtype=object),
        "region": region,
        "department": position_year["department_code"],
        "position": position_year["position_id"],
        "host_type": position_year["host_type"].fillna(UNKNOWN_TYPE),
        "employer_type": position_year["employer_type"].fillna(UNKNOWN_TYPE),
    }


class _Level:
    """Entity-year rows of one level and the code of each position-year among them."""

    def __init__(self, name: str, entity: pd.Series, year: pd.Series, areas: pd.DataFrame | None):
        self.name = name
        self.areas = areas
        if areas is not None:
            self.index = areas.index
        else:
            self.index = pd.MultiIndex.from_arrays([entity, year], names=["entity", "year"]).unique().sort_values()
        self.entities = self.index.get_level_values("entity").to_numpy(object)
        self.years = self.index.get_level_values("year").to_numpy("int64")
        codes = self.index.get_indexer(pd.MultiIndex.from_arrays([entity, year]))
        self.keep = None if (codes >= 0).all() else codes >= 0
        self.codes = codes if self.keep is None else codes[self.keep]
        self.positions_expected = (
            areas["positions_active"].to_numpy() if areas is not None else self.sum(np.ones(len(codes)))
        )

    def sum(self, weights: np.ndarray) -> np.ndarray:
        """Sum of a per-position-year array within each entity-year."""
        kept = weights if self.keep is None else weights[self.keep]
        return np.bincount(self.codes, weights=kept, minlength=len(self.index))


def _ratio(numerator: np.ndarray, denominator: np.ndarray | None, scale: float) -> np.ndarray:
    if denominator is None:
        return numerator * scale
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator != 0, numerator / denominator * scale, np.nan)


def _position_weights(indicator: Indicator, terms: pd.DataFrame, returned: np.ndarray) -> dict[str, np.ndarray]:
    """Per position-year: whether it enters the indicator, and its terms zeroed where it does not."""
    numerator = terms[indicator.numerator].to_numpy()
    mask = ~np.isnan(numerator)
    weights = {}
    if indicator.denominator not in (None, "population"):
        denominator = terms[indicator.denominator].to_numpy()
        mask &= ~np.isnan(denominator)
        weights["denominator"] = np.where(mask, denominator, 0.0)
    weights["numerator"] = np.where(mask, numerator, 0.0)
    weights["included"] = mask.astype("float64")
    if not (mask <= returned).all():  # e.g. returns received / expected: includes positions without a return
        weights["reporting"] = (mask & returned).astype("float64")
    return weights


def _positions_indicator(indicator: Indicator, level: _Level, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    included = level.sum(weights["included"])
    nobody = included == 0
    num = np.where(nobody, np.nan, level.sum(weights["numerator"]))
    if "denominator" in weights:
        den = np.where(nobody, np.nan, level.sum(weights["denominator"]))
    elif indicator.denominator == "population":
        den = level.areas["population"].to_numpy()
    else:
        den = None
    reporting = level.sum(weights["reporting"]) if "reporting" in weights else included
    return {"numerator": num, "positions_reporting": reporting,
            "value": _ratio(num, den, indicator.scale), "denominator": _or_null(den, len(num))}


def _areas_indicator(indicator: Indicator, level: _Level) -> dict[str, np.ndarray]:
    num = level.areas[indicator.numerator].to_numpy("float64")
    den = None if indicator.denominator is None else level.areas[indicator.denominator].to_numpy("float64")
    return {"numerator": num, "denominator": _or_null(den, len(num)), "value": _ratio(num, den, indicator.scale),
            "positions_reporting": level.areas["positions_reporting"].to_numpy("float64")}


def _or_null(values: np.ndarray | None, size: int) -> np.ndarray:
    return np.full(size, np.nan) if values is None else values


def _nullable_int(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Float array with NaN for unknown -> Int64, without pandas' slow element-wise coercion."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype("int64"), missing)


def _long_table(parts: list[tuple[Indicator, _Level, dict[str, np.ndarray]]]) -> pd.DataFrame:
    """One frame from the (indicator, level) parts, assembled column by column."""
    sizes = [len(level.index) for _, level, _ in parts]

    def joined(column: str) -> np.ndarray:
        return np.concatenate([columns[column] for _, _, columns in parts]).astype("float64")

    def population_year(indicator: Indicator, level: _Level) -> np.ndarray:
        if "population" in (indicator.numerator, indicator.denominator):
            return level.areas["population_year"].to_numpy("float64", na_value=np.nan)
        return np.full(len(level.index), np.nan)

    return pd.DataFrame({
        "level": np.repeat(np.array([level.name for _, level, _ in parts], dtype=object), sizes),
        "entity": np.concatenate([level.entities for _, level, _ in parts]),
        "year": np.concatenate([level.years for _, level, _ in parts]),
        "indicator": np.repeat(np.array([indicator.id for indicator, _, _ in parts], dtype=object), sizes),
        "value": joined("value"),
        "numerator": joined("numerator"),
        "denominator": joined("denominator"),
        "positions_reporting": _nullable_int(joined("positions_reporting")),
        "positions_expected": _nullable_int(np.concatenate(
            [np.asarray(level.positions_expected, dtype="float64") for _, level, _ in parts])),
        "population_year": _nullable_int(np.concatenate([population_year(i, level) for i, level, _ in parts])),
    })


def build_indicators(position_year: pd.DataFrame, department_year: pd.DataFrame, national_year: pd.DataFrame,
                     population: pd.DataFrame) -> pd.DataFrame:
    """Every catalogue indicator at every level it is defined for: the long `indicators` table.

    `population`: department_code, year, population, population_year (latest
    year carried forward for later years). `positions_expected` is the number
    of positions active in the entity-year (registry-active plus unregistered
    that reported); `positions_reporting` the positions whose returns entered
    the figure. Each year is computed from that year's rows alone, so the table
    of several years is the concatenation of the single years (one partition each).
    """
    position_year = position_year.reset_index(drop=True)
    terms = _position_terms(position_year)
    returned = position_year["has_return"].to_numpy(bool)
    areas = _area_terms(department_year, national_year, population)
    entities = _position_entities(position_year)
    year = position_year["year"].astype("int64")
    levels = {name: _Level(name, entities[name], year, areas.get(name)) for name in LEVELS}
    parts: dict[str, list[tuple[Indicator, _Level, dict[str, np.ndarray]]]] = {name: [] for name in LEVELS}
    for indicator in CATALOGUE:
        weights = _position_weights(indicator, terms, returned) if indicator.basis == "positions" else None
        for name in indicator.levels:
            level = levels[name]
            columns = (_areas_indicator(indicator, level) if weights is None
                       else _positions_indicator(indicator, level, weights))
            parts[name].append((indicator, level, columns))
    table = _long_table([part for name in LEVELS for part in parts[name]])
    return table.astype(INDICATOR_DTYPES, copy=False)


def indicator_changes(indicators: pd.DataFrame) -> pd.DataFrame:
    """Year-on-year change at national and département level: value_previous_year (same entity and
    indicator, year - 1), change_abs and change_rel (null when the previous value is 0 or missing).

    A whole-period table: a corrected year changes its own row and the next year's.
    """
    keys = ["level", "entity", "indicator", "year"]
    table = indicators.loc[indicators["level"].isin(CHANGE_LEVELS), list(CHANGE_DTYPES)[:7]]
    previous = table[keys + ["value"]].assign(year=table["year"] + 1).rename(columns={"value": "value_previous_year"})
    table = table.merge(previous, on=keys, how="left")
    table["change_abs"] = table["value"] - table["value_previous_year"]
    base = table["value_previous_year"].abs()
    table["change_rel"] = table["change_abs"] / base.where(base != 0)
    return table.sort_values(["level", "entity", "indicator", "year"], ignore_index=True).astype(CHANGE_DTYPES)
