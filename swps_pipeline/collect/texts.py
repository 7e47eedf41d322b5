"""Every text of the collection loop a coordinator or a social worker reads (templates, feedback, status).

Written in English, the catalogues' source language, and marked with `N_` so
that `swps i18n extract` finds them; shown through `i18n.Texts` in the
profile's language (`locale/fr/LC_MESSAGES/messages.po` for France). Messages
are keyed by the contract's rule ids and filled with the row's values
(`{total}`, `{sum}`, ...) and the profile's words (`{area_level}`,
`{currency}`). The column labels and the host and employer types are the
profile's (`contract.ReturnColumn.label`), the same in every language: they are
what the template's headers and drop-downs say.
"""

from __future__ import annotations

from swps_pipeline.contract import BY_NAME
from swps_pipeline.i18n import LIST_SEPARATOR, N_


def label(column: str) -> str:
    """The template's label of a canonical column (the profile's)."""
    return BY_NAME[column].label


def choice_labels(allowed: dict[str, tuple[str, ...]]) -> list[str]:
    """The label offered in a drop-down for each enum value (its first label in the profile)."""
    return [aliases[0] for aliases in allowed.values()]


# --- The template -----------------------------------------------------------------------------------------------

TEMPLATE_SHEET = N_("Return {year}")
TEMPLATE_TITLE = N_("Activity return {year} of the social workers in police stations — {area}")
TEMPLATE_DUE = N_("To send back by {due_date} at the latest to: {recipient}")
TEMPLATE_HOWTO = N_(
    "One row per position. The grey columns are filled in from the register of positions and locked. "
    "Leave a cell blank when the figure is not known (never 0 instead). "
    "The '{check}' columns must stay blank or 0: in red, the group does not add up. "
    "Definitions in the '{definitions}' sheet."
)
#: The check column of each sum group, after `contract.TEMPLATE_CHECK_WORD` (the reader sets those aside).
CHECK_HEADERS = {
    "cases": N_("cases (gap)"),
    "persons_sex": N_("sex (gap)"),
    "persons_age": N_("age (gap)"),
    "source": N_("referral (gap)"),
}
VALIDATION_TITLE = N_("Value refused")
VALIDATION_ERRORS = {
    "count": N_("A whole number, 0 or more (leave blank if not known)."),
    "fte": N_("An FTE between 0 (excluded) and 1, for example {example}."),
    "months_active": N_("A whole number of months, from 1 to 12."),
    "cost_eur": N_("An amount in {currency}, 0 or more."),
    "host_type": N_("Choose from the list: {choices}."),
    "employer_type": N_("Choose from the list: {choices}."),
}

#: The definitions sheet: (term, definition), from shared/contract/position_returns.md.
DEFINITIONS: list[tuple[str, str]] = [
    (N_("Persons received"), N_("Persons who had at least one interview with the social worker in the year.")),
    (N_("New cases"), N_("Cases opened in the year (a case may concern several persons).")),
    (N_("Ongoing cases"), N_("Cases opened in earlier years and still followed this year.")),
    (N_("Professional actions"), N_("Actions of the social worker (interview, referral, step, written report...): "
                                    "at least one per new case.")),
    (N_("Child-concern reports"), N_("Reports of a child at risk sent in the year.")),
    (N_("Cases victims / suspects / third parties / public not recorded"),
     N_("Split of the new cases by the person concerned: the sum equals the new cases.")),
    (N_("Women / Men / Sex not recorded"), N_("Split of the persons received: the sum equals the persons received.")),
    (N_("Age groups"), N_("Split of the persons received by age: the sum equals the persons received.")),
    (N_("Referred by..."), N_("Source of the new cases: the sum equals the new cases.")),
    (N_("Problems"), N_("Problems dealt with in the year; a case may have several. Each is at most the new cases + "
                        "ongoing cases.")),
    (N_("Referrals"), N_("Number of referrals made to each partner (no total to match).")),
    (N_("FTE"), N_("Full-time equivalent of the position over the year: between 0 (excluded) and 1.")),
    (N_("Months of activity"), N_("Number of months the position was filled in the year (1 to 12; blank = 12).")),
    (N_("Position cost ({symbol})"), N_("Real full cost of the position for the year, if known.")),
    (N_("Blank cell"), N_("Figure not known or not followed: leave blank, never write 0 instead.")),
]
DEFINITIONS_HEADER = (N_("Term"), N_("Definition"))
DEFINITIONS_DUE = N_("Due date")
DEFINITIONS_RECIPIENT = N_("To send to")
DEFINITIONS_CORRECTIONS = (
    N_("Corrections"),
    N_("A corrected return replaces the earlier one for the same position and year: it is put in the year's "
       "corrections/ sub-folder."),
)

# --- Feedback: one message per broken rule, filled with the row's values -----------------------------------------

