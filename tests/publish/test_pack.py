"""The evaluation pack, re-read the way an evaluator's spreadsheet program would."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from swps_pipeline.assumptions import SYNTHETIC_NOTICE
from swps_pipeline.figures import new_figure, to_png
from swps_pipeline.parallel import in_background
from swps_pipeline.publish import pack
from swps_pipeline.publish.disclosure import count_columns, disclose
from swps_pipeline.publish.pack import markdown_to_html, write_evaluation_pack

HYPERLINK = '=HYPERLINK("http://evil.example","click")'


def _png() -> bytes:
    figure = new_figure(2, 2)
    figure.subplots().plot([2019, 2020, 2021], [10, 14, 20])
    return to_png(figure)


@pytest.fixture(scope="module")
def chart() -> bytes:
    return _png()


def _tables() -> dict[str, pd.DataFrame]:
    return {
        "department_year": pd.DataFrame(
            {
                "department_code": ["01", "2A", "77"],
                "year": [2021, 2021, 2021],
                "positions_active": pd.array([1, 2, 3], dtype="Int64"),  # positions, not persons: never hidden
                "new_cases": pd.array([3, 0, 1250], dtype="Int64"),
                "persons_received": pd.array([4, None, 980], dtype="Int64"),
                "fte": [0.5, 2.0, 3.0],
            }
        ),
        "quarantine_notes": pd.DataFrame(
            {
                "position_id": ["P001", "P002", "P003"],
                "message": [HYPERLINK, "fine", "-2+3+cmd|' /C calc'!A0"],
                "balance_eur": [-1250.5, 300.0, 0.0],
            }
        ),
    }


NOTES = {"department_year": "Activity per département and year", "quarantine_notes": "Rejected rows and why"}


def _write(out_dir, chart, **kwargs):
    return write_evaluation_pack(
        out_dir, _tables(), {"activity_trend": chart}, NOTES, "# Methods\n\nCounts are *sums*.", **kwargs
    )


def test_workbook_has_readme_first_with_notice_and_rules(tmp_path, chart):
    _write(tmp_path / "evaluation_pack", chart)
    workbook = openpyxl.load_workbook(tmp_path / "evaluation_pack" / "evaluation_pack.xlsx")

    assert workbook.sheetnames == ["README", "Charts", "department_year", "quarantine_notes"]
    readme = [row for row in workbook["README"].iter_rows(values_only=True)]
    texts = " ".join(str(value) for row in readme for value in row if value is not None)
    assert SYNTHETIC_NOTICE in texts
    assert "shown as '<5'" in texts and "from 1 to 4" in texts
    assert "prefixed with an apostrophe" in texts
    # One line per sheet: name, what it is, rows, cells hidden.
    assert ("department_year", "Activity per département and year", 3, 2, 3, "csv/department_year.csv") in readme
    assert ("quarantine_notes", "Rejected rows and why", 3, 0, 3, "csv/quarantine_notes.csv") in readme


def test_small_counts_are_hidden_large_counts_and_zero_kept(tmp_path, chart):
    manifest = _write(tmp_path / "pack", chart)
    sheet = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")["department_year"]
    rows = list(sheet.iter_rows(values_only=True))

    assert rows[0] == ("department_code", "year", "positions_active", "new_cases", "persons_received", "fte")
    assert rows[1] == ("01", 2021, 1, "<5", "<5", 0.5)  # 3 and 4 hidden; 1 position stays
    assert rows[2] == ("2A", 2021, 2, 0, None, 2.0)  # 0 stays 0, not reported stays empty
    assert rows[3] == ("77", 2021, 3, 1250, 980, 3.0)
    assert isinstance(rows[3][3], int)
    assert sheet.freeze_panes == "C2"  # header and the id columns (département, year)
    assert sheet["A1"].font.bold
    assert manifest.suppressed_cells == {"department_year": 2, "quarantine_notes": 0}


def test_csv_copy_has_the_same_suppression(tmp_path, chart):
    _write(tmp_path / "pack", chart)
    raw = (tmp_path / "pack" / "csv" / "department_year.csv").read_bytes()

    assert raw.startswith(b"\xef\xbb\xbf")  # BOM, so spreadsheet programs read UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows == [
        ["department_code", "year", "positions_active", "new_cases", "persons_received", "fte"],
        ["01", "2021", "1", "<5", "<5", "0.5"],
        ["2A", "2021", "2", "0", "", "2.0"],
        ["77", "2021", "3", "1250", "980", "3.0"],
    ]


def test_formula_text_is_neutralised_numbers_stay_numbers(tmp_path, chart):
    _write(tmp_path / "pack", chart)
    sheet = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")["quarantine_notes"]

    assert sheet["B2"].value == "'" + HYPERLINK
    assert sheet["B2"].data_type == "s"
    assert sheet["B3"].value == "fine"
    assert sheet["B4"].value == "'-2+3+cmd|' /C calc'!A0"
    assert sheet["C2"].value == -1250.5 and sheet["C2"].data_type == "n"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)

    rows = list(csv.reader(io.StringIO((tmp_path / "pack" / "csv" / "quarantine_notes.csv").read_text("utf-8-sig"))))
    assert rows[1] == ["P001", "'" + HYPERLINK, "-1250.5"]
    assert rows[3][1] == "'-2+3+cmd|' /C calc'!A0"


def test_writing_twice_gives_identical_bytes_and_replaces_old_pack(tmp_path, chart):
    out_dir = tmp_path / "evaluation_pack"
    out_dir.mkdir()
    (out_dir / "stale_from_an_old_run.csv").write_text("old")
    first = _write(out_dir, chart)
    first_bytes = {name: (out_dir / name).read_bytes() for name in first.files}
    second = _write(out_dir, chart)

    assert not (out_dir / "stale_from_an_old_run.csv").exists()
    assert second.files == first.files == (
        "charts/activity_trend.png",
        "csv/README.txt",
        "csv/department_year.csv",
        "csv/quarantine_notes.csv",
        "evaluation_pack.xlsx",
        "methods.html",
    )
    assert {name: (out_dir / name).read_bytes() for name in second.files} == first_bytes
    assert [p.name for p in tmp_path.iterdir()] == ["evaluation_pack"]  # no temporary folder left behind
    # Identical because nothing in the file depends on the clock, not because both runs fell in the same second.
    assert openpyxl.load_workbook(out_dir / "evaluation_pack.xlsx").properties.modified == datetime(1980, 1, 1)
    with zipfile.ZipFile(out_dir / "evaluation_pack.xlsx") as archive:
        assert {entry.date_time for entry in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.slow  # a pipeline run (bundled_marts), then the pack twice
def test_the_bundled_pack_made_in_forked_processes_is_the_one_made_in_one(bundled_marts, tmp_path, monkeypatch):
    """The charts drawn in a forked process while the disclosure blocks are solved in others (`SWPS_WORKERS`):
    every file of the pack the same bytes as with one process, the same cells hidden."""
    from swps_pipeline.publish.evaluation import build_evaluation_pack

    packs = {}
    for workers in ("1", "2"):
        monkeypatch.setenv("SWPS_WORKERS", workers)
        packs[workers] = build_evaluation_pack(bundled_marts, tmp_path / workers)
    files = packs["1"].files
    assert files == packs["2"].files
    assert {"charts/national_trend.png", "charts/npv_distribution.png", "charts/tornado.png",
            "charts/event_study.png", "evaluation_pack.xlsx"} <= set(files)
    for name in files:
        assert (tmp_path / "2" / name).read_bytes() == (tmp_path / "1" / name).read_bytes(), name
    assert packs["2"].suppressed_cells == packs["1"].suppressed_cells
    assert sum(packs["1"].suppressed_cells.values()) > 1000


def test_control_characters_and_tab_prefix_in_text(tmp_path):
    frame = pd.DataFrame({"raw": ['{"note": "bell\x07 here"}', "\tcmd"]})
    write_evaluation_pack(tmp_path / "pack", {"returns_quarantine": frame}, {}, {"returns_quarantine": "rows"})
    sheet = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")["returns_quarantine"]

    assert sheet["A2"].value == '{"note": "bell here"}'  # XML cannot hold \x07: dropped in the XLSX only
    assert sheet["A3"].value == "'\tcmd"


def test_methods_page_has_notice_rule_tables_and_charts(tmp_path, chart):
    _write(tmp_path / "pack", chart)
    page = (tmp_path / "pack" / "methods.html").read_text("utf-8")

    assert SYNTHETIC_NOTICE in page
    assert "<h2>Methods</h2>" in page  # the note's '#' sits under the page title
    assert "Counts are <em>sums</em>." in page
    assert "shown as &#x27;&lt;5&#x27;" in page
    assert '<a href="csv/department_year.csv">department_year</a>' in page
    assert '<img src="charts/activity_trend.png"' in page
    assert (tmp_path / "pack" / "charts" / "activity_trend.png").read_bytes() == chart


def test_real_data_pack_has_no_synthetic_notice(tmp_path, chart):
    _write(tmp_path / "pack", chart, synthetic=False)
    readme = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")["README"]
    texts = [value for row in readme.iter_rows(values_only=True) for value in row if isinstance(value, str)]

    assert "Synthetic data" not in texts
    assert SYNTHETIC_NOTICE not in (tmp_path / "pack" / "methods.html").read_text("utf-8")
    assert not (tmp_path / "pack" / "csv" / "README.txt").exists()


def test_the_csv_copies_carry_the_synthetic_flag_beside_them_and_stay_plain_tables(tmp_path, chart):
    """Review of 2026-12-03: the CSV copies had no synthetic-data flag. It is a README beside them (a first line
    or a column would break a CSV reader's header or pollute the table); the tables keep their first line."""
    _write(tmp_path / "pack", chart)
    flag = (tmp_path / "pack" / "csv" / "README.txt").read_text("utf-8")
    assert flag.startswith("SYNTHETIC DATA (swps generate): not findings about the programme\n\n" + SYNTHETIC_NOTICE)
    assert "this file is their synthetic-data flag" in flag
    assert pd.read_csv(tmp_path / "pack" / "csv" / "department_year.csv", encoding="utf-8-sig").columns[0] == \
        "department_code"
    french = write_evaluation_pack(tmp_path / "fr", _tables(), {"activity_trend": chart}, NOTES, "# M", language="fr")
    assert "csv/README.txt" in french.files
    assert "DONNÉES SYNTHÉTIQUES" in (tmp_path / "fr" / "csv" / "README.txt").read_text("utf-8")


def test_table_longer_than_excel_limit_is_truncated_in_xlsx_only(tmp_path, chart, monkeypatch):
    monkeypatch.setattr(pack, "XLSX_MAX_DATA_ROWS", 2)
    manifest = _write(tmp_path / "pack", chart)
    workbook = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")

    assert workbook["department_year"].max_row == 3  # header + 2 rows
    assert [t.xlsx_rows for t in manifest.tables] == [2, 2]
    readme = [value for row in workbook["README"].iter_rows(values_only=True) for value in row if value]
    assert (
        "Sheet 'department_year' shows the first 2 of 3 rows (Excel's limit); "
        "csv/department_year.csv has every row."
    ) in readme
    assert len((tmp_path / "pack" / "csv" / "department_year.csv").read_text("utf-8-sig").splitlines()) == 4


def test_long_names_become_unique_valid_sheet_names(tmp_path, chart):
    frame = pd.DataFrame({"x": [1]})
    long_name = "cost_benefit_monte_carlo_summary_by_year"
    tables = {long_name: frame, long_name + "_2": frame, "readme": frame}
    notes = dict.fromkeys(tables, "a table")
    manifest = write_evaluation_pack(tmp_path / "pack", tables, {}, notes)

    sheets = [t.sheet for t in manifest.tables]
    assert sheets == ["cost_benefit_monte_carlo_summar", "cost_benefit_monte_carlo_summ~2", "readme~2"]
    assert openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx").sheetnames == ["README", *sheets]


def test_refuses_tables_without_note_and_charts_that_are_not_png(tmp_path):
    frame = pd.DataFrame({"x": [1]})
    with pytest.raises(ValueError, match="no note saying what these tables are: national_year"):
        write_evaluation_pack(tmp_path / "pack", {"national_year": frame}, {}, {})
    with pytest.raises(ValueError, match="not PNG images: trend"):
        write_evaluation_pack(tmp_path / "pack", {}, {"trend": b"GIF89a"}, {})
    with pytest.raises(ValueError, match="cannot be a file name"):
        write_evaluation_pack(tmp_path / "pack", {"../escape": frame}, {}, {"../escape": "x"})
    assert not (tmp_path / "pack").exists()


def test_count_rule_names_and_whole_values():
    frame = pd.DataFrame(
        {
            "cases_victim": pd.array([2], dtype="Int64"),  # contract count column
            "numerator": [3],
            "count": [7],
            "victims_recorded": [2],
            "persons_received": [2.0],  # a count that lost its Int64: still hidden
            "cases_per_fte": [2.5],  # a rate
            "positions_active": [2],  # positions, not persons
            "population": [2],
            "flag_count": [True],  # a boolean is not a count
        }
    )
    assert count_columns(frame) == ["cases_victim", "numerator", "count", "victims_recorded", "persons_received"]
    safe, suppressed = disclose({"counts": frame})["counts"]
    assert suppressed == 4
    assert safe.iloc[0].tolist() == ["<5", "<5", 7, "<5", "<5", 2.5, 2, 2, True]


def test_markdown_subset():
    text = (
        "## Sources\n\nSee [SSMSI](https://www.interieur.gouv.fr/?a=1&b=2) and **ECPA**.\n\n"
        "1. first\n2. `x < y`\n\n<script>alert(1)</script>"
    )
    assert markdown_to_html(text) == (
        "<h2>Sources</h2>\n"
        '<p>See <a href="https://www.interieur.gouv.fr/?a=1&amp;b=2">SSMSI</a> and <strong>ECPA</strong>.</p>\n'
        "<ol><li>first</li><li><code>x &lt; y</code></li></ol>\n"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    )


def test_number_formats_print_setup_and_filters(tmp_path, chart):
    _write(tmp_path / "pack", chart)
    workbook = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")
    sheet = workbook["department_year"]
    # Counts keep thousands separators also in a column holding "<5" labels; FTE two decimals; years plain.
    assert sheet["D4"].value == 1250 and sheet["D4"].number_format == "#,##0"
    assert sheet["F2"].number_format == "#,##0.00" and sheet["B2"].number_format == "0"
    assert sheet.auto_filter.ref == "A1:F4"
    # fitted to one page wide: fitToWidth 1 is the attribute's default (ECMA-376), so it may be left out
    assert sheet.page_setup.orientation == "landscape" and (sheet.page_setup.fitToWidth or 1) == 1
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.paperSize == 9  # A4
    assert sheet.print_title_rows == "$1:$1"
    notes = workbook["quarantine_notes"]
    assert notes["C2"].number_format == '#,##0 "€"'  # euros without cents
    readme = workbook["README"]
    notice_row = next(r for r in range(1, 10) if readme.cell(r, 1).value == "Synthetic data")
    assert readme.row_dimensions[notice_row].height >= 45  # the wrapped notice gets its lines
    assert len(workbook["Charts"]._images) == 1


def test_cells_read_as_printed_labels_aligned_like_numbers_booleans_as_words_years_plain(tmp_path, chart):
    tables = {"department_year": _tables()["department_year"],
              "cba_summary": pd.DataFrame({"headline": [True], "base_year": [2019], "price_year": [2024],
                                           "anticipation": [0.0], "warning": ["w " * 60]})}
    write_evaluation_pack(tmp_path / "pack", tables, {"activity_trend": chart},
                          {"department_year": "Activity.", "cba_summary": "Cost-benefit."})
    workbook = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")
    sheet = workbook["department_year"]
    # "<5" stands for a count: right-aligned like the numbers beside it (LibreOffice put "263" and "[c]" side by side)
    assert sheet["D2"].value == "<5" and sheet["D2"].alignment.horizontal == "right"
    # text starts one indent in, so a right-aligned year never runs into it
    assert sheet["A2"].alignment.horizontal == "left" and sheet["A2"].alignment.indent == 1
    assert sheet["D1"].alignment.horizontal == "right" and sheet["A1"].alignment.horizontal == "left"
    cba = workbook["cba_summary"]
    assert cba["A2"].value is True and cba["A2"].number_format == '"TRUE";"TRUE";"FALSE"'  # not 1 in LibreOffice
    assert cba["B2"].number_format == cba["C2"].number_format == "0"  # base and price years: 2019, not 2,019
    assert cba["D2"].number_format == "#,##0"  # a whole-valued column: 0, not 0.00
    # a row whose text wraps: every cell at the top, so the row's values stay on the same line
    assert cba["E2"].alignment.wrap_text and {cba.cell(2, c).alignment.vertical for c in range(1, 6)} == {"top"}


def test_provenance_facts_on_readme_parameters_and_checksums_on_their_own_sheet(tmp_path, chart):
    provenance = pd.DataFrame({"key": ["dagster_run_id", "git_commit", "input_sha256.returns/2021/a.csv",
                                       "input_sha256.returns/2021/b.csv", "parameter.settings.seed"],
                               "value": ["run-1", "abc123", "0" * 64, "1" * 64, "20240601"]})
    _write(tmp_path / "pack", chart, provenance=provenance)
    workbook = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")
    assert workbook.sheetnames[-1] == "Provenance"
    readme = {row[0]: row[1] for row in workbook["README"].iter_rows(values_only=True) if row[0]}
    assert readme["dagster_run_id"] == "run-1" and readme["git_commit"] == "abc123"
    assert "input_sha256.returns/2021/a.csv" not in readme
    assert readme["Parameters and inputs"].startswith("Sheet 'Provenance': every resolved parameter (1 rows")
    assert "SHA-256 of every input file (2 rows" in readme["Parameters and inputs"]
    rows = list(workbook["Provenance"].iter_rows(values_only=True))
    assert rows == [("key", "value"), ("input_sha256.returns/2021/a.csv", "0" * 64),
                    ("input_sha256.returns/2021/b.csv", "1" * 64), ("parameter.settings.seed", "20240601")]
    assert workbook["Provenance"].column_dimensions["B"].width >= 66  # a SHA-256 on one line


def test_charts_one_a_page_with_titles_and_the_summary_says_what_the_figures_mean(tmp_path, chart):
    tall = new_figure(8, 10)
    tall.subplots().plot([1, 2], [3, 4])
    write_evaluation_pack(
        tmp_path / "pack", _tables(), {"activity_trend": chart, "tornado": to_png(tall)}, NOTES,
        summary=[pack.Headline("Mean NPV (M€)", 18.6, '#,##0.0 "M€"')],
        reading=["The mean is positive while most draws are negative."],
        chart_titles={"tornado": "One-way sensitivity of the NPV (tornado)"})
    workbook = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")
    charts = workbook["Charts"]
    assert [charts.cell(row, 1).value for row in range(1, charts.max_row + 1) if charts.cell(row, 1).value] == [
        "Activity trend", "One-way sensitivity of the NPV (tornado)"]
    second = next(row for row in range(2, charts.max_row + 1) if charts.cell(row, 1).value)
    assert [b.id for b in charts.row_breaks.brk] == [second - 1]  # the second chart starts a page
    # the 880 × 1100 pixel tornado is scaled to fit a landscape page
    shown = [(size.width / 9525, size.height / 9525)  # EMU: the size the picture is shown at
             for size in (image.anchor.pic.spPr.xfrm.ext for image in charts._images)]
    assert all(width <= 1000 and height <= 540 for width, height in shown) and shown[1][1] == 540
    summary = [row[0] for row in workbook["Summary"].iter_rows(values_only=True)]
    assert summary[summary.index("What the figures say") + 1] == "The mean is positive while most draws are negative."
    page = (tmp_path / "pack" / "methods.html").read_text("utf-8")
    assert "<p>The mean is positive while most draws are negative.</p>" in page
    assert "<figcaption>One-way sensitivity of the NPV (tornado)</figcaption>" in page
    assert '<td class="value">18.6 M€</td>' in page  # kept on one line by the page's style


def test_charts_drawn_meanwhile_take_their_place_after_the_summary_or_say_none_came(tmp_path, chart):
    """A drawing call runs beside the tables; its charts sheet keeps its place (README, summary, charts, tables)."""
    summary = [pack.Headline("Mean NPV (M€)", 18.6, '#,##0.0 "M€"')]
    write_evaluation_pack(tmp_path / "drawn", _tables(), in_background(lambda: {"activity_trend": chart}), NOTES,
                          summary=summary)
    drawn = openpyxl.load_workbook(tmp_path / "drawn" / "evaluation_pack.xlsx")
    assert drawn.sheetnames == ["README", "Summary", "Charts", "department_year", "quarantine_notes"]
    assert len(drawn["Charts"]._images) == 1 and drawn["Charts"]["A1"].value == "Activity trend"
    write_evaluation_pack(tmp_path / "none", _tables(), in_background(dict), NOTES, summary=summary)  # drew nothing
    empty = openpyxl.load_workbook(tmp_path / "none" / "evaluation_pack.xlsx")
    assert empty["Charts"]["A1"].value == "No chart was drawn for this pack." and not empty["Charts"]._images
    assert not (tmp_path / "none" / "charts").exists() or not list((tmp_path / "none" / "charts").iterdir())
