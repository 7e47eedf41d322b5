"""Countries side by side: one row per country from the marts of one run per country profile (issue 15).

Each run's `run_profile` mart says which profile made it, its currency and its
purchasing-power parity; the figures come from the published marts only, over
the years every run has, so the countries are compared on the same years:
counts per 100,000 inhabitants (yearly, pooled over the years: the sum of the
counts over the sum of the populations), cost per new case and the
cost-benefit expected values in the national currency and in PPP-euros
(amount / `ppp`, the profile's `costs.ppp.per_euro`), the overall impact estimate, and what to be careful
about for each country (`caveats`). A table a run did not publish gives nulls
and a caveat, never zeros; what cannot be compared at all (the same profile
twice, a folder without marts, different contract versions) is refused with
one line (`ComparisonError`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from swps_pipeline.indicators.catalogue import PER_CAPITA
from swps_pipeline.publish.provenance import RUN_PROFILE_COLUMNS

#: The marts the comparison reads, what is null without each, and the columns it needs in each (the money
#: columns, named after the run's currency, are looked for on their own).
TABLES = {
    "national_year": "positions",
    "indicators": "population and figures per 100,000 inhabitants, share of domestic violence",
    "cost_per_case": "cost per new case",
    "cba_summary": "cost-benefit expected values",
    "impact_estimates": "impact estimate",
}
NEEDED_COLUMNS = {
    "national_year": ["year", "positions_active"],
    "indicators": ["level", "year", "indicator", "numerator", "denominator", "population_year"],
    "cost_per_case": ["level", "year", "new_cases"],
    "cba_summary": ["scope_level", "first_year", "last_year", "price_year", "effect_source", "headline",
                    "benefit_cost_ratio_mean", "probability_npv_positive"],
    "impact_estimates": ["model", "term", "estimate", "ci_low", "ci_high", "outcome"],
}
#: Tables read at the national level only (they also hold areas, positions...).
NATIONAL_ROWS = ("indicators", "cost_per_case")
RUN_PROFILE = "run_profile"
#: The national indicators per 100,000 inhabitants pooled over the years (their numerator and denominator
#: summed): ids of the catalogue, which are also the comparison's column names; the share of domestic violence is
#: pooled the same way.
PER_CAPITA_INDICATORS = ("persons_received_per_100k", "new_cases_per_100k")
#: The impact estimate quoted: the overall Callaway–Sant'Anna effect, as the evaluation pack's reading does.
IMPACT_MODEL, IMPACT_TERM = "callaway_santanna", "att_overall"

COMPARISON_COLUMNS = [
    "country", "country_name", "source_folder", "currency", "first_year", "last_year", "years",
    "population_covered", "population_year", "positions_active", "positions_per_100k",
    "persons_received_per_100k", "new_cases_per_100k", "share_domestic_violence",
    "cost_per_new_case_national", "cost_per_new_case_ppp_eur", "ppp", "ppp_year",
    "cba_first_year", "cba_last_year", "cba_price_year", "npv_mean_national", "npv_mean_ppp_eur",
    "benefit_cost_ratio_mean", "probability_npv_positive",
    "impact_outcome", "impact_estimate", "impact_ci_low", "impact_ci_high",
    "synthetic_data", "assumptions_to_verify", "caveats",
]
_TYPES = {
    "country": "string", "country_name": "string", "source_folder": "string", "currency": "string",
    "first_year": "Int64", "last_year": "Int64", "years": "Int64", "population_covered": "Int64",
    "population_year": "Int64", "positions_active": "Int64", "ppp_year": "Int64", "cba_first_year": "Int64",
    "cba_last_year": "Int64", "cba_price_year": "Int64", "impact_outcome": "string", "synthetic_data": "boolean",
    "assumptions_to_verify": "Int64", "caveats": "string",
}
CAVEAT_SEPARATOR = "; "
#: The files `write_comparison` writes: <name>.parquet, .csv and .xlsx.
COMPARISON_NAME = "cross_country_comparison"


class ComparisonError(ValueError):
    """Runs that cannot be put side by side; the message is the one line to print."""


@dataclass
class CountryRun:
    """The marts of one run: its `run_profile` record and the tables the comparison reads (None: not published)."""

    folder: str
    profile: dict
    tables: dict[str, pd.DataFrame | None] = field(default_factory=dict)
    #: table -> the needed columns it lacks (the table is then left out, as if not published, with a caveat).
    lacking: dict[str, list[str]] = field(default_factory=dict)

    @property
    def country(self) -> str:
        return str(self.profile["country"])

    def years(self) -> set[int]:
        national = self.tables.get("national_year")
        return set() if national is None else {int(y) for y in national["year"].dropna()}


def marts_folder(folder: Path) -> Path:
    """The marts of an output folder (`<folder>/marts/`), or `folder` itself when it holds the Parquet marts."""
    if not folder.is_dir():
        raise ComparisonError(f"{folder}: no such folder")
    for candidate in (folder / "marts", folder):
        if candidate.is_dir() and any(candidate.glob("*.parquet")):
            return candidate
    raise ComparisonError(f"{folder}: no marts (expected {folder}/marts/<table>.parquet: run `swps run` with "
                          f"SWPS_OUTPUT_DIR={folder} first)")


def read_run(folder: Path, shown_as: str | None = None) -> CountryRun:
    """The run whose output (or marts) folder is `folder`; `shown_as` names it in the table (default: `folder`)."""
    marts = marts_folder(folder)
    profile = _read(marts, RUN_PROFILE)
    if profile is None or profile.empty:
        raise ComparisonError(f"{folder}: the marts do not say which country profile made them (no "
                              f"{RUN_PROFILE}.parquet: a run of an earlier version; run `swps run` again)")
    lacking = [c for c in RUN_PROFILE_COLUMNS if c not in profile.columns]
    if lacking:
        raise ComparisonError(f"{marts / RUN_PROFILE}.parquet: no column {', '.join(lacking)}")
    run = CountryRun(shown_as or str(folder), profile.iloc[0].to_dict())
    for name, needed in NEEDED_COLUMNS.items():
        table = _read(marts, name)
        lacking = [] if table is None else [c for c in needed if c not in table.columns]
        if lacking:
            run.lacking[name], table = lacking, None
        elif table is not None and name in NATIONAL_ROWS:
            table = table[table["level"] == "national"]
        run.tables[name] = table
    return run


def _read(marts: Path, table: str) -> pd.DataFrame | None:
    path = marts / f"{table}.parquet"
    if not path.exists():
        return None
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as error:
        raise ComparisonError(f"{path}: cannot be read ({str(error).splitlines()[0]})") from None


def compare_folders(folders: Sequence[Path]) -> pd.DataFrame:
    """The comparison of the runs whose output folders are given (one per country profile)."""
    return compare_runs([read_run(Path(folder)) for folder in folders])


def compare_runs(runs: Sequence[CountryRun]) -> pd.DataFrame:
    """One row per country over the years every run has, in `COMPARISON_COLUMNS` (sorted by country)."""
    _check_comparable(runs)
    dated = [run for run in runs if run.years()]
    window = sorted(set.intersection(*(run.years() for run in dated))) if dated else []
    if not window:
        spans = ", ".join(f"{run.country} {_span(sorted(run.years()))}" for run in dated) or "no run has national_year"
        raise ComparisonError(f"the runs share no year ({spans}): nothing to compare")
    rows = [_country_row(run, window) for run in sorted(runs, key=lambda r: r.country)]
    _cross_country_caveats(rows)
    table = pd.DataFrame([{**{c: row.get(c) for c in COMPARISON_COLUMNS},
                           "caveats": CAVEAT_SEPARATOR.join(row["caveats"])} for row in rows])
    floats = {c: float for c in COMPARISON_COLUMNS if c not in _TYPES}
    return table.astype({**_TYPES, **floats})[COMPARISON_COLUMNS]


def _check_comparable(runs: Sequence[CountryRun]) -> None:
    if len(runs) < 2:
        raise ComparisonError(f"give the output folders of at least two runs (one per country), got {len(runs)}")
    seen: dict[str, str] = {}
    for run in runs:
        if run.country in seen:
            raise ComparisonError(f"{seen[run.country]} and {run.folder} both hold runs of the {run.country} "
                                  f"profile: give one run per country")
        seen[run.country] = run.folder
    versions = {str(run.profile.get("contract_version")): run for run in runs}
    if len(versions) > 1:
        described = ", ".join(f"{run.folder} v{version}" for version, run in versions.items())
        raise ComparisonError(f"the runs follow different versions of the outputs contract ({described}): run them "
                              f"again with one version of swps")


def _country_row(run: CountryRun, window: list[int]) -> dict:
    profile, currency = run.profile, str(run.profile["currency"])
    ppp = float(profile["ppp"])
    row = {"country": run.country, "country_name": profile["country_name"], "source_folder": run.folder,
           "currency": currency, "first_year": window[0], "last_year": window[-1], "years": len(window),
           "ppp": ppp, "ppp_year": profile["ppp_year"], "synthetic_data": bool(profile["synthetic_data"]),
           "assumptions_to_verify": profile["assumptions_to_verify"]}
    notes: list[str] = []
    if row["synthetic_data"]:
        notes.append(f"synthetic data: no finding about {profile['country_name']}")
    if pd.notna(row["assumptions_to_verify"]) and row["assumptions_to_verify"] > 0:
        notes.append(f"{row['assumptions_to_verify']} profile values marked ASSUMPTION (to verify)")
    left_out = sorted(run.years() - set(window))
    if left_out:
        notes.append(f"years {_span(left_out)} left out (not in every run)")
    for table, what in TABLES.items():
        if table in run.lacking:
            notes.append(f"{table} has no column {', '.join(run.lacking[table])}: {what} null")
        elif run.tables.get(table) is None:
            notes.append(f"no {table} table: {what} null")
    tables = run.tables
    if tables.get("national_year") is not None:
        row.update(_positions(tables["national_year"], window[-1]))
    if tables.get("indicators") is not None:
        row.update(_per_capita(tables["indicators"], window, notes))
        if row.get("positions_active") is not None and row.get("population_covered") is not None:
            row["positions_per_100k"] = row["positions_active"] / row["population_covered"] * PER_CAPITA
    if tables.get("cost_per_case") is not None:
        cost = _pooled(tables["cost_per_case"], f"total_cost_{currency.lower()}", "new_cases", window,
                       "cost per new case", notes)
        row.update(cost_per_new_case_national=cost, cost_per_new_case_ppp_eur=_ppp(cost, ppp))
    if tables.get("cba_summary") is not None:
        row.update(_cost_benefit(tables["cba_summary"], currency, ppp, window, notes))
    if tables.get("impact_estimates") is not None:
        row.update(_impact(tables["impact_estimates"], notes))
    row["caveats"] = notes
    return row


def _positions(national_year: pd.DataFrame, year: int) -> dict:
    rows = national_year[national_year["year"] == year]
    active = rows["positions_active"].iloc[0] if len(rows) else None
    return {"positions_active": None if active is None or pd.isna(active) else int(active)}


def _per_capita(indicators: pd.DataFrame, window: list[int], notes: list[str]) -> dict:
    """The pooled national indicators; the population of the last year (the denominator of the per-capita ones)."""
    national = indicators[indicators["level"] == "national"]
    last = national[(national["indicator"] == "persons_received_per_100k") & (national["year"] == window[-1])]
    population = last["denominator"].iloc[0] if len(last) else None
    known = population is not None and pd.notna(population)
    if not known:
        notes.append(f"no population for {window[-1]} (no recorded-crime file?): per 100,000 inhabitants null")
    values = {indicator: _pooled(national[national["indicator"] == indicator], "numerator", "denominator", window,
                                 indicator.replace("_", " "), notes, scale=PER_CAPITA)
              for indicator in PER_CAPITA_INDICATORS if known}
    values["share_domestic_violence"] = _pooled(national[national["indicator"] == "share_domestic_violence"],
                                                "numerator", "denominator", window, "share of domestic violence", notes)
    if not known:
        return values
    year = last["population_year"].iloc[0]
    return {**values, "population_covered": int(population), "population_year": None if pd.isna(year) else int(year)}


def _pooled(rows: pd.DataFrame, numerator: str, denominator: str, window: list[int], what: str, notes: list[str],
            scale: float = 1) -> float | None:
    """Σ numerator / Σ denominator × scale over the window's years that have both; a year without them is named
    in a caveat, and no year at all gives null."""
    if numerator not in rows.columns:
        notes.append(f"no column {numerator}: {what} null")
        return None
    years = rows[rows["year"].isin(window)].dropna(subset=[numerator, denominator])
    years = years[years[denominator] > 0]
    missing = sorted(set(window) - {int(y) for y in years["year"]})
    if years.empty:
        notes.append(f"no {what} in {_span(window)}: null")
        return None
    if missing:
        notes.append(f"{what} without {_span(missing)}")
    return float(years[numerator].astype(float).sum() / years[denominator].astype(float).sum() * scale)


def _ppp(amount: float | None, ppp_per_euro: float) -> float | None:
    return None if amount is None or pd.isna(amount) else amount / ppp_per_euro


def _cost_benefit(summary: pd.DataFrame, currency: str, ppp: float, window: list[int], notes: list[str]) -> dict:
    """The national expected values over the compared years when the run has that scope (with the headline's
    effect source), else the headline with a caveat."""
    headline = summary[summary["headline"].astype(bool)]
    if headline.empty:
        notes.append("no cost-benefit headline: its expected values null")
        return {}
    source = headline["effect_source"].iloc[0]
    same = summary[(summary["scope_level"] == "national") & (summary["effect_source"] == source)
                   & (summary["first_year"] == window[0]) & (summary["last_year"] == window[-1])]
    chosen = (same.sort_values("headline", ascending=False) if len(same) else headline).iloc[0]
    if same.empty:
        notes.append(f"cost-benefit over {_span(list(range(int(chosen['first_year']), int(chosen['last_year']) + 1)))}, not the "
                     f"compared years {_span(window)}")
    npv = f"npv_mean_{currency.lower()}"
    if npv not in chosen.index:
        notes.append(f"no column {npv}: the expected NPV null")
    mean = float(chosen[npv]) if npv in chosen.index and pd.notna(chosen[npv]) else None
    return {"cba_first_year": int(chosen["first_year"]), "cba_last_year": int(chosen["last_year"]),
            "cba_price_year": int(chosen["price_year"]), "npv_mean_national": mean, "npv_mean_ppp_eur": _ppp(mean, ppp),
            "benefit_cost_ratio_mean": chosen["benefit_cost_ratio_mean"],
            "probability_npv_positive": chosen["probability_npv_positive"]}


def _impact(estimates: pd.DataFrame, notes: list[str]) -> dict:
    rows = estimates[(estimates["model"] == IMPACT_MODEL) & (estimates["term"] == IMPACT_TERM)]
    if rows.empty:
        notes.append("no overall impact estimate (impact_diagnostics says why)")
        return {}
    row = rows.iloc[0]
    return {"impact_outcome": row["outcome"], "impact_estimate": row["estimate"], "impact_ci_low": row["ci_low"],
            "impact_ci_high": row["ci_high"]}


def _cross_country_caveats(rows: list[dict]) -> None:
    """What differs between the countries: the cost-benefit's price year (and against the PPP year), the outcome
    the impact was estimated on."""
    for row in rows:
        others = [other for other in rows if other is not row]
        year, notes = row.get("cba_price_year"), row["caveats"]
        if year is not None:
            other_years = sorted({o["cba_price_year"] for o in others if o.get("cba_price_year") is not None} - {year})
            if other_years:
                notes.append(f"cost-benefit in {year} prices, other countries in {', '.join(map(str, other_years))}")
            if pd.notna(row["ppp_year"]) and int(row["ppp_year"]) != year:
                notes.append(f"cost-benefit in {year} prices converted at {int(row['ppp_year'])} parities")
        outcome = row.get("impact_outcome")
        other_outcomes = sorted({o["impact_outcome"] for o in others if o.get("impact_outcome") is not None}
                                - {outcome})
        if outcome is not None and other_outcomes:
            notes.append(f"impact estimated on {outcome}, other countries on {', '.join(other_outcomes)}")


def _span(years: list[int]) -> str:
    """2019–2025 for consecutive years, else the years listed."""
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}–{years[-1]}"
    return ", ".join(map(str, years))


def write_comparison(table: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The table as Parquet, CSV (text neutralised, as the pack's) and a one-sheet workbook, each file replaced
    whole (written aside, then renamed), so a reader never opens half a file."""
    from swps_pipeline.figures import SYNTHETIC_STAMP
    from swps_pipeline.publish.currency import CANONICAL, Money
    from swps_pipeline.publish.pack import neutralised, write_table_sheet
    from swps_pipeline.publish.xlsx import INTEGER, PLAIN, PublishedWorkbook, print_setup

    out_dir.mkdir(parents=True, exist_ok=True)
    workbook = PublishedWorkbook("Cross-country comparison")
    sheet = workbook.sheet("comparison")
    shown = {name: PLAIN if name.endswith("_year") else INTEGER for name in table.columns  # national currencies
             if name.endswith(("_year", "_national"))}  # and years: no euro sign, no 2,023
    # `*_ppp_eur`: amounts in PPS (PPP-euros)
    write_table_sheet(workbook, sheet, table, Money(CANONICAL.upper(), "PPS"), column_formats=shown)
    print_setup(sheet, header=SYNTHETIC_STAMP if table["synthetic_data"].any() else None, columns=len(table.columns),
                id_columns=1)
    contents = {
        "parquet": table.to_parquet(index=False),
        "csv": neutralised(table).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"),
        "xlsx": workbook.bytes(),
    }
    written = []
    for suffix, content in contents.items():
        path = out_dir / f"{COMPARISON_NAME}.{suffix}"
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        staging.write_bytes(content)
        os.replace(staging, path)
        written.append(path)
    return written