#: Group wording of the sum rules: (total, members as the coordinator says them).
SUM_WORDS = {
    "cases": (N_("new cases"), N_("victims + suspects + third parties + public not recorded")),
    "persons_sex": (N_("persons received"), N_("women + men + sex not recorded")),
    "persons_age": (N_("persons received"), N_("minors + 18-25 + 26-59 + 60 and over + age not recorded")),
    "source": (N_("new cases"), N_("of the sources (police + gendarmerie + own initiative + social services + "
                                   "justice + health + education + association + other)")),
}
SUM_MESSAGE = N_("The total of {total_words} ({total}) does not match the sum {members_words} ({sum}).")
UNKNOWN_NEGATIVE_MESSAGE = N_(
    "The sum of the known values ({sum}) exceeds the total of {total_words} ({total}) while '{unknown}' is blank: "
    "correct the total or the split."
)
PROBLEM_BOUND_MESSAGE = N_("'{column}' ({value}) exceeds the largest possible value: {bound_words} ({bound}).")
PROBLEM_BOUND_WORDS = {
    "ongoing": N_("new cases + ongoing cases"),
    "persons": N_("new cases + persons received (ongoing cases not reported)"),
}
REQUIRED_MESSAGE = N_("'{column}' is blank: this cell is required.")
TYPE_MESSAGE = N_("'{column}' contains '{value}': {expected} expected.")
TYPE_EXPECTED = {"int": N_("a whole number"), "float": N_("a number (for example {example})")}
#: A cell without a value to read (`lines.VALUELESS_CELLS`), by kind.
VALUELESS_MESSAGES = {
    "formula": N_("'{column}' holds the formula {value} without its result: open the file in a spreadsheet program "
                  "and save it again."),
    "error": N_("'{column}' shows the spreadsheet error {value}: correct the formula or type the value."),
}
RANGE_MESSAGE = N_("'{column}' is {value}: {expected}.")
RANGE_EXPECTED = {
    "count": N_("a whole number, 0 or more, is expected"),
    "fte": N_("the FTE must be above 0 and at most 1"),
    "months_active": N_("the number of months must be between 1 and 12"),
    "cost_eur": N_("the cost cannot be negative"),
}
ENUM_MESSAGE = N_("'{column}' contains '{value}': choose from {choices}.")
AREA_CODE_MESSAGE = N_("'{column}' contains '{value}': one of the {count} official codes is expected ({codes}).")
#: A run of consecutive area codes in AREA_CODE_MESSAGE.
CODE_RANGE = N_("{first} to {last}")
POSITION_ID_MALFORMED_MESSAGE = N_(
    "'{column}' contains '{value}': expected form <{area_level}>-<3 digits>, for example {example}."
)
POSITION_ID_PREFIX_MESSAGE = N_(
    "The position id '{position_id}' does not start with the {area_level} '{department_code}': correct one of them."
)
YEAR_MISMATCH_MESSAGE = N_(
    "'{column}' is {value} while the file is filed with the {year} returns: correct the year or send the file for "
    "the right year."
)
CONFLICT_MESSAGE = N_(
    "Position {position_id} has several different returns for {year} ({copies}): none is kept, nothing is guessed. "
    "Send one corrected return (corrections/ sub-folder)."
)
BEYOND_HEADER_MESSAGE = N_(
    "Cells beyond the last column of the header ({cells}): a separator inside a value (for example a decimal comma "
    "not in quotes) shifts every cell after it; a separator too many at the end of the row, or a column without a "
    "title, looks the same. Put that value in quotes, remove the separator or give the column a title: nothing is "
    "guessed."
)
CELL_IN_XLSX = N_("{label} ({cell})")
CELL_IN_CSV = N_("{label} (row {row}, column {column})")
COPY_AT = N_("{file} row {row}")
#: Between the places of the conflicting copies of a return.
COPIES_SEPARATOR = LIST_SEPARATOR
#: A cell or a figure left blank, as the feedback shows it.
BLANK = N_("blank")

