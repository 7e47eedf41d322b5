"""Workbooks whose bytes depend only on their content (reproducible data sets and packs)."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter


def reproducible_xlsx_bytes(workbook: Workbook, stamp: datetime = datetime(1980, 1, 1)) -> bytes:
    """Serialise with fixed document dates and ZIP entry dates.

    `Workbook.save` stamps the current time into the properties and the ZIP
    entries, so two identical workbooks would differ; this writes through
    openpyxl's `ExcelWriter` and then re-stamps each entry.
    """
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    raw = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)).save()
    stamped = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(stamped, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry))
    return stamped.getvalue()