def summary_lines(table: pd.DataFrame) -> list[str]:
    """What `swps compare` prints: the years, then per country its cost per new case, expected NPV, benefit-cost
    ratio and P(NPV > 0), in its currency and in PPP-euros, and how many caveats it has."""
    first = table.iloc[0]
    lines = [f"{len(table)} countries over {_span(list(range(int(first['first_year']), int(first['last_year']) + 1)))}"
             f" ({int(first['years'])} years in every run); PPP-euros = amount / the profile's purchasing-power "
             f"parity (Eurostat PPS)"]
    for _, row in table.iterrows():
        currency, caveats = row["currency"], row["caveats"].split(CAVEAT_SEPARATOR) if row["caveats"] else []
        lines.append(
            f"  {row['country']} {row['country_name']}: cost per new case "
            f"{_amount(row['cost_per_new_case_national'], currency)} ({_amount(row['cost_per_new_case_ppp_eur'], 'PPP-euros')}); "
            f"expected NPV {_amount(row['npv_mean_national'], currency)} ({_amount(row['npv_mean_ppp_eur'], 'PPP-euros')}), "
            f"benefit-cost ratio {_number(row['benefit_cost_ratio_mean'], '.2f')}, "
            f"P(NPV > 0) {_number(row['probability_npv_positive'], '.0%')}; {len(caveats)} caveat(s)")
    return lines


def _amount(value, unit: str) -> str:
    return "not available" if pd.isna(value) else f"{value:,.0f} {unit}"


def _number(value, spec: str) -> str:
    return "not available" if pd.isna(value) else format(value, spec)
