"""The yearly return template, one XLSX workbook per département, that makes most hard rules hard to break.

The workbook is the contract's template (`contract.COLUMNS`, the profile's labels) with
one row per position the registry expects that year. Identity cells are
pre-filled and locked; every input cell carries an Excel data validation; each
sum group has a check column (formula + red conditional format); the structure
is protected so nobody inserts a column. It reads back through the normal
ingestion unchanged: the check columns start with "Check" ("Contrôle" in French), which the reader
sets aside silently in any language (`contract.TEMPLATE_CHECK_WORD`). Its texts are in the profile's
language, or the one asked for (`texts.py`, `i18n.Texts`).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from swps_pipeline.collect import texts
from swps_pipeline.contract import (
    COLUMNS,
    COUNT_COLUMNS,
    EMPLOYER_TYPES,
    HOST_TYPES,
    SUM_GROUPS,
    TEMPLATE_CHECK_WORD,
    TEMPLATE_DEFINITIONS_SHEET,
)
from swps_pipeline.i18n import Texts
from swps_pipeline.ingest.registry import positions_to_report
from swps_pipeline.profiles import active_profile
from swps_pipeline.reference import departements

#: Sheet rows: title lines above the header (the reader skips them), then one row per position.
HEADER_ROW = 5
FIRST_DATA_ROW = HEADER_ROW + 1
#: Pre-filled from the registry and locked.
IDENTITY = ["year", "department_code", "position_id", "host_site"]
#: Pre-filled from the registry but editable through a drop-down (the return's value wins in the panel).
PREFILLED_CHOICES = {"host_type": HOST_TYPES, "employer_type": EMPLOYER_TYPES}

_GREY = PatternFill("solid", start_color="E7E6E6")
_HEADER = PatternFill("solid", start_color="DDEBF7")
_CHECK = PatternFill("solid", start_color="FFF2CC")
_RED = PatternFill("solid", start_color="FF9999", end_color="FF9999")
_UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class Column:
    """One column of the template sheet: a contract column, or the check column of a sum group."""

    header: str
    name: str | None = None  # canonical contract column
    check_group: str | None = None


def template_columns(say: Texts) -> list[Column]:
    """The contract's columns in order, each sum group followed by its check column."""
    last_member = {members[-1]: group for group, (_, members, _) in SUM_GROUPS.items()}
    columns: list[Column] = []
    for column in COLUMNS:
        columns.append(Column(column.label, name=column.name))
        if column.name in last_member:
            group = last_member[column.name]
            columns.append(Column(f"{say(TEMPLATE_CHECK_WORD)} {say(texts.CHECK_HEADERS[group])}", check_group=group))
    return columns


def due_date(year: int) -> dt.date:
    month, day = active_profile().returns_due
    return dt.date(year + 1, month, day)


def _check_formula(group: str, cells: dict[str, str]) -> str:
    """The gap of a sum group: members − total when fully reported; when only the `*_unknown` member is blank,
    how far the known members already exceed the total; blank otherwise (as the pipeline's rules)."""
    total, members, unknown = SUM_GROUPS[group]
    every = ",".join(cells[m] for m in members)
    full = f"AND(ISNUMBER({cells[total]}),COUNT({every})={len(members)})"
    formula = f"IF({full},SUM({every})-{cells[total]},\"\")"
    if unknown is not None:
        known = ",".join(cells[m] for m in members if m != unknown)
        derivable = f"AND(ISNUMBER({cells[total]}),COUNT({known})={len(members) - 1},COUNT({cells[unknown]})=0)"
        formula = f"IF({full},SUM({every})-{cells[total]},IF({derivable},MAX(0,SUM({known})-{cells[total]}),\"\"))"
    return "=" + formula


def _validation(message: str, **rule) -> DataValidation:
    return DataValidation(allow_blank=True, showErrorMessage=True, errorStyle="stop", errorTitle=rule.pop("title"),
                          error=message, showInputMessage=True, prompt=message, **rule)


def input_validations(say: Texts) -> dict[str, DataValidation]:
    """The data validation of each input column (counts, FTE, months, cost, the two drop-downs)."""
    from babel.numbers import get_currency_name

    currency = get_currency_name(active_profile().currency, count=2, locale=say.language.split("_")[0])
    messages = {kind: say(message, example=say.number(0.8), currency=currency,
                          choices=", ".join(texts.choice_labels(PREFILLED_CHOICES.get(kind, {}))))
                for kind, message in texts.VALIDATION_ERRORS.items()}

    def validation(kind: str, **rule) -> DataValidation:
        return _validation(messages[kind], title=say(texts.VALIDATION_TITLE), **rule)

    listed = {name: validation(name, type="list", formula1='"' + ",".join(texts.choice_labels(allowed)) + '"')
              for name, allowed in PREFILLED_CHOICES.items()}
    return {
        **dict.fromkeys(COUNT_COLUMNS, validation("count", type="whole", operator="greaterThanOrEqual", formula1="0")),
        # Excel has no "greater than 0 and at most 1": 0.01 FTE is the smallest share a template accepts.
        "fte": validation("fte", type="decimal", operator="between", formula1="0.01", formula2="1"),
        "months_active": validation("months_active", type="whole", operator="between", formula1="1", formula2="12"),
        "cost_eur": validation("cost_eur", type="decimal", operator="greaterThanOrEqual", formula1="0"),
        **listed,
    }


