"""What the synthetic generator reproduces for a country profile (`swps generate --profile XX`).

France's calibration follows its published figures (`targets`: the national
roll-out, Seine-et-Marne 2021, the host shares of 2012). Any other profile gets
a plain roll-out built from the profile itself: its areas enter in staggered
cohorts (the populous ones earlier), grow to the coverage standard and to one
worker per `coverage.inhabitants_per_worker`, are hosted by its
law-enforcement forces and employed by its employer types in equal shares,
cost within its cost range, and its recorded-crime file holds its outcome and
placebo. Every such figure is a choice of the generator, not a fact, and the
generated folder's README says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from swps_pipeline.profiles import Profile
from swps_pipeline.synthetic import targets
from swps_pipeline.synthetic.crime import INDICATORS

#: Years in which another profile's areas take their first position (synthetic): after the first year of recorded
#: crime, so every cohort has a year before it, and two years before the last, so the last cohorts are observed.
GENERIC_COHORT_YEARS = tuple(range(min(targets.CRIME_YEARS) + 1, targets.LAST_YEAR - 1))
GENERIC_FILE_NAME_PATTERNS = ("{code}_{name}_{year}", "{name}_{year}", "returns_{year}_{code}")
#: The recorded-crime file of another profile: its outcome gets the roll-out's effect, its placebo none; the levels
#: and trends are France's synthetic ones (`crime.INDICATORS`: intrafamily physical violence, vehicle thefts).
GENERIC_CRIME_MODELS = ("Violences physiques intrafamiliales", "Vols de véhicules")


@dataclass(frozen=True)
class Calibration:
    """The generator's choices for one profile (see the module docstring)."""

    #: Year-end stock of active positions at scale 1 (the first key: positions already active before the series).
    year_end_stock: dict[int, int]
    #: Number of areas taking their first position in each year.
    cohort_sizes: dict[int, int]
    #: Areas whose first year is set, not drawn.
    fixed_cohorts: dict[str, int]
    #: Positions an area keeps once covered (the profile's coverage standard).
    positions_per_area: int
    #: The most positions each area gets at scale 1 (None: only the ids' limit).
    area_targets: dict[str, int] | None
    #: The area whose returns of one year sum to published figures (France: Seine-et-Marne 2021), else None.
    published_area: str | None
    host_shares: dict[str, float]
    employer_shares: dict[str, float]
    #: How cases came in, by host type (shares of the contract's `source_*` columns).
    source_mix: dict[str, dict[str, float]]
    #: Host type -> the start of a host site's name.
    site_labels: dict[str, str]
    cost_range: tuple[float, float]
    file_name_patterns: tuple[str, ...]
    #: The two lines a sender puts above the header of a workbook, with `{year}` and `{name}` (the area's name).
    title: tuple[str, str]
    #: The recorded-crime models (rows of `crime.INDICATORS`, the first one with the roll-out's effect) and the
    #: canonical names they are written under (None: France's SSMSI labels, format B).
    crime_models: tuple[str, ...]
    crime_names: tuple[str, ...] | None


def calibration(profile: Profile, departments: pd.DataFrame) -> Calibration:
    """France's published calibration for the French profile, a plain roll-out for any other.

    `departments`: the profile's areas indexed by code, with their population (`registry.department_frame`).
    """
    if profile.country == targets.PUBLISHED_COUNTRY:
        return french_calibration(profile, departments)
    return generic_calibration(profile, departments)


def french_calibration(profile: Profile, departments: pd.DataFrame) -> Calibration:
    """The published roll-out: the two least populated metropolitan départements enter last (2022 and 2023, so
    exactly two are below the standard in 2022), Seine-et-Marne is covered from the start."""
    metropolitan = departments[departments.index.str.len() == 2]
    late = metropolitan["population"].nsmallest(2).index  # smallest first: enters last
    last_cohort = max(targets.COHORT_SIZES)
    return Calibration(
        year_end_stock=targets.YEAR_END_STOCK, cohort_sizes=targets.COHORT_SIZES,
        fixed_cohorts={late[0]: last_cohort, late[1]: last_cohort - 1, targets.SEINE_ET_MARNE: 2011},
        positions_per_area=profile.positions_per_area, area_targets=None, published_area=targets.SEINE_ET_MARNE,
        host_shares=targets.HOST_TYPE_SHARES, employer_shares=targets.EMPLOYER_SHARES, source_mix=targets.SOURCE_MIX,
        site_labels=targets.HOST_SITE_LABEL, cost_range=targets.COST_PER_FTE_YEAR_RANGE,
        file_name_patterns=targets.FILE_NAME_PATTERNS, title=targets.TITLE,
        crime_models=tuple(INDICATORS["indicator"]), crime_names=None,
    )


def generic_calibration(profile: Profile, departments: pd.DataFrame) -> Calibration:
    """A staggered roll-out over `GENERIC_COHORT_YEARS` that reaches, in each area, the coverage standard and one
    worker per `inhabitants_per_worker`; everything else in equal shares or from the profile."""
    n_areas = len(departments)
    years = GENERIC_COHORT_YEARS
    sizes = np.diff(np.linspace(0, n_areas, len(years) + 1).round().astype(int))
    cohort_sizes = {min(targets.YEAR_END_STOCK): 0, **{year: int(n) for year, n in zip(years, sizes)}}
    standard = profile.positions_per_area
    area_targets = np.maximum(standard, (departments["population"] / profile.inhabitants_per_worker).round())
    target = area_targets.sum()
    stock = {}
    for year in sorted(targets.YEAR_END_STOCK):
        entering = cohort_sizes.get(year, 0)
        covered = sum(n for y, n in cohort_sizes.items() if y <= year)
        required = entering + standard * (covered - entering)
        stock[year] = int(max(required, round(target * covered / n_areas)))
    hosts, employers = list(profile.host_types), list(profile.employer_types)
    return Calibration(
        year_end_stock=stock, cohort_sizes=cohort_sizes, fixed_cohorts={}, positions_per_area=standard,
        area_targets={code: int(n) for code, n in area_targets.items()},
        published_area=None, host_shares=dict.fromkeys(hosts, 1 / len(hosts)),
        employer_shares=dict.fromkeys(employers, 1 / len(employers)),
        source_mix=dict.fromkeys(hosts, targets.LAW_ENFORCEMENT_HOST_SOURCE_MIX),
        site_labels={host: labels[0] for host, labels in profile.host_types.items()},
        cost_range=profile.cost_per_fte_year_range, file_name_patterns=GENERIC_FILE_NAME_PATTERNS,
        title=(f"{profile.name} {{year}}", f"{profile.area_level}: {{name}}"),
        crime_models=GENERIC_CRIME_MODELS, crime_names=(profile.crime_outcome, profile.crime_placebo),
    )
