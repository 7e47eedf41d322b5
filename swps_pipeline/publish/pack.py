"""The evaluation pack: what evaluators open, in one folder.

`write_evaluation_pack` writes `evaluation_pack.xlsx` (a README sheet, a
one-page summary of headline results, the charts, then one sheet per table),
`csv/<table>.csv`, `charts/<name>.png` and `methods.html`, its texts in the language
asked for (`i18n.Texts`; the tables' columns and values are the marts', money columns named and formatted in
the profile's currency: `publish.currency`). Every table has
passed `disclosure.disclose` (small counts and the cells that would reveal
them hidden) and every text is neutralised as the last step before it is
written; the warehouse keeps the true values. The pack is built in a temporary sibling folder and renamed into
place, so a reader never sees half a pack, and two runs on the same tables
give the same bytes.
"""

from __future__ import annotations

import functools
import html
import io
import itertools
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from swps_pipeline.assumptions import synthetic_notice
from swps_pipeline.figures import SYNTHETIC_STAMP
from swps_pipeline.i18n import N_, SOURCE_LANGUAGE, Texts
from swps_pipeline.parallel import Pending
from swps_pipeline.publish.currency import Money, profile_money, published_columns
from swps_pipeline.publish.xlsx import (
    BOOLEAN,
    DECIMAL,
    INTEGER,
    PERCENT,
    PublishedWorkbook,
    cell_writer,
    number_format,
    print_setup,
    wrapped_height,
)
from swps_pipeline.publish.disclosure import (
    DISCLOSURE_RULE_MESSAGE,
    DISCLOSURE_RULE_VALUES,
    HIDDEN_LABEL,
    NEUTRALISATION_RULE,
    SUPPRESSED_LABEL,
    disclose,
    is_count_column,
    neutralise_value,
)
from swps_pipeline.reuse import Reuse, compute_afresh

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

TITLE = N_("Evaluation pack: social workers in police stations and gendarmerie units")
WORKBOOK_NAME = "evaluation_pack.xlsx"
METHODS_NAME = "methods.html"
#: The synthetic-data flag of the CSV copies: a file beside them, so that each CSV stays a plain table (one header
#: row, then the data) that any CSV reader loads; a first line or a column would break or pollute it.
CSV_README_NAME = "csv/README.txt"
CSV_README = N_("Every CSV file of this folder is a plain table (one header row, then the data), so that any CSV "
                "reader loads it; this file is their synthetic-data flag. The workbook, the methods page and the "
                "charts carry the same notice.")
README_SHEET = "README"
SUMMARY_SHEET = N_("Summary")
CHARTS_SHEET = N_("Charts")
PROVENANCE_SHEET = N_("Provenance")
SYNTHETIC_LABEL = N_("Synthetic data")
#: Provenance keys with these prefixes (every resolved parameter, every input file's checksum: hundreds of
#: rows) are listed on the Provenance sheet; the README sheet shows the run's other facts and points there.
_PROVENANCE_DETAIL = ("parameter.", "input_sha256.")
#: A chart in the Charts sheet is scaled to fit one landscape A4 page (pixels at 96 dpi, under its title).
_CHART_PAGE_PIXELS = (1000, 540)
#: The Provenance sheet (two columns, a thousand rows of checksums) prints at this scale: an appendix.
_PROVENANCE_PRINT_SCALE = 60

#: Excel's limits (Microsoft, "Excel specifications and limits"): 1,048,576
#: rows per sheet (one is the header), 31 characters per sheet name, 32,767
#: characters per cell; `[]:*?/\` are not allowed in a sheet name.
XLSX_MAX_DATA_ROWS = 1_048_575
SHEET_NAME_MAX = 31
XLSX_MAX_CELL_CHARS = 32_767
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")

#: Workbook created/modified properties and ZIP entry dates: fixed (the ZIP
#: epoch) so that the same tables give the same bytes.

#: Table and chart names become file names.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Column widths (in characters), estimated on the first rows; headers wrap beyond `_HEADER_WIDTH`;
#: the widest column still holds a SHA-256 (64 hex digits) on one line.
_WIDTH_MIN, _WIDTH_MAX, _WIDTH_SAMPLE_ROWS, _HEADER_WIDTH = 8, 66, 500, 16
#: Columns that identify a row: frozen at the left of a sheet when they lead it.
ID_COLUMNS = frozenset({
    "year", "country", "department_code", "department_name", "region_code", "level", "entity", "indicator", "label",
    "unit", "model", "term", "scope_level", "scope_entity", "first_year", "last_year", "source_file", "position_id",
})
#: Columns of an indicator table in the indicator's unit (a percentage for shares).
_INDICATOR_VALUES = frozenset({"value", "median", "mad", "value_previous_year", "change_abs"})
#: Columns mixing counts and rates row by row (indicator tables): a whole value shows without decimals.
_MIXED_WHOLE = frozenset({"value", "value_previous_year", "numerator", "denominator"})
_NOTICE_FILL = {"bg_color": "#FFF4CC", "pattern": 1}
#: Characters XML 1.0 forbids (the C0 controls but tab, line feed and carriage return): dropped from cell text.
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: How a cell holding a date and time shows it.
_DATETIME = "yyyy-mm-dd h:mm:ss"
#: Words of the pack used in several places (workbook and methods page).
WHAT_IT_IS, ROWS, TABLES = N_("What it is"), N_("Rows"), N_("Tables")
CELLS_HIDDEN = N_("Cells shown as {suppressed} or {hidden}")
RESULT, VALUE, NOTE = N_("Result"), N_("Value"), N_("Note")
WHAT_THE_FIGURES_SAY = N_("What the figures say")
# TRANSLATORS: a figure that could not be computed.
NOT_AVAILABLE = N_("n/a")
#: Headings and words of the methods page.
SUMMARY_OF_RESULTS, DISCLOSURE_HEADING = N_("Summary of results"), N_("Statistical disclosure control")
EACH_TABLE = N_("Each table is a sheet of {workbook} and a CSV file.")
TABLE, SOURCES_HEADING, KEY = N_("Table"), N_("Sources"), N_("Key")


