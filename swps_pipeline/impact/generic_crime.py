"""Recorded crime from the generic CSV `area_code;year;indicator;count;population` (any country's profile).

A country without France's SSMSI files writes its statistics in this one
documented format (docs/replication.md, "The generic recorded-crime file"),
and it loads into the same canonical `recorded_crime` table. The file is one
edition: any row that cannot be placed makes the whole file unusable, with the
line and the fix in the reason, since half an edition would bias the impact
estimate silently. Blank counts and populations are missing (null), never 0.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from swps_pipeline.contract import normalise_header
from swps_pipeline.impact.crime import RECORDED_CRIME_DTYPES

GENERIC_COLUMNS = ("area_code", "year", "indicator", "count", "population")
GENERIC_HEADER = ";".join(GENERIC_COLUMNS)
#: Written for "not available" besides a blank cell.
MISSING_TOKENS = ("", "NA", "na", "N/A", "n/a")
#: Years a recorded-crime series can plausibly hold (a typo such as 219 or 20199 is refused).
YEAR_RANGE = (1900, 2100)


class GenericCrimeError(ValueError):
    """A generic recorded-crime file that cannot be used (one line: the file, the line, what to fix)."""


def _read_text(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False, compression="infer",
                          skip_blank_lines=True)
    except UnicodeDecodeError:
        raise GenericCrimeError(f"{path.name} is not UTF-8 text: save it as CSV UTF-8 with the header "
                                f"{GENERIC_HEADER}") from None
    except pd.errors.EmptyDataError:
        raise GenericCrimeError(f"{path.name} is empty: it needs the header {GENERIC_HEADER} and one row per area, "
                                f"year and indicator") from None
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, pd.errors.ParserError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise GenericCrimeError(f"{path.name} cannot be read as a ';'-separated CSV ({reason})") from None
    return raw


def _check_header(columns: Iterable[str], path: Path) -> dict[str, str]:
    """Source column -> canonical name; the five columns exactly, in any order and case."""
    columns = [str(c) for c in columns]
    names = {c: normalise_header(c) for c in columns}
    if len(columns) == 1 and "," in columns[0]:
        raise GenericCrimeError(f"{path.name}: the header is comma-separated ({columns[0]!r}); the generic format "
                                f"uses ';': {GENERIC_HEADER}")
    missing = [c for c in GENERIC_COLUMNS if c not in names.values()]
    unknown = [c for c, name in names.items() if name not in GENERIC_COLUMNS]
    doubled = sorted({name for name in names.values() if list(names.values()).count(name) > 1})
    if missing or unknown or doubled:
        problems = [f"missing {', '.join(missing)}" if missing else "",
                    f"unknown {', '.join(map(repr, unknown))}" if unknown else "",
                    f"twice {', '.join(doubled)}" if doubled else ""]
        raise GenericCrimeError(f"{path.name}: the header must be {GENERIC_HEADER} "
                                f"({'; '.join(p for p in problems if p)})")
    return names


def _first_bad(mask: pd.Series, values: pd.Series, path: Path, column: str, expected: str) -> None:
    if mask.any():
        at = mask.to_numpy().nonzero()[0]
        more = f" (and {len(at) - 1} more rows)" if len(at) > 1 else ""
        raise GenericCrimeError(f"{path.name}, line {at[0] + 2}: {column} {values.iloc[at[0]]!r} is not "
                                f"{expected}{more}")


def _whole_numbers(text: pd.Series, path: Path, column: str, low: int, optional: bool) -> pd.Series:
    """Digits only (no decimals, signs or thousands separators; at most 12) from `low` up; blank is null when
    optional."""
    blank = text.isin(MISSING_TOKENS)
    digits = text.str.fullmatch(r"\d{1,12}")
    values = pd.to_numeric(text.where(digits), errors="coerce")
    expected = f"a whole number of at least {low}" + (" (or blank when not available)" if optional else "")
    _first_bad(~(digits & (values >= low)) & ~(blank & optional), text, path, column, expected)
    return values.astype("Int64")


def read_generic_crime_file(path: Path, area_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The generic CSV as the canonical `recorded_crime` table; `GenericCrimeError` names the first problem.

    `area_codes`: the profile's areas (an unknown code is refused: it would fall
    out of every join unseen). The rate per 1,000 is computed from the row's
    count and population; the population's reference year is the row's year.
    """
    path = Path(path)
    raw = _read_text(path)
    names = _check_header(raw.columns, path)
    source = raw.rename(columns=names).fillna("").apply(lambda column: column.str.strip())
    if source.empty:
        return pd.DataFrame(columns=list(RECORDED_CRIME_DTYPES)).astype(RECORDED_CRIME_DTYPES)
    _first_bad(source["area_code"] == "", source["area_code"], path, "area_code", "an area code")
    if area_codes is not None:
        known = frozenset(area_codes)
        _first_bad(~source["area_code"].isin(known), source["area_code"], path, "area_code",
                   f"an area of the profile (e.g. {', '.join(sorted(known)[:3])})")
    year = _whole_numbers(source["year"], path, "year", YEAR_RANGE[0], optional=False)
    _first_bad(year > YEAR_RANGE[1], source["year"], path, "year", f"a year from {YEAR_RANGE[0]} to {YEAR_RANGE[1]}")
    indicator = source["indicator"].map(normalise_header)
    _first_bad(indicator == "", source["indicator"], path, "indicator", "a name with a letter or a digit")
    count = _whole_numbers(source["count"], path, "count", 0, optional=True)
    population = _whole_numbers(source["population"], path, "population", 1, optional=True)
    table = pd.DataFrame({"department_code": source["area_code"], "year": year, "indicator": indicator,
                          "unit": None, "count": count,
                          "rate_per_1000": count.astype("float64") / population.astype("float64") * 1000,
                          "population": population, "population_year": year})
    _check_unique(table, source, path)
    table = table.sort_values(["indicator", "department_code", "year"], ignore_index=True)
    return table.astype(RECORDED_CRIME_DTYPES)[list(RECORDED_CRIME_DTYPES)]


def _check_unique(table: pd.DataFrame, source: pd.DataFrame, path: Path) -> None:
    """One row per area, year and indicator; one population per area and year."""
    doubled = table.duplicated(["department_code", "year", "indicator"], keep=False)
    if doubled.any():
        first, second = doubled.to_numpy().nonzero()[0][:2]
        row = source.iloc[first]
        raise GenericCrimeError(f"{path.name}, lines {first + 2} and {second + 2}: two rows for {row['area_code']}, "
                                f"{row['year']}, {row['indicator']!r}: keep one row per area, year and indicator")
    known = table.dropna(subset=["population"])
    spread = known.groupby(["department_code", "year"])["population"].agg(["min", "max"])
    differ = spread[spread["min"] != spread["max"]]
    if not differ.empty:
        (area, year), row = next(differ.iterrows())
        raise GenericCrimeError(f"{path.name}: the population of {area} in {year} differs between indicators "
                                f"({row['min']:,} and {row['max']:,}): give every indicator the same population")
