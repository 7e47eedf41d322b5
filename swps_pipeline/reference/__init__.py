"""The areas of the active country profile, under the column names the tables use.

The published tables keep France's names (`department_code`, `region_code`...)
whatever the profile: a profile's areas are its "départements", its parent areas
its "régions" (`swps_pipeline.profiles`, README "Country profiles").
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from swps_pipeline.profiles import Profile, active_profile

AREA_NAMES = {"area_code": "department_code", "area_name": "department_name", "parent_code": "region_code",
              "parent_name": "region_name"}


def departements() -> pd.DataFrame:
    """The profile's areas: department_code, department_name, region_code, region_name."""
    return _departements(active_profile())


def official_department_codes() -> frozenset[str]:
    return active_profile().area_codes()


@cache
def _departements(profile: Profile) -> pd.DataFrame:
    return profile.areas.rename(columns=AREA_NAMES)
