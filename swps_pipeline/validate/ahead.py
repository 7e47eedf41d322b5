"""The returns validated while `swps run` starts (issue 17).

From its start to its first step, `swps run` spends 3–4 s on one core importing
Dagster and opening the instance and the definitions. The first step's work,
validating the years' returns, needs none of it. So once the preflight has
checked the folders and read the registry, `validating_ahead` forks processes
(`parallel.available_workers` of them) that validate the run's years meanwhile,
and the `validated_returns` step takes their results (`take`).

It takes them only for the inputs it is given itself: the same data folder, the
same registry (a year's re-run reads the registry of the last full run from the
warehouse, which may differ from the file), and year folders unchanged since the
validation started (names, sizes and modification times of their files:
`folder_fingerprint`, taken again once the result is in). A year that does not
match, or whose validation failed, is validated again in the step as if nothing
had been started, so what a run reports never depends on this.

The process that validates the latest year folder then prepares that year's
feedback reports (`collect.feedback.prepare_feedback`: the costliest part of a
re-run's `collection` step), from the year's tables as the step will load them
from the warehouse (`collect.inputs.loaded_from`). The step writes them
(`take_feedback`) only when the collection year it has from the warehouse is
the one they were made from, to the last value and dtype.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from swps_pipeline.ingest.folder import folder_fingerprint
from swps_pipeline.parallel import available_workers, forked_pool
from swps_pipeline.validate.tables import ValidationResult
from swps_pipeline.validate.year import validate_year, warm_hard_rules

if TYPE_CHECKING:  # imported by the forked processes that prepare the feedback, not while `swps run` starts
    from swps_pipeline.collect.feedback import PreparedFeedback
    from swps_pipeline.collect.inputs import CollectionYear


@dataclass(frozen=True)
class _Ahead:
    """The validations under way: their inputs, as they were when they started, and their results to come."""

    data_dir: Path
    registry: pd.DataFrame | None
    fingerprints: dict[int, str]
    results: dict[int, Future]  # (ValidationResult, PreparedFeedback | None) by year
    pool: ProcessPoolExecutor


@dataclass(frozen=True)
class _Inputs:
    """What the forked processes validate against, read from their copy of this process's memory: only the year
    is sent to them, not the registry."""

    data_dir: Path
    registry: pd.DataFrame | None
    feedback_year: int | None
    output_dir: Path | None


#: The validations `validating_ahead` started in this process, until `take` ends them.
_ahead: _Ahead | None = None
#: What they validate against, while they are forked.
_inputs: _Inputs | None = None
#: The feedback prepared with a year's validation that `take` took, until `take_feedback` takes it.
_prepared: dict[int, PreparedFeedback] = {}


def _fingerprint(data_dir: Path, year: int) -> str:
    return folder_fingerprint(data_dir / "returns" / str(year))


@contextmanager
def validating_ahead(data_dir: Path, years: Sequence[int], registry: pd.DataFrame | None,
                     feedback_year: int | None = None, output_dir: Path | None = None) -> Iterator[None]:
    """During the block, the returns of `years` are validated against `registry` in forked processes, for `take`;
    with them, the feedback reports of `feedback_year` (the latest year folder) if it is one of them, for
    `take_feedback`, their costly parts kept under `output_dir` as the step keeps them (`reuse.reused`).
    Nothing is started where `parallel_map` would run serially (one core, `SWPS_WORKERS=1`, outside Linux) or
    when validations are already under way. The processes are waited for when the block ends (at most the
    validation of a year, when the step did not take them)."""
    global _ahead, _inputs
    if _ahead is not None or not years or available_workers() <= 1 or not sys.platform.startswith("linux"):
        yield
        return
    warm_hard_rules(years[0])  # in this process, once, for every fork (and for the collection's feedback)
    data_dir = Path(data_dir).resolve()
    fingerprints = {year: _fingerprint(data_dir, year) for year in years}
    pool = forked_pool(min(available_workers(), len(years)))
    _inputs = _Inputs(data_dir, registry, feedback_year, Path(output_dir) if output_dir else None)
    first = sorted(years, key=lambda year: year != feedback_year)  # the longest task first
    try:  # every process of a forked pool is forked at its first call
        ahead = _Ahead(data_dir, registry, fingerprints, {year: pool.submit(_validate, year) for year in first}, pool)
    finally:
        _inputs = None
    _ahead = ahead
    try:
        yield
    finally:
        if _ahead is ahead:
            _ahead = None
        _prepared.clear()
        ahead.pool.shutdown(wait=True, cancel_futures=True)


def _validate(year: int) -> tuple[ValidationResult, PreparedFeedback | None]:
    """In a forked process: the year's validation, and the feedback of the latest year (None for the others, or
    when it could not be prepared: the step then prepares it and reports what goes wrong)."""
    inputs: _Inputs = _inputs  # type: ignore[assignment]
    result = validate_year(inputs.data_dir, year, inputs.registry)
    if year != inputs.feedback_year or inputs.registry is None:
        return result, None
    try:
        return result, _prepare_feedback(inputs, year, result)
    except Exception:  # noqa: BLE001 - prepared again in the step
        return result, None


def _prepare_feedback(inputs: _Inputs, year: int, result: ValidationResult) -> PreparedFeedback:
    from functools import partial

    from swps_pipeline.collect.feedback import prepare_feedback
    from swps_pipeline.collect.inputs import from_tables, loaded_from
    from swps_pipeline.publish.stored import as_loaded
    from swps_pipeline.reuse import compute_afresh, reused

    registry = as_loaded(inputs.registry, partitioned=False)  # as the step loads `positions_registry`
    collection = from_tables(year, inputs.data_dir, registry, loaded_from(result))
    reuse = partial(reused, inputs.output_dir) if inputs.output_dir else compute_afresh
    return prepare_feedback(collection, reuse=reuse)


def take(data_dir: Path, years: Sequence[int], registry: pd.DataFrame | None) -> dict[int, ValidationResult]:
    """The results validated ahead for those of `years` whose inputs are these (waiting for them), by year; every
    other validation started ahead is dropped."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None:
        return {}
    try:
        if ahead.data_dir != Path(data_dir).resolve() or not same_rows(ahead.registry, registry):
            return {}
        taken = {}
        for year in years:
            if year not in ahead.results:
                continue
            try:
                result, prepared = ahead.results[year].result()
            except Exception:  # noqa: BLE001 - validated again in the step, which reports what goes wrong
                continue
            if _fingerprint(ahead.data_dir, year) == ahead.fingerprints[year]:
                taken[year] = result
                if prepared is not None:
                    _prepared[year] = prepared
        return taken
    finally:
        ahead.pool.shutdown(wait=False, cancel_futures=True)


