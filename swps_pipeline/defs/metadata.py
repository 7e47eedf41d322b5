"""What an evaluator reads in the Dagster UI next to each asset: previews, counts, charts."""


import base64

import dagster as dg
import pandas as pd

from swps_pipeline.assumptions import synthetic_notice

OWNERS = ["team:evaluation"]
KINDS = {"pandas", "duckdb"}


#: Characters that Markdown would read as markup in a table cell (`<year>` as an HTML tag, `*` as emphasis).
_MARKUP = str.maketrans({"\\": "\\\\", "<": "&lt;", ">": "&gt;", "*": "\\*", "_": "\\_", "`": "\\`", "|": "\\|",
                         "[": "\\[", "]": "\\]", "\n": " "})


def markdown_text(value: object) -> object:
    """A cell value shown as written: every character that Markdown would swallow is escaped."""
    return value.translate(_MARKUP) if isinstance(value, str) else value


def preview(frame: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """A Markdown preview of the first rows of a table, its text shown as written."""
    if frame.empty:
        return dg.MetadataValue.md("_empty table_")
    head = frame.head(rows)
    head = head.set_axis([markdown_text(str(c)) for c in head.columns], axis=1).map(markdown_text)
    return dg.MetadataValue.md(head.to_markdown(index=False))


def chart(png: bytes, title: str) -> dg.MetadataValue:
    """A PNG chart shown inline in the asset's metadata, with the synthetic-data notice."""
    encoded = base64.b64encode(png).decode("ascii")
    return dg.MetadataValue.md(f"**{title}**\n\n![{title}](data:image/png;base64,{encoded})\n\n_{synthetic_notice()}_")


def table_metadata(frame: pd.DataFrame, rows: int = 10) -> dict[str, object]:
    """Row count and preview: the metadata every table asset carries.

    The warehouse IO manager adds the column schema, with each column's description
    from the column dictionary (`swps_pipeline/columns.py`).
    """
    return {"dagster/row_count": len(frame), "preview": preview(frame, rows)}


def year_metadata(frame: pd.DataFrame, year: str, rows: int = 10) -> dict[str, object]:
    """One year partition's own preview (the warehouse IO manager records its own row count)."""
    return {"preview": preview(frame[frame["year"].astype(str) == year], rows)}
