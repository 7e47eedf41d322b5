"""What an evaluator reads in the Dagster UI next to each asset: previews, counts, charts."""


import base64

import dagster as dg
import pandas as pd

from swps_pipeline.assumptions import SYNTHETIC_NOTICE

OWNERS = ["team:evaluation"]
KINDS = {"pandas", "duckdb"}


def preview(frame: pd.DataFrame, rows: int = 10) -> dg.MetadataValue:
    """A Markdown preview of the first rows of a table."""
    if frame.empty:
        return dg.MetadataValue.md("_empty table_")
    return dg.MetadataValue.md(frame.head(rows).to_markdown(index=False))


def chart(png: bytes, title: str) -> dg.MetadataValue:
    """A PNG chart shown inline in the asset's metadata, with the synthetic-data notice."""
    encoded = base64.b64encode(png).decode("ascii")
    return dg.MetadataValue.md(f"**{title}**\n\n![{title}](data:image/png;base64,{encoded})\n\n_{SYNTHETIC_NOTICE}_")


def column_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name=str(n), type=str(t)) for n, t in frame.dtypes.items()])


def table_metadata(frame: pd.DataFrame, rows: int = 10) -> dict[str, object]:
    """Row count, column schema and preview: the metadata every table asset carries."""
    return {
        "dagster/row_count": len(frame),
        "dagster/column_schema": column_schema(frame),
        "preview": preview(frame, rows),
    }
