"""Recorded crime (SSMSI département file) into one canonical long table.

Both formats of `shared/contract/recorded_crime.md` load into
`recorded_crime`: department_code, year, indicator, unit, count, rate_per_1000,
population, population_year. One edition is read at a time: each edition
revises the whole series, so two are never spliced.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from swps_pipeline.contract import normalise_header


class CrimeFileError(Exception):
    """A recorded-crime folder or file that cannot be used (one clear line naming the file(s))."""


RECORDED_CRIME_DTYPES: dict[str, str] = {
    "department_code": "object",
    "year": "int64",
    "indicator": "object",
    "unit": "object",
    "count": "Int64",
    "rate_per_1000": "float64",
    "population": "Int64",
    "population_year": "int64",
}
POPULATION_DTYPES: dict[str, str] = {
    "department_code": "object",
    "year": "int64",
    "population": "Int64",
    "population_year": "int64",
}

#: Canonical column -> source column, per format, keyed by the normalised header
#: (`contract.normalise_header`: `Code.département` and `Code_departement` both
#: read `code_departement`).
FORMATS: dict[str, dict[str, str]] = {
    "A": {
        "indicator": "classe",
        "year": "annee",
        "department_code": "code_departement",
        "unit": "unite_de_compte",
        "population_year": "millpop",
        "count": "faits",
        "population": "pop",
        "rate_per_1000": "tauxpourmille",
    },
    "B": {
        "department_code": "code_departement",
        "year": "annee",
        "indicator": "indicateur",
        "unit": "unite_de_compte",
        "count": "nombre",
        "rate_per_1000": "taux_pour_mille",
        "population": "insee_pop",
        "population_year": "insee_pop_millesime",
    },
}

#: SSMSI class labels of both formats -> canonical indicator names. Classes not
#: listed keep their label, normalised to snake_case ASCII.
INDICATOR_NAMES: dict[str, str] = {
    normalise_header(label): name
    for label, name in {
        "Coups et blessures volontaires intrafamiliaux": "intrafamily_physical_violence",  # A
        "Violences physiques intrafamiliales": "intrafamily_physical_violence",  # B
        "Autres coups et blessures volontaires": "non_family_physical_violence",  # A
        "Violences physiques hors cadre familial": "non_family_physical_violence",  # B
        "Coups et blessures volontaires": "physical_violence",  # A, the sum of the two above
        "Violences sexuelles": "sexual_violence",
        "Homicides": "homicide",
        "Tentatives d'homicides": "attempted_homicide",
        "Vols avec armes": "armed_robbery",
        "Vols violents sans arme": "violent_theft_without_weapon",
        "Vols sans violence contre des personnes": "theft_without_violence",
        "Cambriolages de logement": "residential_burglary",
        "Vols de véhicules": "vehicle_theft",
        "Vols dans les véhicules": "theft_from_vehicles",
        "Vols d'accessoires sur véhicules": "theft_of_vehicle_accessories",
        "Destructions et dégradations volontaires": "criminal_damage",
        "Trafic de stupéfiants": "drug_trafficking",
        "Usage de stupéfiants": "drug_use",
        "Escroqueries et fraudes aux moyens de paiement": "fraud",
    }.items()
}

CRIME_SUFFIXES = (".csv", ".csv.gz")


def _edition_name(path: Path) -> str:
    return path.name.removesuffix(".gz").removesuffix(".csv")


def find_crime_file(crime_dir: Path, edition: str | None = None) -> Path:
    """The one edition to read: the only file in `crime_dir`, or the one `edition` names (with or without suffix)."""
    crime_dir = Path(crime_dir)
    files = sorted(p for p in crime_dir.glob("*") if p.is_file() and p.name.lower().endswith(CRIME_SUFFIXES))
    if edition is not None:
        chosen = [p for p in files if edition in (p.name, _edition_name(p))]
        if not chosen:
            present = ", ".join(p.name for p in files) or "none"
            raise CrimeFileError(f"recorded-crime edition {edition!r} not found in {crime_dir} (files: {present})")
        return chosen[0]
    if not files:
        raise CrimeFileError(f"no recorded-crime file (.csv or .csv.gz) in {crime_dir}")
    if len(files) > 1:
        names = ", ".join(p.name for p in files)
        raise CrimeFileError(
            f"several recorded-crime files in {crime_dir} ({names}): editions are never spliced; "
            "keep one or name the edition to use"
        )
    return files[0]


def _read_raw(path: Path) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, sep=";", dtype=str, encoding="utf-8-sig", keep_default_na=False, compression="infer")
    except (OSError, EOFError, UnicodeDecodeError, zlib.error, gzip.BadGzipFile, pd.errors.ParserError,
            pd.errors.EmptyDataError) as error:
        raise CrimeFileError(f"recorded-crime file {path.name} is unreadable: {error}") from error
    raw.columns = [normalise_header(c) for c in raw.columns]
    return raw


def _detect_format(columns: Iterable[str], path: Path) -> dict[str, str]:
    present = set(columns)
    for mapping in FORMATS.values():
        if set(mapping.values()) <= present:
            return mapping
    raise CrimeFileError(
        f"recorded-crime file {path.name} has an unknown header ({';'.join(columns)}); "
        "expected SSMSI format A (classe;annee;Code.département;…) or B (Code_departement;…;indicateur;…)"
    )


def _numbers(raw: pd.Series, column: str, path: Path) -> pd.Series:
    """Decimal-comma text to float; empty or `NA` is missing, anything else unparseable is an error."""
    text = raw.str.strip().replace({"": None, "NA": None, "na": None})
    values = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    bad = text.notna() & values.isna()
    if bad.any():
        raise CrimeFileError(
            f"recorded-crime file {path.name}: column {column} has non-numeric values such as {text[bad].iloc[0]!r}"
        )
    return values


def _four_digit_year(values: pd.Series) -> pd.Series:
    """Format A writes years with two digits (`16` = 2016)."""
    return values.where(values >= 100, values + 2000)


def canonical_indicator(label: str) -> str:
    key = normalise_header(label)
    return INDICATOR_NAMES.get(key, key)


def read_crime_file(path: Path) -> pd.DataFrame:
    """One SSMSI file (format A or B, `.csv` or `.csv.gz`) as the canonical `recorded_crime` table."""
    path = Path(path)
    raw = _read_raw(path)
    mapping = _detect_format(raw.columns, path)
    source = raw.rename(columns={v: k for k, v in mapping.items()})
    numbers = {c: _numbers(source[c], mapping[c], path) for c in ("year", "count", "rate_per_1000", "population",
                                                                   "population_year")}
    if numbers["year"].isna().any() or numbers["population_year"].isna().any():
        raise CrimeFileError(f"recorded-crime file {path.name} has rows without a year or population year")
    codes = source["department_code"].str.strip()
    labels = source["indicator"].str.strip()
    names = labels.drop_duplicates()
    table = pd.DataFrame(
        {
            "department_code": codes.where(~codes.str.fullmatch(r"\d"), codes.str.zfill(2)),
            "year": _four_digit_year(numbers["year"]),
            "indicator": labels.map(pd.Series(names.map(canonical_indicator).to_numpy(), index=names)),
            "unit": source["unit"].map(normalise_header),
            "count": numbers["count"].round(),
            "rate_per_1000": numbers["rate_per_1000"],
            "population": numbers["population"].round(),
            "population_year": _four_digit_year(numbers["population_year"]),
        }
    )
    table = table.sort_values(["indicator", "department_code", "year"], ignore_index=True)
    return table.astype(RECORDED_CRIME_DTYPES)[list(RECORDED_CRIME_DTYPES)]


def read_crime_source(path: Path, file_format: str = "ssmsi", area_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """One file in the profile's format (`recorded_crime.format`): SSMSI (A or B) or the generic CSV."""
    if file_format == "ssmsi":
        return read_crime_file(path)
    from swps_pipeline.impact.generic_crime import GenericCrimeError, read_generic_crime_file

    try:
        return read_generic_crime_file(path, area_codes)
    except GenericCrimeError as error:
        raise CrimeFileError(f"recorded-crime file {error}") from None