#: Soft rules worth a look by the person who filled the return, with their message.
WARNING_MESSAGES = {
    "cases_over_persons": N_("More new cases ({new_cases}) than persons received ({persons_received}): check both "
                             "figures."),
    "actions_under_cases": N_("Fewer professional actions ({actions}) than new cases ({new_cases}): each case has at "
                              "least one action; check both figures."),
    "activity_outlier": N_("{per_fte} persons received per FTE ({persons_received} persons for {fte} FTE), very far "
                           "from the other positions: check the persons received and the FTE."),
    "unregistered_position": N_("Position {position_id} is not in the register of funded positions: check the id "
                                "or have it registered."),
    "duplicate_identical": N_("Identical copy of a return already received for position {position_id}: it is "
                              "ignored."),
}
RULE_NAMES = {
    "required": N_("required cell blank"),
    "type": N_("unreadable value"),
    "range": N_("value out of bounds"),
    "enum": N_("value not in the list"),
    "department_code": N_("{area_level} code"),
    "position_id": N_("position id"),
    "year_mismatch": N_("year"),
    "sum_cases": N_("total of cases"),
    "sum_persons_sex": N_("total by sex"),
    "sum_persons_age": N_("total by age"),
    "sum_source": N_("total by source"),
    "unknown_negative": N_("split above the total"),
    "problem_bound": N_("problem above the maximum"),
    "conflicting_duplicate": N_("different duplicate returns"),
    "cases_over_persons": N_("more cases than persons"),
    "actions_under_cases": N_("fewer actions than cases"),
    "activity_outlier": N_("activity very different from the other positions"),
    "unregistered_position": N_("position not in the register"),
    "duplicate_identical": N_("identical copy"),
}

# --- Feedback report -------------------------------------------------------------------------------------------

FEEDBACK_SHEET = N_("Feedback")
FEEDBACK_TITLE = N_("Feedback on the {year} returns — {area}")
FEEDBACK_INTRO = N_(
    "This document lists, position by position, what to correct in the {year} returns received. A refused row is "
    "not counted until it is corrected: send back the position's corrected return (the rows concerned are enough)."
)
FEEDBACK_SYNTHETIC = N_("Synthetic data (made by swps generate): these are not real returns.")
FEEDBACK_SECTIONS = {
    "summary": N_("Returns received"),
    "quarantine": N_("To correct: rows refused"),
    "warnings": N_("To check: rows accepted with a warning"),
    "missing": N_("Missing returns"),
    "rejected": N_("Unreadable files"),
}
FEEDBACK_NOTHING = {
    "quarantine": N_("No row refused."),
    "warnings": N_("No warning."),
    "missing": N_("No return missing."),
    "rejected": N_("No file refused."),
}
FEEDBACK_COLUMNS = {
    "position_id": N_("Position"),
    "source_file": N_("File"),
    "source_row": N_("Row"),
    "rule": N_("Rule"),
    "cells": N_("Cells concerned"),
    "message": N_("Message"),
    "host_site": N_("Host site"),
    "reason": N_("Reason"),
}
SUMMARY_LABELS = {
    "positions_expected": N_("Positions expected"),
    "returns_received": N_("Returns received"),
    "returns_valid": N_("Returns accepted"),
    "returns_quarantined": N_("Returns to correct"),
    "returns_missing": N_("Returns missing"),
    "files_rejected": N_("Files refused"),
    "correction_files": N_("Correction files received"),
    "last_file_date": N_("Last file received on"),
}
#: How the feedback and the status name the rows and files without a recognisable area.
UNATTRIBUTED_NAME = N_("Rows and files without a recognisable {area_level}")

#: Why a whole file was refused: keyed by the start of the ingestion's reason (ingest/lines.py, ingest/read.py);
#: the ingestion's own (English) reason is kept in brackets for the data team.
REJECTION_REASONS = {
    "empty file": N_("empty file: send it again, complete."),
    "not a CSV/XLSX": N_("format not accepted: send the return as .xlsx (template provided) or .csv."),
    "binary content": N_("this is not a CSV text file: send the return as .xlsx (template provided)."),
    "undecodable bytes": N_("unreadable characters: save the file as CSV UTF-8 or as .xlsx."),
    "mixed encodings": N_("characters in two encodings (rows added by another program?): save the whole file again "
                          "as CSV UTF-8 or as .xlsx."),
    "not a readable XLSX": N_("unreadable workbook: open it in a spreadsheet and save it as .xlsx."),
    "damaged XLSX": N_("damaged workbook: save it again as .xlsx."),
    "no header row": N_("no header row (column '{position_id}'): use the template provided."),
    "required column(s) missing": N_("required column(s) missing: use the template provided."),
    "repeated column(s)": N_("the same column twice: keep one column per figure (template provided)."),
    "malformed CSV": N_("malformed CSV (quotes): save the file again or use the template."),
    "cannot be opened": N_("file that cannot be opened: send it again."),
}
REJECTION_UNKNOWN = N_("file refused: send it again with the template provided.")
REJECTION_REASON = N_("{reason} [{ingestion_reason}]")

# --- Collection status (command line) ---------------------------------------------------------------------------

STATUS_TITLE = N_("Collection of the {year} returns — status on {today}")
# TRANSLATORS: {country} is the country's name in its profile, e.g. France.
STATUS_NATIONAL = N_("{country} as a whole: {figures}")
STATUS_TO_CHASE = N_("{areas} to chase (returns missing or to correct):")
STATUS_ALL_IN = N_("All the returns expected are received and accepted.")
CHART_TITLE = N_("Collection of the returns: accepted, to correct, missing")
CHART_AXIS = N_("positions")
