"""One year's returns, from files to the five ingestion tables of `outputs.md`.

Every input row ends as exactly one of valid, quarantined, summary skipped
or duplicate dropped, and the accounting says so per file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from swps_pipeline import assumptions
from swps_pipeline.contract import (
    COLUMN_NAMES,
    EMPLOYER_TYPES,
    HOST_TYPES,
    SUM_GROUPS,
    BY_NAME,
)
from swps_pipeline.ingest.read import FileRejected, RawFile, list_returns_files, read_returns_file
from swps_pipeline.validate.parse import parse_returns
from swps_pipeline.validate.schema import FRAME_RULE_COLUMNS, group_sum, hard_rule_failures

ACCOUNTING_COUNTS = ["rows_read", "rows_valid", "rows_quarantined", "rows_summary_skipped", "rows_duplicate_dropped"]
EMPTY = {
    "returns_quarantine": {"source_file": object, "source_row": "Int64", "year": "Int64", "position_id": object,
                           "rules": object, "message": object, "raw": object},
    "returns_warnings": {"source_file": object, "source_row": "Int64", "year": "Int64", "position_id": object,
                         "rule": object, "message": object},
    "files_rejected": {"source_file": object, "year": "Int64", "reason": object},
    "ingestion_accounting": {"year": "Int64", "source_file": object, **{c: "Int64" for c in ACCOUNTING_COUNTS},
                             "file_rejected": bool},
}
_EXPECTED = {
    "range": {"fte": "a number in (0, 1]", "months_active": "a whole number from 1 to 12",
              "cost_eur": "an amount ≥ 0"},
    "enum": {"host_type": f"one of {', '.join(HOST_TYPES)} (or {', '.join(a for v in HOST_TYPES.values() for a in v)})",
             "employer_type": f"one of {', '.join(EMPLOYER_TYPES)} "
                              f"(or {', '.join(a for v in EMPLOYER_TYPES.values() for a in v)})"},
}


@dataclass
class ValidationResult:
    returns_valid: pd.DataFrame
    returns_quarantine: pd.DataFrame
    returns_warnings: pd.DataFrame
    files_rejected: pd.DataFrame
    ingestion_accounting: pd.DataFrame


def table(name: str, rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    """A table of `EMPTY[name]`'s columns and dtypes, empty or not."""
    frame = pd.DataFrame(rows, columns=list(EMPTY[name]))
    return frame.astype(EMPTY[name])


def _cell_message(rule: str, column: str, raw: str, year: int) -> str:
    shown = repr(raw)
    if rule == "required":
        return f"{column} is blank: it is required"
    if rule == "type":
        kind = "a whole number" if BY_NAME[column].type == "int" else "a number"
        return f"{column} = {shown}: cannot be read as {kind}"
    if rule == "range":
        return f"{column} = {shown}: expected {_EXPECTED['range'].get(column, 'a count ≥ 0')}"
    if rule == "enum":
        return f"{column} = {shown}: expected {_EXPECTED['enum'][column]}"
    if rule == "department_code":
        return f"department_code = {shown}: not one of the 101 official codes (01–19, 2A, 2B, 21–95, 971–974, 976)"
    if rule == "position_id":
        return f"position_id = {shown}: expected <department_code>-<3 digits>, e.g. 77-003"
    if rule == "year_mismatch":
        return f"year = {shown}: the file is in folder returns/{year}/; correct the year or move the file"
    return f"{column} = {shown}: breaks {rule}"


def _row_message(rule: str, row: pd.Series) -> str:
    def show(c):
        return "blank" if pd.isna(row[c]) else row[c]
    if rule.startswith("sum_"):
        total, members, _ = SUM_GROUPS[rule[4:]]
        return (f"{' + '.join(members)} = {int(row[members].sum())} but {total} = {show(total)}: "
                f"a fully reported group must add up to its total")
    if rule == "unknown_negative":
        parts = []
        for total, members, unknown in SUM_GROUPS.values():
            known = [m for m in members if m != unknown]
            if unknown and pd.isna(row[unknown]) and row[known].notna().all() and row[known].sum() > row[total]:
                parts.append(f"{' + '.join(known)} = {int(row[known].sum())} exceeds {total} = {show(total)}")
        return "; ".join(parts) + ": the known members cannot exceed the total"
    if rule == "problem_bound":
        bound_name = "new_cases + ongoing_cases" if pd.notna(row["ongoing_cases"]) else "new_cases + persons_received"
        bound = row["new_cases"] + (row["ongoing_cases"] if pd.notna(row["ongoing_cases"]) else row["persons_received"])
        over = [c for c in FRAME_RULE_COLUMNS["problem_bound"] if pd.notna(row[c]) and row[c] > bound]
        return ", ".join(f"{c} = {row[c]}" for c in over) + f": above {bound_name} = {bound}"
    if rule == "position_id":
        return (f"position_id = {row['position_id']!r}: its prefix must be the department_code "
                f"{row['department_code']!r}")
    return rule


