"""Issue 18 case 3: formula-like text is neutralised as the last step before any cell is written."""

from __future__ import annotations

import csv
from html.parser import HTMLParser

import openpyxl
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from swps_pipeline.publish.disclosure import FORMULA_TRIGGERS
from swps_pipeline.publish.pack import Headline, write_evaluation_pack

#: The tags the methods page writes itself; anything else would come from the data.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "h5", "h6", "p", "strong",
             "em", "code", "pre", "table", "tr", "th", "td", "a", "ul", "ol", "li", "figure", "img", "figcaption"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]
        self.handlers += [value for name, value in attrs if name in ("href", "src")
                          and not (value or "").startswith(("http://", "https://", "charts/", "csv/", "evaluation_pack"))
                          and ":" in (value or "")]


def _starts_as_formula(text: str) -> bool:
    stripped = text.lstrip("".join(map(chr, range(33))) + "\x7f\u00a0")
    return bool(stripped) and stripped[0] in FORMULA_TRIGGERS and not text.startswith("'")


def _write(directory, texts: list[str]):
    table = pd.DataFrame({"position_id": texts, "message": list(reversed(texts)), "n": range(len(texts))})
    return write_evaluation_pack(
        directory, {"notes": table}, {}, {"notes": texts[0] or "notes"}, methods_markdown="\n".join(texts),
        summary=[Headline(texts[-1] or "x", texts[0])],
        provenance=pd.DataFrame({"key": texts, "value": list(reversed(texts))}),
    )


def test_control_character_before_a_formula_is_neutralised(tmp_path):
    attack = '\x01=HYPERLINK("http://evil.example","click")'
    _write(tmp_path / "pack", [attack, " =1+1", "\u00a0@SUM(A1)", "fine"])
    workbook = openpyxl.load_workbook(tmp_path / "pack" / "evaluation_pack.xlsx")
    sheet = workbook["notes"]
    assert sheet["A2"].value == "'" + attack[1:]  # \x01 cannot be in XML; the apostrophe comes after its removal
    assert sheet["A2"].data_type == "s"
    assert sheet["A3"].value == "' =1+1" and sheet["A4"].value == "'\u00a0@SUM(A1)"
    with open(tmp_path / "pack" / "csv" / "notes.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][0] == "'" + attack  # CSV keeps every character, neutralised in front of them


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
                .map(lambda text: text if text.strip() else text + "x"), min_size=1, max_size=6))
@example(["\x01=1+1", "\t\x02 -2+3", "<script>alert(1)</script>", '<img src=x onerror="alert(1)">', "[a](javascript:x)"])
def test_random_text_never_becomes_a_formula_or_live_html(tmp_path_factory, texts):
    directory = tmp_path_factory.mktemp("pack") / "pack"
    _write(directory, texts)
    workbook = openpyxl.load_workbook(directory / "evaluation_pack.xlsx")
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not _starts_as_formula(cell.value), (sheet.title, cell.coordinate, cell.value)
    with open(directory / "csv" / "notes.csv", encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            assert not any(_starts_as_formula(field) for field in row), row
    parser = _Tags()
    parser.feed((directory / "methods.html").read_text(encoding="utf-8"))
    assert parser.tags <= PAGE_TAGS and not parser.handlers
