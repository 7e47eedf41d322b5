"""Synthetic registry of positions (`positions.csv`) following the calibrated roll-out (`calibration.py`).

The roll-out is built year by year at the département (area) level: each
département enters in its cohort year with one position, has at least the
coverage standard from the next year on (France: two, the Grenelle standard),
and the rest of the national stock goes where the population is. A few
positions end each year and are replaced in the same département. France's
constraints at scale 1:

- Seine-et-Marne has exactly 7 positions at the end of 2020 and none starts
  or ends in 2021 (the 7 social workers of the ECPA figures, active all year);
- the two least populated metropolitan départements enter in 2022 and 2023,
  so in 2022 exactly two (rural) départements are below the standard of 2.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline import contract
from swps_pipeline.profiles import active_profile
from swps_pipeline.reference import departements
from swps_pipeline.reference.population import population
from swps_pipeline.synthetic import targets
from swps_pipeline.synthetic.calibration import Calibration, calibration

#: At scale > 1, no département may exceed this year-end stock, so that ids
#: (`<dept>-NNN`, at most 999 per département) leave room for replacements.
MAX_STOCK_AT_SCALE = 760
MAX_IDS_PER_DEPARTMENT = 999
#: Earliest start of the positions already active in early 2012 (experiments since the 1980s-90s).
OLDEST_START_YEAR = 1995
#: Weights of the allocation: population ** this (flatter than proportional, as small départements get posts too).
POPULATION_ELASTICITY = 0.9


def department_frame() -> pd.DataFrame:
    """The profile's areas (France: the 101 départements) with their first population (the allocation weight)."""
    pop = population()
    first = pop.sort_values("year").drop_duplicates("department_code")
    frame = departements().merge(first[["department_code", "population"]], on="department_code", how="left")
    return frame.set_index("department_code")


def department_cohorts(depts: pd.DataFrame, rng: np.random.Generator, calibrated: Calibration) -> pd.Series:
    """Year of each département's first position: populous ones earlier, with noise (some fixed by the calibration)."""
    fixed = calibrated.fixed_cohorts
    key = np.log(depts["population"]) + rng.gumbel(size=len(depts))
    order = key.drop(list(fixed)).sort_values(ascending=False).index
    slots = [year for year, n in sorted(calibrated.cohort_sizes.items()) for _ in range(n - sum(v == year for v in fixed.values()))]
    cohorts = pd.Series(slots, index=order, dtype=int)
    return pd.concat([cohorts, pd.Series(fixed, dtype=int)]).reindex(depts.index)


