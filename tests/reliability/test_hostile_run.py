"""`swps run` on a data folder full of hostile and careless entries (issue 18): exit 0, every entry accounted.

One year folder of the small data folder receives, next to its real returns,
one entry per kind of trouble met in the field; the run must finish (exit 0,
never 1), publish every real return, and list each added entry in the marts
under its safe name with the reason.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile

import openpyxl
import pytest

pytestmark = pytest.mark.slow

YEAR = 2021
HEADER = ["year", "department_code", "position_id", "fte", "months_active", "persons_received", "new_cases",
          "actions"]
ROW = [2021, 77, "77-901", 1, 12, 120, 60, 360]


def workbook_bytes(*rows: list[object]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replace_sheet(content: bytes, change) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(buffer, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            out.writestr(info.filename, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return buffer.getvalue()


def test_a_run_over_hostile_entries_exits_0_and_accounts_for_each(small_folder, support, tmp_path):
    data_dir = tmp_path / "raw"
    shutil.copytree(small_folder, data_dir)
    folder = data_dir / "returns" / str(YEAR)
    good = workbook_bytes(HEADER, ROW)
    entries = {
        b"bilan_d\xe9partement_77.csv": (",".join(HEADER) + "\n" + ",".join(map(str, ROW)) + "\n").encode(),
        b"broken.xlsx": replace_sheet(good, lambda xml: xml.replace(b"</c>", b"</si>", 1)),
        b"laughs.xlsx": replace_sheet(good, lambda xml: b'<!DOCTYPE w [<!ENTITY a "aaaa">]>' + xml),
        b"far.xlsx": replace_sheet(good, lambda xml: xml.replace(
            b"</sheetData>", b'<row r="2"><c r="XFD2"><v>1</v></c></row></sheetData>')),
        b"formula.xlsx": workbook_bytes(HEADER, ROW[:2] + ["77-902"] + ROW[3:5] + ["=100+20"] + ROW[6:]),
        b"~$formula.xlsx": b"lock",
    }
    for name, content in entries.items():
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(content)
    shutil.copytree(folder, data_dir / "returns" / "2402")
    os.mkfifo(folder / "pipe.csv")
    (folder / "gone.csv").symlink_to(folder / "absent.csv")

    result = support.run_cli(support.cli_environment(data_dir, tmp_path / "out", tmp_path / "home"), timeout=900)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "  not read: returns/2402 (year outside 1980–2100: a typo? rename the folder)" in result.stdout

    marts = support.read_marts(tmp_path / "out" / "marts")
    prefix = f"returns/{YEAR}/"
    valid = marts["returns_valid"]
    assert valid.loc[valid["position_id"] == "77-901", "source_file"].tolist() == [
        prefix + "bilan_d\\xe9partement_77.csv"]
    quarantine = marts["returns_quarantine"].set_index("source_file")
    assert quarantine.loc[prefix + "formula.xlsx", "message"] == (
        "persons_received = '=100+20': formula without a saved value: open and save the file in a spreadsheet program")
    rejected = marts["files_rejected"].set_index("source_file")["reason"]
    assert rejected[prefix + "broken.xlsx"].startswith("damaged XLSX workbook")
    assert rejected[prefix + "laughs.xlsx"].startswith("xl/worksheets/sheet1.xml declares a DTD or entities")
    assert rejected[prefix + "far.xlsx"].startswith("sheet 'Sheet': too large: columns 16,384, the limit is 500")
    assert rejected[prefix + "pipe.csv"].startswith("a named pipe (FIFO)")
    assert rejected[prefix + "gone.csv"] == "broken symbolic link: its target does not exist"
    ignored = marts["files_ignored"].set_index("source_file")["reason"]
    assert ignored[prefix + "~$formula.xlsx"].startswith("Excel lock file")
    assert sorted(marts["returns_valid"]["year"].unique()) == list(support.YEARS)
