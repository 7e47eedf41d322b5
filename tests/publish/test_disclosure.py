"""Disclosure control against arithmetic: an attacker (tests/publish/attacker.py) solves what is published."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pytest

from swps_pipeline import contract
from swps_pipeline.i18n import Texts
from swps_pipeline.publish.disclosure import HIDDEN_LABEL, SUPPRESSED_LABEL, disclose
from swps_pipeline.publish.evaluation import pack_view
from tests.publish.attacker import exposed, intervals, whole_interval


def held_out_panel(seed: int, departments: int = 8, years: tuple[int, ...] = (2021,)):
    """Département × year sums of positions with small Poisson counts: many cells of 1 to 4.

    Breakdowns add up to their totals (the unknown member takes the rest), the
    nation is the sum of the départements, as in the pipeline's panel."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in years:
        for number in range(1, departments + 1):
            row = {"department_code": f"{number:02d}", "year": year, "positions_reporting": 1}
            for column in contract.COUNT_COLUMNS:
                row[column] = int(rng.poisson(1.2))
            for total, members, unknown in contract.SUM_GROUPS.values():
                named = [m for m in members if m != unknown]
                row[total] = max(row[total], sum(row[m] for m in named))
                if unknown:
                    row[unknown] = row[total] - sum(row[m] for m in named)
            source = contract.SUM_GROUPS["source"][1]
            row["new_cases"] = max(row["new_cases"], sum(row[m] for m in source))
            row["source_other"] += row["new_cases"] - sum(row[m] for m in source)
            row["cases_public_unknown"] = row["new_cases"] - sum(row[m] for m in contract.GROUPS["cases"][:3])
            rows.append(row)
    department_year = pd.DataFrame(rows)
    counts = department_year[contract.COUNT_COLUMNS].astype("Int64")
    department_year[contract.COUNT_COLUMNS] = counts
    national_year = department_year.groupby("year", as_index=False)[contract.COUNT_COLUMNS].sum()
    return {"national_year": national_year, "department_year": department_year}