def take_feedback(collection: CollectionYear, language: str | None = None) -> PreparedFeedback | None:
    """The feedback reports prepared with the validation `take` took for `collection`'s year, in `language` (by
    default the active one), when they were made from this very collection year: every table equal, values and
    types, row by row (`collect.feedback.PreparedFeedback`); else None. Whatever was prepared is dropped."""
    from swps_pipeline.i18n import Texts

    prepared = _prepared.pop(collection.year, None)
    _prepared.clear()
    if prepared is None or prepared.language != Texts(language).language:
        return None
    return prepared if same_collection(prepared.collection, collection) else None


def same_collection(left: CollectionYear, right: CollectionYear) -> bool:
    """The same year, files and tables: the same columns, dtypes and values row by row (`DataFrame.equals`, for
    which missing equals missing), and the same index."""
    for field in fields(left):
        mine, theirs = getattr(left, field.name), getattr(right, field.name)
        if not isinstance(mine, pd.DataFrame):
            if mine != theirs:
                return False
        elif not (isinstance(theirs, pd.DataFrame) and mine.dtypes.equals(theirs.dtypes) and mine.equals(theirs)
                  and mine.index.equals(theirs.index)):
            return False
    return True


def same_rows(left: pd.DataFrame | None, right: pd.DataFrame | None) -> bool:
    """The same columns and values, row by row, whatever their dtypes (a registry read from its file has
    nullable integers where the warehouse gives plain ones)."""
    if left is None or right is None:
        return left is right
    if list(left.columns) != list(right.columns) or len(left) != len(right):
        return False
    try:
        pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                      check_dtype=False, check_exact=True)
    except (AssertionError, TypeError, ValueError):
        return False
    return True
