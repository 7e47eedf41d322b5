"""The analysts' notebooks run top to bottom on the marts of a bundled run and show the marts' figures."""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbclient
import nbformat
import pandas as pd
import pytest

from swps_pipeline.assumptions import SYNTHETIC_NOTICE

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
#: A cell that draws a chart: pyplot shown inline, or a PNG of `swps_pipeline` displayed.
CHART = re.compile(r"plt\.show\(\)|^Image\(", re.M)


def _execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}
    )
    return client.execute()


@pytest.fixture(scope="module")
def executed(bundled_marts: Path, monkeypatch_module) -> dict[str, nbformat.NotebookNode]:
    """Every notebook executed against the bundled run (one kernel each, in parallel)."""
    monkeypatch_module.setenv("SWPS_OUTPUT_DIR", str(bundled_marts.parent))
    monkeypatch_module.delenv("SWPS_DATA_DIR", raising=False)
    with ThreadPoolExecutor(max_workers=len(NOTEBOOKS)) as pool:
        return dict(zip((p.stem for p in NOTEBOOKS), pool.map(_execute, NOTEBOOKS)))


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _texts(notebook: nbformat.NotebookNode) -> list[str]:
    """Every cell's printed text and text result (Markdown shown as its source), one string per cell."""
    return [
        "".join(o.get("text", "") or o.get("data", {}).get("text/markdown", "") or o.get("data", {}).get("text/plain", "")
                for o in cell.get("outputs", []))
        for cell in notebook.cells
    ]


def _printed(notebook: nbformat.NotebookNode, label: str) -> str:
    """The value printed after `label: ` anywhere in the notebook."""
    found = [m.group(1) for text in _texts(notebook) for m in re.finditer(rf"^{re.escape(label)}: *(.+)$", text, re.M)]
    assert len(found) == 1, f"{label!r} printed {len(found)} times"
    return found[0].strip()


def test_the_four_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "01_data_quality.ipynb", "02_indicators.ipynb", "03_costs_and_cba.ipynb", "04_impact.ipynb"
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_are_stripped_and_say_the_data_are_synthetic(path: Path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "swps-pipeline"  # the kernel `make lab` registers
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code)
    assert notebook.cells[0].cell_type == "markdown" and SYNTHETIC_NOTICE in notebook.cells[0].source
    assert "duckdb" not in "".join(cell.source for cell in code).lower()  # marts only


def test_data_quality_counts_match_the_marts(executed, bundled_marts: Path):
    notebook = executed["01_data_quality"]
    quarantine = pd.read_parquet(bundled_marts / "returns_quarantine.parquet")
    assert _printed(notebook, "quarantined rows") == str(len(quarantine)) == "70"
    assert _printed(notebook, "missing returns") == str(len(pd.read_parquet(bundled_marts / "missing_returns.parquet")))
    by_rule = next(text for text in _texts(notebook) if "quarantined rows" in text)
    # the bundled data break each rule 7 times; a conflicting duplicate quarantines both returns
    expected = quarantine["rules"].str.split(";").explode().value_counts()
    assert expected["conflicting_duplicate"] == 14 and expected["range"] == 7
    shown = {parts[0]: int(parts[1]) for parts in map(str.split, by_rule.splitlines())
             if len(parts) == 2 and parts[1].isdigit()}
    assert shown == expected.to_dict()


def test_indicators_show_seine_et_marne_2021(executed):
    texts = _texts(executed["02_indicators"])
    seine_et_marne = next(text for text in texts if text.startswith("indicator") and "new_cases_per_fte" in text)
    row_2021 = next(line for line in seine_et_marne.splitlines() if line.startswith("2021")).split()
    # columns in alphabetical order: fte, new_cases, new_cases_per_fte, persons_received
    assert row_2021[1:3] == ["7.0", "1030.0"]
    assert float(row_2021[3]) == pytest.approx(1030 / 7.0, abs=1e-5)


