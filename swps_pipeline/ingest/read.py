"""A year's returns files, read into raw text cells under canonical column names.

Reading finds the header row, maps the headers to the contract's columns,
sets aside summary rows, blank rows and unknown columns, and keeps every data
row as read (for the quarantine). It never interprets a value: that is
validation's job. A file that cannot be used at all is rejected with a reason.
"""

from __future__ import annotations

import os
import stat
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from swps_pipeline.contract import BY_NAME, HEADER_ALIASES, REQUIRED, normalise_header, template_check_prefixes
from swps_pipeline.ingest.folder import ReturnsFile, safe_name, scan_year_folder
from swps_pipeline.ingest.lines import FileRejected, Lines, check_file_size, check_shape, csv_lines, xlsx_lines
from swps_pipeline.parallel import parallel_map

POSITION_ID_ALIASES = frozenset(alias for alias, name in HEADER_ALIASES.items() if name == "position_id")
SUMMARY_PREFIX = "total"
#: The key under which a CSV row's cells beyond the header are kept in the quarantine's `raw` JSON (a list).
BEYOND_HEADER = "(beyond the header)"


@dataclass(frozen=True)
class RawFile:
    """One readable file: its data rows as text, and what was set aside."""

    source_file: str  # relative to the data root, `/`-separated
    grid: np.ndarray  # every data row as read (stripped text, "" when blank), one column per file column
    columns: tuple[str, ...]  # the file's column names, made unique (`column_<n>` when blank or repeated)
    source_row: np.ndarray  # 1-based CSV line or sheet row of each data row
    canonical: dict[str, str]  # canonical column -> its column in `columns`
    extra_columns: tuple[str, ...]  # columns the contract does not know, kept aside
    summary_rows: int
    #: CSV: each data row's cells beyond the header's last one, up to its last filled cell (() for most rows): a
    #: separator inside an unquoted value shifted them, so the row cannot be read (validation: `type`).
    beyond_header: np.ndarray
    unread_sheets: tuple[str, ...] = ()  # XLSX: the other non-empty sheets, each with why it was not read

    @property
    def rows_read(self) -> int:
        return len(self.grid) + self.summary_rows

    def canonical_text(self) -> np.ndarray:
        """The text of the canonical columns present in the file, in the order of `canonical`."""
        return self.grid[:, [self.columns.index(name) for name in self.canonical.values()]]

    def canonical_rows(self) -> pd.DataFrame:
        """The canonical columns present in the file, as text, plus `source_row`."""
        rows = pd.DataFrame(self.canonical_text(), columns=list(self.canonical))
        rows["source_row"] = self.source_row
        return rows


@dataclass(frozen=True)
class YearFiles:
    """Every entry of `returns/<year>/`: the files read, and the rejected and ignored ones with their reason."""

    files: list[RawFile]
    rejected: list[tuple[str, str]]  # (source_file, reason)
    ignored: list[tuple[str, str]] = ()  # (source_file, reason)


def is_header(cells: list[str]) -> bool:
    """The header row is the first row with a position-identifier column (any alias)."""
    return any(normalise_header(cell) in POSITION_ID_ALIASES for cell in cells)


def is_template_check(title: str) -> bool:
    """A check column of the national XLSX template (`swps template`): computed there, set aside silently."""
    normalised = normalise_header(title)
    return any(normalised == prefix or normalised.startswith(prefix + "_") for prefix in template_check_prefixes())


def _text_grid(rows: list[list[str]], width: int) -> np.ndarray:
    """The rows as one (rows × width) array of their stripped cells, "" where a row is short (a longer row's cells
    beyond `width` are left out). Stripped cell by cell as the rows are laid out: pandas' factorize-then-strip of
    the laid-out array took four times as long, a fixed cost per file that 800 small files pay (issue 17)."""
    grid = np.empty((len(rows), width), dtype=object)
    if rows:
        grid[:] = [[cell.strip() for cell in cells[:width]] + [""] * (width - len(cells)) for cells in rows]
    return grid


def _column_names(header: list[str], width: int) -> list[str]:
    """Unique names for the file's columns: the header text, or `column_<n>` when blank or repeated."""
    names: list[str] = []
    for i in range(width):
        name = header[i].strip() if i < len(header) else ""
        names.append(name if name and name not in names else f"column_{i + 1}")
    return names


def _missing_message(missing: list[str]) -> str:
    named = ", ".join(f"{name} ({BY_NAME[name].label})" for name in missing)
    return f"required column(s) missing: {named}; add them to the header row"


def _beyond(cells: list[str], width: int, usual: int) -> tuple[str, ...]:
    """A row's cells after the first `width`, up to its last filled one; all of them, blank ones too, in a row
    longer than `usual` (a separator inside a value shifted the row, even if its last cell is blank)."""
    beyond = [cell.strip() for cell in cells[width:]]
    if len(cells) > usual:
        return tuple(beyond)
    while beyond and not beyond[-1]:
        beyond.pop()
    return tuple(beyond)


def _usual_length(header: list[str], rows: list[list[str]]) -> int:
    """The number of cells of a row nothing shifted: the header's, or more when most rows have more (an exporter
    that ends every row but the header with a separator)."""
    lengths = Counter(len(cells) for cells in rows)
    most_common = max(lengths, key=lambda length: (lengths[length], -length)) if lengths else 0
    return max(len(header), most_common)


