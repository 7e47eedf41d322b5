"""The evaluation pack built from the published marts (the `evaluation_pack` asset and `swps export`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from swps_pipeline import economics, impact, indicators
from swps_pipeline.collect.texts import RULE_NAMES
from swps_pipeline.figures import CHART_WORKER
from swps_pipeline.i18n import LIST_SEPARATOR, N_, SOURCE_LANGUAGE, Texts
from swps_pipeline.impact.estimators import warning_text
from swps_pipeline.indicators.catalogue import BY_ID
from swps_pipeline.parallel import warm_call
from swps_pipeline.profiles import active_profile
from swps_pipeline.publish.currency import Money, profile_money
from swps_pipeline.publish.methods import methods_markdown, translated
from swps_pipeline.publish.pack import NOT_AVAILABLE, Headline, PackManifest, write_evaluation_pack
from swps_pipeline.publish.reading import model_label, outcome_label, summary_reading
from swps_pipeline.publish.warehouse import read_mart
from swps_pipeline.publish.xlsx import ESTIMATE, PERCENT
from swps_pipeline.reuse import Reuse, compute_afresh

#: The tables worth reading, in the order of the workbook, with what each is.
PACK_TABLES = {
    "national_year": N_("National panel by year: positions active and reporting, départements below the standard, "
        "sums of activity over reporting positions."),
    "department_year": N_("Every département × year: positions, FTE, activity sums over reporting positions."),
    "indicators_national": N_("Indicators at national level (the `indicators` mart has every level: region, "
        "département, position, host and employer type): value, numerator, denominator, positions reporting / "
        "expected, year-on-year change."),
    "indicator_definitions": N_("The indicator catalogue: formula, unit, family, evaluation question."),
    "indicator_outliers": N_("Positions and départements more than 4 robust z-scores from the year's median. A "
        "row with a count hidden by disclosure control is not listed (being listed would bound the count): "
        "outliers may be missing, and a row not listed is not necessarily close to the median."),
    "cost_national_year": N_("Costs, State refunds and local shares by year, in each year's euros."),
    "cost_per_case": N_("Cost per new case, person received, action and domestic-violence case, national, in each "
        "year's euros (the `cost_per_case` mart has every département)."),
    "cba_summary": N_("Cost-benefit Monte Carlo: NPV, benefit-cost ratio, probability NPV > 0, break-even."),
    "cba_channels": N_("Present value of each benefit channel."),
    "cba_perspectives": N_("Who gains and who pays: State, local authorities, associations, victims and children, rest "
        "of society (rows add up to the NPV)."),
    "cba_sensitivity": N_("One-way sensitivity of the NPV (tornado)."),
    "cba_scenarios": N_("Conservative / central / optimistic scenarios."),
    "impact_estimates": N_("Impact estimates (TWFE, event study, Callaway–Sant'Anna, placebo). Recorded intrafamily "
        "violence measures reporting as well as victimisation."),
    "event_study": N_("Event-time estimates around a département's first position."),
    "ingestion_accounting": N_("Where every input row went, per file."),
    "returns_quarantine": N_("Rejected rows with the rules they break, by id and by name (the messages, which quote "
        "the row's values, and the row as read, `raw`, stay in the warehouse and the coordinators' feedback: their "
        "counts are not disclosure-controlled)."),
    "files_rejected": N_("Files rejected whole, with the reason."),
    "missing_returns": N_("Expected returns that never arrived."),
}
#: The charts of the pack, as a reader names them (Charts sheet, methods page).
CHART_TITLES = {
    "national_trend": N_("National trend: persons received and new cases per FTE-year"),
    "npv_distribution": N_("Net present value: distribution of the Monte Carlo draws"),
    "tornado": N_("One-way sensitivity of the net present value (tornado)"),
    "event_study": N_("Event study: recorded intrafamily physical violence around a département's first position"),
}
SOURCES = (
    N_("Position returns and registry: synthetic (swps generate), following the published counts."),
    N_("Recorded crime: SSMSI, base départementale de la délinquance enregistrée (Licence Ouverte); "
       "bundled file generated in its format B."),
    N_("Costs and refund rates: France's ECPA application (2022); economic parameters: economics/parameters.yaml."),
)


#: Levels of the tables published at one level only (the marts keep every level).
_NATIONAL_ONLY = {"indicators_national": "indicators", "cost_per_case": "cost_per_case"}
#: The year-on-year change (a whole-period mart) joins the national indicators on these keys.
_CHANGE_KEYS = ["level", "entity", "indicator", "year"]
#: Columns kept out of the pack: the quarantined row as read holds raw counts.
_WAREHOUSE_ONLY = {"returns_quarantine": ["raw"]}
#: Tables whose `message` quotes the row's values, one position's counts among them: the pack names the row's
#: `rules` there instead (the warehouse and the coordinators' feedback keep the messages).
_RULES_NOT_VALUES = frozenset({"returns_quarantine"})


def _pack_tables(marts_dir: Path, say: Texts | None = None) -> dict[str, pd.DataFrame]:
    tables = {name: pack_view(name, read_mart(marts_dir, _NATIONAL_ONLY.get(name, name)), say)
              for name in PACK_TABLES}
    changes = read_mart(marts_dir, "indicator_changes")[[*_CHANGE_KEYS, "value_previous_year", "change_abs", "change_rel"]]
    tables["indicators_national"] = tables["indicators_national"].merge(changes, on=_CHANGE_KEYS, how="left")
    return tables


def pack_view(name: str, mart: pd.DataFrame, say: Texts | None = None) -> pd.DataFrame:
    """What table `name` of the pack shows of its mart: the national rows only where the pack
    publishes one level, no warehouse-only column, the rules' names (in the language of `say`) for messages
    that quote counts, indicator labels and units."""
    if name in _NATIONAL_ONLY:
        mart = mart[mart["level"] == "national"]
    if name in _RULES_NOT_VALUES and {"rules", "message"} <= set(mart.columns):
        mart = mart.assign(message=rule_names(mart["rules"], say or Texts(SOURCE_LANGUAGE)))
    return _labelled(mart.drop(columns=_WAREHOUSE_ONLY.get(name, []), errors="ignore"))


def rule_names(rules: pd.Series, say: Texts) -> pd.Series:
    """The names of the rules (ids separated by ';') a reader reads, without the row's values."""
    area_level = active_profile().area_level
    return rules.map(lambda ids: say(LIST_SEPARATOR).join(
        say(RULE_NAMES[rule], area_level=area_level) if rule in RULE_NAMES else rule for rule in str(ids).split(";")))


