"""One year's returns, from files to the five ingestion tables of `outputs.md`.

Every input row ends as exactly one of valid, quarantined, summary skipped,
duplicate dropped or superseded by a correction (`corrections.py`), and the
accounting says so per file. Bad data never
raises: it ends in the quarantine or in `files_rejected`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from swps_pipeline.contract import COLUMN_NAMES, HARD_RULES, SOFT_RULES
from swps_pipeline.ingest.lines import raw_cell
from swps_pipeline.ingest.read import BEYOND_HEADER, RawFile, read_year
from swps_pipeline.parallel import parallel_map
from swps_pipeline.validate.duplicates import Duplicates, find_duplicates
from swps_pipeline.validate.messages import cell_messages, cross_field_messages
from swps_pipeline.validate.parse import parse_returns
from swps_pipeline.validate.schema import FAILURE_COLUMNS, hard_rule_failures
from swps_pipeline.validate.soft import derive_unknowns, soft_rule_warnings
from swps_pipeline.validate.corrections import superseded_rows
from swps_pipeline.validate.tables import ACCOUNTING_COUNTS, ValidationResult, table

_RULE_ORDER = {rule: i for i, rule in enumerate(HARD_RULES + SOFT_RULES)}
_COLUMN_ORDER = {name: i for i, name in enumerate(COLUMN_NAMES)}


def _stack_files(files: list[RawFile]) -> pd.DataFrame:
    """The canonical text of every data row of the year ("" where a file lacks a column), with
    `source_file`, `source_row`, `file` (its index in `files`) and `beyond_header` (`RawFile.beyond_header`)."""
    sizes = [len(raw.grid) for raw in files]
    grid = np.full((sum(sizes), len(COLUMN_NAMES)), "", dtype=object)
    for raw, start in zip(files, np.cumsum([0, *sizes])):
        grid[start:start + len(raw.grid), [_COLUMN_ORDER[c] for c in raw.canonical]] = raw.canonical_text()
    rows = pd.DataFrame(grid, columns=COLUMN_NAMES)
    rows["source_file"] = np.repeat(np.array([raw.source_file for raw in files], dtype=object), sizes)
    rows["source_row"] = np.concatenate([raw.source_row for raw in files]) if files else np.zeros(0, "int64")
    rows["file"] = np.repeat(np.arange(len(files)), sizes)
    rows["beyond_header"] = np.concatenate([raw.beyond_header for raw in files]) if files else np.zeros(0, object)
    return rows


def _type_failures(unreadable: pd.DataFrame) -> pd.DataFrame:
    rows, columns = np.nonzero(unreadable.to_numpy())
    return pd.DataFrame({"row": rows.astype("int64"), "rule": "type", "column": unreadable.columns[columns]})


def collect_failures(typed: pd.DataFrame, unreadable: pd.DataFrame, beyond_header: pd.Series, duplicates: Duplicates,
                     year: int) -> pd.DataFrame:
    """Every hard-rule failure (row, rule, column) of the rows kept after dropping identical copies.

    An unreadable cell is a `type` failure only (it also reads as null, which is not a `required` failure); a
    row with cells beyond the header (`RawFile.beyond_header`) is a `type` failure of the whole row (its cells
    were shifted: nothing is guessed).
    """
    schema = hard_rule_failures(typed, year)
    type_failures = _type_failures(unreadable)
    also_type = pd.MultiIndex.from_frame(schema[["row", "column"]]).isin(
        pd.MultiIndex.from_frame(type_failures[["row", "column"]]))
    schema = schema[~((schema["rule"] == "required") & also_type)]
    conflicts = pd.DataFrame({"row": np.flatnonzero(duplicates.conflicting), "rule": "conflicting_duplicate",
                              "column": None})
    beyond = beyond_header.astype(bool).to_numpy()
    shifted = pd.DataFrame({"row": np.flatnonzero(beyond), "rule": "type", "column": None})
    failures = pd.concat([type_failures, schema, conflicts], ignore_index=True).astype(FAILURE_COLUMNS)
    # A shifted row's values are not its own: the shift is its one failure.
    failures = pd.concat([failures[~beyond[failures["row"].to_numpy()]], shifted], ignore_index=True).astype(
        FAILURE_COLUMNS)
    failures = failures[~duplicates.dropped[failures["row"].to_numpy()]]
    order = failures["rule"].map(_RULE_ORDER) * 1000 + failures["column"].map(_COLUMN_ORDER).fillna(999)
    return failures.assign(order=order).sort_values(["row", "order"]).drop(columns="order").reset_index(drop=True)


def _raw_json(files: list[RawFile], rows: pd.DataFrame, quarantined: np.ndarray) -> pd.Series:
    """Each quarantined row as read (every column of its file, original headers; a valueless cell as
    `lines.raw_cell` writes it; a CSV row's cells beyond the header as a list under `BEYOND_HEADER`), as JSON."""
    local = rows.groupby("file").cumcount().to_numpy()
    raw = pd.Series(index=quarantined, dtype=object)
    for file, positions in pd.Series(quarantined, index=rows["file"].to_numpy()[quarantined]).groupby(level=0):
        source = files[file]
        at = local[positions.to_numpy()]
        raw[positions.to_numpy()] = [
            json.dumps({name: raw_cell(cell) for name, cell in zip(source.columns, record)}
                       | ({BEYOND_HEADER: list(beyond)} if beyond else {}), ensure_ascii=False)
            for record, beyond in zip(source.grid[at], source.beyond_header[at])]
    return raw


def build_quarantine(files, rows, typed, failures, duplicates, year) -> pd.DataFrame:
    """One row per rejected input row: its rule ids, and one actionable message per broken rule."""
    cell = failures["column"].notna()
    message = pd.concat([
        cell_messages(failures[cell], rows[COLUMN_NAMES], year),
        cross_field_messages(failures[~cell], typed, rows["beyond_header"], duplicates.copies_at, year),
    ]).reindex(failures.index)
    per_row = failures.assign(message=message).groupby("row", sort=True).agg(
        rules=("rule", lambda rules: ";".join(dict.fromkeys(rules))),
        message=("message", "; ".join),
    )
    index = per_row.index.to_numpy()
    return table("returns_quarantine", pd.DataFrame({
        "source_file": rows["source_file"].to_numpy()[index],
        "source_row": rows["source_row"].to_numpy()[index],
        "year": year,
        "position_id": typed["position_id"].to_numpy()[index],
        "rules": per_row["rules"].to_numpy(),
        "message": per_row["message"].to_numpy(),
        "raw": _raw_json(files, rows, index).to_numpy(),
    }))


def _file_warnings(files: list[RawFile]) -> pd.DataFrame:
    """`extra_column`, once per file; `extra_sheet`, once per XLSX sheet not read."""
    return pd.DataFrame([
        *({"source_file": raw.source_file, "source_row": None, "position_id": None, "rule": "extra_column",
           "message": f"column(s) not in the template, kept aside: {', '.join(raw.extra_columns)}"}
          for raw in files if raw.extra_columns),
        *({"source_file": raw.source_file, "source_row": None, "position_id": None, "rule": "extra_sheet",
           "message": note} for raw in files for note in raw.unread_sheets),
    ], columns=["source_file", "source_row", "position_id", "rule", "message"])


def _duplicate_warnings(rows: pd.DataFrame, typed: pd.DataFrame, duplicates: Duplicates) -> pd.DataFrame:
    dropped = duplicates.dropped
    return pd.DataFrame({
        "source_file": rows["source_file"][dropped],
        "source_row": rows["source_row"][dropped],
        "position_id": typed["position_id"][dropped],
        "rule": "duplicate_identical",
        "message": "identical copy of the return of " + typed["position_id"][dropped] + " kept at "
        + duplicates.kept_at[rows.index[dropped]] + ": this copy is dropped",
    })


def _accounting(files: list[RawFile], rejected: list[tuple[str, str]], rows: pd.DataFrame, outcome: pd.Series,
                year: int) -> pd.DataFrame:
    counts = pd.crosstab(rows["file"], outcome).reindex(
        index=range(len(files)), columns=["valid", "quarantined", "duplicate_dropped", "superseded"], fill_value=0)
    read = pd.DataFrame({
        "year": year,
        "source_file": [raw.source_file for raw in files],
        "rows_read": [raw.rows_read for raw in files],
        "rows_valid": counts["valid"].to_numpy(),
        "rows_quarantined": counts["quarantined"].to_numpy(),
        "rows_summary_skipped": [raw.summary_rows for raw in files],
        "rows_duplicate_dropped": counts["duplicate_dropped"].to_numpy(),
        "rows_superseded": counts["superseded"].to_numpy(),
        "file_rejected": False,
    })
    unread = pd.DataFrame({"year": year, "source_file": [source for source, _ in rejected], "file_rejected": True})
    accounting = pd.concat([read, unread], ignore_index=True).fillna(dict.fromkeys(ACCOUNTING_COUNTS, 0))
    return table("ingestion_accounting", accounting.sort_values("source_file"))


def validate_year(data_dir: Path, year: int, registry: pd.DataFrame | None) -> ValidationResult:
    """Read and validate every file of `returns/<year>/` against the contract.

    `registry` is the positions registry (`ingest.registry.read_registry`); None skips `unregistered_position`.
    """
    year_files = read_year(data_dir, year)
    files = year_files.files
    rows = _stack_files(files)
    typed, unreadable = parse_returns(rows[COLUMN_NAMES])
    superseded = superseded_rows(rows["source_file"], typed["position_id"], year)
    # A superseded row takes no part in duplicates: its correction is the position's return.
    duplicates = find_duplicates(typed.assign(position_id=typed["position_id"].mask(superseded)), unreadable,
                                 rows[["source_file", "source_row"]])
    failures = collect_failures(typed, unreadable, rows["beyond_header"], duplicates, year)
    failures = failures[~superseded[failures["row"].to_numpy()]].reset_index(drop=True)

    quarantined = np.zeros(len(rows), dtype=bool)
    quarantined[failures["row"].to_numpy()] = True
    outcome = pd.Series(np.select([superseded, quarantined, duplicates.dropped],
                                  ["superseded", "quarantined", "duplicate_dropped"], "valid"), index=rows.index)
    kept = (outcome == "valid").to_numpy()
    valid = typed[kept].assign(source_file=rows["source_file"][kept], source_row=rows["source_row"][kept])
    valid, derived_warnings = derive_unknowns(valid)

    parts = [part for part in [_file_warnings(files), _duplicate_warnings(rows, typed, duplicates),
                               *derived_warnings, *soft_rule_warnings(valid, registry)] if len(part)]
    warnings = table("returns_warnings", pd.concat(parts, ignore_index=True).assign(year=year) if parts else None)
    warnings = warnings.assign(order=warnings["rule"].map(_RULE_ORDER)).sort_values(
        ["source_file", "source_row", "order"], na_position="first", kind="stable")

    return ValidationResult(
        returns_valid=table("returns_valid", valid),
        returns_quarantine=build_quarantine(files, rows, typed, failures, duplicates, year),
        returns_warnings=table("returns_warnings", warnings),
        files_rejected=table("files_rejected", [{"source_file": source, "year": year, "reason": reason}
                                                for source, reason in year_files.rejected]),
        files_ignored=table("files_ignored", [{"source_file": source, "year": year, "reason": reason}
                                              for source, reason in year_files.ignored]),
        ingestion_accounting=_accounting(files, year_files.rejected, rows, outcome, year),
    )


def validate_years(data_dir: Path, years: Sequence[int], registry: pd.DataFrame | None,
                   validated: Mapping[int, ValidationResult] | None = None) -> list[ValidationResult]:
    """`validate_year` for each of `years`, in that order, the years shared among the cores (`parallel_map`);
    the years in `validated` (their results, e.g. validated ahead: `validate.ahead`) are not validated again.

    The hard rules are checked once on no rows first (`warm_hard_rules`) when several years are validated here."""
    validated = validated or {}
    remaining = [year for year in years if year not in validated]
    if len(remaining) > 1:
        warm_hard_rules(remaining[0])
    computed = dict(zip(remaining, parallel_map(partial(validate_year, data_dir, registry=registry), remaining)))
    return [validated[year] if year in validated else computed[year] for year in years]


def warm_hard_rules(year: int) -> None:
    """Check the hard rules on no rows: pandera's first validation in a process costs 0.2 s more than the next
    (its lazy imports and the model's schema), paid once here rather than in each process forked after it,
    and again in the collection's feedback."""
    hard_rule_failures(parse_returns(pd.DataFrame(columns=COLUMN_NAMES, dtype=object))[0], year)
