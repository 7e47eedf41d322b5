"""Synthetic yearly returns: one row per position active in the year, canonical values.

Activity scales with a persistent per-position productivity, the FTE and the
months active in the year; breakdowns are Dirichlet-multinomial draws around
the national mixes of `targets`, so every generated row satisfies every hard
rule. France's Seine-et-Marne 2021 is replaced by rows whose sums are exactly
the published ECPA figures. Gaps the contract allows are drawn at the end: whole
groups not reported, only the `*_unknown` member blank, optional counts blank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline import contract
from swps_pipeline.synthetic import targets
from swps_pipeline.synthetic.calibration import Calibration
from swps_pipeline.synthetic.registry import active_in_year

#: Share of rows leaving a whole group blank, by group (synthetic).
GROUP_NOT_REPORTED = {"cases": 0.04, "persons_sex": 0.02, "persons_age": 0.08, "source": 0.06, "problem": 0.03, "orient": 0.08}
#: Share of rows leaving only the `*_unknown` member of a sum group blank (synthetic).
UNKNOWN_LEFT_BLANK = 0.06
#: Share of rows leaving an optional count blank (synthetic).
OPTIONAL_BLANK = {"ongoing_cases": 0.10, "child_in_danger_reports": 0.05}
#: Share of expected returns that never arrive (synthetic).
MISSING_SHARE = 0.015
#: Spread of per-position productivity (lognormal sigma) and of the breakdown mixes (Dirichlet concentration).
PRODUCTIVITY_SIGMA = 0.17
MIX_CONCENTRATION = 80.0


def expected_returns(registry: pd.DataFrame, years: tuple[int, ...]) -> pd.DataFrame:
    """Every (position, year) active on a day of the year, with its months active in that year."""
    frames = []
    for year in years:
        active = registry[active_in_year(registry, year)]
        first = np.where(active["start_date"].dt.year < year, 1, active["start_date"].dt.month)
        last = np.where(active["end_date"].dt.year == year, active["end_date"].dt.month, 12)
        frames.append(active.assign(year=year, months_active=last - first + 1))
    return pd.concat(frames, ignore_index=True)


def _mix_draw(rng: np.random.Generator, totals: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Dirichlet-multinomial split of each total over the mix (rows of `mix` or one shared mix)."""
    alpha = np.broadcast_to(mix, (len(totals), mix.shape[-1])) * MIX_CONCENTRATION
    shares = rng.gamma(alpha)
    shares /= shares.sum(axis=1, keepdims=True)
    return rng.multinomial(totals, shares)


def draw_activity(expected: pd.DataFrame, rng: np.random.Generator, calibrated: Calibration) -> pd.DataFrame:
    """Complete returns (every column reported) for the expected (position, year) rows."""
    n = len(expected)
    position_codes, position_index = np.unique(expected["position_id"], return_inverse=True)
    productivity = rng.lognormal(np.log(targets.PERSONS_PER_FTE_YEAR), PRODUCTIVITY_SIGMA, len(position_codes))
    fte_values = np.array(list(targets.FTE_SHARES))
    fte = rng.choice(fte_values, size=len(position_codes), p=list(targets.FTE_SHARES.values()))[position_index]
    exposure = fte * expected["months_active"].to_numpy() / 12
    drift = 1 + 0.02 * (expected["year"].to_numpy() - min(targets.RETURN_YEARS))

    persons = np.maximum(rng.poisson(productivity[position_index] * exposure * drift), 1)
    new_cases = rng.binomial(persons, rng.beta(82, 18, n))
    out = pd.DataFrame(
        {
            "year": expected["year"].to_numpy(),
            "department_code": expected["department_code"].to_numpy(),
            "position_id": expected["position_id"].to_numpy(),
            "host_type": expected["host_type"].to_numpy(),
            "host_site": expected["host_site"].to_numpy(),
            "employer_type": expected["employer_type"].to_numpy(),
            "fte": fte,
            "months_active": expected["months_active"].to_numpy(),
            "cost_eur": np.round(exposure * rng.uniform(*calibrated.cost_range, n), 2),
            "persons_received": persons,
            "new_cases": new_cases,
            "ongoing_cases": rng.poisson(targets.ONGOING_PER_NEW_CASE * new_cases),
            "actions": np.maximum(rng.poisson(persons * rng.lognormal(np.log(targets.ACTIONS_PER_PERSON), 0.1, n)), new_cases),
            "child_in_danger_reports": rng.binomial(persons, targets.CHILD_REPORTS_PER_PERSON),
        }
    )
    source_mix = np.array([list(calibrated.source_mix[h].values()) for h in out["host_type"]])
    splits = {
        "cases": (new_cases, np.array(list(targets.CASES_MIX.values()))),
        "persons_sex": (persons, np.array(list(targets.PERSONS_SEX_MIX.values()))),
        "persons_age": (persons, np.array(list(targets.PERSONS_AGE_MIX.values()))),
        "source": (new_cases, source_mix / source_mix.sum(axis=1, keepdims=True)),
    }
    for group, (totals, mix) in splits.items():
        out[contract.GROUPS[group]] = _mix_draw(rng, totals, mix)
    problem_rates = np.array(list(targets.PROBLEM_RATES.values()))
    out[list(targets.PROBLEM_RATES)] = rng.binomial(new_cases[:, None], problem_rates * rng.uniform(0.8, 1.2, (n, 1)))
    out[list(targets.ORIENT_RATES)] = rng.poisson(new_cases[:, None] * np.array(list(targets.ORIENT_RATES.values())))
    return out