def _read_files(data_dir: Path, year: int):
    raws: list[RawFile] = []
    rejected, accounting, warnings = [], [], []
    for path in list_returns_files(data_dir / "returns" / str(year)):
        source_file = path.relative_to(data_dir).as_posix()
        try:
            raw = read_returns_file(path, data_dir)
        except FileRejected as problem:
            reason = str(problem)
        except Exception as error:  # a malformed file must never stop the run; the reason is recorded
            reason = f"unreadable file ({type(error).__name__}: {error})"
        else:
            raws.append(raw)
            if raw.extra_columns:
                warnings.append({"source_file": source_file, "source_row": None, "year": year, "position_id": None,
                                 "rule": "extra_column",
                                 "message": f"column(s) not in the template, kept aside: {', '.join(raw.extra_columns)}"})
            continue
        rejected.append({"source_file": source_file, "year": year, "reason": reason})
        accounting.append({"year": year, "source_file": source_file, **{c: 0 for c in ACCOUNTING_COUNTS},
                           "file_rejected": True})
    return raws, rejected, accounting, warnings


def _duplicates(typed: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(identical copies to drop, rows of conflicting duplicates) over (position_id, year)."""
    keyed = typed["position_id"].notna() & typed["year"].notna()
    key = typed["position_id"].astype(str) + "|" + typed["year"].astype(str)
    fingerprint = pd.util.hash_pandas_object(typed[COLUMN_NAMES].astype(str), index=False)
    group = pd.DataFrame({"key": key, "fingerprint": fingerprint})[keyed]
    sizes = group.groupby("key")["key"].transform("size")
    variants = group.groupby("key")["fingerprint"].transform("nunique")
    conflicting = (sizes > 1) & (variants > 1)
    dropped = (sizes > 1) & (variants == 1) & group.duplicated("key", keep="first")
    return (dropped.reindex(typed.index, fill_value=False), conflicting.reindex(typed.index, fill_value=False))


def validate_year(data_dir: Path, year: int, registry: pd.DataFrame | None) -> ValidationResult:
    """Validate every file of `returns/<year>/` against the contract (registry None: skip that soft rule)."""
    raws, rejected, accounting, warnings = _read_files(data_dir, year)
    frames = [raw.rows.assign(source_file=raw.source_file) for raw in raws]
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["source_row", "source_file"])
    raw_json = [json.dumps(r, ensure_ascii=False) for raw in raws for r in raw.raw_rows]
    rows = rows.reindex(columns=[*COLUMN_NAMES, "source_file", "source_row"]).fillna({c: "" for c in COLUMN_NAMES})
    typed, unreadable = parse_returns(rows)

    failures = hard_rule_failures(typed, year)
    type_cells = unreadable.stack()
    type_cells = type_cells[type_cells].reset_index()
    type_failures = pd.DataFrame({"row": type_cells["level_0"], "rule": "type", "column": type_cells["level_1"]})
    failed_cells = set(zip(type_failures["row"], type_failures["column"]))
    also_unreadable = pd.Series([(r, c) in failed_cells for r, c in zip(failures["row"], failures["column"])],
                                index=failures.index, dtype=bool)
    failures = failures[~((failures["rule"] == "required") & also_unreadable)]
    dropped, conflicting = _duplicates(typed)
    conflict_failures = pd.DataFrame({"row": typed.index[conflicting], "rule": "conflicting_duplicate", "column": None})
    failures = pd.concat([type_failures, failures, conflict_failures], ignore_index=True)
    failures = failures[~failures["row"].isin(typed.index[dropped])]

    quarantine = _quarantine(rows, typed, failures, raw_json, year)
    is_quarantined = typed.index.isin(failures["row"])
    valid_mask = ~is_quarantined & ~dropped.to_numpy()
    valid = typed[valid_mask].copy()
    valid["source_file"], valid["source_row"] = rows["source_file"][valid_mask], rows["source_row"][valid_mask]
    for index in typed.index[dropped]:
        warnings.append({"source_file": rows.at[index, "source_file"], "source_row": rows.at[index, "source_row"],
                         "year": year, "position_id": typed.at[index, "position_id"], "rule": "duplicate_identical",
                         "message": f"identical copy of the return of {typed.at[index, 'position_id']} dropped"})
    valid, soft = _derive_and_warn(valid, registry, year)
    warnings.extend(soft)

    outcome = pd.DataFrame({"source_file": rows["source_file"], "valid": valid_mask,
                            "quarantined": is_quarantined, "dropped": dropped.to_numpy()})
    per_file = outcome.groupby("source_file").agg(rows_valid=("valid", "sum"), rows_quarantined=("quarantined", "sum"),
                                                  rows_duplicate_dropped=("dropped", "sum"))
    for raw in raws:
        counts = per_file.loc[raw.source_file] if raw.source_file in per_file.index else pd.Series(0, per_file.columns)
        accounting.append({"year": year, "source_file": raw.source_file,
                           "rows_read": len(raw.rows) + raw.summary_rows, "rows_summary_skipped": raw.summary_rows,
                           **{k: int(v) for k, v in counts.items()}, "file_rejected": False})
    valid = valid.reset_index(drop=True)
    valid["source_row"] = valid["source_row"].astype("Int64")
    return ValidationResult(
        returns_valid=valid[[*COLUMN_NAMES, "source_file", "source_row"]],
        returns_quarantine=quarantine,
        returns_warnings=table("returns_warnings", warnings),
        files_rejected=table("files_rejected", rejected),
        ingestion_accounting=table("ingestion_accounting", accounting).sort_values("source_file", ignore_index=True),
    )


def _quarantine(rows, typed, failures, raw_json, year) -> pd.DataFrame:
    """One row per rejected input row: its rule ids and one actionable message per broken rule."""
    if failures.empty:
        return table("returns_quarantine", [])
    records = []
    for index, broken in failures.groupby("row", sort=True):
        messages = []
        for rule, column in broken[["rule", "column"]].drop_duplicates().itertuples(index=False):
            if rule == "conflicting_duplicate":
                messages.append(f"{typed.at[index, 'position_id']} has several different returns for {year}: "
                                "all copies quarantined, nothing is guessed; send one corrected return")
            elif column is None or pd.isna(column):
                messages.append(_row_message(rule, typed.loc[index]))
            else:
                messages.append(_cell_message(rule, column, rows.at[index, column], year))
        records.append({"source_file": rows.at[index, "source_file"], "source_row": rows.at[index, "source_row"],
                        "year": year, "position_id": typed.at[index, "position_id"],
                        "rules": ";".join(dict.fromkeys(broken["rule"])), "message": "; ".join(messages),
                        "raw": raw_json[index]})
    return table("returns_quarantine", records)


def _derive_and_warn(valid: pd.DataFrame, registry: pd.DataFrame | None, year: int):
    """Fill what the contract defines (blank unknown members, months_active 12) and collect soft-rule warnings."""
    warnings: list[pd.DataFrame] = []

    def warn(mask: pd.Series, rule: str, message: pd.Series | str) -> None:
        if mask.any():
            warnings.append(pd.DataFrame({"source_file": valid["source_file"][mask],
                                          "source_row": valid["source_row"][mask], "year": year,
                                          "position_id": valid["position_id"][mask], "rule": rule,
                                          "message": message[mask] if isinstance(message, pd.Series) else message}))

    for total, members, unknown in SUM_GROUPS.values():
        if unknown is None:
            continue
        known = [m for m in members if m != unknown]
        derivable = valid[unknown].isna() & valid[[total, *known]].notna().all(axis=1)
        remainder = valid[total] - group_sum(valid, known)
        warn(derivable, "unknown_derived", f"{unknown} was blank: derived as {total} minus the known members = "
             + remainder.astype(str))
        valid[unknown] = valid[unknown].mask(derivable, remainder)
    valid["months_active"] = valid["months_active"].fillna(12)

    warn(valid["new_cases"] > valid["persons_received"], "cases_over_persons",
         "new_cases = " + valid["new_cases"].astype(str) + " exceeds persons_received = "
         + valid["persons_received"].astype(str))
    warn(valid["actions"] < valid["new_cases"], "actions_under_cases",
         "actions = " + valid["actions"].astype(str) + " below new_cases = " + valid["new_cases"].astype(str))
    if registry is not None:
        warn(~valid["position_id"].isin(registry["position_id"]), "unregistered_position",
             valid["position_id"] + " is not in positions.csv: add it to the registry or correct the id")
    per_fte = valid["persons_received"].astype(float) / valid["fte"]
    median = per_fte.median()
    mad = (per_fte - median).abs().median()
    if len(per_fte) and mad > 0:
        z = (per_fte - median).abs() / (assumptions.MAD_TO_SD * mad)
        warn(z > assumptions.ROBUST_Z_THRESHOLD, "activity_outlier",
             "persons_received per FTE = " + per_fte.round(1).astype(str) + f", national median {median:.1f}: "
             + z.round(1).astype(str) + " robust z-scores away; check the figures")
    soft = pd.concat(warnings, ignore_index=True).to_dict("records") if warnings else []
    return valid, soft


__all__ = ["ValidationResult", "validate_year"]
