"""The UI explains every table: descriptions with what, grain and source; every column described; no text lost."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from markdown_it import MarkdownIt

from swps_pipeline.columns import describe, dictionary_markdown
from swps_pipeline.definitions import STAGES
from swps_pipeline.defs.metadata import preview
from swps_pipeline.defs.resources import PipelineSettings
from swps_pipeline.publish.warehouse import column_schema

DOCS = Path(__file__).resolve().parents[2] / "docs"


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def rendered_text(markdown: str) -> str:
    """What a reader sees once the UI renders `markdown` (CommonMark with inline HTML, as Dagster's UI)."""
    parser = _Text()
    parser.feed(MarkdownIt("commonmark").render(markdown))
    return " ".join("".join(parser.parts).split())


def assert_renders_whole(markdown: str) -> None:
    """Every character of the text is shown: no `<tag>` swallowed, no `*`/`_` turned into emphasis."""
    assert rendered_text(markdown) == " ".join(markdown.replace("`", "").split()), markdown


def _table_columns(marts_dir: Path) -> dict[str, list[str]]:
    return {p.stem: pq.read_schema(p).names for p in sorted(marts_dir.glob("*.parquet"))}


def test_the_renderer_check_catches_swallowed_text():
    with pytest.raises(AssertionError):
        assert_renders_whole("Source: files under returns/<year>/.")
    with pytest.raises(AssertionError):
        assert_renders_whole("group cases_*, sums to new_cases; group source_*")
    assert_renders_whole("Source: files under `returns/<year>/`; group `cases_*`, `source_*`.")


def test_every_asset_description_says_what_grain_and_source_and_renders_whole():
    specs = [spec for stage in STAGES for assets in stage.ASSETS for spec in assets.specs]
    assert len(specs) >= 30
    for spec in specs:
        description = spec.description or ""
        what, _, rest = description.partition("Grain:")
        assert what.strip() and "Source:" in rest, f"{spec.key.to_user_string()}: {description}"
        assert_renders_whole(description)


def test_every_column_of_every_published_table_has_a_description_that_renders_whole(bundled_marts: Path):
    tables = _table_columns(bundled_marts)
    assert len(tables) >= 30 and sum(map(len, tables.values())) > 450
    for table, columns in tables.items():
        for column in columns:
            text = describe(table, column)
            assert text, f"{table}.{column} has no description"
            assert_renders_whole(text)
    # a template column keeps the contract's French label; an aggregate says it is a sum
    assert describe("returns_valid", "cases_victim").endswith("Template label « Situations victimes ».")
    assert describe("department_year", "new_cases").startswith("Sum over the positions that reported it")
    assert describe("recorded_crime", "unit") != describe("cba_sensitivity", "unit")


def test_the_column_schema_in_the_ui_carries_the_descriptions(bundled_marts: Path):
    frame = pq.read_table(bundled_marts / "indicator_changes.parquet").to_pandas()
    schema = column_schema(frame, "indicator_changes")
    assert [c.name for c in schema.columns] == list(frame.columns)
    assert {c.name: c.description for c in schema.columns}["change_rel"] == "value / value_previous_year − 1 (0.10 = +10 %)."
    # text columns read as text in the UI, not as pandas' "object"
    types = {c.name: c.type for c in schema.columns}
    assert types["indicator"] == "string" and types["year"] == str(frame["year"].dtype)


def test_docs_columns_md_is_generated_from_the_dictionary(bundled_marts: Path):
    assert (DOCS / "columns.md").read_text(encoding="utf-8") == dictionary_markdown(_table_columns(bundled_marts))


def test_every_column_docs_outputs_md_names_is_published_and_described(bundled_marts: Path):
    tables = _table_columns(bundled_marts)
    rows = re.findall(r"^\| `(\w+)` \| [^|]* \| (.*) \|$", (DOCS / "outputs.md").read_text(encoding="utf-8"), re.M)
    assert len(rows) >= 15
    for table, cell in rows:
        names = [n for span in re.findall(r"`([^`]+)`", cell) for n in re.split(r",\s*", span)
                 if re.fullmatch(r"\w+\*?", n)]  # column names, not the paths a cell may quote
        for name in names:
            published = [c for c in tables[table] if c == name or (name.endswith("*") and c.startswith(name[:-1]))]
            assert published, f"docs/outputs.md names {table}.{name}, which is not published"
            assert all(describe(table, c) for c in published)


def test_the_launchpad_describes_every_field_of_the_pipeline_settings():
    fields = PipelineSettings.to_config_schema().as_field().config_type.fields
    assert set(fields) == {"data_dir", "output_dir", "crime_edition", "run_folder", "compare_dirs"}
    assert all(field.description for field in fields.values())
    assert fields["crime_edition"].default_provided and fields["crime_edition"].default_value is None


def test_previews_show_cell_text_as_written():
    frame = pd.DataFrame({"source_file": ["returns/<YYYY>/a_b*c*.csv"], "message": ["fte 2 | expected [0, 1]"]})
    html = MarkdownIt("commonmark").enable("table").render(preview(frame).value)
    parser = _Text()
    parser.feed(html)
    cells = [part.strip() for part in parser.parts if part.strip()]
    assert cells == ["source_file", "message", "returns/<YYYY>/a_b*c*.csv", "fte 2 | expected [0, 1]"]


def test_previews_keep_codes_amounts_and_missing_values_as_they_are():
    """A département code stays "01", aligned as text, an amount in euros keeps its units (no 1.23e+06),
    a fraction shows six significant digits, a missing count is an empty cell (not "nan"), and numbers are
    right-aligned."""
    frame = pd.DataFrame({"department_code": ["01", "77"], "cost_eur": [1234567.0, 52500.25],
                          "share": [0.123456789, float("nan")], "new_cases": pd.array([12, None], dtype="Int64")})
    html = MarkdownIt("commonmark").enable("table").render(preview(frame).value)
    rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
    cells = [re.findall(r"<t[hd](?: style=\"text-align:(\w+)\")?>(.*?)</t[hd]>", row) for row in rows]
    assert [text for _, text in cells[1]] == ["01", "1234567", "0.123457", "12"]
    assert [text for _, text in cells[2]] == ["77", "52500.2", "", ""]
    assert [align for align, _ in cells[0]] == ["left", "right", "right", "right"]
