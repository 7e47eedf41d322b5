"""What an evaluator reads in the Dagster UI next to each asset: previews, counts, charts."""


import base64
import math

import dagster as dg
import pandas as pd

from swps_pipeline.assumptions import synthetic_notice

OWNERS = ["team:evaluation"]
KINDS = {"pandas", "duckdb"}
#: Significant digits a preview shows of a number with a fractional part (as `DataFrame.to_markdown` did).
PREVIEW_DIGITS = 6


#: Characters that Markdown would read as markup in a table cell (`<year>` as an HTML tag, `*` as emphasis).
_MARKUP = str.maketrans({"\\": "\\\\", "<": "&lt;", ">": "&gt;", "*": "\\*", "_": "\\_", "`": "\\`", "|": "\\|",
                         "[": "\\[", "]": "\\]", "\n": " "})


def markdown_text(value: object) -> object:
    """A cell value shown as written: every character that Markdown would swallow is escaped."""
    return value.translate(_MARKUP) if isinstance(value, str) else value


def preview(frame: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """A Markdown preview of the first rows of a table, its text shown as written, numbers right-aligned and
    missing values as empty cells.

    Written here rather than with `DataFrame.to_markdown` (tabulate): a whole run writes over a hundred previews,
    and tabulate's column padding and number parsing made them a second of the run and a sixth of the bytes
    its events store, for a table the UI renders the same (issue 17). It also aligns a code such as "01" as the
    text it is (tabulate aligned it as a number) and shows missing counts empty rather than as "nan".
    """
    if frame.empty:
        return dg.MetadataValue.md("_empty table_")
    head = frame.head(rows)
    align = ["---:" if _is_number(dtype) else ":---" for dtype in head.dtypes]
    lines = [_row(markdown_text(str(column)) for column in head.columns), _row(align),
             *(_row(map(_preview_cell, values)) for values in head.to_numpy(dtype=object, na_value=None))]
    return dg.MetadataValue.md("\n".join(lines))


def _row(cells) -> str:
    return f"| {' | '.join(cells)} |"


def _is_number(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _preview_cell(value: object) -> str:
    """A value as a preview shows it: six significant digits at most after the decimal point, the whole part
    never rounded (an amount in euros stays whole), nothing for missing."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isfinite(value):
        whole_digits = len(str(int(abs(value)))) if abs(value) >= 1 else 0
        text = f"{value:.{max(0, PREVIEW_DIGITS - whole_digits)}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return markdown_text(str(value))


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