def _allocate(n: int, weights: np.ndarray, room: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw n new positions across départements ∝ weights, none above its room."""
    out = np.zeros(len(weights), dtype=int)
    for _ in range(50):
        free = (room - out) > 0
        if n <= 0 or not free.any():
            break
        p = np.where(free, weights, 0.0)
        draw = np.minimum(rng.multinomial(n, p / p.sum()), room - out)
        out += draw
        n -= int(draw.sum())
    return out


def _random_days(rng: np.random.Generator, year: int | np.ndarray, size: int) -> np.ndarray:
    """Uniform dates within the given year(s)."""
    offset = np.broadcast_to(np.asarray(year) - 1970, (size,))
    first = offset.astype("datetime64[Y]").astype("datetime64[D]")
    span = ((offset + 1).astype("datetime64[Y]").astype("datetime64[D]") - first).astype(int)
    return first + rng.integers(0, span).astype("timedelta64[D]")


def build_registry(rng: np.random.Generator, scale: int = 1, calibrated: Calibration | None = None) -> pd.DataFrame:
    """The registry, columns `contract.REGISTRY_COLUMNS` (dates as datetime64, NaT while active).

    `calibrated`: the roll-out to follow (default: the active profile's).
    """
    depts = department_frame()
    calibrated = calibrated or calibration(active_profile(), depts)
    codes = depts.index.to_numpy()
    cohort = department_cohorts(depts, rng, calibrated).to_numpy()
    weights = depts["population"].to_numpy(float) ** POPULATION_ELASTICITY
    is_77 = codes == calibrated.published_area
    standard = calibrated.positions_per_area
    cap = MAX_STOCK_AT_SCALE if scale > 1 else MAX_IDS_PER_DEPARTMENT
    if calibrated.area_targets is not None:
        cap = np.minimum(cap, depts.index.map(calibrated.area_targets).to_numpy(int) * scale)

    dept_idx = np.empty(0, dtype=int)
    start = np.empty(0, dtype="datetime64[ns]")
    end = np.empty(0, dtype="datetime64[ns]")
    stock = np.zeros(len(codes), dtype=int)
    for year, target in sorted(calibrated.year_end_stock.items()):
        new_idx, new_start = [], []
        if year > min(calibrated.year_end_stock):
            frozen = is_77 & (year == targets.SEINE_ET_MARNE_YEAR) & (scale == 1)
            ending = (
                np.isnat(end)
                & (start.astype("datetime64[Y]").astype(int) + 1970 < year)
                & ~frozen[dept_idx]
                & (rng.random(len(end)) < targets.END_PROBABILITY)
            )
            end_day = _random_days(rng, year, int(ending.sum()))
            end[ending] = end_day
            year_last = np.datetime64(f"{year}-12-31")
            replaced = np.minimum(end_day + rng.integers(14, 120, len(end_day)).astype("timedelta64[D]"), year_last)
            new_idx.append(dept_idx[ending])
            new_start.append(replaced)

        eligible = cohort <= year
        first_year = year == min(calibrated.year_end_stock)
        # One position in the cohort year, then at least the standard (the positions of early 2012: the standard).
        minimum = np.where(cohort == year, standard if first_year else 1, np.where(cohort < year, standard, 0))
        # Seine-et-Marne: 7 positions at the end of 2020, none added in 2021 (ECPA figures).
        room = np.where((cohort == year) & ~first_year, 1, cap) - stock
        if scale == 1:
            room = np.where(is_77 & (year <= targets.SEINE_ET_MARNE_YEAR), targets.SEINE_ET_MARNE_POSITIONS - stock, room)
            minimum = np.where(is_77 & (year == targets.SEINE_ET_MARNE_YEAR - 1), targets.SEINE_ET_MARNE_POSITIONS, minimum)
        need = np.clip(minimum - stock, 0, None)
        room = np.where(eligible, room - need, 0)
        extra = _allocate(target * scale - stock.sum() - need.sum(), weights, room, rng)
        added = need + extra
        added_idx = np.repeat(np.arange(len(codes)), added)
        if first_year:
            years = rng.integers(OLDEST_START_YEAR, year + 1, len(added_idx))
            added_start = _random_days(rng, years, len(added_idx))
        else:
            added_start = _random_days(rng, year, len(added_idx))
        new_idx.append(added_idx)
        new_start.append(added_start)
        stock += added
        dept_idx = np.concatenate([dept_idx, *new_idx])
        start = np.concatenate([start, *[s.astype("datetime64[ns]") for s in new_start]])
        end = np.concatenate([end, np.full(len(dept_idx) - len(end), np.datetime64("NaT"), dtype="datetime64[ns]")])

    return _describe_positions(codes[dept_idx], start, end, depts, rng, calibrated)


def _describe_positions(
    dept: np.ndarray, start: np.ndarray, end: np.ndarray, depts: pd.DataFrame, rng: np.random.Generator,
    calibrated: Calibration,
) -> pd.DataFrame:
    """Ids numbered by start date within the département, host, employer and funders."""
    frame = pd.DataFrame({"department_code": dept, "start_date": start, "end_date": end})
    frame = frame.sort_values(["department_code", "start_date"], kind="stable", ignore_index=True)
    number = frame.groupby("department_code").cumcount() + 1
    if number.max() > MAX_IDS_PER_DEPARTMENT:
        raise ValueError(f"scale too large: a département would need {number.max()} position ids (max 999)")
    n = len(frame)
    host = rng.choice(list(calibrated.host_shares), size=n, p=list(calibrated.host_shares.values()))
    frame["position_id"] = frame["department_code"] + "-" + number.astype(str).str.zfill(3)
    frame["host_type"] = host
    frame["host_site"] = (
        pd.Series(host).map(calibrated.site_labels)
        + " "
        + frame["department_code"].map(depts["department_name"])
        + " n° "
        + number.astype(str)
    )
    frame["employer_type"] = rng.choice(list(calibrated.employer_shares), size=n, p=list(calibrated.employer_shares.values()))
    frame["local_funders"] = pd.array(rng.poisson(1.3, n), dtype="Int64")
    return frame[contract.REGISTRY_COLUMNS]


def active_in_year(registry: pd.DataFrame, year: int) -> pd.Series:
    """A position is active in a year when it was active on any day of it (the contract's 'expected')."""
    return (registry["start_date"].dt.year <= year) & ~(registry["end_date"].dt.year < year)


def registry_csv(registry: pd.DataFrame) -> bytes:
    """`positions.csv` as the contract writes it: ISO dates, blank end date while active."""
    out = registry.copy()
    for column in ("start_date", "end_date"):
        out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")
