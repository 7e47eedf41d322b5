"""A Belgian profile for the tests: `swps profile new BE` filled from a fixture (made-up values, not facts)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import yaml

from swps_pipeline.profiles import PACKAGED_PROFILES

#: ISO 3166-2:BE at its lowest level: the 10 provinces and the Brussels-Capital region (which has none).
BELGIAN_AREAS = ["BE-BRU", "BE-VAN", "BE-VBR", "BE-VLI", "BE-VOV", "BE-VWV", "BE-WBR", "BE-WHT", "BE-WLG", "BE-WLX",
                 "BE-WNA"]


def fill_belgian_scaffold(folder: Path) -> None:
    """Fill every TO FILL of `swps profile new BE` from a fixture (values made up for the tests, not facts).

    Area i (in the order of areas.csv) gets 100,000 x (i + 1) inhabitants in 2024.
    """
    raw = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    fixture = "test fixture, not a fact"
    raw["areas"].update(level_plural="provinces", parent_level="gewest / région", population_source=fixture)
    raw["template"].update(host_types={"local_police": ["Lokale politie", "Police locale"],
                                       "federal_police": ["Federale politie", "Police fédérale"]},
                           employer_types={"municipality": ["Gemeente", "Commune"]}, source=fixture)
    raw["coverage"] = {"positions_per_area": 1, "positions_per_area_source": fixture,
                       "inhabitants_per_worker": 100_000, "inhabitants_per_worker_source": fixture}
    raw["funding"] = {"refund_shares": [0.5], "refund_source": fixture, "scheme_start": "2024-01-01",
                      "scheme_start_source": fixture}
    raw["costs"].update(cost_per_fte_year=60_000, cost_per_fte_year_low=55_000, cost_per_fte_year_high=65_000,
                        price_year=2024, cost_source=fixture, deflator_source=fixture,
                        ppp={"per_euro": 1, "year": 2023, "source": fixture})
    raw["economics"] = {"discount_rate": "fixture_rate", "discount_rates": {"fixture_rate": {"value": 0.04,
                                                                                              "source": fixture}}}
    raw["recorded_crime"].update(outcome="domestic_violence", placebo="vehicle_theft", portal="https://example.invalid", dataset="fixture",
                                 source=fixture)
    raw["calendar"].update(schedule="0 6 1 3 *", returns_due="02-15", returns_recipient=fixture)
    raw["legal_basis"] = fixture
    (folder / "profile.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with (folder / "areas.csv").open(encoding="utf-8") as handle:  # ISO 3166-2 or NUTS, as scaffolded
        codes = [row["area_code"] for row in csv.DictReader(handle)]
    population = [f"{code},2024,{100_000 * (i + 1)}" for i, code in enumerate(codes)]
    (folder / "population.csv").write_text("area_code,year,population\n" + "\n".join(population) + "\n",
                                           encoding="utf-8")
    shutil.copy(PACKAGED_PROFILES / "FR" / "template.csv", folder / "template.csv")
    index = "".join(f"{year},{100 + 2 * (year - 2015)}\n" for year in range(2010, 2026))  # covers the shared prices
    (folder / "cpi.csv").write_text("year,index_2015_100\n" + index, encoding="utf-8")
