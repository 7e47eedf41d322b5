"""Workbooks built for the ingestion tests, sheet by sheet, as a spreadsheet program saves them."""

from __future__ import annotations

import io

import openpyxl


def workbook(sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> bytes:
    """The XLSX bytes of `sheets` (name -> rows), in order; the sheets named in `hidden` are hidden."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
