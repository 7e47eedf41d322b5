"""Reading a returns file, as it arrives, into raw text cells under canonical column names.

Files come from a hundred départements: CSV with `,` or `;`, UTF-8 (with or
without BOM) or Windows-1252, XLSX with title rows above the header and a
total row at the bottom, French labels or canonical names. Reading never
interprets a value: that is validation's job. A file that cannot be read is
rejected whole with a reason a person can act on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from swps_pipeline.contract import HEADER_ALIASES, REQUIRED, normalise_header

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
POSITION_ID_ALIASES = frozenset(alias for alias, name in HEADER_ALIASES.items() if name == "position_id")


class FileRejected(Exception):
    """The whole file is unusable; the message says why, for the person who sent it."""


@dataclass
class RawFile:
    """A readable file: its data rows as text, keyed by canonical column, plus what was set aside."""

    source_file: str
    rows: pd.DataFrame  # canonical columns present in the file (str, "" when blank) + `source_row`
    raw_rows: list[dict[str, str]]  # each data row as read, original headers → text (for the quarantine)
    extra_columns: list[str] = field(default_factory=list)
    summary_rows: int = 0


def decode(content: bytes) -> str:
    """UTF-8 first (BOM or not), then Windows-1252, as the contract says."""
    if b"\x00" in content:
        raise FileRejected("binary content (NUL bytes): not a CSV text file")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as error:
        raise FileRejected(f"undecodable bytes (neither UTF-8 nor Windows-1252) at byte {error.start}") from None


def cell_text(value: object) -> str:
    """An XLSX cell as the text a person typed: 1.0 → '1', dates as ISO, None → ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10] if isinstance(value, dt.date) else value.isoformat()
    return str(value)


def csv_lines(content: bytes) -> list[tuple[int, list[str]]]:
    text = decode(content)
    if not text.strip():
        raise FileRejected("empty file")
    first_line = next(line for line in text.splitlines() if line.strip())
    separator = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    return [(reader.line_num, row) for row in reader]


def xlsx_lines(content: bytes) -> list[tuple[int, list[str]]]:
    """The rows of the first sheet that has a header row (numbered as sheet rows)."""
    from openpyxl import load_workbook

    if not content:
        raise FileRejected("empty file")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRejected(f"not a readable XLSX workbook ({type(error).__name__})") from None
    try:
        for sheet in workbook.worksheets:
            lines = [(number, [cell_text(v) for v in values])
                     for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
            if any(_header_index(cells) is not None for _, cells in lines):
                return lines
        return lines if workbook.worksheets else []
    finally:
        workbook.close()


def _header_index(cells: list[str]) -> int | None:
    return next((i for i, cell in enumerate(cells) if normalise_header(cell) in POSITION_ID_ALIASES), None)


def read_returns_file(path: Path, data_dir: Path) -> RawFile:
    """Read one returns file; raise `FileRejected` when it cannot be used at all."""
    source_file = path.relative_to(data_dir).as_posix()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise FileRejected(f"not a CSV or XLSX file ({path.suffix or 'no extension'}); send .csv or .xlsx")
    content = path.read_bytes()
    lines = csv_lines(content) if suffix == ".csv" else xlsx_lines(content)
    header_at = next((i for i, (_, cells) in enumerate(lines) if _header_index(cells) is not None), None)
    if header_at is None:
        raise FileRejected("no header row: no column named 'Identifiant du poste' or 'position_id'")
    headers = [cell.strip() for cell in lines[header_at][1]]
    canonical = [HEADER_ALIASES.get(normalise_header(h)) for h in headers]
    missing = [name for name in REQUIRED if name not in canonical]
    if missing:
        raise FileRejected(f"required column(s) missing: {', '.join(missing)}")
    extra = [h for h, name in zip(headers, canonical) if name is None and h]
    keep = {name: i for i, name in reversed(list(enumerate(canonical))) if name is not None}

    records, raw_rows, summary_rows = [], [], 0
    position_at = keep["position_id"]
    for number, cells in lines[header_at + 1:]:
        cells = [c.strip() for c in cells] + [""] * (len(headers) - len(cells))
        if not any(cells):
            continue
        first_filled = next(c for c in cells if c)
        if not cells[position_at] and first_filled.lower().startswith("total"):
            summary_rows += 1
            continue
        records.append([cells[i] for i in keep.values()] + [number])
        raw_rows.append({(h or f"column_{i + 1}"): cells[i] for i, h in enumerate(headers) if cells[i]}
                        | {f"column_{i + 1}": c for i, c in enumerate(cells[len(headers):], len(headers)) if c})
    rows = pd.DataFrame(records, columns=[*keep, "source_row"])
    return RawFile(source_file, rows, raw_rows, extra, summary_rows)


def list_returns_files(returns_dir: Path) -> list[Path]:
    """Every file of a year folder (hidden files aside), in a stable order."""
    if not returns_dir.is_dir():
        return []
    return sorted(p for p in returns_dir.iterdir() if p.is_file() and not p.name.startswith("."))
