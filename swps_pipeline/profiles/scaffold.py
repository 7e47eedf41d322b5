"""`swps profile new XX`: a country profile to fill, built from the international standards.

The areas come from ISO 3166-2 (`pycountry`): the subdivisions of the chosen
type, or by default the lowest level (those that are nobody's parent: Belgium's
10 provinces and the Brussels-Capital region), each with its parent. The
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


def new_profile(country: str, folder: Path, level: str | None = None) -> Path:
    """Write the profile of `country` (ISO 3166-1 alpha-2) into the new folder `folder`."""
    import pycountry

    code = country.upper()
    entry = pycountry.countries.get(alpha_2=code)
    if entry is None:
        raise ProfileError(f"'{country}' is not an ISO 3166-1 alpha-2 country code")
    if folder.exists():
        raise ProfileError(f"{folder} already exists: choose another folder (--out) or remove it")
    areas = iso_areas(code, level)
    defaults = national_defaults(code)
    area_type = level or _lowest_type(code, areas)
    folder.mkdir(parents=True)
    _write_csv(folder / "areas.csv", AREA_COLUMNS, [list(a.values()) for a in areas])
    _write_csv(folder / "population.csv", POPULATION_COLUMNS, [[a["area_code"], TO_FILL, TO_FILL] for a in areas])
    _write_csv(folder / "template.csv", TEMPLATE_COLUMNS, _template_rows())
    _write_csv(folder / "cpi.csv", DEFLATOR_COLUMNS, [])
    profile = {
        "country": code,
        "name": entry.name,
        "language": defaults["language"],
        "areas": {"level": area_type, "level_plural": TO_FILL, "parent_level": TO_FILL, "file": "areas.csv",
                  "source": f"ISO 3166-2:{code} via pycountry (subdivisions of type '{area_type}'); check them "
                            f"against the areas the programme is organised by",
                  "population_file": "population.csv", "population_source": TO_FILL},
        "template": {"file": "template.csv", "host_types": TO_FILL, "employer_types": TO_FILL,
                     "position_id_prefix": "|".join(re.escape(a["area_code"]) for a in areas), "source": TO_FILL},
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