def test_cost_benefit_leads_with_expected_values_and_rerun_reproduces_them(executed, bundled_marts: Path):
    notebook = executed["03_costs_and_cba"]
    summary = pd.read_parquet(bundled_marts / "cba_summary.parquet")
    whole = summary[summary["headline"]].iloc[0]
    assert whole["last_year"] - whole["first_year"] == (summary["last_year"] - summary["first_year"]).max()
    published = f"{whole['npv_mean_eur']:,.0f} EUR"
    assert _printed(notebook, "expected NPV") == published
    assert _printed(notebook, "expected NPV per position-year") == f"{whole['npv_per_position_year_eur']:,.0f} EUR"
    assert _printed(notebook, "expected NPV per euro of public money") == f"{whole['npv_per_public_euro']:.2f} EUR"
    assert _printed(notebook, "chance the NPV is positive") == f"{whole['probability_npv_positive']:.0%}"
    assert _printed(notebook, "perspectives add up to the expected NPV") == published
    assert _printed(notebook, "re-run without overrides") == f"{published} (published {whole['npv_mean_eur']:,.0f})"
    comparison = next(text for text in _texts(notebook) if "discount_rate_name" in text and "overrides" in text)
    assert re.search(r"discount_rate_name\s+france_2021\s+zero", comparison)
    # no discounting and a larger reduction of repeat victimisation: the expected NPV rises
    changed = float(_printed(notebook, "re-run with OVERRIDES").removesuffix(" EUR").replace(",", ""))
    assert changed > whole["npv_mean_eur"]
    charts = [cell for cell in notebook.cells if cell.cell_type == "code"
              and ("Image(" in cell.source or "plt.show()" in cell.source)]
    assert len(charts) == 4
    assert all(any("image/png" in o.get("data", {}) for o in cell.outputs) for cell in charts)


