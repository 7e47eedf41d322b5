"""Fuzzing hostile input (issue 18): damaged workbooks, absurd sheet dimensions, names of random bytes.

Hypothesis damages the XML parts of a valid workbook byte by byte, gives it
random sheet dimensions and far-away cells, and names files with random
bytes. Whatever it writes, reading a year never raises, and every entry of the
folder is accounted for exactly once: read (with balanced counts), rejected
with a reason, or ignored with a reason, under a name every table can store
and that gives the original bytes back.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from tempfile import TemporaryDirectory

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swps_pipeline.ingest.folder import original_name
from swps_pipeline.validate import validate_year

YEAR = 2021
HEADER = ["year", "department_code", "position_id", "fte", "months_active", "persons_received", "new_cases",
          "actions"]
ROWS = [[2021, 77, f"77-{i:03d}", 1, 12, 100 + i, 50, 300] for i in range(1, 4)]
CSV = (",".join(HEADER) + "\n" + "\n".join(",".join(map(str, row)) for row in ROWS) + "\n").encode()
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Bilan"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    book.create_sheet("Notes").append(["relu par le département"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook()
with zipfile.ZipFile(io.BytesIO(WORKBOOK)) as _archive:
    PARTS = {info.filename: _archive.read(info) for info in _archive.infolist()}
XML_PARTS = sorted(name for name in PARTS if name.endswith((".xml", ".rels")))


def rezip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@st.composite
def damaged_workbook(draw) -> bytes:
    """Random bytes written over, inserted into or cut from one XML part of a valid workbook."""
    part = draw(st.sampled_from(XML_PARTS))
    data = bytearray(PARTS[part])
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["overwrite", "insert", "cut"]))
        noise = draw(st.binary(min_size=1, max_size=12))
        if action == "overwrite":
            data[at:at + len(noise)] = noise
        elif action == "insert":
            data[at:at] = noise
        else:
            del data[at:at + draw(st.integers(1, 40))]
    return rezip({**PARTS, part: bytes(data)})


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@st.composite
def odd_dimensions(draw) -> bytes:
    """The stated dimension of the sheet is random, and a cell may sit anywhere up to XFD1048576."""
    sheet = PARTS["xl/worksheets/sheet1.xml"]
    column, row = draw(st.integers(1, 16_384)), draw(st.integers(1, 1_048_576))
    reference = f"{_column_letters(column)}{row}"
    stated = f'<dimension ref="A1:{reference}"/>'.encode() if draw(st.booleans()) else b'<dimension ref="A1"/>'
    start, end = sheet.index(b"<dimension"), sheet.index(b"/>", sheet.index(b"<dimension")) + 2
    sheet = sheet[:start] + stated + sheet[end:]
    if draw(st.booleans()) and row > len(ROWS) + 1:
        far = f'<row r="{row}"><c r="{reference}" t="n"><v>7</v></c></row>'.encode()
        sheet = sheet.replace(b"</sheetData>", far + b"</sheetData>")
    return rezip({**PARTS, "xl/worksheets/sheet1.xml": sheet})


def name_bytes() -> st.SearchStrategy[bytes]:
    """A file name as a disk may hold it: any bytes but `/` and NUL, not `.` or `..`."""
    return st.binary(min_size=1, max_size=60).map(lambda raw: raw.replace(b"/", b"_").replace(b"\x00", b"_")).filter(
        lambda raw: raw not in (b".", b".."))


def check_accounted(files: dict[bytes, bytes]) -> None:
    """Read the year; every file is read, rejected or ignored exactly once, under a reversible safe name."""
    with TemporaryDirectory() as root:
        folder = Path(root) / "returns" / str(YEAR)
        folder.mkdir(parents=True)
        for name, content in files.items():
            Path(os.fsdecode(os.path.join(os.fsencode(folder), name))).write_bytes(content)

        result = validate_year(Path(root), YEAR, None)

    accounting = result.ingestion_accounting
    read = accounting.loc[~accounting["file_rejected"], "source_file"].tolist()
    rejected = result.files_rejected["source_file"].tolist()
    ignored = result.files_ignored["source_file"].tolist()
    assert sorted(accounting.loc[accounting["file_rejected"], "source_file"]) == sorted(rejected)
    names = read + rejected + ignored
    assert sorted(os.fsencode(original_name(name)) for name in names) == sorted(
        b"returns/%d/" % YEAR + name for name in files)
    for name in names:
        name.encode("utf-8")  # storable by DuckDB, Parquet and XLSX
    counts = accounting[["rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped"]]
    assert (accounting["rows_read"] == counts.sum(axis=1)).all()
    assert all(reason for reason in result.files_rejected["reason"])
    assert all(reason for reason in result.files_ignored["reason"])


@FUZZ
@given(content=damaged_workbook())
def test_a_workbook_with_random_bytes_in_its_xml_is_read_or_rejected(content):
    check_accounted({b"damaged.xlsx": content, b"good.csv": CSV})


@FUZZ
@given(content=odd_dimensions())
def test_a_workbook_with_random_dimensions_is_read_or_rejected(content):
    check_accounted({b"dimensions.xlsx": content})


@FUZZ
@given(names=st.lists(name_bytes(), min_size=1, max_size=5, unique=True),
       contents=st.lists(st.sampled_from([CSV, WORKBOOK, b"", b"\x89PNG"]), min_size=5, max_size=5))
def test_files_with_names_of_random_bytes_are_all_accounted(names, contents):
    check_accounted(dict(zip(names, contents)))
