"""The evaluation pack: what evaluators open, in one folder.

`write_evaluation_pack` writes `evaluation_pack.xlsx` (a README sheet, then
one sheet per table), `csv/<table>.csv`, `charts/<name>.png` and
`methods.html`. Everything in it has passed `disclosure.shareable` (small
counts hidden, formula-like text neutralised); the warehouse keeps the true
values. The pack is built in a temporary sibling folder and renamed into
place, so a reader never sees half a pack, and two runs on the same tables
give the same bytes.
"""

from __future__ import annotations

import html
import itertools
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from swps_pipeline.assumptions import SYNTHETIC_NOTICE
from swps_pipeline.publish.xlsx import reproducible_xlsx_bytes
from swps_pipeline.publish.disclosure import (
    DISCLOSURE_RULE,
    NEUTRALISATION_RULE,
    SUPPRESSED_LABEL,
    neutralise_text,
    shareable,
)

TITLE = "Evaluation pack: social workers in police stations and gendarmerie units"
WORKBOOK_NAME = "evaluation_pack.xlsx"
METHODS_NAME = "methods.html"
README_SHEET = "README"

#: Excel's limits (Microsoft, "Excel specifications and limits"): 1,048,576
#: rows per sheet (one is the header), 31 characters per sheet name, 32,767
#: characters per cell; `[]:*?/\` are not allowed in a sheet name.
XLSX_MAX_DATA_ROWS = 1_048_575
SHEET_NAME_MAX = 31
XLSX_MAX_CELL_CHARS = 32_767
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\']")

#: Workbook created/modified properties and ZIP entry dates: fixed (the ZIP
#: epoch) so that the same tables give the same bytes.
FIXED_TIMESTAMP = datetime(1980, 1, 1)

#: Table and chart names become file names.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

#: Column widths (in characters), estimated on the first rows.
_WIDTH_MIN, _WIDTH_MAX, _WIDTH_SAMPLE_ROWS = 8, 60, 500


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
    charts: Mapping[str, bytes],
    table_notes: Mapping[str, str],
    methods_markdown: str | None = None,
    synthetic: bool = True,
    sources: Sequence[str] = (),
) -> PackManifest:
    """Write the evaluation pack to `out_dir`, replacing any older pack there.

    `tables` are published in the given order, one sheet and one CSV each;
    `table_notes` says what each table is (required for every table: the
    README must explain every sheet); `charts` are PNG bytes by name;
    `sources` are listed in the README and the methods note.
    """
    _check_names(tables, charts, table_notes)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        staging.chmod(0o755)  # mkdtemp makes it private; the pack is meant to be read by others
        packed, safe_tables = [], {}
        for name, sheet in zip(tables, _sheet_names(list(tables))):
            safe, suppressed = shareable(tables[name])
            safe_tables[name] = safe
            rows = len(safe)
            xlsx_rows = min(rows, XLSX_MAX_DATA_ROWS)
            packed.append(PackedTable(name, sheet, rows, xlsx_rows, suppressed, table_notes[name]))

        (staging / "csv").mkdir()
        for table in packed:
            safe_tables[table.name].to_csv(
                staging / table.csv_path, index=False, encoding="utf-8-sig", lineterminator="\r\n"
            )
        (staging / "charts").mkdir()
        for name, png in charts.items():
            (staging / "charts" / f"{name}.png").write_bytes(png)
        workbook = _workbook(packed, safe_tables, synthetic, sources)
        (staging / WORKBOOK_NAME).write_bytes(reproducible_xlsx_bytes(workbook, FIXED_TIMESTAMP))
        (staging / METHODS_NAME).write_text(
            _methods_html(packed, list(charts), methods_markdown, synthetic, sources), encoding="utf-8"
        )
        files = tuple(sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file()))
        _replace_directory(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
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


def _sheet_names(names: list[str]) -> list[str]:
    """Excel-valid, unique (case-insensitively, README included) sheet names of at most 31 characters."""
    taken = {README_SHEET.lower()}
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


def _workbook(
    packed: list[PackedTable], safe_tables: dict[str, pd.DataFrame], synthetic: bool, sources: Sequence[str]
) -> Workbook:
    workbook = Workbook(write_only=True)
    workbook.properties.creator = "swps-pipeline"
    workbook.properties.title = TITLE
    _write_readme(workbook.create_sheet(README_SHEET), packed, synthetic, sources)
    for table in packed:
        _write_table(workbook.create_sheet(table.sheet), safe_tables[table.name].head(XLSX_MAX_DATA_ROWS))
    return workbook


def _readme_lines(packed: list[PackedTable], synthetic: bool, sources: Sequence[str]) -> list[tuple[str, str]]:
    """The README sheet's (label, text) lines above the list of sheets."""
    lines = [("Synthetic data", SYNTHETIC_NOTICE)] if synthetic else []
    lines += [
        ("Disclosure control", DISCLOSURE_RULE),
        ("Formulas", NEUTRALISATION_RULE),
        (
            "Conventions",
            "One sheet per table below, with the same data in csv/<table>.csv (UTF-8, comma-separated); "
            "the charts are in charts/ and the methods in methods.html. "
            "Département codes are text ('01', '2A', '971'); years are numbers.",
        ),
    ]
    lines += [
        (
            "Truncated sheet",
            f"Sheet '{t.sheet}' shows the first {t.xlsx_rows:,} of {t.rows:,} rows (Excel's limit); "
            f"{t.csv_path} has every row.",
        )
        for t in packed
        if t.xlsx_rows < t.rows
    ]
    lines += [("Source", source) for source in sources]
    return lines


def _write_readme(sheet, packed: list[PackedTable], synthetic: bool, sources: Sequence[str]) -> None:
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 100
    for letter, width in zip("CDEF", (12, 18, 14, 40)):
        sheet.column_dimensions[letter].width = width
    sheet.append([_styled(sheet, TITLE, font=Font(bold=True, size=14))])
    sheet.append([])
    for label, text in _readme_lines(packed, synthetic, sources):
        sheet.append([_styled(sheet, label, font=bold), _styled(sheet, _safe_text(text), alignment=wrap)])
    sheet.append([])
    header = ["Sheet", "What it is", "Rows", f"Cells shown as {SUPPRESSED_LABEL}", "Rows in the sheet", "CSV file"]
    sheet.append([_styled(sheet, label, font=bold) for label in header])
    for t in packed:
        note = _styled(sheet, _safe_text(t.note), alignment=wrap)
        sheet.append([t.sheet, note, t.rows, t.suppressed_cells, t.xlsx_rows, t.csv_path])


def _safe_text(text: str) -> str:
    return neutralise_text(pd.Series([text], dtype=object)).iloc[0]


def _styled(sheet, value, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _write_table(sheet, safe: pd.DataFrame) -> None:
    """A table sheet: bold frozen header, column widths from the header and the first rows."""
    values = _xlsx_values(safe)
    widths = _column_widths(values)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_styled(sheet, str(name), font=bold) for name in values.columns])
    for row in values.itertuples(index=False, name=None):
        sheet.append(row)