def test_impact_notebook_reports_the_pretrend_test_of_the_mart(executed, bundled_marts: Path):
    estimates = pd.read_parquet(bundled_marts / "impact_estimates.parquet")
    pretrend = estimates.loc[estimates["term"] == "pretrend_joint_f", "p_value"].iloc[0]
    placebo = estimates.query("model == 'placebo' and term == 'att_overall'")["p_value"].iloc[0]
    notebook = executed["04_impact"]
    assert _printed(notebook, "pre-trend joint F test") == f"p = {pretrend:.3f}"
    assert _printed(notebook, "placebo (vehicle theft) overall ATT") == f"p = {placebo:.3f}"
    images = [o for cell in notebook.cells for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 1  # the event-study chart
    # the few-cluster warning of the mart (18 départements on the bundled data) and the breakdown value
    warning = estimates["warning"].dropna().iloc[0]
    assert _printed(notebook, "few-cluster warning") == warning and warning.startswith("Few clusters: 18 départements")
    mbar = estimates.query("term == 'breakdown_mbar_att_dynamic_overall'")["estimate"].item()
    assert _printed(notebook, "breakdown M̄ (relative magnitudes, average post-adoption effect)") == f"{mbar:.2f}"
    assert any("**Reading.** The average post-adoption effect is" in text for text in _texts(notebook))


@pytest.mark.parametrize("name", [p.stem for p in NOTEBOOKS])
def test_every_chart_cell_shows_its_chart_inline(executed, name):
    charts = [cell for cell in executed[name].cells if cell.cell_type == "code" and CHART.search(cell.source)]
    assert charts, f"{name} draws no chart"
    for cell in charts:
        assert any("image/png" in output.get("data", {}) for output in cell.outputs), cell.source


@pytest.mark.parametrize("name", ["01_data_quality", "02_indicators"])
def test_every_chart_is_interpreted_in_words(executed, name):
    cells = executed[name].cells
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and CHART.search(cell.source):
            following = cells[index + 1:index + 3]
            assert any(c.cell_type == "markdown" and c.source.startswith("**What the") for c in following), cell.source


def test_the_readings_of_the_charts_quote_the_marts(executed, bundled_marts: Path):
    accounting = pd.read_parquet(bundled_marts / "ingestion_accounting.parquet")
    latest = accounting[accounting["year"] == accounting["year"].max()]
    valid, read = int(latest["rows_valid"].sum()), int(latest["rows_read"].sum())
    assert _printed(executed["01_data_quality"], f"reading, {latest['year'].iloc[0]}").startswith(
        f"{valid:,} of {read:,} rows read are valid ({valid / read:.1%}); {int(latest['rows_quarantined'].sum())} "
        f"quarantined, {int(latest['file_rejected'].sum())} file(s) rejected whole")
    department_year = pd.read_parquet(bundled_marts / "department_year.parquet")
    year = department_year["year"].max()
    active = department_year[(department_year["year"] == year) & (department_year["positions_active"] > 0)]
    complete = int((active["positions_reporting"] == active["positions_active"]).sum())
    assert _printed(executed["01_data_quality"], f"completeness, {year}").startswith(
        f"{complete} of {len(active)} départements with a position have every return")
    national = pd.read_parquet(bundled_marts / "national_year.parquet").set_index("year")
    first, last = national.index.min(), national.index.max()
    reading = _printed(executed["02_indicators"], f"reading, {first}→{last}")
    assert reading.startswith(f"positions active {national.loc[first, 'positions_active']} → "
                              f"{national.loc[last, 'positions_active']}, new cases {national.loc[first, 'new_cases']:,}")


def test_the_cost_benefit_and_impact_readings_are_the_marts_in_words(executed, bundled_marts: Path):
    from swps_pipeline.publish import reading

    def marts(name: str) -> pd.DataFrame:
        return pd.read_parquet(bundled_marts / f"{name}.parquet")

    summary, estimates = marts("cba_summary"), marts("impact_estimates")
    whole = reading.headline_row(summary)
    sensitivity = marts("cba_sensitivity").query("first_year == @whole.first_year and last_year == @whole.last_year")
    cba = _texts(executed["03_costs_and_cba"])
    # mean beside median and P(NPV > 0), the tornado, the "central" scenario: each right after its chart or table
    assert "**What the chart says.** " + reading.npv_reading(summary) in cba
    assert "**What the chart says.** " + reading.tornado_reading(sensitivity) in cba
    assert "**Reading.** " + reading.scenarios_reading(marts("cba_scenarios"), summary) in cba
    per_case = marts("cost_per_case").query("level == 'national'").set_index("year")["cost_per_new_case"]
    assert any(f"went from {per_case.iloc[0]:,.0f} EUR in {per_case.index[0]} to {per_case.iloc[-1]:,.0f} EUR" in text
               for text in cba)
    impact = _texts(executed["04_impact"])
    assert "**Reading.** " + reading.effect_reading(estimates) in impact
    assert "**What the chart says.** " + reading.pretrend_reading(marts("event_study"), estimates) in impact


def test_pyplot_charts_are_stamped_when_the_data_are_the_synthetic_bundle(tmp_path, monkeypatch):
    import sys


    from swps_pipeline.collect.inputs import SYNTHETIC_MANIFEST
    from swps_pipeline.figures import SYNTHETIC_STAMP

    monkeypatch.syspath_prepend(str(NOTEBOOKS_DIR))
    sys.modules.pop("notebook_setup", None)
    import notebook_setup

    import matplotlib.pyplot as plt

    (tmp_path / "real").mkdir()
    (tmp_path / "bundled").mkdir()
    (tmp_path / "bundled" / SYNTHETIC_MANIFEST).write_text("{}")
    for folder, expected in (("real", []), ("bundled", [SYNTHETIC_STAMP])):
        monkeypatch.setenv("SWPS_DATA_DIR", str(tmp_path / folder))
        figure = plt.figure()
        notebook_setup.stamp()
        assert [text.get_text() for text in figure.texts] == expected
        plt.close(figure)
    # every pyplot chart of the notebooks is stamped before it is shown
    sources = [cell.source for path in NOTEBOOKS for cell in nbformat.read(path, as_version=4).cells
               if cell.cell_type == "code" and "plt.show()" in cell.source]
    assert len(sources) == 6 and all("stamp()\nplt.show()" in source for source in sources)