def _labelled(table: pd.DataFrame) -> pd.DataFrame:
    """Indicator rows with the indicator's label and unit next to its id."""
    if "indicator" not in table.columns or "label_en" in table.columns:
        return table
    at = table.columns.get_loc("indicator") + 1
    table = table.copy()
    table.insert(at, "label", table["indicator"].map(lambda i: BY_ID[i].label_en if i in BY_ID else None))
    table.insert(at + 1, "unit", table["indicator"].map(lambda i: BY_ID[i].unit if i in BY_ID else None))
    return table


def headlines(cba_summary: pd.DataFrame, impact_estimates: pd.DataFrame,
              say: Texts | None = None, money: Money | None = None) -> list[Headline]:
    """The headline results an evaluator reads first, from the columns that exist (read by name); their labels
    and notes in the language of `say` (English by default), amounts in `money` (default: the profile's)."""
    say = say or Texts(SOURCE_LANGUAGE)
    money = money or profile_money()
    result: list[Headline] = []
    national = cba_summary
    if "headline" in national.columns and national["headline"].any():
        national = national[national["headline"].astype(bool)]
    elif "scope_level" in national.columns:
        national = national[national["scope_level"] == "national"]
    if len(national):
        span = national["last_year"] - national["first_year"]
        row = national.loc[span.idxmax()]
        years = f"{row['first_year']}–{row['last_year']}"
        in_money = _money_note(row, say, money)
        result += [Headline(say(N_("{label}, {years} ({unit})"), label=say(label), years=years,
                                unit=money.millions), row[column] / 1e6, money.millions_format, in_money)
                   for column, label in _MONEY_HEADLINES if column in row and pd.notna(row[column])]
        if "probability_npv_positive" in row:
            result.append(Headline(say(N_("Probability that the NPV is positive, {years}"), years=years),
                                   row["probability_npv_positive"], PERCENT,
                                   say(N_("Monte Carlo, {draws} draws"), draws=_draws(row.get("n_draws"), say))))
        ratio = next((c for c in ("benefit_cost_ratio_mean", "benefit_cost_ratio") if c in row), None)
        if ratio:
            result.append(Headline(say(N_("Benefit-cost ratio (mean benefits / mean costs), {years}"), years=years),
                                   row[ratio], ESTIMATE))
        for column in sorted(c for c in row.index if c.startswith("npv_per_") and pd.notna(row[c])):
            per = column.removeprefix("npv_per_").removesuffix("_eur")
            per = say(_PER_WORDS[per], currency=money.name(say.language, count=1)) if per in _PER_WORDS \
                else per.replace("_", " ")
            amount = column.endswith("_eur")  # a canonical money column (publish.currency)
            result.append(Headline(say(N_("NPV per {per} (mean), {years}"), per=per, years=years), row[column],
                                   money.amount_format if amount else ESTIMATE, in_money if amount else ""))
    overall = impact_estimates[impact_estimates["term"].isin(["att_overall", "treated"])] \
        if {"term", "model"} <= set(impact_estimates.columns) else impact_estimates.iloc[0:0]
    for _, row in overall.iterrows():
        note = say(N_("95% CI {low} to {high}, p = {p}, {clusters} départements (clusters)"),
                   low=say.decimal(row["ci_low"], "0.000"), high=say.decimal(row["ci_high"], "0.000"),
                   p=say.decimal(row["p_value"], "0.000"),
                   clusters=row["n_clusters"])
        extra = [warning_text(str(row[c]), say) for c in row.index
                 if ("warning" in c or "breakdown" in c) and pd.notna(row[c]) and str(row[c])]
        label = say(N_("Impact on {outcome}: {model}"), outcome=outcome_label(row["outcome"], say),
                    model=model_label(row["model"], say))
        result.append(Headline(label, row["estimate"], ESTIMATE, say(LIST_SEPARATOR).join([note, *extra])))
    return result + impact.breakdown_headlines(impact_estimates, say)


