"""The feedback an area's coordinator receives: what to correct, what to check, what is missing, in their language.

Each quarantined row is typed again from its `raw` JSON and run through the
ingestion's own failure collection (`validate.year.collect_failures`), so the
feedback names exactly the rules and cells validation found; the message is
built here from the rule id and the row's values (`texts.py`), in the
profile's language or the one asked for (`i18n.Texts`); the published tables
keep their fixed wording. One line per problem, sorted by position, file and
row, so the coordinator can act line by line.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from swps_pipeline.collect import texts
from swps_pipeline.collect.attribution import position_prefix
from swps_pipeline.collect.inputs import CollectionYear
from swps_pipeline.collect.status import UNATTRIBUTED, area_name, collection_status, missing_positions
from swps_pipeline.contract import BY_NAME, COUNT_COLUMNS, GROUPS, HARD_RULES, SOFT_RULES, SUM_GROUPS
from swps_pipeline.i18n import Texts
from swps_pipeline.ingest.lines import VALUELESS_CELLS, as_shown
from swps_pipeline.parallel import parallel_map
from swps_pipeline.profiles import active_profile
from swps_pipeline.publish.xlsx import PublishedWorkbook, cell_writer, print_setup
from swps_pipeline.reference import departements, official_department_codes
from swps_pipeline.reuse import Reuse, WrittenFiles, compute_afresh, inputs_key
from swps_pipeline.validate.duplicates import Duplicates
from swps_pipeline.validate.parse import ENUMS
from swps_pipeline.validate.schema import group_sum, known_exceed_total, problem_bounds, problems_over_bound
from swps_pipeline.validate.year import collect_failures

FEEDBACK_INDEX_COLUMNS = ["year", "department_code", "lines_to_correct", "lines_to_check", "returns_missing",
                          "files_rejected", "xlsx", "html"]
LINE_COLUMNS = ["department_code", "position_id", "source_file", "source_row", "rule", "cells", "message"]
_RULE_ORDER = {rule: i for i, rule in enumerate(HARD_RULES + SOFT_RULES)}


def _number(value, say: Texts) -> str:
    """A value as the reader writes it (0,8 in French), blank when missing."""
    if value is None or pd.isna(value):
        return say(texts.BLANK)
    return say.number(value) if isinstance(value, float | np.floating | int | np.integer) else str(value)


def code_ranges(codes: list[str], say: Texts) -> str:
    """The profile's area codes with each run of consecutive numbers of the same width as one range
    ("01 to 19, 2A, 2B, 21 to 95")."""
    runs: list[list[str]] = []
    for code in codes:
        last = runs[-1][-1] if runs else None
        if (last is not None and code.isdigit() and last.isdigit() and len(code) == len(last)
                and int(code) == int(last) + 1):
            runs[-1].append(code)
        else:
            runs.append([code])
    return ", ".join(run[0] if len(run) == 1 else say(texts.CODE_RANGE, first=run[0], last=run[-1])
                     for run in runs)


class _Row:
    """One quarantined row: its values as read and typed, and where its cells are in its file."""

    def __init__(self, collection: CollectionYear, index: int, say: Texts):
        self.say = say
        read_back = collection.read_back
        self.text = read_back.text.iloc[index]
        self.beyond_header = read_back.beyond_header.iloc[index]
        self.typed = read_back.typed.iloc[[index]]
        self.positions = read_back.positions.iloc[index]
        self.record = collection.quarantine.iloc[index]
        self.year = collection.year

    def cell(self, column: str) -> str:
        """The label of a column with the cell the person opens (K12, or line and column of a CSV)."""
        position, row = self.positions[column], int(self.record["source_row"])
        if pd.isna(position):
            return texts.label(column)
        if str(self.record["source_file"]).lower().endswith(".xlsx"):
            cell = f"{xl_col_to_name(int(position) - 1)}{row}"
            return self.say(texts.CELL_IN_XLSX, label=texts.label(column), cell=cell)
        return self.say(texts.CELL_IN_CSV, label=texts.label(column), row=row, column=int(position))

    def value(self, column: str):
        return self.typed[column].iloc[0]

    def read(self, column: str) -> str:
        return as_shown(self.text[column]) or self.say(texts.BLANK)


def _cell_problem(row: _Row, rule: str, column: str) -> str:
    say, profile = row.say, active_profile()
    words = {"column": texts.label(column), "value": row.read(column)}
    if rule == "required":
        return say(texts.REQUIRED_MESSAGE, **words)
    valueless = VALUELESS_CELLS.get(row.text[column][:1])
    if rule == "type" and valueless:
        return say(texts.VALUELESS_MESSAGES[valueless.kind], **words)
    if rule == "type":
        expected = say(texts.TYPE_EXPECTED[BY_NAME[column].type], example=say.number(0.8))
        return say(texts.TYPE_MESSAGE, **words, expected=expected)
    if rule == "range":
        kind = "count" if column in COUNT_COLUMNS else column
        return say(texts.RANGE_MESSAGE, **words, expected=say(texts.RANGE_EXPECTED[kind]))
    if rule == "enum":
        return say(texts.ENUM_MESSAGE, **words, choices=", ".join(texts.choice_labels(ENUMS[column])))
    if rule == "department_code":
        codes = departements()["department_code"].tolist()
        return say(texts.AREA_CODE_MESSAGE, **words, count=len(codes), codes=code_ranges(codes, say))
    if rule == "position_id":
        code = row.value("department_code")
        example = code if code in official_department_codes() else departements()["department_code"].iloc[0]
        return say(texts.POSITION_ID_MALFORMED_MESSAGE, **words, area_level=profile.area_level,
                   example=f"{example}-003")
    return say(texts.YEAR_MISMATCH_MESSAGE, **words, year=row.year)


def _row_problems(row: _Row, rule: str, copies: str) -> list[tuple[list[str], str]]:
    """(columns at fault, message) of a rule about a whole row; several when several groups or columns fail."""
    say = row.say
    if rule.startswith("sum_"):
        group = rule.removeprefix("sum_")
        total, members, _ = SUM_GROUPS[group]
        total_words, members_words = texts.SUM_WORDS[group]
        return [([total, *members], say(
            texts.SUM_MESSAGE, total_words=say(total_words), total=_number(row.value(total), say),
            members_words=say(members_words), sum=_number(group_sum(row.typed, members).iloc[0], say)))]
    if rule == "unknown_negative":
        problems = []
        for group, (total, members, unknown) in SUM_GROUPS.items():
            if unknown is not None and known_exceed_total(row.typed, group).iloc[0]:
                known = [m for m in members if m != unknown]
                problems.append(([total, *known], say(
                    texts.UNKNOWN_NEGATIVE_MESSAGE, sum=_number(group_sum(row.typed, known).iloc[0], say),
                    total_words=say(texts.SUM_WORDS[group][0]), total=_number(row.value(total), say),
                    unknown=texts.label(unknown))))
        return problems
    if rule == "problem_bound":
        over = problems_over_bound(row.typed).iloc[0]
        bound_words = say(texts.PROBLEM_BOUND_WORDS["ongoing" if pd.notna(row.value("ongoing_cases")) else "persons"])
        bound = _number(problem_bounds(row.typed).iloc[0], say)
        return [([column], say(texts.PROBLEM_BOUND_MESSAGE, column=texts.label(column),
                               value=_number(row.value(column), say), bound_words=bound_words, bound=bound))
                for column in GROUPS["problem"] if over[column]]
    if rule == "type":  # a whole row: cells beyond the header
        return [([], say(texts.BEYOND_HEADER_MESSAGE, cells=", ".join(f"'{cell}'" for cell in row.beyond_header)))]
    if rule == "position_id":
        return [(["position_id", "department_code"], say(
            texts.POSITION_ID_PREFIX_MESSAGE, position_id=row.value("position_id"),
            area_level=active_profile().area_level, department_code=row.value("department_code")))]
    return [(["position_id"], say(texts.CONFLICT_MESSAGE, position_id=row.value("position_id"), year=row.year,
                                  copies=copies))]


def _failures(collection: CollectionYear, reuse: Reuse = compute_afresh) -> pd.DataFrame:
    """(row, rule, column) of every hard-rule failure of the quarantined rows, as validation found them; through
    `reuse`, as an earlier run found them in the same rows (pandera's validation costs 0.2-0.3 s whatever the
    number of rows, and a corrected return rarely changes the year's quarantine)."""
    read_back, quarantine = collection.read_back, collection.quarantine
    conflicting = quarantine["rules"].str.split(";").map(lambda rules: "conflicting_duplicate" in rules)
    no_copies = Duplicates(dropped=np.zeros(len(quarantine), dtype=bool), conflicting=conflicting.to_numpy(bool),
                           kept_at=pd.Series(dtype=object), copies_at=pd.Series(dtype=object))
    return reuse(collect_failures)(read_back.typed.reset_index(drop=True),
                                   read_back.unreadable.reset_index(drop=True),
                                   read_back.beyond_header.reset_index(drop=True), no_copies, collection.year)


def _conflict_copies(quarantine: pd.DataFrame, say: Texts) -> pd.Series:
    """For each quarantined row, where all the conflicting copies of its position are."""
    where = quarantine.apply(lambda r: say(texts.COPY_AT, file=r["source_file"], row=r["source_row"]), axis=1)
    conflicting = quarantine["rules"].str.contains("conflicting_duplicate", regex=False)
    return where.where(conflicting).groupby(quarantine["position_id"]).transform(
        lambda copies: say(texts.COPIES_SEPARATOR).join(copies.dropna())) if len(quarantine) else where


def quarantine_lines(collection: CollectionYear, say: Texts | None = None, reuse: Reuse = compute_afresh
                     ) -> pd.DataFrame:
    """One line per problem of each quarantined row: area, position, file, row, rule, cells, message (in the
    language of `say`, by default the active one); `reuse` keeps the failures found (`_failures`)."""
    say = say or Texts()
    quarantine = collection.quarantine.reset_index(drop=True)
    copies = _conflict_copies(quarantine, say)
    lines = []
    for failure in _failures(collection, reuse).itertuples(index=False):
        row = _Row(collection, failure.row, say)
        if isinstance(failure.column, str):
            problems = [([failure.column], _cell_problem(row, failure.rule, failure.column))]
        else:
            problems = _row_problems(row, failure.rule, copies.iloc[failure.row])
        for columns, message in problems:
            lines.append({"department_code": collection.quarantine_departments.iloc[failure.row],
                          "position_id": row.record["position_id"], "source_file": row.record["source_file"],
                          "source_row": row.record["source_row"], "rule": failure.rule,
                          "cells": ", ".join(row.cell(c) for c in columns), "message": message,
                          "order": _RULE_ORDER[failure.rule]})
    return _sorted(pd.DataFrame(lines, columns=[*LINE_COLUMNS, "order"]))


def _sorted(lines: pd.DataFrame) -> pd.DataFrame:
    return lines.sort_values(["position_id", "source_file", "source_row", "order"], na_position="last",
                             kind="stable").drop(columns="order").reset_index(drop=True)


def warning_lines(collection: CollectionYear, say: Texts | None = None) -> pd.DataFrame:
    """One line per warning worth a look (`texts.WARNING_MESSAGES`), with the row's figures."""
    say = say or Texts()
    warnings = collection.warnings[collection.warnings["rule"].isin(list(texts.WARNING_MESSAGES))]
    figures = collection.valid[["source_file", "source_row", "department_code", "persons_received", "new_cases",
                                "actions", "fte"]]
    rows = warnings.merge(figures, on=["source_file", "source_row"], how="left")
    rows["department_code"] = rows["department_code"].fillna(position_prefix(rows["position_id"]))
    per_fte = rows["persons_received"].astype("float64") / rows["fte"]
    rows["message"] = [
        say(texts.WARNING_MESSAGES[r.rule], position_id=r.position_id, new_cases=_number(r.new_cases, say),
            persons_received=_number(r.persons_received, say), actions=_number(r.actions, say),
            fte=_number(r.fte, say), per_fte=_number(round(ratio, 1), say))
        for r, ratio in zip(rows.itertuples(index=False), per_fte)
    ]
    rows["cells"] = ""
    rows["order"] = rows["rule"].map(_RULE_ORDER)
    return _sorted(rows[[*LINE_COLUMNS, "order"]])


def rejection_reason(reason: str, say: Texts) -> str:
    """Why a file was refused, in the reader's words, followed by the ingestion's own (English) wording."""
    told = next((text for start, text in texts.REJECTION_REASONS.items() if reason.startswith(start)),
                texts.REJECTION_UNKNOWN)
    return say(texts.REJECTION_REASON, reason=say(told, position_id=texts.label("position_id")),
               ingestion_reason=reason)


def rejected_lines(collection: CollectionYear, say: Texts | None = None) -> pd.DataFrame:
    say = say or Texts()
    files = collection.files_rejected.merge(collection.files[["source_file", "department_code"]], on="source_file",
                                            how="left")
    return pd.DataFrame({"department_code": files["department_code"], "source_file": files["source_file"],
                         "reason": files["reason"].map(lambda reason: rejection_reason(reason, say))})


def _department(code) -> str:
    return code if isinstance(code, str) else UNATTRIBUTED


def feedback_tables(collection: CollectionYear, say: Texts | None = None, reuse: Reuse = compute_afresh
                    ) -> dict[str, dict[str, pd.DataFrame]]:
    """Per area (code, or `status.UNATTRIBUTED`): its status row and its four lists of lines; `reuse` keeps the
    year's status and the failures found in its quarantined rows."""
    say = say or Texts()
    status = reuse(collection_status)(collection)  # the `collection` step's, with the same reuse
    tables = {
        "quarantine": quarantine_lines(collection, say, reuse),
        "warnings": warning_lines(collection, say),
        "missing": missing_positions(collection)[["department_code", "position_id", "host_site"]],
        "rejected": rejected_lines(collection, say),
    }
    parts = {name: _by_department(table) for name, table in tables.items()}
    involved = status[(status["positions_expected"] > 0) | (status["returns_received"] > 0)
                      | (status["files_rejected"] > 0)]
    return {code: {"summary": summary.to_frame().T, **{name: part(code) for name, part in parts.items()}}
            for code, summary in involved.set_index("department_code", drop=False).iterrows()}


def _by_department(table: pd.DataFrame):
    """code -> that département's lines (without the code column), split once, numbered from 0: a line added
    or removed elsewhere in the year leaves the other départements' reports, and their workbooks' reuse keys,
    as they were (issue 17)."""
    codes = table["department_code"].map(_department)
    lines = table.drop(columns="department_code")
    groups = {code: part.reset_index(drop=True) for code, part in lines.groupby(codes.to_numpy(), sort=False)}
    return lambda code: groups.get(code, lines.iloc[:0].reset_index(drop=True))


def _department_name(code: str, say: Texts) -> str:
    return area_name(code, say) if code == UNATTRIBUTED else f"{area_name(code, say)} ({code})"


def _summary_pairs(summary: pd.DataFrame, say: Texts) -> list[tuple[str, str]]:
    row = summary.iloc[0]
    date = row["last_file_date"]
    return [(say(label), say.date(date) if column == "last_file_date" and pd.notna(date) else
             ("—" if column == "last_file_date" else str(int(row[column]))))
            for column, label in texts.SUMMARY_LABELS.items()]


def _headers(frame: pd.DataFrame, say: Texts) -> pd.DataFrame:
    """The lines as shown: rule names and column headers in the reader's words."""
    area_level = active_profile().area_level
    shown = (frame.assign(rule=frame["rule"].map(lambda rule: say(texts.RULE_NAMES[rule], area_level=area_level)))
             if "rule" in frame and len(frame) else frame)
    return shown.set_axis([say(texts.FEEDBACK_COLUMNS[c]) for c in frame.columns], axis=1)


def feedback_workbook(report: dict[str, pd.DataFrame], title: str, intro: str, synthetic: bool,
                      language: str) -> bytes:
    """One printable sheet (XLSX bytes) in `language`, the same sections as the HTML page one under the other."""
    say = Texts(language)
    workbook = PublishedWorkbook(title)
    sheet = workbook.sheet(say(texts.FEEDBACK_SHEET))
    write = cell_writer(sheet)
    # The title lines and the section headings overflow to the right, unwrapped; the other cells wrap, top-aligned.
    wrapped = {"text_wrap": True, "valign": "top"}
    lines: list[tuple[list, dict]] = [([title], {"bold": True, "font_size": 13}), ([intro], {})]
    if synthetic:
        lines.append(([say(texts.FEEDBACK_SYNTHETIC)], {"bold": True, "font_color": "#B22222"}))
    heading = {"bold": True, "font_size": 12}
    lines += [([], {}), ([say(texts.FEEDBACK_SECTIONS["summary"])], heading)]
    lines += [(list(pair), wrapped) for pair in _summary_pairs(report["summary"], say)]
    for name in ["quarantine", "warnings", "missing", "rejected"]:
        lines += [([], {}), ([say(texts.FEEDBACK_SECTIONS[name])], heading)]
        table = _headers(report[name], say)
        if table.empty:
            lines.append(([say(texts.FEEDBACK_NOTHING[name])], wrapped))
            continue
        lines.append((list(table.columns), {"bold": True, **wrapped}))
        lines += [([None if pd.isna(v) else (int(v) if isinstance(v, np.integer) else v) for v in record], wrapped)
                  for record in table.itertuples(index=False)]
    for row, (values, style) in enumerate(lines):
        cell_format = workbook.style(**style) if style else None
        for column, value in enumerate(values):
            write(row, column, value, cell_format)
    for column, width in enumerate((28, 45, 8, 24, 50, 80)):
        sheet.set_column(column, column, width)
    print_setup(sheet, title_rows=False, columns=6, centred=False, footer=False)  # its footer is in English
    return workbook.bytes()


_CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10.5pt; margin: 1.5em; color: #111; }
h1 { font-size: 15pt; } h2 { font-size: 12pt; margin-top: 1.4em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid #bbb; padding: 3px 6px;
vertical-align: top; text-align: left; } th { background: #DDEBF7; } tr { page-break-inside: avoid; }
.notice { color: #B22222; font-weight: bold; } table.summary { width: auto; } .summary td:first-child { width: 16em; }
td:first-child { white-space: nowrap; }
@page { size: A4 landscape; margin: 12mm; }
"""


def _html_table(frame: pd.DataFrame, nothing: str) -> str:
    if frame.empty:
        return f"<p>{html.escape(nothing)}</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in record)
                   + "</tr>" for record in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: dict[str, pd.DataFrame], title: str, intro: str, synthetic: bool, say: Texts) -> str:
    """A printable page (A4 landscape): summary, then the four lists in the order a coordinator acts."""
    parts = [f"<h1>{html.escape(title)}</h1>", f"<p>{html.escape(intro)}</p>"]
    if synthetic:
        parts.append(f'<p class="notice">{html.escape(say(texts.FEEDBACK_SYNTHETIC))}</p>')
    summary = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
                      for k, v in _summary_pairs(report["summary"], say))
    parts.append(f"<h2>{html.escape(say(texts.FEEDBACK_SECTIONS['summary']))}</h2>"
                 f'<table class="summary"><tbody>{summary}</tbody></table>')
    for name in ["quarantine", "warnings", "missing", "rejected"]:
        parts.append(f"<h2>{html.escape(say(texts.FEEDBACK_SECTIONS[name]))}</h2>")
        parts.append(_html_table(_headers(report[name], say), say(texts.FEEDBACK_NOTHING[name])))
    language = html.escape(say.language.replace("_", "-"))
    return (f'<!DOCTYPE html>\n<html lang="{language}"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>\n")


class AreaFeedback(NamedTuple):
    """One area's report, ready to write: what its two files show, their names and what they are made from."""

    code: str
    report: dict[str, pd.DataFrame]
    title: str
    intro: str
    files: list[str]  # the workbook's and the page's names
    key: str  # what they are made from (`inputs_key`)


class PreparedFeedback(NamedTuple):
    """The reports of a collection year in a language (`prepare_feedback`), before any file is written."""

    collection: CollectionYear
    language: str
    areas: list[AreaFeedback]


def prepare_feedback(collection: CollectionYear, language: str | None = None, reuse: Reuse = compute_afresh
                     ) -> PreparedFeedback:
    """Every involved area's report in `language` (by default the active one), with the key of its files: the
    pure part of `write_feedback`, which `swps run` computes while it starts (`validate/ahead.py`)."""
    say = Texts(language)
    areas = []
    for code, report in feedback_tables(collection, say, reuse).items():
        title = say(texts.FEEDBACK_TITLE, year=collection.year, area=_department_name(code, say))
        intro = say(texts.FEEDBACK_INTRO, year=collection.year)
        stem = f"retour_{collection.year}_{code.replace(' ', '_')}"
        areas.append(AreaFeedback(code, report, title, intro, [f"{stem}.xlsx", f"{stem}.html"],
                                  inputs_key(report, title, intro, collection.synthetic, say.language)))
    return PreparedFeedback(collection, say.language, areas)


def write_feedback(collection: CollectionYear, out_dir: Path, language: str | None = None,
                   reuse: Reuse = compute_afresh, prepared: PreparedFeedback | None = None) -> pd.DataFrame:
    """Write `retour_<year>_<code>.xlsx` and `.html` per area, in `language` (by default the active one); return
    the index of what was written: year, department_code, lines to correct / to check, missing, files refused,
    the two file names (in `out_dir`, so that the table is the same wherever it is written, in any language).
    An area's two files already in `out_dir`, made from the same report by the same code (`WrittenFiles`), are
    left as they are (a corrected row changes one area's report); the others are written by processes forked
    from this one (`parallel_map`: each area writes its own two files). `reuse` keeps the year's status and the
    failures found in its quarantined rows (`feedback_tables`). `prepared`: the reports already made from this
    collection in this language (`prepare_feedback`), written as they are."""
    if prepared is None:
        prepared = prepare_feedback(collection, language, reuse)
    say = Texts(prepared.language)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = WrittenFiles.read(out_dir)
    areas = prepared.areas

    def write_area(area: AreaFeedback) -> None:
        xlsx, page = area.files
        (out_dir / xlsx).write_bytes(feedback_workbook(area.report, area.title, area.intro, collection.synthetic,
                                                   say.language))
        (out_dir / page).write_text(render_html(area.report, area.title, area.intro, collection.synthetic, say),
                                    encoding="utf-8")

    to_write = [area for area in areas if not written.unchanged(area.files, area.key)]
    parallel_map(write_area, to_write)
    for area in to_write:
        written.record(area.files, area.key)
    written.save()
    index = [{"year": collection.year, "department_code": area.code,
              "lines_to_correct": len(area.report["quarantine"]), "lines_to_check": len(area.report["warnings"]),
              "returns_missing": len(area.report["missing"]), "files_rejected": len(area.report["rejected"]),
              "xlsx": area.files[0], "html": area.files[1]} for area in areas]
    return pd.DataFrame(index, columns=FEEDBACK_INDEX_COLUMNS)
