"""Writing returns as they arrive in real life: mixed formats, encodings, labels and layouts.

A `FileStyle` is drawn per file; `render_files` turns frames of canonical values
(which may hold planted bad values as strings) into the bytes of the file.
XLSX files are byte-reproducible: fixed workbook properties and fixed zip
entry timestamps.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd

from swps_pipeline import contract
from swps_pipeline.publish.xlsx import reproducible_xlsx_bytes

FIXED_TIMESTAMP = datetime(2024, 1, 1)
NBSP = "\u00a0"
#: XLSX only for files this small, so that a large scale stays fast (openpyxl writes cell by cell).
MAX_XLSX_ROWS = 60
#: Share of files sent as workbooks (synthetic; kept small, workbooks weigh more).
XLSX_SHARE = 0.15
TOTAL_LABEL = "Total"


@dataclass(frozen=True)
class FileStyle:
    fmt: str  # "csv" or "xlsx"
    french: bool  # the profile's labels and aliases (France: French), decimal comma and no-break-space thousands
    upper_labels: bool
    encoding: str  # CSV only: "utf-8", "utf-8-sig", "cp1252"
    sep: str
    line_end: str
    na_token: str  # how "not reported" is written
    one_digit_codes: bool  # "1" for "01"
    blank_full_months: bool  # months_active left blank when 12 (null means 12)
    title_rows: tuple[str, ...]  # XLSX only: lines above the header
    total_row: bool  # XLSX only: a "Total" row at the bottom
    host_alias: tuple[int, int]  # which label of the first / second host type (France: police / gendarmerie)
    employer_alias: int  # which label of each employer type (modulo its number of labels)

    @property
    def first_data_row(self) -> int:
        """1-based line (CSV) or sheet row (XLSX) of the first data row."""
        return len(self.title_rows) + 2


def draw_style(rng: np.random.Generator, n_rows: int, department_name: str, year: int,
               title: tuple[str, ...]) -> FileStyle:
    """One file's style, drawn with realistic frequencies; `title`: the lines a workbook may have above its header."""
    french = bool(rng.random() < 0.6)
    fmt = "xlsx" if n_rows <= MAX_XLSX_ROWS and rng.random() < XLSX_SHARE else "csv"
    if french:
        encoding = str(rng.choice(["utf-8-sig", "cp1252", "utf-8"], p=[0.4, 0.35, 0.25]))
        sep = ";" if rng.random() < 0.85 else ","
        na_token = str(rng.choice(["", "NR", "-"], p=[0.7, 0.2, 0.1]))
    else:
        encoding = "utf-8" if rng.random() < 0.7 else "utf-8-sig"
        sep = "," if rng.random() < 0.8 else ";"
        na_token = ""
    titles: tuple[str, ...] = ()
    if fmt == "xlsx" and rng.random() < 0.5:
        titles = title_rows(title, year, department_name) + ("",) * int(rng.integers(0, 2))
    return FileStyle(
        fmt=fmt,
        french=french,
        upper_labels=french and bool(rng.random() < 0.1),
        encoding=encoding,
        sep=sep,
        line_end="\r\n" if rng.random() < 0.4 else "\n",
        na_token=na_token,
        one_digit_codes=bool(rng.random() < 0.5),
        blank_full_months=bool(rng.random() < 0.2),
        title_rows=titles,
        total_row=fmt == "xlsx" and bool(rng.random() < 0.5),
        host_alias=(int(rng.integers(2)), int(rng.integers(2))),
        employer_alias=int(rng.integers(4)),
    )


def title_rows(title: tuple[str, ...], year: int, department_name: str) -> tuple[str, ...]:
    """The lines a département puts above the header of its workbook (`title` with `{year}` and `{name}`)."""
    return tuple(line.format(year=year, name=department_name) for line in title)


