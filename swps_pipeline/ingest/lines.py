"""From a file's bytes to its numbered rows of text cells (CSV or XLSX), nothing interpreted yet.

Files come from a hundred départements: CSV with `,`, `;` or tabs, UTF-8 (with or
without BOM) or Windows-1252, XLSX typed by hand. A file that cannot be read
at all raises `FileRejected` with a reason the sender can act on.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from swps_pipeline.assumptions import MAX_CELLS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_XLSX_UNCOMPRESSED_BYTES
from swps_pipeline.contract import TEMPLATE_DEFINITIONS_SHEET
from swps_pipeline.i18n import every_translation

#: Encodings tried in this order (contract: "try UTF-8 first"); `utf-8-sig` also reads a BOM-less file.
ENCODINGS = ("utf-8-sig", "cp1252")
#: The contract's two, and the tab of a spreadsheet's "text (tab-separated)" export: read rather than refused.
SEPARATORS = (";", ",", "\t")
#: Integer-valued floats below this are written as integers (1.0 → "1"); above, a float is not a count anyway.
_EXACT_FLOAT_INTEGERS = 2**53

Lines = list[tuple[int, list[str]]]
"""Each row as (1-based line or sheet row, its cells as text)."""


class FileRejected(Exception):
    """The whole file is unusable; the message says why, for the person who sent it."""


#: Start the text of an XLSX cell that has no value to read, which calamine would read as blank: a formula without
#: a saved value (then "=" and the formula) and a spreadsheet error (then the error, e.g. "#DIV/0!"). Never typed
#: by a person (Unicode noncharacters), so validation can quarantine the cell under `type` whatever its column.
UNSAVED_FORMULA = "\ufdd0"
SPREADSHEET_ERROR = "\ufdd1"


@dataclass(frozen=True)
class Valueless:
    """A kind of valueless cell: its key in the quarantine's `raw` JSON, and what the sender should do about it."""

    kind: str
    remedy: str


VALUELESS_CELLS = {
    UNSAVED_FORMULA: Valueless("formula", "formula without a saved value: open and save the file in a spreadsheet "
                                          "program"),
    SPREADSHEET_ERROR: Valueless("error", "an error of the spreadsheet, not a value: correct the formula or type "
                                          "the value"),
}
_MARKERS = {valueless.kind: marker for marker, valueless in VALUELESS_CELLS.items()}


def as_shown(cell: str) -> str:
    """A cell's text as the spreadsheet shows it: a valueless cell's formula or error without its marker."""
    return cell[1:] if cell[:1] in VALUELESS_CELLS else cell


def raw_cell(cell: str) -> str | dict[str, str]:
    """A cell as the quarantine's `raw` JSON holds it: its text, or a valueless cell as {kind: what it shows}
    (`{"formula": "=SUM(F2:F3)"}`, `{"error": "#N/A"}`), so that it reads back as valueless, not as text."""
    valueless = VALUELESS_CELLS.get(cell[:1])
    return {valueless.kind: cell[1:]} if valueless else cell


def cell_from_raw(value: str | dict[str, str]) -> str:
    """A cell of the quarantine's `raw` JSON as the ingestion read it (the inverse of `raw_cell`)."""
    if isinstance(value, dict):
        (kind, shown), = value.items()
        return _MARKERS[kind] + shown
    return value


def over_limit(what: str, measured: int, limit: int, unit: str = "") -> FileRejected:
    """The rejection of a file over one of the input limits (`assumptions.py`): measured size and limit."""
    return FileRejected(f"too large: {what} {measured:,}{unit}, the limit is {limit:,}{unit}; "
                        "split the file or send only the programme's returns")


def check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise over_limit("file size", size, MAX_FILE_BYTES, " bytes")