def primary_only(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """What the pack published before complementary suppression: counts 1-4 shown as <5, nothing else."""
    shown = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in contract.COUNT_COLUMNS:
            small = frame[column].between(1, 4).fillna(False)
            frame[column] = frame[column].astype(object).where(~small, SUPPRESSED_LABEL)
        shown[name] = frame
    return shown


def test_held_out_many_small_cells_primary_only_is_recovered_by_subtraction():
    tables = held_out_panel(seed=7)
    found = intervals(primary_only(tables), tables)
    assert len(found) > 150  # many small cells
    pinned = {key: item for key, item in found.items() if item[2] == item[3]}
    # Recovered exactly: the attacker's only possible value is the true one.
    assert pinned and all(abs(low - value) < 1e-6 for value, _, low, _ in pinned.values())


@pytest.mark.parametrize("seed", [11])
def test_held_out_many_small_cells_protected_after_complementary_suppression(seed):
    tables = held_out_panel(seed=seed)
    before = exposed(intervals(primary_only(tables), tables))
    published = {name: frame for name, (frame, _) in disclose(tables).items()}
    found = intervals(published, tables)

    assert before and not exposed(found)
    for key in before:  # each cell recoverable before is now hidden and left at least 2 wide
        value, shown, low, high = found[key]
        assert shown in (SUPPRESSED_LABEL, HIDDEN_LABEL) and low <= value <= high and high - low >= 2
    shown = pd.concat([published["department_year"][contract.COUNT_COLUMNS].stack()])
    assert (shown == HIDDEN_LABEL).sum() > 0  # complements were needed


def test_a_single_subtraction_is_closed_by_a_complement_and_totals_stay_true():
    tables = {"department_year": pd.DataFrame({
        "department_code": ["01"], "year": [2021], "new_cases": pd.array([50], dtype="Int64"),
        "cases_victim": pd.array([30], dtype="Int64"), "cases_offender": pd.array([12], dtype="Int64"),
        "cases_third_party": pd.array([5], dtype="Int64"), "cases_public_unknown": pd.array([3], dtype="Int64"),
    })}
    safe, hidden = disclose(tables)["department_year"]
    row = safe.iloc[0]
    # 50 - 30 - 12 - 5 = 3: the smallest publishable cell of the breakdown (5) is hidden with it.
    assert row["cases_public_unknown"] == SUPPRESSED_LABEL and row["cases_third_party"] == HIDDEN_LABEL
    assert (row["new_cases"], row["cases_victim"], row["cases_offender"]) == (50, 30, 12) and hidden == 2
    found = intervals({"department_year": safe}, tables)
    # 3 + x = 8 with x ("[c]") 5 or more: the small count is 1 to 3, three whole values
    assert found[("department", "01", 2021, "cases_public_unknown")][2:] == (1.0, 3.0)


def _department_year(code: str, year: int, **counts: int) -> pd.DataFrame:
    """One département-year row of `department_year` with these counts."""
    return pd.DataFrame({"department_code": [code], "year": [year],
                         **{column: pd.array([value], dtype="Int64") for column, value in counts.items()}})


def test_a_count_hidden_as_a_complement_reads_as_five_or_more_and_is_audited_so():
    """Disclosure review of 2026-12-03, leak 3 (973/2019): 106 - 8 - 16 - 76 = 6 = persons_age_60_plus (1,
    "<5") + persons_age_unknown (5, "[c]"). Small counts are always "<5", so a reader takes "[c]" for 5 or more:
    60_plus = 1. The audit reads the labels so, and hides one more part (the smallest, 8): 60_plus + unknown
    + minor = 15 with both complements 5 or more leaves 60_plus 1 to 4."""
    ages = {"persons_age_minor": 8, "persons_age_18_25": 16, "persons_age_26_59": 76, "persons_age_60_plus": 1,
            "persons_age_unknown": 5}
    tables = {"department_year": _department_year("973", 2019, persons_received=106, **ages)}
    key = ("department", "973", 2019, "persons_age_60_plus")
    one_complement = tables["department_year"].astype(object)
    one_complement.loc[0, ["persons_age_60_plus", "persons_age_unknown"]] = [SUPPRESSED_LABEL, HIDDEN_LABEL]
    assert intervals({"department_year": one_complement}, tables, integer=True)[key][2:] == (1.0, 1.0)

    safe, hidden = disclose(tables)["department_year"]
    assert safe.loc[0, ["persons_age_60_plus", "persons_age_unknown", "persons_age_minor"]].tolist() == [
        SUPPRESSED_LABEL, HIDDEN_LABEL, HIDDEN_LABEL]
    assert safe.loc[0, ["persons_received", "persons_age_18_25", "persons_age_26_59"]].tolist() == [106, 16, 76]
    assert hidden == 3
    assert intervals({"department_year": safe}, tables, integer=True)[key][2:] == (1.0, 4.0)


def _outlier(level: str, entity: str, year: int, indicator: str, numerator: int, denominator: float,
             median: float, mad: float, positions_reporting: int) -> dict:
    """One row of `indicator_outliers`, its value and robust z-score computed as the pipeline does."""
    value = numerator / denominator
    return {"level": level, "entity": entity, "year": year, "indicator": indicator, "value": value,
            "median": median, "mad": mad, "robust_z": (value - median) / (1.4826 * mad),
            "numerator": float(numerator), "denominator": float(denominator), "positions_reporting": positions_reporting}


def test_a_numerator_over_some_positions_does_not_give_the_others_by_subtraction():
    """Disclosure review of 2026-12-03, leak 4 (12/2023): the département's problem_eviction is 19 (3 positions);
    the outlier row's share_eviction numerator, over the 2 positions that reported both terms, is 16; 19 - 16 = 3
    is position 12-002's count. The difference is a small count of its own: one of the two is hidden ("[c]", 5
    or more: the smaller, 16), so the outlier row is not listed at all (leak 1) and the difference can be 0 to
    19; were the row listed with its numerator shown as "[c]", 0 to 14."""
    tables = {"department_year": _department_year("12", 2023, positions_reporting=3, problem_eviction=19,
                                                   new_cases=80, ongoing_cases=40),
              "indicator_outliers": pd.DataFrame([_outlier("department", "12", 2023, "share_eviction", 16, 100,
                                                           median=0.05, mad=0.015, positions_reporting=2)])}
    safe = {name: frame for name, (frame, _) in disclose(tables).items()}
    assert safe["department_year"].loc[0, "problem_eviction"] == 19
    assert safe["indicator_outliers"].empty
    # (numerator over 2 positions, the third position's count): numerator + rest = 19, as published
    rest = partial(whole_interval, np.array([0, 1]), np.array([[1, 1]]), np.array([19]), np.array([19]))
    assert rest([(0, None), (0, None)]) == (0, 19)
    assert rest([(5, None), (0, None)]) == (0, 14)  # listed with "[c]"
    assert rest([(16, 16), (0, None)]) == (3, 3)  # listed with 16, as before


#: 4 robust z-scores in MADs: a row is listed when |value - median| > 4 x 1.4826 x MAD.
BAND = 4 * 1.4826


def test_an_outlier_with_a_hidden_count_is_not_listed():
    """Disclosure review of 2026-12-03, leak 1 (40/2023): share_eviction 4 / 126 is listed as an outlier, its
    numerator "<5", its denominator, median and MAD shown: listed means n / 126 > 0.013439 + 5.9304 x 0.002434,
    n > 3.51, so n = 4. The row is withheld; a row whose counts are all shown stays listed."""
    tables = {"department_year": pd.concat([
        _department_year("40", 2023, positions_reporting=2, problem_eviction=4, new_cases=90, ongoing_cases=36),
        _department_year("41", 2023, positions_reporting=2, problem_eviction=30, new_cases=100, ongoing_cases=50),
    ], ignore_index=True), "indicator_outliers": pd.DataFrame([
        _outlier("department", code, 2023, "share_eviction", numerator, denominator, median=0.013439, mad=0.002434,
                 positions_reporting=2) for code, numerator, denominator in [("40", 4, 126), ("41", 30, 150)]])}
    key = ("department", "40", 2023, "problem_eviction")
    listed_as_before = tables["indicator_outliers"].astype(object)
    listed_as_before.loc[0, ["numerator", "value", "robust_z"]] = [SUPPRESSED_LABEL, HIDDEN_LABEL, HIDDEN_LABEL]
    row = listed_as_before.loc[0]
    assert [n for n in range(1, 5)
            if abs(n / row["denominator"] - row["median"]) > BAND * row["mad"]] == [4]  # listed: n = 4

    safe = {name: frame for name, (frame, _) in disclose(tables).items()}
    assert safe["department_year"].loc[0, "problem_eviction"] == SUPPRESSED_LABEL
    assert safe["indicator_outliers"]["entity"].tolist() == ["41"]
    assert safe["indicator_outliers"].loc[0, ["numerator", "denominator"]].tolist() == [30.0, 150.0]
    assert intervals(safe, tables, integer=True)[key][2:] == (1.0, 4.0)


def test_a_row_not_listed_says_nothing_of_its_hidden_count():
    """Leak 2 of the review (23/2022): source_health n of 37 new cases, "<5"; another département's listed row
    shows the group's median 0.03 and MAD, so the band is 0.03 +/- 0.05279 - 0.03. Listed only when not hidden,
    the outliers look the same whether n = 1 (within the band: not an outlier) or n = 2, 3 (outliers, withheld):
    a reader is left with 1 to 4. (Before, n = 1 was not listed and n = 2, 3 were, "<5": not listed meant
    n <= 37 x 0.05279 = 1.95, n = 1.)"""
    mad = (0.05279 - 0.03) / BAND

    def pack(n: int) -> dict[str, pd.DataFrame]:
        tables = {"department_year": pd.concat([
            _department_year("23", 2022, positions_reporting=1, new_cases=37, source_police=28, source_other=9 - n,
                             source_health=n),
            _department_year("24", 2022, positions_reporting=1, new_cases=40, source_police=20, source_health=20),
        ], ignore_index=True), "indicator_outliers": pd.DataFrame([
            _outlier("department", code, 2022, "share_source_health", numerator, 37 if code == "23" else 40,
                     median=0.03, mad=mad, positions_reporting=1)
            for code, numerator in [("23", n), ("24", 20)] if abs(numerator / 37 - 0.03) > BAND * mad])}
        assert len(tables["indicator_outliers"]) == (1 if n == 1 else 2)
        return {name: frame for name, (frame, _) in disclose(tables).items()}

    one, two, three = pack(1), pack(2), pack(3)
    for name in one:
        pd.testing.assert_frame_equal(one[name], two[name])
        pd.testing.assert_frame_equal(one[name], three[name])
    assert one["department_year"].loc[0, ["source_health", "source_other"]].tolist() == [
        SUPPRESSED_LABEL, HIDDEN_LABEL]
    assert one["indicator_outliers"]["entity"].tolist() == ["24"]


def test_share_and_denominator_next_to_a_small_numerator_are_hidden():
    """Issue 18 case 4: 0.2 x 15 = 3 must not be readable from an indicator row; the outliers, selected by their
    value, do not list the row at all (review 2026-12-03, leak 1)."""
    indicators = pd.DataFrame({
        "level": ["department", "department"], "entity": ["04", "05"], "year": [2021, 2021],
        "indicator": ["share_victims", "share_victims"], "value": [0.2, 0.5], "numerator": [3.0, 20.0],
        "denominator": [15.0, 40.0], "positions_reporting": [1, 2],
    })
    safe, hidden = disclose({"indicators": indicators})["indicators"]
    assert safe.loc[0, ["numerator", "value"]].tolist() == [SUPPRESSED_LABEL, HIDDEN_LABEL]
    assert safe.loc[0, "denominator"] == 15.0
    assert safe.loc[1, ["numerator", "value", "denominator"]].tolist() == [20.0, 0.5, 40.0]
    assert hidden == 2
    outliers = indicators.assign(median=[0.6, 0.6], robust_z=[-5.1, -4.2])
    safe, hidden = disclose({"indicator_outliers": outliers})["indicator_outliers"]
    assert safe["entity"].tolist() == ["05"] and safe.loc[0, "median"] == 0.6  # the median describes nobody
    assert hidden == 0


def test_indicator_numerator_is_the_same_cell_as_the_departement_count():
    """A count hidden as a complement in department_year is hidden in the indicator row that repeats it."""
    department_year = pd.DataFrame({
        "department_code": ["01"], "year": [2021], "new_cases": pd.array([50], dtype="Int64"),
        "cases_victim": pd.array([30], dtype="Int64"), "cases_offender": pd.array([12], dtype="Int64"),
        "cases_third_party": pd.array([5], dtype="Int64"), "cases_public_unknown": pd.array([3], dtype="Int64"),
    })
    outliers = pd.DataFrame({
        "level": ["department"], "entity": ["01"], "year": [2021], "indicator": ["share_third_parties"],
        "value": [0.1], "robust_z": [-4.5], "numerator": [5.0], "denominator": [50.0], "positions_reporting": [1],
    })
    safe = disclose({"department_year": department_year, "indicator_outliers": outliers})
    assert safe["department_year"][0].loc[0, "cases_third_party"] == HIDDEN_LABEL
    assert safe["indicator_outliers"][0].loc[0, ["numerator", "value"]].tolist() == [HIDDEN_LABEL, HIDDEN_LABEL]


def test_quarantine_raw_rows_and_messages_stay_in_the_warehouse():
    """Issue 18 case 4: `raw` holds the counts of the rejected row as read; the pack drops it. Review 2026-12-03,
    leak 5: the messages quote one position's counts ("problem_housing = 3: expected at most ... = 2"); the pack
    names the rules instead, in its language."""
    messages = ["cases_victim + cases_offender + cases_third_party + cases_public_unknown = 3, expected new_cases = "
                "2 (a fully reported group adds up to its total)",
                "problem_housing = 3: expected at most new_cases + ongoing_cases = 2; fte = '1.5': expected a number"]
    quarantine = pd.DataFrame({"source_file": ["returns/2021/a.csv"] * 2, "source_row": [3, 4], "year": [2021] * 2,
                               "position_id": ["01-001", "01-002"], "rules": ["sum_cases", "problem_bound;range"],
                               "message": messages,
                               "raw": ['{"cases_victim": "3", "new_cases": "2"}', '{"problem_housing": "3"}']})
    shown = pack_view("returns_quarantine", quarantine)
    assert "raw" not in shown.columns
    assert shown["message"].tolist() == ["total of cases", "problem above the maximum; value out of bounds"]
    assert not shown.astype(str).apply(lambda column: column.str.contains("[1-4]")).drop(
        columns=["source_file", "source_row", "year", "position_id"]).any().any()
    french = pack_view("returns_quarantine", quarantine, Texts("fr"))["message"].tolist()
    assert french[0] == Texts("fr")("total of cases") != "total of cases"
    assert "raw" in quarantine.columns and quarantine["message"].tolist() == messages


@pytest.mark.slow
def test_audit_of_the_bundled_pack(bundled_marts):
    """Every small count of department_year and national_year in the bundled pack stays protected."""
    from swps_pipeline.publish.warehouse import read_mart

    pack = bundled_marts.parent / "evaluation_pack" / "csv"
    published, truth = {}, {}
    for name in ("department_year", "national_year"):
        frame = pd.read_csv(pack / f"{name}.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
        for column in contract.COUNT_COLUMNS:
            frame[column] = frame[column].map(lambda v: v if v in (SUPPRESSED_LABEL, HIDDEN_LABEL, "") else float(v))
        frame["year"] = frame["year"].astype(int)
        published[name], truth[name] = frame, read_mart(bundled_marts, name)
    found = intervals(published, truth)
    assert len(found) > 500
    assert not exposed(found)


def _headline_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    cba = pd.DataFrame({"scope_level": ["national", "national"], "first_year": [2019, 2019],
                        "last_year": [2019, 2025], "discount_rate": [0.032, 0.032], "n_draws": [100, 100],
                        "price_year": [2024, 2024], "base_year": [2019, 2019],
                        "npv_mean_eur": [1e6, 58_390_190.0], "npv_p5_eur": [0.0, -76_388_479.0],
                        "probability_npv_positive": [0.5, 0.6218], "npv_per_euro": [0.1, 0.4]})
    impact = pd.DataFrame({"model": ["twfe_treated", "honest_did"], "term": ["treated", "breakdown_mbar_att"],
                           "estimate": [0.059, 0.75], "ci_low": [0.016, None], "ci_high": [0.102, None],
                           "p_value": [0.0104, None], "n_clusters": [18, 18], "outcome": ["log_violence"] * 2,
                           "few_clusters_warning": ["only 18 treated clusters", None]})
    return cba, impact


def test_headlines_read_by_name_and_computed_from_the_marts():
    from swps_pipeline.publish.evaluation import headlines

    found = {h.label: h for h in headlines(*_headline_inputs())}
    assert found["Mean net present value, 2019–2025 (M€)"].text() == "58.4 M€"  # the widest span, in M€
    assert found["NPV, 5th percentile, 2019–2025 (M€)"].text() == "-76.4 M€"
    assert found["Probability that the NPV is positive, 2019–2025"].text() == "62.2%"
    assert found["Probability that the NPV is positive, 2019–2025"].note == "Monte Carlo, 100 draws"
    assert found["NPV per euro (mean), 2019–2025"].text() == "0.400"  # a new column, shown as it appears
    effect = found["Impact on log violence: TWFE, treated dummy"]  # model named in words
    assert effect.text() == "0.059" and "p = 0.010" in effect.note and "18 départements" in effect.note
    assert "only 18 treated clusters" in effect.note
    assert found["Breakdown value M̄, att"].text() == "0.75"  # from impact.breakdown_headlines, 2 decimals
    # Every amount says its euros and its discounting (review of 2026-12-03, item 3): the price and base years.
    money = "euros of 2024 (price year), discounted to 2019 (base year) at 3.2%"
    assert [found[label].note for label in ("Mean net present value, 2019–2025 (M€)",
                                            "NPV, 5th percentile, 2019–2025 (M€)")] == [money, money]
    without_years = {h.label: h for h in headlines(_headline_inputs()[0].drop(columns=["price_year", "base_year"]),
                                                   _headline_inputs()[1])}
    assert without_years["Mean net present value, 2019–2025 (M€)"].note == "discount rate 3.2%"


def test_headlines_write_numbers_as_french_readers_do():
    """The same headlines for a French pack: decimal comma, a space before %, a space between thousands."""
    from swps_pipeline.i18n import Texts
    from swps_pipeline.publish.evaluation import headlines

    french = Texts("fr")
    found = {h.label: h for h in headlines(*_headline_inputs(), say=french)}
    mean = found["Valeur actuelle nette moyenne, 2019–2025 (M€)"]
    assert mean.text(french) == "58,4 M€"
    assert mean.note == "euros de 2024 (année des prix), actualisés en 2019 (année de base) au taux de 3,2\xa0%"
    probability = found["Probabilité que la VAN soit positive, 2019–2025"]
    assert probability.text(french) == "62,2\xa0%" and probability.note == "Monte Carlo, 100 tirages"
    effect = next(h for label, h in found.items() if label.startswith("Impact") or "TWFE" in label)
    assert effect.text(french) == "0,059" and "p = 0,010" in effect.note
    assert french.decimal(10_000, "#,##0") == "10\u202f000"


def test_methods_for_evaluators_leave_developer_notes_in_docs():
    from swps_pipeline.publish.methods import evaluator_text

    text = ("# Impact\n\nCode: `swps_pipeline/impact/`. Tests: `tests/impact/`.\n\n## Design\n\n"
            "Staggered adoption. The estimator is in `estimators.py`; it compares cohorts.\n\n"
            "## What the tests show\n\nCoverage 95 %.\n\n## Settings (`impact/settings.py`)\n\nControl group.\n\n"
            "## Library choice\n\n| library | speed |\n\n## Caveats\n\nFew clusters.")
    assert evaluator_text(text) == ("# Impact\n\n## Design\n\nStaggered adoption.\n\n## Settings\n\nControl group."
                                    "\n\n## Caveats\n\nFew clusters.")