@dataclass(frozen=True)
class Headline:
    """One headline result of the summary sheet and of the top of the methods page."""

    label: str
    value: float | str | None
    number_format: str = "General"  # an Excel number format (`publish.xlsx`)
    note: str = ""

    def text(self, say: Texts | None = None) -> str:
        """The value as the workbook displays it, for the HTML page, written the way `say`'s language writes
        numbers (English by default: 1,234.5; French: 1 234,5)."""
        say = say or Texts(SOURCE_LANGUAGE)
        value = self.value
        if value is None or (isinstance(value, float) and not np.isfinite(value)):
            return say(NOT_AVAILABLE)
        if isinstance(value, str):
            return value
        if self.number_format == PERCENT:
            return say.percent(value)
        unit = re.fullmatch(r'([#,0.]+) "(.+)"', self.number_format)  # an amount: `Money`'s formats
        if unit:
            return f"{say.decimal(value, unit[1])} {unit[2]}"
        decimals = re.fullmatch(r"[#,]*0(?:\.(0+))?", self.number_format)
        if decimals:
            return say.decimal(value, "#,##0" + (f".{decimals[1]}" if decimals[1] else ""))
        return say.decimal(value, "#,##0.000")


@dataclass(frozen=True)
class _Extras:
    """Everything besides the tables that the workbook and the methods page show."""

    synthetic: bool
    sources: Sequence[str]
    summary: Sequence[Headline]
    provenance: pd.DataFrame | None
    reading: Sequence[str]  # what the headline figures say, in words (`publish.reading`)
    chart_titles: Mapping[str, str] | None
    say: Texts  # the pack's own texts in its language
    money: Money  # the currency of the tables' amounts


@dataclass(frozen=True)
class PackedTable:
    """One table of the pack: where it went and what disclosure control hid."""

    name: str
    sheet: str
    rows: int
    xlsx_rows: int  # fewer than `rows` only when the table exceeds Excel's sheet
    suppressed_cells: int
    note: str

    @property
    def csv_path(self) -> str:
        return f"csv/{self.name}.csv"


@dataclass(frozen=True)
class PackManifest:
    """What `write_evaluation_pack` wrote (paths relative to `directory`, `/`-separated, sorted)."""

    directory: Path
    files: tuple[str, ...]
    tables: tuple[PackedTable, ...]

    @property
    def suppressed_cells(self) -> dict[str, int]:
        return {table.name: table.suppressed_cells for table in self.tables}