def _write_return_sheet(sheet, positions: pd.DataFrame, year: int, department: str, due: dt.date,
                        recipient: str, synthetic: bool, say: Texts) -> None:
    columns = template_columns(say)
    letter = {c.name or c.check_group: get_column_letter(i) for i, c in enumerate(columns, start=1)}
    sheet["A1"] = say(texts.TEMPLATE_TITLE, year=year, area=department)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = say(texts.TEMPLATE_DUE, due_date=say.date(due), recipient=recipient)
    sheet["A2"].font = Font(bold=True)
    sheet["A3"] = say(texts.TEMPLATE_HOWTO, check=say(TEMPLATE_CHECK_WORD), definitions=say(TEMPLATE_DEFINITIONS_SHEET))
    if synthetic:
        sheet["A4"] = say(texts.FEEDBACK_SYNTHETIC)
        sheet["A4"].font = Font(bold=True, color="B22222")
    for i, column in enumerate(columns, start=1):
        cell = sheet.cell(HEADER_ROW, i, column.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.fill = _CHECK if column.check_group else _HEADER
        sheet.column_dimensions[get_column_letter(i)].width = 14 if column.name != "host_site" else 30
    sheet.row_dimensions[HEADER_ROW].height = 60

    last_row = FIRST_DATA_ROW + len(positions) - 1
    for row, position in enumerate(positions.itertuples(index=False), start=FIRST_DATA_ROW):
        values = {"year": year, "department_code": position.department_code, "position_id": position.position_id,
                  "host_site": position.host_site,
                  **{name: dict(zip(allowed, texts.choice_labels(allowed))).get(getattr(position, name))
                     for name, allowed in PREFILLED_CHOICES.items()}}
        cells = {name: f"{col}{row}" for name, col in letter.items()}
        for i, column in enumerate(columns, start=1):
            cell = sheet.cell(row, i)
            if column.check_group:
                cell.value = _check_formula(column.check_group, cells)
                cell.fill = _CHECK
            elif column.name in IDENTITY:
                cell.value = values[column.name]
                cell.fill = _GREY
            else:
                cell.value = values.get(column.name)
                cell.protection = _UNLOCKED

    validations = input_validations(say)
    for validation in {id(v): v for v in validations.values()}.values():
        sheet.add_data_validation(validation)
    for name, validation in validations.items():
        validation.add(f"{letter[name]}{FIRST_DATA_ROW}:{letter[name]}{last_row}")
    for group in SUM_GROUPS:
        col = letter[group]
        sheet.conditional_formatting.add(
            f"{col}{FIRST_DATA_ROW}:{col}{last_row}",
            FormulaRule(formula=[f"AND(ISNUMBER({col}{FIRST_DATA_ROW}),{col}{FIRST_DATA_ROW}<>0)"], fill=_RED),
        )
    sheet.freeze_panes = f"{letter['host_type']}{FIRST_DATA_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.print_title_cols = f"A:{letter['position_id']}"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widening a column is harmless; inserting one is not
    sheet.protection.formatRows = False


def _write_definitions_sheet(sheet, due: dt.date, recipient: str, say: Texts) -> None:
    symbol = active_profile().currency_symbol
    rows = [texts.DEFINITIONS_HEADER, *texts.DEFINITIONS, texts.DEFINITIONS_CORRECTIONS]
    for row in rows:
        sheet.append([say(text, symbol=symbol) for text in row])
    sheet.append([say(texts.DEFINITIONS_DUE), say.date(due)])
    sheet.append([say(texts.DEFINITIONS_RECIPIENT), recipient])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 45
    sheet.column_dimensions["B"].width = 100
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.protection.sheet = True


def build_template(positions: pd.DataFrame, year: int, department_code: str, due: dt.date, recipient: str,
                   synthetic: bool, say: Texts) -> Workbook:
    """The workbook of one area: the return sheet first (the reader takes the first sheet with a header),
    then the definitions."""
    names = departements().set_index("department_code")["department_name"]
    department = f"{names[department_code]} ({department_code})"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = say(texts.TEMPLATE_SHEET, year=year)
    _write_return_sheet(sheet, positions, year, department, due, recipient, synthetic, say)
    _write_definitions_sheet(workbook.create_sheet(say(TEMPLATE_DEFINITIONS_SHEET)), due, recipient, say)
    workbook.security = WorkbookProtection(lockStructure=True)
    return workbook


def template_file_name(year: int, department_code: str) -> str:
    name = departements().set_index("department_code")["department_name"][department_code]
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return f"bilan_{year}_{department_code}_{re.sub(r'[^A-Za-z0-9]+', '-', ascii_name).strip('-')}.xlsx"


def write_templates(registry: pd.DataFrame, year: int, out_dir: Path, department_code: str | None = None,
                    due: dt.date | None = None, recipient: str | None = None,
                    synthetic: bool = False, language: str | None = None) -> list[Path]:
    """One template per area with at least one position to report (or only `department_code`), in `language`
    (by default the active one)."""
    say = Texts(language)
    positions = positions_to_report(registry, year)
    if department_code is not None:
        positions = positions[positions["department_code"] == department_code]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for code, rows in positions.groupby("department_code", sort=True):
        path = out_dir / template_file_name(year, code)
        build_template(rows, year, code, due or due_date(year), recipient or active_profile().returns_recipient,
                       synthetic, say).save(path)
        written.append(path)
    return written