def slug(text: str) -> str:
    """ASCII file-name part: accents stripped, spaces and apostrophes to '-'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")


def _as_written(frame: pd.DataFrame, styles: list[FileStyle], lengths: list[int]) -> pd.DataFrame:
    """Canonical values turned into what each sender typed (codes, aliases, blanks).

    `frame` holds the rows of several files one after the other, `lengths[k]`
    rows in the style `styles[k]`.
    """

    def per_row(attribute) -> np.ndarray:
        return np.repeat([attribute(style) for style in styles], lengths)

    out = frame.copy()
    codes = out["department_code"].astype(object)
    short = per_row(lambda s: s.one_digit_codes) & codes.str.fullmatch(r"0\d").fillna(False).to_numpy(bool)
    out["department_code"] = codes.where(~short, codes.str[1:])
    french = per_row(lambda s: s.french)

    def host_alias(k: int) -> np.ndarray:
        return per_row(lambda s: s.host_alias[k]) if k < len(styles[0].host_alias) else np.zeros(len(out), dtype=int)

    out["host_type"] = _labelled(out["host_type"].to_numpy(object), contract.HOST_TYPES, french, host_alias)
    out["employer_type"] = _labelled(out["employer_type"].to_numpy(object), contract.EMPLOYER_TYPES, french,
                                     lambda k: per_row(lambda s: s.employer_alias))
    months = out["months_active"].astype(object)
    out["months_active"] = months.where(~(per_row(lambda s: s.blank_full_months) & (months == 12).to_numpy(bool)), None)
    return out


def _labelled(values: np.ndarray, choices: dict[str, tuple[str, ...]], labelled: np.ndarray, alias) -> np.ndarray:
    """Each canonical value of a `labelled` row written as one of the profile's labels for it; `alias(k)` picks,
    per row, which label of the k-th value (modulo its number of labels); other rows keep the canonical value."""
    conditions = [labelled & (values == value) for value in choices]
    picks = [np.array(labels, dtype=object)[alias(k) % len(labels)] for k, labels in enumerate(choices.values())]
    return np.select(conditions, picks, values)


def _headers(columns: list[str], style: FileStyle) -> list[str]:
    if not style.french:
        return columns
    labels = [contract.BY_NAME[c].label if c in contract.BY_NAME else c for c in columns]
    return [label.upper() for label in labels] if style.upper_labels else labels


def _number_text(values: pd.Series, french: bool, decimals: int) -> pd.Series:
    """Numbers as text (strings in `values` pass through): French thousands and decimal comma."""
    numbers = pd.to_numeric(values, errors="coerce")
    if decimals:
        text = numbers.map(f"{{:.{decimals}f}}".format).str.replace(r"(\.\d*?[1-9])0+$|\.0+$", r"\1", regex=True)
    else:
        text = numbers.round().astype("Int64").astype(str)
    if french:
        big = numbers.abs() >= 1000  # the regex only where it can change something
        text[big] = text[big].str.replace(r"(\d)(?=(\d{3})+(?!\d))", r"\1" + NBSP, regex=True)
        if decimals:
            text = text.str.replace(".", ",", regex=False)
    passthrough = values.where(numbers.isna() & values.notna(), None).astype(object)
    return text.where(numbers.notna(), passthrough)


def _text(written: pd.DataFrame, french: bool) -> pd.DataFrame:
    """Every cell as the text a CSV holds (None when blank); numbers formatted column by column."""
    text = pd.DataFrame(index=written.index)
    for column in written.columns:
        kind = contract.BY_NAME[column].type if column in contract.BY_NAME else "str"
        values = written[column].astype(object)
        if column == "year" or kind in ("str", "enum"):
            text[column] = values.where(values.notna(), None)
        else:
            text[column] = _number_text(values, french, 2 if kind == "float" else 0)
    return text


def _csv_bytes(rows: np.ndarray, columns: list[str], style: FileStyle) -> bytes:
    """One CSV file from its text cells (None = blank), quoting as needed."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=style.sep, lineterminator=style.line_end)
    writer.writerow(_headers(columns, style))
    writer.writerows(np.where(pd.isna(rows), style.na_token, rows).tolist())
    try:
        return out.getvalue().encode(style.encoding)
    except UnicodeEncodeError:  # labels Windows-1252 cannot hold (Polish ą, ł): saved as UTF-8 (the contract's first)
        return out.getvalue().encode("utf-8")


def render_csv_files(frames: list[pd.DataFrame], styles: list[FileStyle]) -> list[bytes]:
    """CSV bytes of many files at once: numbers are formatted over all files together (fast at scale)."""
    out: list[bytes] = [b""] * len(frames)
    for french in (True, False):
        group = [k for k, style in enumerate(styles) if style.french == french]
        if not group:
            continue
        lengths = [len(frames[k]) for k in group]
        together = pd.concat([frames[k] for k in group], ignore_index=True)
        text = _text(_as_written(together, [styles[k] for k in group], lengths), french)
        cells = text.to_numpy(dtype=object)
        bounds = np.cumsum([0, *lengths])
        for k, start, stop in zip(group, bounds[:-1], bounds[1:]):
            columns = list(frames[k].columns)
            out[k] = _csv_bytes(cells[start:stop, text.columns.get_indexer(columns)], columns, styles[k])
    return out


def _cell(value: object) -> object:
    """A value openpyxl can store: numbers stay numbers, blanks are empty cells."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def render_xlsx(frame: pd.DataFrame, style: FileStyle) -> bytes:
    written = _as_written(frame, [style], [len(frame)])
    if style.one_digit_codes:  # Excel drops the leading zero of a code typed as a number
        written["department_code"] = written["department_code"].map(lambda c: int(c) if c.isdigit() and len(c) == 1 else c)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Bilan")
    for title in style.title_rows:
        sheet.append([title or None])
    sheet.append(_headers(list(written.columns), style))
    for row in written.astype(object).itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in row])
    if style.total_row:
        summed = [c for c in written.columns if c in contract.BY_NAME and contract.BY_NAME[c].type in ("int", "float") and c != "year"]
        numbers = pd.to_numeric(pd.Series(written[summed].to_numpy(object).ravel()), errors="coerce")
        totals = dict(zip(summed, numbers.to_numpy(float).reshape(len(written), -1).sum(axis=0)))
        sheet.append([TOTAL_LABEL if c == "year" else _cell(totals.get(c)) for c in written.columns])
    return reproducible_xlsx_bytes(workbook, FIXED_TIMESTAMP)


def render_files(frames: list[pd.DataFrame], styles: list[FileStyle]) -> list[bytes]:
    """The bytes of each returns file, in order."""
    csv = [k for k, style in enumerate(styles) if style.fmt == "csv"]
    out = dict(zip(csv, render_csv_files([frames[k] for k in csv], [styles[k] for k in csv])))
    out.update({k: render_xlsx(frames[k], style) for k, style in enumerate(styles) if style.fmt == "xlsx"})
    return [out[k] for k in range(len(frames))]