def check_shape(rows: int, columns: int) -> None:
    """Rows, columns and cells of a sheet (or a CSV file) against the limits."""
    if rows > MAX_ROWS:
        raise over_limit("rows", rows, MAX_ROWS)
    if columns > MAX_COLUMNS:
        raise over_limit("columns", columns, MAX_COLUMNS)
    if rows * columns > MAX_CELLS:
        raise over_limit("cells (rows × columns)", rows * columns, MAX_CELLS)


def decode(content: bytes, remedy: str = "save the return as CSV (UTF-8) or XLSX") -> str:
    """Text of a CSV file: UTF-8 (BOM or not) first, then Windows-1252, as the contract says.

    `remedy` ends a rejection message: what the person who sent the file should do.
    """
    if b"\x00" in content:
        raise FileRejected(f"binary content (NUL bytes), not a text CSV: {remedy}")
    _refuse_mixed_encodings(content, remedy)
    for encoding in ENCODINGS:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError as error:
            position = error.start
    raise FileRejected(
        f"undecodable bytes (neither UTF-8 nor Windows-1252) at byte {position}: {remedy}"
    )


_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def _refuse_mixed_encodings(content: bytes, remedy: str) -> None:
    """A file that says it is UTF-8 (a byte-order mark, or a line with accents in UTF-8) but has a Windows-1252
    line (a row appended by another program) is refused as such: read as Windows-1252 as a whole, its UTF-8
    headers would be garbled and the file refused for "required columns missing" that are there."""
    try:
        content.decode("utf-8")
        return
    except UnicodeDecodeError as error:
        position = error.start
    lines = _LINE_BREAK.split(content)  # CR-only files too, as the CSV reader reads them
    bad_line = len(_LINE_BREAK.findall(content, 0, position)) + 1
    utf8_line = next((number for number, line in enumerate(lines, start=1)
                      if not line.isascii() and _decodes(line, "utf-8")), None)
    if not _decodes(lines[bad_line - 1], "cp1252"):
        return  # neither encoding: undecodable
    if content.startswith(codecs.BOM_UTF8):
        said = "the file starts with a UTF-8 byte-order mark"
    elif utf8_line is not None:
        said = f"line {utf8_line} is UTF-8"
    else:
        return
    raise FileRejected(f"mixed encodings: {said} but line {bad_line} is not (byte 0x{content[position]:02X}): "
                       f"save the whole file again in one encoding; {remedy}")


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def detect_separator(text: str, is_header=None) -> str:
    """`;`, `,` or a tab: the one that splits a line into a header row (`is_header(cells)`), so that a title line
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
    if text.count("\n") > MAX_ROWS:
        raise over_limit("lines", text.count("\n"), MAX_ROWS)
    # A cell may be as long as the file, which is within its size limit (the csv module's default is 128 KiB: a
    # long note in a cell lost the whole file as "malformed").
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
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
    if isinstance(value, dt.timedelta):  # a duration-formatted cell: the number of days typed
        return cell_text(value.total_seconds() / 86_400)
    return str(value)


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
#: A cell reference such as `r="XFD1048576"` in a sheet's XML (row references have no letters).
_CELL_REFERENCE = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"')
_ROW = re.compile(rb"<(?:\w+:)?row\b")
_CELL = re.compile(rb"<(?:\w+:)?c[\s>/]")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_ERROR_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\st="e"')
DAMAGED = "save it again as .xlsx from a spreadsheet program"


def column_number(letters: str) -> int:
    """'A' → 1, 'XFD' → 16,384."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


@dataclass
class SheetPart:
    """What the XML of one sheet says before it is loaded: its used area and its valueless cells."""

    name: str
    rows: int = 0
    columns: int = 0
    valueless_cells: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, column), 1-based: marked text