def _repeated_message(found: dict[str, list[int]], header: list[str]) -> str:
    """Two columns for one field: which value is the return's cannot be told, so none is chosen."""
    named = "; ".join(f"{column}: " + ", ".join(f"'{header[i].strip()}' (column {i + 1})" for i in places)
                      for column, places in found.items() if len(places) > 1)
    return f"repeated column(s), {named}: keep one column per field, nothing is guessed"


def parse_lines(lines: Lines, source_file: str, delimited: bool = False) -> RawFile:
    """Header, canonical columns, summary and blank rows of a file's rows.

    In a `delimited` file (CSV) a row's cells beyond the header were shifted there by a separator inside a value:
    they are kept apart (`beyond_header`), not read as columns; in a workbook they are columns without a title."""
    header_at = next((i for i, (_, cells) in enumerate(lines) if is_header(cells)), None)
    if header_at is None:
        raise FileRejected("no header row: no column named 'Identifiant du poste' (or 'position_id') was found")
    header, body = lines[header_at][1], lines[header_at + 1:]
    widest = max([len(header), *(len(cells) for _, cells in body)])
    check_shape(len(body), widest)
    # A CSV's columns end at the header's last title: a trailing separator on the header line adds no column.
    width = max((i + 1 for i, text in enumerate(header) if text.strip()), default=0) if delimited else widest
    usual = _usual_length(header, [cells for _, cells in body]) if delimited else widest
    beyond_header = np.empty(len(body), dtype=object)
    beyond_header[:] = [_beyond(cells, width, usual) for _, cells in body]
    names = _column_names(header, width)

    found: dict[str, list[int]] = {}  # canonical column -> the file's columns (0-based) that name it
    for i, text in enumerate(header):
        column = HEADER_ALIASES.get(normalise_header(text))
        if column is not None:
            found.setdefault(column, []).append(i)
    if any(len(places) > 1 for places in found.values()):
        raise FileRejected(_repeated_message(found, header))
    canonical = {column: names[i] for column, (i,) in found.items()}
    missing = [name for name in REQUIRED if name not in canonical]
    if missing:
        raise FileRejected(_missing_message(missing))

    grid = _text_grid([cells for _, cells in body], width)
    filled = grid != ""
    nonblank = filled.any(axis=1) | beyond_header.astype(bool)
    first_filled = grid[np.arange(len(body)), filled.argmax(axis=1)] if len(body) else grid[:, 0]
    no_position = ~filled[:, names.index(canonical["position_id"])]
    says_total = np.array([text.lower().startswith(SUMMARY_PREFIX) for text in first_filled], dtype=bool)
    summary = nonblank & no_position & says_total
    data = nonblank & ~summary

    grid = grid[data]
    known = set(canonical.values())
    titles = [header[i].strip() if i < len(header) else "" for i in range(width)]
    extra = tuple(
        title or name
        for i, (name, title) in enumerate(zip(names, titles))
        if name not in known and (title or (grid[:, i] != "").any()) and not is_template_check(title)
    )
    return RawFile(
        source_file=source_file,
        grid=grid,
        columns=tuple(names),
        source_row=np.array([number for number, _ in body], dtype="int64")[data],
        canonical=canonical,
        extra_columns=extra,
        summary_rows=int(summary.sum()),
        beyond_header=beyond_header[data],
    )


def read_file_bytes(path: Path) -> bytes:
    """A regular file's bytes, size-checked before reading; never blocks on a FIFO swapped in meanwhile."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as error:
        raise FileRejected(f"cannot be opened ({error.strerror})") from None
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise FileRejected("not a regular file: send the return as a .csv or .xlsx file")
        check_file_size(status.st_size)
        try:
            return handle.read()
        except OSError as error:
            raise FileRejected(f"cannot be read ({error.strerror})") from None


def read_returns_file(path: Path, data_dir: Path, source_file: str | None = None) -> RawFile:
    """Read one returns file; raise `FileRejected` when it cannot be used at all.

    `source_file` is its name in the tables (default: its path under `data_dir`, made safe).
    """
    source_file = source_file or safe_name(path.relative_to(data_dir).as_posix())
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileRejected(f"not a CSV/XLSX file ({safe_name(path.suffix) or 'no extension'}): send the return "
                           "as .csv or .xlsx")
    content = read_file_bytes(path)
    if suffix == ".csv":
        return parse_lines(csv_lines(content, is_header), source_file, delimited=True)
    workbook = xlsx_lines(content, is_header)
    if not workbook.lines:
        raise FileRejected("no header row: no sheet has a column named 'Identifiant du poste' (or 'position_id')"
                           + "".join(f"; {note}" for note in workbook.unread_sheets))
    raw = parse_lines(workbook.lines, source_file)
    return RawFile(**{**raw.__dict__, "unread_sheets": tuple(workbook.unread_sheets)})


def read_year(data_dir: Path, year: int) -> YearFiles:
    """Read every file of `returns/<year>/` (`folder.scan_year_folder`); an unusable file is rejected, the
    others still load."""
    folder = scan_year_folder(data_dir, year)
    files, rejected = [], list(folder.rejected)
    for outcome in parallel_map(partial(_read_or_reject, data_dir), folder.to_read):
        (rejected if isinstance(outcome, tuple) else files).append(outcome)
    return YearFiles(files, sorted(rejected), sorted(folder.ignored))


def _read_or_reject(data_dir: Path, entry: ReturnsFile) -> RawFile | tuple[str, str]:
    """A file as read, or (its name, why it is rejected)."""
    try:
        return read_returns_file(entry.path, data_dir, entry.source_file)
    except FileRejected as problem:
        return entry.source_file, str(problem)
