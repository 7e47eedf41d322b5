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
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from swps_pipeline.ingest.folder import folder_fingerprint
from swps_pipeline.parallel import available_workers, forked_pool
from swps_pipeline.validate.tables import ValidationResult
from swps_pipeline.validate.year import validate_year, warm_hard_rules


@dataclass(frozen=True)
class _Ahead:
    """The validations under way: their inputs, as they were when they started, and their results to come."""

    data_dir: Path
    registry: pd.DataFrame | None
    fingerprints: dict[int, str]
    results: dict[int, Future]
    pool: ProcessPoolExecutor


#: The validations `validating_ahead` started in this process, until `take` ends them.
_ahead: _Ahead | None = None
#: What they validate against, read by the processes `validating_ahead` forks from their copy of its memory:
#: only the year is sent to them, not the registry.
_inputs: tuple[Path, pd.DataFrame | None] | None = None


def _fingerprint(data_dir: Path, year: int) -> str:
    return folder_fingerprint(data_dir / "returns" / str(year))


@contextmanager
def validating_ahead(data_dir: Path, years: Sequence[int], registry: pd.DataFrame | None) -> Iterator[None]:
    """During the block, the returns of `years` are validated against `registry` in forked processes, for `take`.
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
    _inputs = (data_dir, registry)
    try:  # every process of a forked pool is forked at its first call
        ahead = _Ahead(data_dir, registry, fingerprints, {year: pool.submit(_validate, year) for year in years}, pool)
    finally:
        _inputs = None
    _ahead = ahead
    try:
        yield
    finally:
        if _ahead is ahead:
            _ahead = None
        ahead.pool.shutdown(wait=True, cancel_futures=True)


def _validate(year: int) -> ValidationResult:
    data_dir, registry = _inputs  # type: ignore[misc]
    return validate_year(data_dir, year, registry)


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
                result = ahead.results[year].result()
            except Exception:  # noqa: BLE001 - validated again in the step, which reports what goes wrong
                continue
            if _fingerprint(ahead.data_dir, year) == ahead.fingerprints[year]:
                taken[year] = result
        return taken
    finally:
        ahead.pool.shutdown(wait=False, cancel_futures=True)


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