def _money_note(row: pd.Series, say: Texts, money: Money) -> str:
    """What the amounts of `row` are: the year of the prices, the year they are discounted to and the rate (a
    reader cannot compare an amount without them); the rate alone when the row does not say the years."""
    rate = say.percent(row["discount_rate"]) if "discount_rate" in row else None
    if rate is not None and {"price_year", "base_year"} <= set(row.index):
        return say(N_("{currency} of {price_year} (price year), discounted to {base_year} (base year) at {rate}"),
                   currency=money.name(say.language), price_year=int(row["price_year"]),
                   base_year=int(row["base_year"]), rate=rate)
    return say(N_("discount rate {rate}"), rate=rate) if rate is not None else ""


#: The money headlines of the cost-benefit summary: (column, label).
_MONEY_HEADLINES = [
    ("npv_mean_eur", N_("Mean net present value")), ("npv_p5_eur", N_("NPV, 5th percentile")),
    ("npv_p50_eur", N_("NPV, median")), ("npv_p95_eur", N_("NPV, 95th percentile")),
    ("npv_at_means_eur", N_("NPV with every parameter at its mean")),
    ("npv_central_eur", N_("NPV at the central values")),
]

#: What an `npv_per_<unit>` column is per, in words.
_PER_WORDS = {"position_year": N_("full-time position-year"), "person_received": N_("person received"),
              "public_euro": N_("public {currency}")}


def _draws(n_draws, say: Texts) -> str:
    """The number of Monte Carlo draws as a reader reads it: 10,000 (10 000 in French)."""
    return say(NOT_AVAILABLE) if n_draws is None or pd.isna(n_draws) else say.decimal(int(n_draws), "#,##0")


def _charts(marts_dir: Path, national: pd.DataFrame, sensitivity: pd.DataFrame, event_study: pd.DataFrame,
            reuse: Reuse, language: str, money: Money) -> dict[str, bytes]:
    """The pack's charts, labelled in `language`, amounts in `money`, one after another: `build_evaluation_pack`
    has them drawn in the run's chart worker while it writes the tables (`figures.CHART_WORKER`)."""
    draws = read_mart(marts_dir, "cba_npv_draws")
    whole = sensitivity[(sensitivity["first_year"] == sensitivity["first_year"].min())
                        & (sensitivity["last_year"] == sensitivity["last_year"].max())]
    return {
        "national_trend": reuse(indicators.national_trend_png)(national, language=language),
        "npv_distribution": reuse(economics.npv_distribution_png)(draws["npv_eur"].to_numpy(), language=language,
                                                                 unit=money.millions),
        "tornado": reuse(economics.tornado_png)(whole, language=language, unit=money.millions),
        "event_study": reuse(impact.event_study_chart)(event_study, language=language),
    }


def build_evaluation_pack(marts_dir: Path, pack_dir: Path,
                          reuse: Reuse = compute_afresh, language: str | None = None) -> PackManifest:
    """Write the pack from the current marts (synthetic-data notice included), its texts in `language` (by
    default the active one: the profile's, or `SWPS_LANGUAGE`; the marts' own values stay as they are);
    `reuse` wraps the costly pure steps (charts, disclosure control) to keep their results across runs."""
    say, money = Texts(language), profile_money()
    tables = _pack_tables(marts_dir, say)
    # Drawn in the run's chart worker while the tables are protected and written.
    drawing = warm_call(CHART_WORKER, _charts, marts_dir, tables["indicators_national"], tables["cba_sensitivity"],
                        tables["event_study"], reuse, say.language, money)
    with drawing:
        methods = "\n\n".join(translated(text, say) for text in methods_markdown().values())
        registry = read_mart(marts_dir, "positions_registry")
        return write_evaluation_pack(
            pack_dir, tables, drawing,
            {name: say(note) for name, note in PACK_TABLES.items()}, methods_markdown=methods or None,
            synthetic=True, sources=[say(source) for source in SOURCES],
            position_departments=dict(zip(registry["position_id"], registry["department_code"])),
            summary=headlines(tables["cba_summary"], tables["impact_estimates"], say, money),
            provenance=_optional_mart(marts_dir, "run_provenance"),
            reading=summary_reading(tables["cba_summary"], tables["impact_estimates"], tables["event_study"], say),
            chart_titles={name: say(title) for name, title in CHART_TITLES.items()}, language=say.language,
            reuse=reuse, money=money)


def _optional_mart(marts_dir: Path, name: str) -> pd.DataFrame | None:
    """A mart another part of the pipeline may not publish (yet): None when absent."""
    return read_mart(marts_dir, name) if (marts_dir / f"{name}.parquet").exists() else None