def _largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers ∝ weights that add up exactly to total."""
    exact = total * weights / weights.sum()
    base = np.floor(exact).astype(int)
    base[np.argsort(-(exact - base), kind="stable")[: total - base.sum()]] += 1
    return base


def _split_table(rng: np.random.Generator, row_totals: np.ndarray, column_totals: np.ndarray) -> np.ndarray:
    """A table of counts with the given row and column sums (sequential hypergeometric draws)."""
    left = column_totals.copy()
    rows = []
    for total in row_totals:
        row = rng.multivariate_hypergeometric(left, total)
        rows.append(row)
        left -= row
    return np.array(rows)


def seine_et_marne_2021(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The 7 rows of Seine-et-Marne 2021, whose sums are exactly the ECPA figures.

    Every row is fte 1, 12 months, no cost; the problems other than the four
    published are left blank (not reported).
    """
    fig = targets.SEINE_ET_MARNE_2021
    n = len(rows)
    if n != targets.SEINE_ET_MARNE_POSITIONS:
        raise ValueError(f"Seine-et-Marne 2021 needs {targets.SEINE_ET_MARNE_POSITIONS} positions, registry has {n}")
    out = rows.copy()
    out["fte"], out["months_active"], out["cost_eur"] = 1.0, 12, np.nan
    weights = rng.dirichlet(np.full(n, 60.0))
    persons = _largest_remainder(fig["persons_received"], weights)
    new_cases = _largest_remainder(fig["new_cases"], persons.astype(float))
    out["persons_received"], out["new_cases"] = persons, new_cases
    for column in ("actions", "child_in_danger_reports"):
        out[column] = _largest_remainder(fig[column], persons.astype(float))
    out["ongoing_cases"] = rng.poisson(targets.ONGOING_PER_NEW_CASE * new_cases)

    def published(total: int, mix: dict[str, float]) -> np.ndarray:
        # round(share × total) for the published members, the rest in the unknown member.
        known = np.array([round(share * total) for share in list(mix.values())[:-1]])
        return np.append(known, total - known.sum())

    women = round(targets.PERSONS_SEX_MIX["persons_women"] * fig["persons_received"])
    sex_unknown = round(targets.PERSONS_SEX_MIX["persons_sex_unknown"] * fig["persons_received"])
    columns = {
        "cases": published(fig["new_cases"], targets.CASES_MIX),
        "persons_sex": np.array([women, fig["persons_received"] - women - sex_unknown, sex_unknown]),
        "persons_age": _largest_remainder(fig["persons_received"], np.array(list(targets.PERSONS_AGE_MIX.values()))),
        "source": _largest_remainder(fig["new_cases"], np.array(list(targets.SOURCE_MIX["mixed"].values()))),
    }
    for group, totals in columns.items():
        row_totals = new_cases if contract.SUM_GROUPS[group][0] == "new_cases" else persons
        out[contract.GROUPS[group]] = _split_table(rng, row_totals, totals)
    out[contract.GROUPS["problem"]] = pd.NA
    for column in ("problem_domestic_violence", "problem_vulnerability", "problem_schooling", "problem_housing"):
        out[column] = _largest_remainder(fig[column], new_cases.astype(float))
    return out


def leave_gaps(returns: pd.DataFrame, rng: np.random.Generator, protected: np.ndarray) -> pd.DataFrame:
    """Blank what the contract allows to be blank, never in `protected` rows."""
    out = returns.copy()
    n = len(out)
    free = ~protected
    for column in contract.INT_COLUMNS:
        out[column] = out[column].astype("Int64")
    for group, columns in contract.GROUPS.items():
        out.loc[free & (rng.random(n) < GROUP_NOT_REPORTED[group]), columns] = pd.NA
    for group, (_, _, unknown) in contract.SUM_GROUPS.items():
        if unknown is not None:
            out.loc[free & (rng.random(n) < UNKNOWN_LEFT_BLANK), unknown] = pd.NA
    for column, share in OPTIONAL_BLANK.items():
        out.loc[free & (rng.random(n) < share), column] = pd.NA
    out.loc[free & (rng.random(n) >= targets.COST_REPORTED_SHARE), "cost_eur"] = np.nan
    return out


def build_returns(
    registry: pd.DataFrame, rng: np.random.Generator, calibrated: Calibration, published_seine_et_marne: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(returns, missing): the rows that arrive, in contract column order, and the expected ones that never do.

    `published_seine_et_marne`: make the calibration's published area (Seine-et-Marne 2021) sum to the ECPA
    figures (needs its 7 positions: the registry at scale 1); nothing without a published area.
    """
    expected = expected_returns(registry, targets.RETURN_YEARS)
    returns = draw_activity(expected, rng, calibrated)
    published_seine_et_marne &= calibrated.published_area is not None
    is_77 = (returns["department_code"] == calibrated.published_area) & (returns["year"] == targets.SEINE_ET_MARNE_YEAR)
    is_77 &= published_seine_et_marne
    returns = returns.astype({c: "Int64" for c in contract.INT_COLUMNS if c in returns})
    if published_seine_et_marne:
        returns.loc[is_77] = seine_et_marne_2021(returns[is_77], rng)
    returns = leave_gaps(returns[contract.COLUMN_NAMES], rng, is_77.to_numpy())
    missing = ~is_77 & (rng.random(len(returns)) < MISSING_SHARE)
    return returns[~missing].reset_index(drop=True), returns.loc[missing, ["position_id", "department_code", "year"]].reset_index(drop=True)