def _read_parts(archive: zipfile.ZipFile) -> dict[str, bytes]:
    """Every XML part, read with a bound (a zip's stated sizes may lie); a DTD is refused outright: spreadsheet
    programs never write one, and it is how entity-expansion ("billion laughs") and external-entity attacks
    start."""
    declared = sum(info.file_size for info in archive.infolist())
    if declared > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise over_limit("uncompressed size", declared, MAX_XLSX_UNCOMPRESSED_BYTES, " bytes")
    parts, budget = {}, MAX_XLSX_UNCOMPRESSED_BYTES
    for info in archive.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(info) as handle:
            data = handle.read(budget + 1)
        budget -= len(data)
        if budget < 0:
            raise over_limit("uncompressed size", MAX_XLSX_UNCOMPRESSED_BYTES - budget, MAX_XLSX_UNCOMPRESSED_BYTES,
                             " bytes")
        if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
            raise FileRejected(f"{info.filename} declares a DTD or entities, which spreadsheet programs never "
                               f"write (an XML attack?): {DAMAGED}")
        parts[info.filename] = data
    return parts


def _sheet_paths(parts: dict[str, bytes]) -> list[tuple[str, str]]:
    """(sheet name, path of its XML part) in workbook order, the order of the sheets' tabs."""
    workbook = ElementTree.fromstring(parts["xl/workbook.xml"])
    relations = ElementTree.fromstring(parts["xl/_rels/workbook.xml.rels"])
    targets = {relation.get("Id"): relation.get("Target", "") for relation in relations}
    paths = []
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(_RELATIONSHIP_ID), "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        paths.append((sheet.get("name", ""), path))
    return paths


def _valueless_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """Cells with a spreadsheet error (`t="e"`: #DIV/0!, #N/A, #REF!...) or a formula and no saved value (a program
    that writes formulas without computing them), as their marked text (`UNSAVED_FORMULA`, `SPREADSHEET_ERROR`)."""
    found = {}
    for _, element in ElementTree.iterparse(io.BytesIO(xml)):
        if element.tag != f"{_MAIN}c":
            continue
        formula, value = element.find(f"{_MAIN}f"), element.find(f"{_MAIN}v")
        saved = value.text if value is not None and value.text else None
        match = re.fullmatch(r"([A-Z]{1,3})([0-9]+)", element.get("r") or "")
        if match and element.get("t") == "e" and saved:
            found[(int(match[2]), column_number(match[1]))] = SPREADSHEET_ERROR + saved
        elif match and formula is not None and not saved:
            found[(int(match[2]), column_number(match[1]))] = f"{UNSAVED_FORMULA}={formula.text or ''}"
        element.clear()
    return found


def survey_sheets(archive: zipfile.ZipFile) -> list[SheetPart]:
    """Each sheet's used area and unsaved formulas, from its XML, checked against the limits before loading."""
    parts = _read_parts(archive)
    sheets = []
    for name, path in _sheet_paths(parts):
        xml = parts.get(path, b"")
        sheet = SheetPart(name)
        references = _CELL_REFERENCE.findall(xml)
        # Rows and cells may omit their reference: then their count bounds the area.
        sheet.rows = max([len(_ROW.findall(xml)), *(int(row) for _, row in references)])
        sheet.columns = max([0, *(column_number(letters.decode()) for letters in set(column for column, _ in references))])
        if len(references) < len(_CELL.findall(xml)):
            sheet.columns = max(sheet.columns, len(_CELL.findall(xml)))
        try:
            check_shape(sheet.rows, sheet.columns)
        except FileRejected as problem:
            raise FileRejected(f"sheet '{name}': {problem}") from None
        if _FORMULA.search(xml) or _ERROR_CELL.search(xml):
            sheet.valueless_cells = _valueless_cells(xml)
        sheets.append(sheet)
    if sum(sheet.rows * sheet.columns for sheet in sheets) > MAX_CELLS:
        raise over_limit("cells in the workbook", sum(sheet.rows * sheet.columns for sheet in sheets), MAX_CELLS)
    return sheets


