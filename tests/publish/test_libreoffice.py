"""The workbook as LibreOffice prints it: page count, the notice on page 1, screenshots to look at."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from swps_pipeline.figures import new_figure, to_png
from swps_pipeline.publish.pack import Headline, write_evaluation_pack
from swps_pipeline.publish.xlsx import PERCENT
from tests.publish.test_disclosure import held_out_panel

pytestmark = pytest.mark.slow


def _pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")


def test_workbook_prints_in_libreoffice(tmp_path):
    if not shutil.which("soffice"):
        pytest.fail("LibreOffice (soffice) is not installed: run `make system-deps`")
    tables = held_out_panel(seed=3, departments=40, years=(2021, 2022))
    figure = new_figure()
    figure.subplots().plot([2021, 2022, 2023], [10, 14, 20])
    write_evaluation_pack(
        tmp_path / "pack", tables, {"trend": to_png(figure)},
        {"national_year": "National sums by year.", "department_year": "Every département × year."},
        summary=[Headline("Mean net present value, 2021–2023 (M€)", 12.34, '#,##0.0 "M€"'),
                 Headline("Probability that the NPV is positive", 0.62, PERCENT, "10,000 draws")],
        provenance=pd.DataFrame({"key": ["parameters_hash", "git_commit"], "value": ["ab12cd", "0123abc"]}),
    )
    out = tmp_path / "pdf"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to", "pdf",
         "--outdir", str(out), str(tmp_path / "pack" / "evaluation_pack.xlsx")],
        check=True, capture_output=True, timeout=300,
    )
    pdf = out / "evaluation_pack.pdf"
    pages = [page for page in _pdf_pages(pdf) if page.strip()]

    # 80 département rows × 52 columns, 24 columns across a landscape page: a handful of pages, not hundreds.
    assert 5 <= len(pages) <= 16
    assert "SYNTHETIC" in pages[0] and "README, page 1" in pages[0]
    assert "Synthetic data" in pages[0] and "Disclosure control" in pages[0] and "parameters_hash" in pages[0]
    summary = next(i for i, page in enumerate(pages) if "Headline results" in page)
    assert "12.3 M€" in pages[summary] and "62.0%" in pages[summary]
    data = next(i for i, page in enumerate(pages) if "department_year, page" in page)
    assert "department_code" in pages[data]  # header repeated at the top of the page

    shots = Path(os.environ.get("SWPS_SCREENSHOT_DIR", tmp_path / "screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    for name, index in (("pack_readme", 0), ("pack_summary", summary), ("pack_department_year", data)):
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-singlefile", "-f", str(index + 1), "-l", str(index + 1),
                        str(pdf), str(shots / name)], check=True)
        assert (shots / f"{name}.png").stat().st_size > 10_000
