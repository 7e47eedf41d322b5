"""Workbooks whose bytes depend only on their content (reproducible data sets and packs)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from swps_pipeline.publish.currency import Money


def reproducible_xlsx_bytes(workbook: Workbook, stamp: datetime = datetime(1980, 1, 1)) -> bytes:
    """Serialise with fixed document dates and ZIP entry dates.

    `Workbook.save` stamps the current time into the properties and the ZIP
    entries, so two identical workbooks would differ; this writes through
    openpyxl's `ExcelWriter` and then re-stamps each entry.
    """
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


def print_setup(sheet, title_rows: str | None = "1:1", header: str | None = None, columns: int = 0,
                id_columns: int = 0) -> None:
    """Landscape A4, fitted to the page width (as many pages down as needed), the header row
    repeated on every page, the sheet name and page number in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = max(1, -(-columns // PRINT_COLUMNS_PER_PAGE))
    if columns > PRINT_COLUMNS_PER_PAGE and id_columns:
        sheet.print_title_cols = f"A:{get_column_letter(id_columns)}"
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    if title_rows:
        sheet.print_title_rows = title_rows
    if header:
        sheet.oddHeader.center.text = header
        sheet.oddHeader.center.size = 9
    sheet.oddFooter.center.text = "&A, page &P of &N"
    sheet.oddFooter.center.size = 9


def wrapped_height(texts: list[tuple[str, float]], line_points: float = 15.0) -> float:
    """Row height (points) for wrapped texts, each with its column width in characters."""
    lines = max((sum(max(1, -(-len(part) // max(int(width) - 1, 1))) for part in str(text).split("\n"))
                 for text, width in texts), default=1)
    return min(line_points * lines, 409.0)  # Excel's largest row height