def _with_valueless_cells(lines: Lines, valueless: dict[tuple[int, int], str]) -> Lines:
    """The sheet's rows with each valueless cell's marked text written into it (calamine reads them as blank): its
    grid ends at the last cell with a value, so rows and columns are added for a cell beyond it (a check formula
    right of the data, a total below it)."""
    lines += [(number, []) for number in range(len(lines) + 1, max([0, *(row for row, _ in valueless)]) + 1)]
    for (row, column), text in valueless.items():
        cells = lines[row - 1][1]
        cells += [""] * (column - len(cells))
        cells[column - 1] = text
    return lines


@dataclass(frozen=True)
class Workbook:
    """The rows of the sheet read, and one note per other sheet that was not (for the file's warnings)."""

    lines: Lines
    unread_sheets: list[str]


def xlsx_lines(content: bytes, is_header) -> Workbook:
    """The rows of the sheet that holds the returns, numbered as sheet rows.

    That is the first sheet with a header row (`is_header(cells)`) and data below it; a sheet with a header
    and no data is read only when no sheet has data. Two sheets with data make the file ambiguous: rejected,
    nothing guessed. Every other non-empty sheet is named in `unread_sheets`.

    The XML is surveyed first (limits, DTDs, valueless cells), then the sheets are loaded by calamine
    (Rust, no DTD processing; docs/ARCHITECTURE.md, "Reading XLSX").
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    if not content:
        raise FileRejected("empty file: it has no header and no rows; send the return again")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            surveyed = survey_sheets(archive)
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    except FileRejected:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, NotImplementedError) as error:
        raise FileRejected(f"not a readable XLSX workbook ({type(error).__name__}): open it in a spreadsheet "
                           "and save it as .xlsx") from None
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as error:
        raise FileRejected(f"damaged XLSX workbook (malformed XML, {type(error).__name__}): {DAMAGED}") from None
    # The Rust reader raises its own types (XmlError, ZipError, CalamineError, PasswordError...).
    except Exception as error:  # noqa: BLE001
        raise FileRejected(f"damaged XLSX workbook ({type(error).__name__}): {DAMAGED}") from None

    candidates: list[tuple[str, Lines, bool]] = []  # (description, lines, has data below the header)
    unread: list[str] = []
    try:
        for index, metadata in enumerate(workbook.sheets_metadata):
            hidden = "" if metadata.visible == SheetVisibleEnum.Visible else "hidden "
            described = f"{hidden}sheet '{metadata.name}'"
            if metadata.typ != SheetTypeEnum.WorkSheet:
                unread.append(f"{described} ({metadata.typ.name}) not read: not a worksheet")
                continue
            grid = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
            valueless = surveyed[index].valueless_cells if index < len(surveyed) else {}
            lines = _with_valueless_cells(
                [(number, [cell_text(value) for value in values]) for number, values in enumerate(grid, start=1)],
                valueless)
            header_at = next((i for i, (_, cells) in enumerate(lines) if is_header(cells)), None)
            if header_at is None:
                definitions = metadata.name in every_translation(TEMPLATE_DEFINITIONS_SHEET)
                if not definitions and any(cell.strip() for _, cells in lines for cell in cells):
                    unread.append(f"{described} not read: it has no header row")
                continue
            has_data = any(cell.strip() for _, cells in lines[header_at + 1:] for cell in cells)
            candidates.append((described, lines, has_data))
    except Exception as error:  # noqa: BLE001  (the Rust reader's own error types)
        raise FileRejected(f"damaged XLSX workbook ({type(error).__name__}): {DAMAGED}") from None
    finally:
        workbook.close()

    with_data = [candidate for candidate in candidates if candidate[2]]
    if len(with_data) > 1:
        names = ", ".join(described for described, _, _ in with_data)
        raise FileRejected(f"several sheets hold returns ({names}): put every return on one sheet, nothing is "
                           "guessed")
    if not candidates:
        return Workbook([], unread)
    chosen = with_data[0] if with_data else candidates[0]
    unread += [f"{described} not read: it has a header row but no data" for described, _, _ in candidates
               if described != chosen[0]]
    return Workbook(chosen[1], unread)
