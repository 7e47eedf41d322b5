"""Headline views of the national indicators, for the asset metadata an evaluator reads first."""

from __future__ import annotations

import pandas as pd

from swps_pipeline.figures import SYNTHETIC_STAMP, new_figure, to_png
from swps_pipeline.i18n import N_, SOURCE_LANGUAGE, Texts
from swps_pipeline.indicators.catalogue import BY_ID

HEADLINE = [
    "positions_active",
    "share_returns_received",
    "persons_received",
    "new_cases",
    "new_cases_per_fte",
    "share_victims",
    "share_offenders",
    "share_third_parties",
    "share_women",
    "share_domestic_violence",
    "orientations_per_new_case",
    "share_departments_meeting_standard",
    "positions_per_150k",
]
TREND = ["persons_received", "new_cases_per_fte"]
#: The y-axis of each trend chart: its indicator's unit, as a reader reads it.
TREND_AXES = {"persons_received": N_("Persons"), "new_cases_per_fte": N_("Cases per FTE-year")}


def _national(indicators: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    rows = indicators[(indicators["level"] == "national") & indicators["indicator"].isin(ids)]
    return rows.set_index("indicator")


def _number(value: float, unit: str) -> str:
    if pd.isna(value):
        return "n/a"
    if unit.startswith("share"):
        return f"{value:.1%}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def national_headline_markdown(changes: pd.DataFrame, year: int) -> str:
    """A Markdown table of the national headline indicators of `year` and their previous-year values
    (`changes`: the `indicator_changes` table)."""
    rows = _national(changes[changes["year"] == year], HEADLINE)
    lines = [f"**National indicators, {year}**", "",
             "| indicator | value | previous year | positions reporting / expected |", "| --- | --- | --- | --- |"]
    for indicator_id in HEADLINE:
        if indicator_id not in rows.index:
            continue
        row, definition = rows.loc[indicator_id], BY_ID[indicator_id]
        lines.append(
            f"| {definition.label_en} | {_number(row['value'], definition.unit)} "
            f"| {_number(row['value_previous_year'], definition.unit)} "
            f"| {row['positions_reporting']} / {row['positions_expected']} |"
        )
    return "\n".join(lines)


def national_trend_png(indicators: pd.DataFrame, synthetic: bool = True, language: str = SOURCE_LANGUAGE) -> bytes:
    """PNG: national persons received and new cases per FTE-year, year by year, each axis in its unit
    (stamped as synthetic when drawn from the bundled data); titles and axes in `language` (English by default;
    the indicators' French labels for French)."""
    say = Texts(language)
    rows = _national(indicators, TREND).reset_index()
    figure = new_figure(9, 3.4)
    axes = figure.subplots(1, len(TREND))
    for axis, indicator_id in zip(axes, TREND, strict=True):
        series = rows[rows["indicator"] == indicator_id].sort_values("year")
        axis.plot(series["year"], series["value"], marker="o")
        indicator = BY_ID[indicator_id]
        axis.set_title(indicator.label_fr if say.language.split("_")[0] == "fr" else indicator.label_en, fontsize=10)
        axis.set_xlabel(say(N_("Year")))
        axis.set_ylabel(say(TREND_AXES[indicator_id]))
        axis.xaxis.get_major_locator().set_params(integer=True)
        axis.yaxis.set_major_formatter(lambda value, _position: f"{value:,.0f}".replace(",", "\u202f"))
        axis.grid(alpha=0.3)
    figure.tight_layout()
    return to_png(figure, synthetic=synthetic, stamp_text=say(SYNTHETIC_STAMP))