def write_evaluation_pack(
    out_dir: Path,
    tables: Mapping[str, pd.DataFrame],
    charts: Mapping[str, bytes] | Pending[Mapping[str, bytes]],
    table_notes: Mapping[str, str],
    methods_markdown: str | None = None,
    synthetic: bool = True,
    sources: Sequence[str] = (),
    position_departments: Mapping[str, str] | None = None,
    summary: Sequence[Headline] = (),
    provenance: pd.DataFrame | None = None,
    reading: Sequence[str] = (),
    chart_titles: Mapping[str, str] | None = None,
    language: str = SOURCE_LANGUAGE,
    reuse: Reuse = compute_afresh,
    money: Money | None = None,
) -> PackManifest:
    """Write the evaluation pack to `out_dir`, replacing any older pack there.

    `tables` are published in the given order, one sheet and one CSV each;
    `table_notes` says what each table is (required for every table: the
    README must explain every sheet); `charts` are PNG bytes by name, or their drawing under way in another
    process (`Pending`: e.g. in the run's chart worker), while the tables are protected and written;
    `sources` are listed in the README and the methods note;
    `position_departments` relates position rows to their département for
    disclosure control; `summary` are the headline results (summary sheet,
    top of the methods page); `provenance` is the `run_provenance` mart
    (`key`, `value`), shown on the README sheet (the parameters and input checksums on the
    Provenance sheet) and the methods page; `reading` are paragraphs saying what the headline
    figures mean, under the summary; `chart_titles` name the charts for a reader (else from their names);
    `language` is the language of the pack's own texts (the notes, sources, summary and readings are
    given already in it); `reuse` wraps the disclosure control's costly pure step, to keep its result across
    runs; `money` is the currency of the tables' amounts (default: the active profile's), whose money columns
    (canonical `*_eur` names) are published under its code.
    """
    say = Texts(language)
    money = money or profile_money()
    extras = _Extras(synthetic, tuple(sources), tuple(summary), provenance, tuple(reading), chart_titles, say, money)
    _check_names(tables, {}, table_notes)  # the charts once they are in
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    drawing = charts if isinstance(charts, Pending) else Pending.done(charts)
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the pack is meant to be read by others
        packed, safe_tables = [], {}
        disclosed = disclose(tables, position_departments, reuse)
        for name, sheet in zip(tables, _sheet_names(list(tables), say)):
            safe, suppressed = disclosed[name]
            safe_tables[name] = published_columns(safe, money.code)
            rows = len(safe)
            xlsx_rows = min(rows, XLSX_MAX_DATA_ROWS)
            packed.append(PackedTable(name, sheet, rows, xlsx_rows, suppressed, table_notes[name]))

        (staging / "csv").mkdir()
        if extras.synthetic:
            (staging / CSV_README_NAME).write_text(
                f"{say(SYNTHETIC_STAMP)}\n\n{synthetic_notice(say)}\n\n{say(CSV_README)}\n", encoding="utf-8")
        for table in packed:
            neutralised(safe_tables[table.name]).to_csv(
                staging / table.csv_path, index=False, encoding="utf-8-sig", lineterminator="\r\n"
            )
        charts_expected = isinstance(charts, Pending) or bool(charts)
        workbook, charts_sheet = _workbook(packed, safe_tables, extras, charts_expected=charts_expected)
        charts = drawing.result()
        _check_names({}, charts, {})
        if charts_sheet is not None:
            _write_charts(workbook, charts_sheet, charts, extras)
        (staging / "charts").mkdir()
        for name, png in charts.items():
            (staging / "charts" / f"{name}.png").write_bytes(png)
        (staging / WORKBOOK_NAME).write_bytes(workbook.bytes())
        (staging / METHODS_NAME).write_text(
            _methods_html(packed, list(charts), methods_markdown, extras), encoding="utf-8"
        )
        files = tuple(sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()))
        _replace_directory(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        drawing.close()
    return PackManifest(out_dir, files, tuple(packed))


def _check_names(tables: Mapping[str, pd.DataFrame], charts: Mapping[str, bytes], notes: Mapping[str, str]) -> None:
    """Refuse names that cannot be file names, tables without a note and charts that are not PNG."""
    for name in [*tables, *charts]:
        if not _FILE_NAME.fullmatch(name):
            raise ValueError(f"evaluation pack: {name!r} cannot be a file name (letters, digits, _ . - only)")
    missing = [name for name in tables if not notes.get(name)]
    if missing:
        raise ValueError(f"evaluation pack: no note saying what these tables are: {', '.join(missing)}")
    not_png = [name for name, data in charts.items() if not data.startswith(_PNG_SIGNATURE)]
    if not_png:
        raise ValueError(f"evaluation pack: these charts are not PNG images: {', '.join(not_png)}")


def _sheet_names(names: list[str], say: Texts) -> list[str]:
    """Excel-valid, unique (case-insensitively, README included) sheet names of at most 31 characters."""
    taken = {README_SHEET.lower(), *(say(name).lower() for name in (SUMMARY_SHEET, CHARTS_SHEET, PROVENANCE_SHEET))}
    result = []
    for name in names:
        base = _SHEET_NAME_FORBIDDEN.sub("_", name)[:SHEET_NAME_MAX]
        candidate = base
        for number in itertools.count(2):
            if candidate.lower() not in taken:
                break
            suffix = f"~{number}"
            candidate = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        taken.add(candidate.lower())
        result.append(candidate)
    return result


def _workbook(packed: list[PackedTable], safe_tables: dict[str, pd.DataFrame], extras: _Extras,
              charts_expected: bool) -> tuple[PublishedWorkbook, Worksheet | None]:
    """Every sheet, in their order, and the charts' sheet (after the README and the summary) left to fill once the
    charts are drawn (`_write_charts`; an empty drawing leaves a line saying so)."""
    say = extras.say
    workbook = PublishedWorkbook(say(TITLE))
    header = say(SYNTHETIC_STAMP) if extras.synthetic else None
    readme = workbook.sheet(README_SHEET)
    _write_readme(workbook, readme, packed, extras)
    print_setup(readme, title_rows=False, header=header)
    if extras.summary:
        summary = workbook.sheet(say(SUMMARY_SHEET))
        _write_summary(workbook, summary, extras)
        print_setup(summary, title_rows=False, header=header)
        summary.set_portrait()
        summary.fit_to_pages(1, 1)
    charts = workbook.sheet(say(CHARTS_SHEET)) if charts_expected else None
    sheets = [(table.sheet, safe_tables[table.name].head(XLSX_MAX_DATA_ROWS)) for table in packed]
    provenance = _provenance_details(extras)
    for name, frame in sheets:
        sheet = workbook.sheet(name)
        id_columns = write_table_sheet(workbook, sheet, frame, extras.money)
        print_setup(sheet, header=header, columns=len(frame.columns), id_columns=id_columns)
    if provenance is not None:
        sheet = workbook.sheet(say(PROVENANCE_SHEET))
        id_columns = write_table_sheet(workbook, sheet, provenance, extras.money)
        print_setup(sheet, header=header, columns=len(provenance.columns), id_columns=id_columns, fit_to_width=False)
        sheet.set_print_scale(_PROVENANCE_PRINT_SCALE)
    return workbook, charts


def _provenance_details(extras: _Extras) -> pd.DataFrame | None:
    """The provenance rows listed on their own sheet: resolved parameters and input checksums."""
    if extras.provenance is None or not len(extras.provenance):
        return None
    detail = extras.provenance[extras.provenance["key"].astype(str).str.startswith(_PROVENANCE_DETAIL)]
    return detail.reset_index(drop=True) if len(detail) else None


def chart_title(name: str, extras: _Extras) -> str:
    """A chart's title for a reader: given by the caller, else its name in words."""
    titles = extras.chart_titles or {}
    return titles.get(name) or name.replace("_", " ").capitalize()


def _readme_lines(packed: list[PackedTable], extras: _Extras) -> list[tuple[str, str]]:
    """The README sheet's (label, text) lines above the list of sheets."""
    say = extras.say
    lines = [(say(SYNTHETIC_LABEL), synthetic_notice(say))] if extras.synthetic else []
    lines += [
        (say(N_("Disclosure control")), say(DISCLOSURE_RULE_MESSAGE, **DISCLOSURE_RULE_VALUES)),
        (say(N_("Formulas")), say(NEUTRALISATION_RULE)),
        (
            say(N_("Conventions")),
            say(N_("Sheet '{summary}' has the headline results on one page, sheet '{charts}' the charts; "
                   "then one sheet per table below, with the same data in csv/<table>.csv (UTF-8, comma-separated); "
                   "the charts are also in charts/ and the methods in methods.html. "
                   "Département codes are text ('01', '2A', '971'); years are numbers; amounts in {currency}."),
                summary=say(SUMMARY_SHEET), charts=say(CHARTS_SHEET), currency=extras.money.name(say.language)),
        ),
    ]
    lines += [
        (
            say(N_("Truncated sheet")),
            say(N_("Sheet '{sheet}' shows the first {shown} of {rows} rows (Excel's limit); {csv} has every row."),
                sheet=t.sheet, shown=say.decimal(t.xlsx_rows, "#,##0"), rows=say.decimal(t.rows, "#,##0"),
                csv=t.csv_path),
        )
        for t in packed
        if t.xlsx_rows < t.rows
    ]
    lines += [(say(N_("Source")), source) for source in extras.sources]
    return lines


def _write_readme(workbook: PublishedWorkbook, sheet: Worksheet, packed: list[PackedTable], extras: _Extras) -> None:
    style = workbook.style
    widths = [24, 90, 10, 16, 12, 30]
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    say = extras.say
    sheet.write_string(0, 0, say(TITLE), style(bold=True, font_size=14))
    row = 2

    def line(label: str, text: str, fill: dict | None = None) -> None:
        nonlocal row
        wrapped = {"text_wrap": True, "valign": "top", **(fill or {})}
        sheet.write_string(row, 0, _safe_text(label), style(bold=True, **wrapped))
        sheet.write_string(row, 1, _safe_text(text), style(**wrapped))
        sheet.set_row(row, wrapped_height([(text, widths[1])]))
        row += 1

    for label, text in _readme_lines(packed, extras):
        line(label, text, _NOTICE_FILL if label == say(SYNTHETIC_LABEL) else None)
    row += 1
    header = [say(N_("Sheet")), say(WHAT_IT_IS), say(ROWS), say(CELLS_HIDDEN, suppressed=SUPPRESSED_LABEL,
                                                                 hidden=HIDDEN_LABEL),
              say(N_("Rows in the sheet")), say(N_("CSV file"))]
    sheet.write_row(row, 0, header, style(bold=True, text_wrap=True, valign="top"))
    sheet.set_row(row, 30)
    row += 1
    number, text = style(num_format=INTEGER, **_alignment("number", top=True, wrap=False)), \
        style(**_alignment("text", top=True, wrap=False))
    for t in packed:
        sheet.write_string(row, 0, t.sheet, text)
        sheet.write_string(row, 1, _safe_text(t.note), style(text_wrap=True, valign="top"))
        for column, value in ((2, t.rows), (3, t.suppressed_cells), (4, t.xlsx_rows)):
            sheet.write_number(row, column, value, number)
        sheet.write_string(row, 5, t.csv_path, text)
        sheet.set_row(row, wrapped_height([(t.note, widths[1])]))
        row += 1
    if extras.provenance is not None and len(extras.provenance):
        row += 1
        bold = style(bold=True)
        sheet.write_string(row, 0, say(PROVENANCE_SHEET), bold)
        sheet.write_string(row, 1, say(N_("What produced this pack (the run_provenance mart)")), bold)
        row += 1
        facts = extras.provenance[~extras.provenance["key"].astype(str).str.startswith(_PROVENANCE_DETAIL)]
        for key, value in zip(facts["key"], facts["value"]):
            line(str(key), "" if pd.isna(value) else str(value))
        detail = _provenance_details(extras)
        if detail is not None:
            counts = {prefix: int(detail["key"].str.startswith(prefix).sum()) for prefix in _PROVENANCE_DETAIL}
            line(say(N_("Parameters and inputs")),
                 say(N_("Sheet '{sheet}': every resolved parameter ({parameters} rows, parameter.*) and the SHA-256 "
                        "of every input file ({inputs} rows, input_sha256.<path>)."),
                     sheet=say(PROVENANCE_SHEET), parameters=say.decimal(counts["parameter."], "#,##0"),
                     inputs=say.decimal(counts["input_sha256."], "#,##0")))


def _write_summary(workbook: PublishedWorkbook, sheet: Worksheet, extras: _Extras) -> None:
    """One page of headline results, for a reader who reads nothing else."""
    style = workbook.style
    widths = [46, 16, 60]
    for column, width in enumerate(widths):
        sheet.set_column(column, column, width)
    say = extras.say
    sheet.write_string(0, 0, say(N_("Headline results")), style(bold=True, font_size=14))
    row = 1
    if extras.synthetic:
        sheet.write_string(row, 0, say(SYNTHETIC_STAMP), style(bold=True, font_color="#B22222"))
        row += 1
    row += 1
    sheet.write_string(row, 0, say(RESULT), style(bold=True))
    sheet.write_string(row, 1, say(VALUE), style(bold=True, **_alignment("number", top=False, wrap=False)))
    sheet.write_string(row, 2, say(NOTE), style(bold=True, **_alignment("text", top=False, wrap=False)))
    row += 1
    write = cell_writer(sheet)
    for headline in extras.summary:
        value = _safe_text(headline.value) if isinstance(headline.value, str) else headline.value
        if isinstance(value, float) and not np.isfinite(value):
            value = None
        sheet.write_string(row, 0, _safe_text(headline.label), style(text_wrap=True, valign="top"))
        write(row, 1, value, style(num_format=headline.number_format, valign="top"))
        sheet.write_string(row, 2, _safe_text(headline.note), style(**_alignment("text", top=True, wrap=True)))
        sheet.set_row(row, wrapped_height([(headline.label, widths[0]), (headline.note, widths[2] - 2)]))
        row += 1
    if extras.reading:
        row += 1
        sheet.write_string(row, 0, say(WHAT_THE_FIGURES_SAY), style(bold=True))
        row += 1
        for paragraph in extras.reading:
            sheet.merge_range(row, 0, row, len(widths) - 1, _safe_text(paragraph), style(text_wrap=True, valign="top"))
            sheet.set_row(row, wrapped_height([(paragraph, sum(widths))]))
            row += 1


def _write_charts(workbook: PublishedWorkbook, sheet: Worksheet, charts: Mapping[str, bytes], extras: _Extras) -> None:
    """The charts, each on its own printed page below its title, scaled to fit the page."""
    from xlsxwriter.image import Image

    row, breaks = 0, []
    title = workbook.style(bold=True, font_size=12)
    # One column as wide as the widest chart: XlsxWriter anchors a picture to the cells it covers, and LibreOffice
    # sizes it from their widths as it reckons them (over default columns, a picture came out a quarter wider);
    # within one column, only the picture's own offsets count. LibreOffice also reckons that column wider than the
    # page, so the sheet is printed from the left margin, not centred (centred, the charts lost their left edge).
    sheet.set_column_pixels(0, 0, _CHART_PAGE_PIXELS[0] + 10)
    for index, (name, png) in enumerate(charts.items()):
        if index:
            breaks.append(row)
        sheet.write_string(row, 0, _safe_text(chart_title(name, extras)), title)
        image = Image(io.BytesIO(png))
        scale = min(1.0, _CHART_PAGE_PIXELS[0] / image.width, _CHART_PAGE_PIXELS[1] / image.height)
        # XlsxWriter shows an image at its resolution (Matplotlib's 150 dpi) as if on a 96-dpi screen: undone
        sheet.insert_image(row + 1, 0, image, {"x_scale": scale * image.x_dpi / 96, "y_scale": scale * image.y_dpi / 96,
                                               "object_position": 3})
        row += 3 + -(-int(image.height * scale) // 20)  # default rows are 20 pixels high
    if not charts:
        sheet.write_string(0, 0, extras.say(N_("No chart was drawn for this pack.")))
    sheet.set_h_pagebreaks(breaks)
    print_setup(sheet, title_rows=False, header=extras.say(SYNTHETIC_STAMP) if extras.synthetic else None,
                fit_to_width=False, centred=False)  # the charts are scaled to the page already; one page per chart


def _safe_text(text: str) -> str:
    """Text for an XLSX cell: XML-illegal characters removed, then neutralised (last, so nothing undoes it)."""
    return neutralise_value(_ILLEGAL_CHARACTERS.sub("", text)[:XLSX_MAX_CELL_CHARS])


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """Text values and headers neutralised, as the last step before a CSV is written."""
    text = [name for name, column in frame.items() if column.dtype == object]
    safe = frame.assign(**{name: frame[name].map(neutralise_value) for name in text})
    safe.columns = [neutralise_value(str(name)) for name in frame.columns]
    return safe


def write_table_sheet(workbook: PublishedWorkbook, sheet: Worksheet, safe: pd.DataFrame, money: Money,
                      column_formats: Mapping[str, str] | None = None) -> int:
    """A table sheet: bold wrapped header and id columns frozen, autofilter, column widths
    and number formats from the columns (`column_formats` by name instead), long text wrapped with its row high
    enough. Numbers and the disclosure labels that stand for them align right, text left with a
    margin (so `2019` never runs into the text beside it), every cell of a wrapped row at its top.
    Returns the number of id columns frozen at the left."""
    style, write = workbook.style, cell_writer(sheet)
    values = _xlsx_values(safe)
    widths = _column_widths(values)
    numeric = [any(map(_is_number, values[name].tolist())) for name in values.columns]
    for index, (name, width) in enumerate(zip(values.columns, widths)):
        sheet.set_column(index, index, width)
        sheet.write_string(0, index, _safe_text(str(name)), style(
            bold=True, **_alignment("number" if numeric[index] else "text", top=True, wrap=True)))
    sheet.set_row(0, wrapped_height([(str(name), w) for name, w in zip(values.columns, widths)]))
    column_formats = column_formats or {}
    formats = [column_formats.get(str(name)) or number_format(str(name), _whole_numbers(str(name), safe[name]), money)
               for name in safe.columns]
    share_rows = _share_rows(safe)
    mixed = [name in _MIXED_WHOLE and fmt == DECIMAL and name not in column_formats
             for name, fmt in zip(values.columns, formats)]
    wrapped = [i for i, (name, width) in enumerate(zip(values.columns, widths)) if width >= _WIDTH_MAX]
    share_columns = [name in _INDICATOR_VALUES for name in values.columns]
    cell_styles: dict[tuple, object] = {}  # (number format, alignment): the cell format, looked up once
    for row_number, row in enumerate(values.itertuples(index=False, name=None), start=1):
        long_text = [(row[i], widths[i]) for i in wrapped if isinstance(row[i], str) and len(row[i]) > widths[i]]
        for index, value in enumerate(row):
            cell_format = None
            if value is None:
                continue
            if isinstance(value, (bool, np.bool_)):
                cell_format, kind = BOOLEAN, "number"
            elif isinstance(value, date):
                cell_format, kind = _DATETIME, "number"
            elif isinstance(value, str):  # a disclosure label stands for a number: aligned like one
                kind = "label" if value in (SUPPRESSED_LABEL, HIDDEN_LABEL) and numeric[index] else "text"
            else:
                share = share_rows[row_number - 1] and share_columns[index]
                whole = mixed[index] and float(value).is_integer()
                cell_format, kind = PERCENT if share else INTEGER if whole else formats[index], "number"
            alignment = (_alignment_key(kind, bool(long_text), bool(long_text) and index in wrapped)
                         if kind != "number" or long_text else ())
            key = (cell_format, alignment)
            if key not in cell_styles:
                cell_styles[key] = style(**({"num_format": cell_format} if cell_format else {}), **dict(alignment))
            write(row_number, index, value, cell_styles[key])
        if long_text:
            sheet.set_row(row_number, wrapped_height(long_text))
    frozen = next((i for i, name in enumerate(values.columns) if name not in ID_COLUMNS), 0)
    sheet.freeze_panes(1, frozen)
    if len(values.columns):
        sheet.autofilter(0, 0, max(len(values), 1), len(values.columns) - 1)
    return frozen


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


@functools.cache
def _alignment_key(kind: str, top: bool, wrap: bool) -> tuple:
    horizontal, indent = ("right", 0) if kind in ("number", "label") else ("left", 1)
    return (("align", horizontal), *((("indent", indent),) if indent else ()), *((("valign", "top"),) if top else ()),
            *((("text_wrap", True),) if wrap else ()))


def _alignment(kind: str, top: bool, wrap: bool) -> dict:
    """Numbers (and labels standing for them) right, text left one indent in; top of the row when it wraps (the
    XlsxWriter format properties)."""
    return dict(_alignment_key(kind, top, wrap))


def _whole_numbers(name: str, column: pd.Series) -> bool:
    """Integers: an integer column, or counts stored as floats or mixed with disclosure labels."""
    if pd.api.types.is_integer_dtype(column):
        return True
    if pd.api.types.is_float_dtype(column):
        numbers = column.astype(float).dropna()
    else:
        numbers = pd.to_numeric(column[column.map(lambda v: isinstance(v, (int, float, np.number)))],
                                errors="coerce").astype(float).dropna()
    if not len(numbers):
        return False
    return is_count_column(name, numbers) or bool((numbers == numbers.round()).all())


def _share_rows(safe: pd.DataFrame) -> list[bool]:
    """Rows of an indicator table whose value is a share (shown as a percentage)."""
    if "unit" not in safe.columns:
        return [False] * len(safe)
    return safe["unit"].astype(str).str.startswith("share").tolist()


def _xlsx_values(safe: pd.DataFrame) -> pd.DataFrame:
    """Python values an XLSX cell can hold: None for missing and non-finite numbers,
    naive datetimes, text without XML-illegal characters, within Excel's cell length and
    neutralised (after the cleaning, so the cleaning cannot bring a formula trigger to the front)."""
    converted = {}
    for name, column in safe.items():
        if pd.api.types.is_float_dtype(column):
            column = column.where(np.isfinite(column))
        elif isinstance(column.dtype, pd.DatetimeTZDtype):
            column = column.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.infer_dtype(column, skipna=True) in ("string", "mixed", "mixed-integer"):
            column = column.astype(object).map(lambda value: _safe_text(value) if isinstance(value, str) else value)
        converted[name] = column
    converted = pd.DataFrame(converted, index=safe.index, columns=safe.columns).astype(object)
    return converted.where(converted.notna(), None)  # the whole table at once: a column at a time cost 0.1 s


def _column_widths(values: pd.DataFrame) -> list[float]:
    sample = values.head(_WIDTH_SAMPLE_ROWS)
    widths = []
    for name, column in sample.items():
        shown = [len(f"{v:,.3f}") if isinstance(v, float) else len(str(v)) for v in column.tolist() if v is not None]
        longest = max([min(len(str(name)), _HEADER_WIDTH), *shown])
        widths.append(float(min(max(longest + 2, _WIDTH_MIN), _WIDTH_MAX)))
    return widths


def _replace_directory(staging: Path, out_dir: Path) -> None:
    """Move the finished pack into place; an older pack is renamed aside first, then removed."""
    if out_dir.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
        out_dir.rename(retired / out_dir.name)
        staging.rename(out_dir)
        shutil.rmtree(retired)
    else:
        staging.rename(out_dir)


_HTML_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }
.notice { border: 2px solid #b45309; background: #fffbeb; padding: 0.75rem 1rem; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
figure { margin: 1.5rem 0; } img { max-width: 100%; }
td.value { white-space: nowrap; text-align: right; }
code, pre { background: #f3f4f6; }
"""


def _methods_html(
    packed: list[PackedTable], chart_names: list[str], methods_markdown: str | None, extras: _Extras
) -> str:
    """A self-contained methods page: notice, summary of results, methods, disclosure rules,
    provenance, tables, charts."""
    esc, say = html.escape, extras.say
    parts = [f"<h1>{esc(say(TITLE))}</h1>"]
    if extras.synthetic:
        parts.append(f'<p class="notice"><strong>{esc(say(SYNTHETIC_LABEL))}.</strong> '
                     f'{esc(synthetic_notice(say))}</p>')
    if extras.summary:
        parts += [f"<h2>{esc(say(SUMMARY_OF_RESULTS))}</h2>",
                  f"<table><tr><th>{esc(say(RESULT))}</th><th>{esc(say(VALUE))}</th><th>{esc(say(NOTE))}</th></tr>",
                  *(f'<tr><td>{esc(h.label)}</td><td class="value">{esc(h.text(say))}</td><td>{esc(h.note)}</td></tr>'
                    for h in extras.summary), "</table>"]
    if extras.reading:
        parts += [f"<h3>{esc(say(WHAT_THE_FIGURES_SAY))}</h3>",
                  *(f"<p>{esc(paragraph)}</p>" for paragraph in extras.reading)]
    if methods_markdown:
        parts.append(markdown_to_html(methods_markdown, heading_offset=1))
    workbook_link = f'<a href="{WORKBOOK_NAME}">{WORKBOOK_NAME}</a>'
    parts += [
        f"<h2>{esc(say(DISCLOSURE_HEADING))}</h2>",
        f"<p>{esc(say(DISCLOSURE_RULE_MESSAGE, **DISCLOSURE_RULE_VALUES))}</p>",
        f"<p>{esc(say(NEUTRALISATION_RULE))}</p>",
        f"<h2>{esc(say(TABLES))}</h2>",
        f"<p>{workbook_link.join(esc(part) for part in say(EACH_TABLE).split('{workbook}'))}</p>",
        f"<table><tr><th>{esc(say(TABLE))}</th><th>{esc(say(WHAT_IT_IS))}</th><th>{esc(say(ROWS))}</th>"
        f"<th>{esc(say(CELLS_HIDDEN, suppressed=SUPPRESSED_LABEL, hidden=HIDDEN_LABEL))}</th></tr>",
        *(
            f'<tr><td><a href="{esc(t.csv_path)}">{esc(t.name)}</a></td><td>{esc(t.note)}</td>'
            f'<td>{esc(say.decimal(t.rows, "#,##0"))}</td>'
            f'<td>{esc(say.decimal(t.suppressed_cells, "#,##0"))}</td></tr>'
            for t in packed
        ),
        "</table>",
    ]
    if chart_names:
        parts.append(f"<h2>{esc(say(CHARTS_SHEET))}</h2>")
        parts += [
            f'<figure><img src="charts/{esc(name)}.png" alt="{esc(chart_title(name, extras))}">'
            f"<figcaption>{esc(chart_title(name, extras))}</figcaption></figure>"
            for name in chart_names
        ]
    if extras.sources:
        parts += [f"<h2>{esc(say(SOURCES_HEADING))}</h2>", "<ul>",
                  *(f"<li>{esc(source)}</li>" for source in extras.sources), "</ul>"]
    if extras.provenance is not None and len(extras.provenance):
        parts += [f"<h2>{esc(say(PROVENANCE_SHEET))}</h2>",
                  f"<table><tr><th>{esc(say(KEY))}</th><th>{esc(say(VALUE))}</th></tr>",
                  *(f"<tr><td>{esc(str(key))}</td><td><code>{esc(str(value))}</code></td></tr>"
                    for key, value in zip(extras.provenance["key"], extras.provenance["value"])), "</table>"]
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(say.language.replace("_", "-"))}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(say(TITLE))}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*")
_LIST_ITEM = re.compile(r"([-*+]|\d+[.)])\s+(.*)")
_TABLE_RULE = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?")
#: Links to the web or to relative paths; no other scheme (`javascript:` would be live).
_LINK = re.compile(r"\[([^\]]+)\]\(((?:https?://[^)\s]*)|(?:[#./A-Za-z0-9_][^)\s:]*))\)")


def markdown_to_html(text: str, heading_offset: int = 0) -> str:
    """Convert the Markdown the methods note uses: headings, paragraphs, lists, pipe tables,
    fenced code, and inline code, bold, italics and links. Raw HTML is escaped, not passed through.
    `heading_offset` demotes headings (1 puts a `#` under the page's own `<h1>`)."""
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    table: list[str] = []
    list_tag = "ul"

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
        if items:
            out.append(f"<{list_tag}>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + f"</{list_tag}>")
        if table:
            out.append(_table_html(table))
        paragraph.clear()
        items.clear()
        table.clear()

    lines = iter(text.splitlines())
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            code = itertools.takewhile(lambda candidate: not candidate.strip().startswith("```"), lines)
            out.append(f"<pre><code>{html.escape(chr(10).join(code))}</code></pre>")
        elif not stripped:
            flush()
        elif heading := _HEADING.fullmatch(stripped):
            flush()
            level = min(len(heading[1]) + heading_offset, 6)
            out.append(f"<h{level}>{_inline(heading[2])}</h{level}>")
        elif item := _LIST_ITEM.fullmatch(stripped):
            tag = "ol" if item[1][0].isdigit() else "ul"
            if paragraph or table or tag != list_tag:
                flush()
            list_tag = tag
            items.append(item[2])
        elif stripped.startswith("|"):
            if paragraph or items:
                flush()
            table.append(stripped)
        elif items and line[:1].isspace():
            items[-1] += " " + stripped
        else:
            if items or table:
                flush()
            paragraph.append(stripped)
    flush()
    return "\n".join(out)


def _table_html(rows: list[str]) -> str:
    cells = [[_inline(cell.strip()) for cell in row.strip().strip("|").split("|")] for row in rows]
    has_header = len(rows) > 1 and _TABLE_RULE.fullmatch(rows[1]) is not None
    header, body = (cells[0], cells[2:]) if has_header else ([], cells)
    head = "<tr>" + "".join(f"<th>{cell}</th>" for cell in header) + "</tr>" if header else ""
    rows_html = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in body)
    return f"<table>{head}{rows_html}</table>"


def _inline(text: str) -> str:
    """Inline Markdown on escaped text; code spans are left verbatim."""
    pieces = re.split(r"`([^`]+)`", text)
    for index, piece in enumerate(pieces):
        if index % 2:
            pieces[index] = f"<code>{html.escape(piece)}</code>"
            continue
        piece = html.escape(piece, quote=False)
        piece = _LINK.sub(lambda m: f'<a href="{m[2].replace(chr(34), "&quot;")}">{m[1]}</a>', piece)
        piece = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", piece)
        pieces[index] = re.sub(r"(?<![\w*])[*_](?![\s*_])(.+?)(?<![\s*_])[*_](?![\w*])", r"<em>\1</em>", piece)
    return "".join(pieces)
