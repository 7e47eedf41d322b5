"""Workbooks whose bytes depend only on their content (reproducible data sets and packs).

The published workbooks (the evaluation pack, the cross-country comparison) are written with XlsxWriter: it
writes a cell about four times faster than openpyxl, whose cells were half of the pack's step (issue 17), and
stamps every ZIP entry with one fixed date. The synthetic data set's XLSX returns, which the ingestion reads
back, are written with openpyxl (`reproducible_xlsx_bytes`).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np

from swps_pipeline.publish.currency import Money

if TYPE_CHECKING:
    from openpyxl import Workbook
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

#: The dates written in a workbook's properties and ZIP entries (Excel's own epoch for the entries).
FIXED_TIMESTAMP = datetime(1980, 1, 1)


def reproducible_xlsx_bytes(workbook: Workbook, stamp: datetime = FIXED_TIMESTAMP) -> bytes:
    """Serialise an openpyxl workbook with fixed document dates and ZIP entry dates.

    `Workbook.save` stamps the current time into the properties and the ZIP
    entries, so two identical workbooks would differ; this writes through
    openpyxl's `ExcelWriter` and then re-stamps each entry.
    """
    from openpyxl.writer.excel import ExcelWriter

    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    raw = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED)).save()  # compressed once, below
    stamped = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(stamped, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry))
    return stamped.getvalue()


#: Number formats (Excel codes, also read by LibreOffice): thousands separators, shares as percentages,
#: estimates with 3 decimals; amounts in whole units of the profile's currency (`currency.Money.amount_format`).
INTEGER, DECIMAL, ESTIMATE, PERCENT, PLAIN = "#,##0", "#,##0.00", "0.000", "0.0%", "0"
#: Booleans as words: LibreOffice shows a boolean cell in "General" as 0 / 1 (Excel as TRUE / FALSE).
BOOLEAN = '"TRUE";"TRUE";"FALSE"'

#: Columns whose number is an identifier or a year: no thousands separator.
_PLAIN_NAMES = {"year", "first_year", "last_year", "population_year", "base_year", "price_year", "cohort",
                "event_time", "seed", "source_row"}
_ESTIMATE_NAMES = {"estimate", "std_error", "ci_low", "ci_high", "robust_z", "median", "mad", "p_value",
                   "benefit_cost_ratio", "benefit_cost_ratio_central", "change_abs"}
_PERCENT_NAMES = {"discount_rate", "probability_npv_positive", "break_even_relative_reduction", "change_rel"}


def number_format(name: str, integer: bool, money: Money) -> str:
    """The display format of a numeric column, from its published name (read by name, so new columns follow the
    rule); amounts in `money`."""
    if name in _PLAIN_NAMES:
        return PLAIN
    if money.is_money_column(name) or name.startswith("cost_per_"):
        return money.amount_format
    if name in _PERCENT_NAMES or name.startswith(("share_", "probability_")):
        return PERCENT
    if name in _ESTIMATE_NAMES:
        return ESTIMATE
    return INTEGER if integer else DECIMAL


#: Columns printed across one landscape page; a wider sheet takes one page across per this many
#: columns, with its id columns repeated, rather than shrinking 60 columns into unreadable type.
PRINT_COLUMNS_PER_PAGE = 24


#: Paper size code of A4 (ECMA-376 `ST_PaperSize`).
A4 = 9


class PublishedWorkbook:
    """An XlsxWriter workbook written in memory, with the document dates fixed (`FIXED_TIMESTAMP`), text always
    stored as text (never turned into a formula, a number or a link) and each cell format made once."""

    def __init__(self, title: str = "", creator: str = "swps-pipeline"):
        import xlsxwriter

        self._buffer = io.BytesIO()
        self.book = xlsxwriter.Workbook(self._buffer, {
            "in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
        })
        self.book.set_properties({"title": title, "author": creator, "created": FIXED_TIMESTAMP})
        self._formats: dict[tuple, Format] = {}

    def sheet(self, name: str) -> Worksheet:
        return self.book.add_worksheet(name)

    def style(self, **properties) -> Format:
        """The cell format of XlsxWriter `properties` (e.g. `bold=True, num_format="0"`), made once."""
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]

    def bytes(self) -> bytes:
        self.book.close()
        return self._buffer.getvalue()


def print_setup(sheet: Worksheet, title_rows: bool = True, header: str | None = None, columns: int = 0,
                id_columns: int = 0, fit_to_width: bool = True, centred: bool = True, footer: bool = True) -> None:
    """Landscape A4, fitted to the page width (as many pages down as needed), centred, the header row
    repeated on every page, the sheet name and page number in the footer (`fit_to_width=False`: at 100 %)."""
    sheet.set_landscape()
    sheet.set_paper(A4)
    if fit_to_width:
        sheet.fit_to_pages(max(1, -(-columns // PRINT_COLUMNS_PER_PAGE)), 0)
    if columns > PRINT_COLUMNS_PER_PAGE and id_columns:
        sheet.repeat_columns(0, id_columns - 1)
    if centred:
        sheet.center_horizontally()
    sheet.set_margins(left=0.4, right=0.4, top=1.0, bottom=1.0)
    if title_rows:
        sheet.repeat_rows(0)
    if header:
        sheet.set_header(f"&C&9{header.replace('&', '&&')}", margin=0.5)
    if footer:
        sheet.set_footer("&C&9&A, page &P of &N", margin=0.5)


def cell_writer(sheet: Worksheet) -> Callable[..., None]:
    """`write(row, column, value, format)` for a table's Python values (0-based row and column): numbers,
    booleans, text and naive datetimes each through XlsxWriter's own method; None leaves the cell empty."""
    def write(row: int, column: int, value, cell_format=None) -> None:
        if value is None:
            if cell_format is not None:
                sheet.write_blank(row, column, None, cell_format)
        elif isinstance(value, str):
            sheet.write_string(row, column, value, cell_format)
        elif isinstance(value, (bool, np.bool_)):
            sheet.write_boolean(row, column, bool(value), cell_format)
        elif isinstance(value, date):
            sheet.write_datetime(row, column, value, cell_format)
        else:
            sheet.write_number(row, column, value, cell_format)
    return write


def wrapped_height(texts: list[tuple[str, float]], line_points: float = 15.0) -> float:
    """Row height (points) for wrapped texts, each with its column width in characters."""
    lines = max((sum(max(1, -(-len(part) // max(int(width) - 1, 1))) for part in str(text).split("\n"))
                 for text, width in texts), default=1)
    return min(line_points * lines, 409.0)  # Excel's largest row height