def _xlsx_values(safe: pd.DataFrame) -> pd.DataFrame:
    """Python values an XLSX cell can hold: None for missing and non-finite numbers,
    naive datetimes, text without XML-illegal characters and within Excel's cell length."""
    converted = {}
    for name, column in safe.items():
        if pd.api.types.is_float_dtype(column):
            column = column.where(np.isfinite(column))
        elif isinstance(column.dtype, pd.DatetimeTZDtype):
            column = column.dt.tz_convert("UTC").dt.tz_localize(None)
        elif pd.api.types.infer_dtype(column, skipna=True) in ("string", "mixed", "mixed-integer"):
            text = column.astype(object)
            is_text = text.str.len().notna()
            cleaned = text.str.replace(ILLEGAL_CHARACTERS_RE, "", regex=True).str.slice(0, XLSX_MAX_CELL_CHARS)
            column = text.where(~is_text, cleaned)
        converted[name] = column.astype(object).where(column.notna(), None)
    return pd.DataFrame(converted, index=safe.index, columns=safe.columns)


def _column_widths(values: pd.DataFrame) -> list[float]:
    sample = values.head(_WIDTH_SAMPLE_ROWS)
    widths = []
    for name, column in sample.items():
        longest = max([len(str(name)), *column.dropna().astype(str).str.len().tolist()])
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
code, pre { background: #f3f4f6; }
"""


def _methods_html(
    packed: list[PackedTable],
    chart_names: list[str],
    methods_markdown: str | None,
    synthetic: bool,
    sources: Sequence[str],
) -> str:
    """A self-contained methods page: notice, methods, disclosure rules, tables, charts."""
    esc = html.escape
    parts = [f"<h1>{esc(TITLE)}</h1>"]
    if synthetic:
        parts.append(f'<p class="notice"><strong>Synthetic data.</strong> {esc(SYNTHETIC_NOTICE)}</p>')
    if methods_markdown:
        parts.append(markdown_to_html(methods_markdown, heading_offset=1))
    parts += [
        "<h2>Statistical disclosure control</h2>",
        f"<p>{esc(DISCLOSURE_RULE)}</p>",
        f"<p>{esc(NEUTRALISATION_RULE)}</p>",
        "<h2>Tables</h2>",
        f"<p>Each table is a sheet of <a href=\"{WORKBOOK_NAME}\">{WORKBOOK_NAME}</a> and a CSV file.</p>",
        "<table><tr><th>Table</th><th>What it is</th><th>Rows</th>"
        f"<th>Cells shown as {esc(SUPPRESSED_LABEL)}</th></tr>",
        *(
            f'<tr><td><a href="{esc(t.csv_path)}">{esc(t.name)}</a></td><td>{esc(t.note)}</td>'
            f"<td>{t.rows:,}</td><td>{t.suppressed_cells:,}</td></tr>"
            for t in packed
        ),
        "</table>",
    ]
    if chart_names:
        parts.append("<h2>Charts</h2>")
        parts += [
            f'<figure><img src="charts/{esc(name)}.png" alt="{esc(name)}">'
            f"<figcaption>{esc(name)}</figcaption></figure>"
            for name in chart_names
        ]
    if sources:
        parts += ["<h2>Sources</h2>", "<ul>", *(f"<li>{esc(source)}</li>" for source in sources), "</ul>"]
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{esc(TITLE)}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


_HEADING = re.compile(r"(#{1,6})\s+(.*?)\s*#*")
_LIST_ITEM = re.compile(r"([-*+]|\d+[.)])\s+(.*)")
_TABLE_RULE = re.compile(r"\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?")
_LINK = re.compile(r"\[([^\]]+)\]\(((?:https?://|#|\.{0,2}/|[A-Za-z0-9_])[^)\s]*)\)")


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
