"""From a file's bytes to its numbered rows of text cells (CSV or XLSX), nothing interpreted yet.

Files come from a hundred départements: CSV with `,` or `;`, UTF-8 (with or
without BOM) or Windows-1252, XLSX typed by hand. A file that cannot be read
at all raises `FileRejected` with a reason the sender can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

#: Encodings tried in this order (contract: "try UTF-8 first"); `utf-8-sig` also reads a BOM-less file.
ENCODINGS = ("utf-8-sig", "cp1252")
SEPARATORS = (";", ",")
#: Integer-valued floats below this are written as integers (1.0 → "1"); above, a float is not a count anyway.
_EXACT_FLOAT_INTEGERS = 2**53

Lines = list[tuple[int, list[str]]]
"""Each row as (1-based line or sheet row, its cells as text)."""


class FileRejected(Exception):
    """The whole file is unusable; the message says why, for the person who sent it."""


def decode(content: bytes, remedy: str = "save the return as CSV (UTF-8) or XLSX") -> str:
    """Text of a CSV file: UTF-8 (BOM or not) first, then Windows-1252, as the contract says.

    `remedy` ends a rejection message: what the person who sent the file should do.
    """
    if b"\x00" in content:
        raise FileRejected(f"binary content (NUL bytes), not a text CSV: {remedy}")
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError as error:
            position = error.start
    raise FileRejected(
        f"undecodable bytes (neither UTF-8 nor Windows-1252) at byte {position}: {remedy}"
    )


def detect_separator(text: str, is_header=None) -> str:
    """`;` or `,`: the one that splits a line into a header row (`is_header(cells)`), so that a title line
    above the header does not decide; otherwise whichever the first non-blank line uses more (`,` on a tie)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if is_header is not None:
        for line in lines:
            for separator in SEPARATORS:
                if is_header(line.split(separator)):
                    return separator
    first_line = lines[0] if lines else ""
    return max(SEPARATORS, key=lambda separator: (first_line.count(separator), separator == ","))


def csv_lines(content: bytes, is_header) -> Lines:
    """The rows of a CSV file, numbered by the line each starts on (`is_header` helps find the separator)."""
    text = decode(content)
    if not text.strip():
        raise FileRejected("empty file: it has no header and no rows; send the return again")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=detect_separator(text, is_header))
    lines: Lines = []
    ended_on = 0
    try:
        for row in reader:
            # A record starts on the line after the previous one ended (a quoted field may span lines).
            lines.append((ended_on + 1, row))
            ended_on = reader.line_num
    except csv.Error as error:
        raise FileRejected(f"malformed CSV at line {reader.line_num} ({error}): check the quotes") from None
    return lines


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person typed: 1.0 → '1', 0.8 → '0.8' (no float noise), dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_FLOAT_INTEGERS:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def xlsx_lines(content: bytes, is_header) -> Lines:
    """The rows of the first sheet that has a header row (`is_header(cells)`), numbered as sheet rows."""
    from openpyxl import load_workbook

    if not content:
        raise FileRejected("empty file: it has no header and no rows; send the return again")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as error:
        raise FileRejected(
            f"not a readable XLSX workbook ({type(error).__name__}): open it in a spreadsheet and save it as .xlsx"
        ) from None
    try:
        for sheet in workbook.worksheets:
            # Read-only mode trusts the sheet's stated dimensions, which some writers get wrong (e.g. "A1"):
            # forget them so that every written row and cell is read.
            sheet.reset_dimensions()
            lines = [(number, [cell_text(value) for value in values])
                     for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
            if any(is_header(cells) for _, cells in lines):
                return lines
    # A damaged sheet fails deep inside openpyxl's XML parser, with many exception types.
    except Exception as error:  # noqa: BLE001
        raise FileRejected(f"damaged XLSX workbook ({type(error).__name__}): save it again as .xlsx") from None
    finally:
        workbook.close()
    return []