def read_recorded_crime(crime_dir: Path, edition: str | None = None, file_format: str = "ssmsi",
                        area_codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The canonical `recorded_crime` table of the one edition in `crime_dir` (or the named one)."""
    return read_crime_source(find_crime_file(crime_dir, edition), file_format, area_codes)


@dataclass(frozen=True)
class RecordedCrime:
    """The edition read, or an empty table and why there is none: without crime data only the impact is skipped."""

    table: pd.DataFrame
    status: str  # the file read, or the problem and how to add a file

    @property
    def available(self) -> bool:
        return not self.table.empty


def empty_recorded_crime() -> pd.DataFrame:
    return pd.DataFrame(columns=list(RECORDED_CRIME_DTYPES)).astype(RECORDED_CRIME_DTYPES)


#: What to do without a usable file, by the profile's `recorded_crime.format`.
HOW_TO_ADD = {
    "ssmsi": "run `swps fetch crime` or copy the SSMSI département file into {crime_dir}",
    "generic": "copy a file in the generic format area_code;year;indicator;count;population (docs/replication.md) "
               "into {crime_dir}",
}


def load_recorded_crime(crime_dir: Path, edition: str | None = None, file_format: str = "ssmsi",
                        area_codes: Iterable[str] | None = None,
                        indicators: Iterable[str] = ()) -> RecordedCrime:
    """`read_recorded_crime`, turning a missing or bad file into a status instead of an error.

    `indicators` (the profile's outcome and placebo) must be in the file: without them there is no impact panel.
    """
    how_to_add = HOW_TO_ADD[file_format].format(crime_dir=crime_dir)
    try:
        path = find_crime_file(crime_dir, edition)
        table = read_crime_source(path, file_format, area_codes)
    except CrimeFileError as error:
        return RecordedCrime(empty_recorded_crime(), f"{error}; impact skipped — {how_to_add}")
    if table.empty:
        return RecordedCrime(table, f"recorded-crime file {path.name} has no rows; impact skipped — {how_to_add}")
    absent = [name for name in indicators if name not in set(table["indicator"])]
    if absent:
        present = ", ".join(sorted(table["indicator"].unique()))
        return RecordedCrime(empty_recorded_crime(), f"recorded-crime file {path.name} has no indicator "
                             f"{', '.join(map(repr, absent))} (the profile's outcome and placebo; it has: {present}); "
                             f"impact skipped — {how_to_add}")
    return RecordedCrime(table, f"{path.name}: {len(table):,} rows, {table['year'].min()}–{table['year'].max()}")


def carry_to_years(table: pd.DataFrame, values: list[str], years: Iterable[int]) -> pd.DataFrame:
    """`values` of every département at each of `years`: the latest known year at or before, else the first one.

    `table` has one row per (department_code, year); the result has one row per
    département of `table` and year of `years`.
    """
    wanted = sorted({int(y) for y in years})
    wide = table.set_index(["department_code", "year"])[values].unstack("year")
    all_years = sorted(set(wide.columns.get_level_values("year")) | set(wanted))
    filled = {
        column: wide[column].reindex(columns=all_years).ffill(axis=1).bfill(axis=1)[wanted] for column in values
    }
    long = pd.concat({c: f.stack(future_stack=True) for c, f in filled.items()}, axis=1)
    return long.rename_axis(["department_code", "year"]).reset_index()


def population_by_department_year(recorded_crime: pd.DataFrame, years: Iterable[int]) -> pd.DataFrame:
    """Population of each département for each of `years`, from the crime file's population column.

    The file gives one population per département and year of data (INSEE
    reference year `population_year`). Years after the file's last one carry
    its latest population forward; years before its first one take the first
    (so deployment before 2016 can be put per capita). `population_year` always
    says which INSEE reference year was used.
    """
    known = recorded_crime.dropna(subset=["population"]).groupby(["department_code", "year"], as_index=False)[
        ["population", "population_year"]
    ].first()
    if known.empty or not list(years):
        return pd.DataFrame(columns=list(POPULATION_DTYPES)).astype(POPULATION_DTYPES)
    known["population"] = known["population"].astype("float64")
    out = carry_to_years(known, ["population", "population_year"], years)
    out = out.sort_values(["department_code", "year"], ignore_index=True)
    return out.astype(POPULATION_DTYPES)[list(POPULATION_DTYPES)]
