"""`swps template`, `swps feedback` and `swps status --year`: the collection loop from the command line.

Each command returns the text to print; a problem the user can fix raises
`CollectionError` (or the registry's `RegistryError`) with one line.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd

from swps_pipeline.collect.feedback import write_feedback
from swps_pipeline.collect.inputs import is_synthetic, read_collection_year
from swps_pipeline.collect.status import collection_status_report
from swps_pipeline.ingest.registry import read_registry
from swps_pipeline.profiles import active_profile
from swps_pipeline.reference import official_department_codes
from swps_pipeline.settings import Settings
from swps_pipeline.validate.parse import parse_department_code


class CollectionError(Exception):
    """A problem with the command's arguments or folders; the message is one line for the user."""


def _department(code: str | None) -> str | None:
    if code is None:
        return None
    (parsed,) = parse_department_code(pd.Series([code], dtype=object))
    if parsed not in official_department_codes():
        raise CollectionError(f"--department {code!r} is not one of the 101 official codes (01–19, 2A, 2B, 21–95, "
                              "971–974, 976)")
    return parsed


def _due(text: str | None, year: int) -> dt.date:
    from swps_pipeline.collect.template import due_date  # with openpyxl, which only `swps template` needs

    if text is None:
        return due_date(year)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CollectionError(f"--due-date {text!r} is not a date YYYY-MM-DD") from None


def template(args: argparse.Namespace, settings: Settings) -> str:
    from swps_pipeline.collect.template import write_templates

    department = _department(args.department)
    out = Path(args.out) if args.out else settings.output_dir / "templates" / str(args.year)
    registry = read_registry(settings.registry_path)
    written = write_templates(registry, args.year, out, department, _due(args.due_date, args.year),
                              args.recipient or active_profile().returns_recipient,
                              synthetic=is_synthetic(settings.data_dir))
    if not written:
        where = f"département {department}" if department else "any département"
        raise CollectionError(f"no position of {where} is active in {args.year} in {settings.registry_path}")
    return f"swps template: {len(written)} return template(s) for {args.year} written to {out}"


def _year_folder(settings: Settings, year: int) -> None:
    if not (settings.returns_dir / str(year)).is_dir():
        raise CollectionError(f"no folder {settings.returns_dir / str(year)}: no return received for {year} yet")


def feedback(args: argparse.Namespace, settings: Settings) -> str:
    _year_folder(settings, args.year)
    out = Path(args.out) if args.out else settings.output_dir / "feedback" / str(args.year)
    collection = read_collection_year(settings, args.year)
    index = write_feedback(collection, out)
    return (f"swps feedback: {len(index)} département report(s) for {args.year} (XLSX + HTML) written to {out}; "
            f"{int(index['lines_to_correct'].sum())} line(s) to correct, {int(index['returns_missing'].sum())} "
            f"return(s) missing" + (" — synthetic data" if collection.synthetic else ""))


def status(args: argparse.Namespace, settings: Settings) -> str:
    _year_folder(settings, args.year)
    return collection_status_report(args.year, settings)


def add_template_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, required=True, help="the year the returns are about")
    parser.add_argument("--department", help="only this département (code, e.g. 77 or 2A)")
    parser.add_argument("--out", help="output folder (default $SWPS_OUTPUT_DIR/templates/<year>/)")
    parser.add_argument("--due-date", help="date the returns are due, YYYY-MM-DD (default 15 February of year+1)")
    parser.add_argument("--recipient", default=None, help="whom the départements send their returns to")


def add_feedback_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, required=True, help="the year folder returns/<year>/ to report on")
    parser.add_argument("--out", help="output folder (default $SWPS_OUTPUT_DIR/feedback/<year>/)")
