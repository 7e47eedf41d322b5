"""The evaluation pack built from the published marts (the `evaluation_pack` asset and `swps export`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from swps_pipeline import economics, impact, indicators
from swps_pipeline.publish.pack import PackManifest, write_evaluation_pack
from swps_pipeline.publish.warehouse import read_mart

DOCS = Path(__file__).resolve().parents[2] / "docs"
METHODS_DOCS = ("indicators.md", "methods_economics.md", "methods_impact.md")

#: The tables worth reading, in the order of the workbook, with what each is.
PACK_TABLES = {
    "national_year": "National panel by year: positions active and reporting, départements below the standard, "
    "sums of activity over reporting positions.",
    "department_year": "Every département × year: positions, FTE, activity sums over reporting positions.",
    "indicators_national": "Indicators at national level (the `indicators` mart has every level: region, "
    "département, position, host and employer type): value, numerator, denominator, positions reporting / "
    "expected, year-on-year change.",
    "indicator_definitions": "The indicator catalogue: formula, unit, family, evaluation question.",
    "indicator_outliers": "Positions and départements more than 4 robust z-scores from the year's median.",
    "cost_national_year": "Costs, State refunds and local shares by year.",
    "cost_per_case": "Cost per new case, person received, action and domestic-violence case.",
    "cba_summary": "Cost-benefit Monte Carlo: NPV, benefit-cost ratio, probability NPV > 0, break-even.",
    "cba_channels": "Present value of each benefit channel.",
    "cba_sensitivity": "One-way sensitivity of the NPV (tornado).",
    "cba_scenarios": "Conservative / central / optimistic scenarios.",
    "impact_estimates": "Impact estimates (TWFE, event study, Callaway–Sant'Anna, placebo). Recorded intrafamily "
    "violence measures reporting as well as victimisation.",
    "event_study": "Event-time estimates around a département's first position.",
    "ingestion_accounting": "Where every input row went, per file.",
    "returns_quarantine": "Rejected rows with their rule ids and messages.",
    "files_rejected": "Files rejected whole, with the reason.",
    "missing_returns": "Expected returns that never arrived.",
}
SOURCES = (
    "Position returns and registry: synthetic (swps generate), following the published counts.",
    "Recorded crime: SSMSI, base départementale de la délinquance enregistrée (Licence Ouverte); "
    "bundled file generated in its format B.",
    "Costs and refund rates: France's ECPA application (2022); economic parameters: economics/parameters.yaml.",
)


def _pack_tables(marts_dir: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    for name in PACK_TABLES:
        if name == "indicators_national":
            every_level = read_mart(marts_dir, "indicators")
            changes = read_mart(marts_dir, "indicator_changes")[
                ["level", "entity", "indicator", "year", "value_previous_year", "change_abs", "change_rel"]]
            tables[name] = every_level[every_level["level"] == "national"].merge(
                changes, on=["level", "entity", "indicator", "year"], how="left")
        else:
            tables[name] = read_mart(marts_dir, name)
    return tables


def _charts(marts_dir: Path, tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    draws = read_mart(marts_dir, "cba_npv_draws")
    whole = tables["cba_sensitivity"]
    whole = whole[(whole["first_year"] == whole["first_year"].min()) & (whole["last_year"] == whole["last_year"].max())]
    return {
        "national_trend": indicators.national_trend_png(read_mart(marts_dir, "indicators")),
        "npv_distribution": economics.npv_distribution_png(draws["npv_eur"].to_numpy()),
        "tornado": economics.tornado_png(whole),
        "event_study": impact.event_study_chart(tables["event_study"]),
    }


def build_evaluation_pack(marts_dir: Path, pack_dir: Path) -> PackManifest:
    """Write the pack from the current marts (synthetic-data notice included)."""
    tables = _pack_tables(marts_dir)
    methods = "\n\n".join((DOCS / name).read_text(encoding="utf-8") for name in METHODS_DOCS if (DOCS / name).exists())
    return write_evaluation_pack(pack_dir, tables, _charts(marts_dir, tables), PACK_TABLES,
                                 methods_markdown=methods or None, synthetic=True, sources=SOURCES)
