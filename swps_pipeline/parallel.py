"""Both cores for work that splits into independent parts (issue 17).

Dagster runs the steps one after another in one process (`swps run`'s in-process
executor: a process per step costs seconds, and the DuckDB warehouse takes one
writer), so a step's own parts are where a second core helps: the years of the
returns, the files of a year, the départements' feedback, the impact estimators,
the cost-benefit scopes, the disclosure blocks. `parallel_map` runs them in processes forked from the
step's own: a fork starts in milliseconds with every module already imported and
every input already in memory (nothing is pickled on the way in, only results on
the way back), where a fresh process would spend seconds importing pandas and
Dagster. `in_background` forks one call that the step needs only at its end (the
pack's charts), while the step goes on with its own one-core work. `warm_worker`
forks one process when a run starts, which imports the heavy modules a later step
needs (the sensitivity analysis: moderndid, cvxpy, SciPy, 3.5 s) on the core the
run's first steps leave idle; `warm_call` sends that step's part to it.

The parts must be pure (they read their arguments, return a value, may write
their own files): a forked worker never touches the warehouse, the Dagster
context or the parent's connections, and it leaves with `os._exit`, so nothing of
the parent is closed or flushed twice. Results come back in the order of the
inputs, so a parallel run gives the same tables as a serial one; an exception in a
part is raised in the step, as if the part had run there.

`SWPS_WORKERS=1` runs everything in the step's process (e.g. to profile it).
Outside Linux the parts also run there: Windows has no `fork`, and on macOS a
forked process may crash in the system's frameworks (Python's default there is
`spawn`, which would import everything again).
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Generic, TypeVar

WORKERS_VARIABLE = "SWPS_WORKERS"

Item = TypeVar("Item")
Result = TypeVar("Result")

#: The work of the `parallel_map` under way: forked workers read it from their copy of the parent's memory.
_work: tuple[Callable, Sequence] | None = None
#: The call `in_background` is starting, read the same way by the process it forks.
_background: Callable | None = None
#: The process `warm_worker` forked for this run, until `warm_call` takes it.
_warm: ProcessPoolExecutor | None = None
_one_at_a_time = threading.Lock()


def available_workers() -> int:
    """`SWPS_WORKERS` if set, else the cores this process may use (one inside a forked worker)."""
    if multiprocessing.parent_process() is not None:
        return 1  # a worker's parts run in the worker: no forks of forks
    setting = os.environ.get(WORKERS_VARIABLE, "").strip()
    if setting:
        try:
            return max(1, int(setting))
        except ValueError:
            raise ValueError(f"{WORKERS_VARIABLE}={setting!r}: write a whole number of processes (1: no "
                             "parallel work)") from None
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _run(index: int):
    function, items = _work  # type: ignore[misc]
    return function(items[index])


def parallel_map(function: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
    """`[function(item) for item in items]`, with the items shared among forked processes when there are
    several items and several cores."""
    global _work
    items = list(items)
    workers = min(available_workers(), len(items))
    if workers <= 1 or not sys.platform.startswith("linux"):
        return [function(item) for item in items]
    with _one_at_a_time:
        _work = (function, items)
        try:
            with _forked_pool(workers) as pool:
                return list(pool.map(_run, range(len(items))))
        finally:
            _work = None


def _forked_pool(workers: int) -> ProcessPoolExecutor:
    """Workers forked from this process. Each first freezes what it inherits: its collector then leaves the
    parent's objects alone, and their pages stay shared (frozen in the worker, the parent's settings stay)."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze)


def _run_background():
    return _background()  # type: ignore[misc]


class Pending(Generic[Result]):
    """The result of a call made by `in_background`: `result()` waits for it (and raises what the call raised).
    Used as a context manager, the process is waited for when the block ends, even on an error."""

    def __init__(self, future: Future | None = None, pool: ProcessPoolExecutor | None = None,
                 value: Result | None = None):
        self._future, self._pool, self._value = future, pool, value

    @classmethod
    def done(cls, value: Result) -> Pending[Result]:
        """A result already there (e.g. charts drawn earlier), for code that takes either."""
        return cls(value=value)

    def result(self) -> Result:
        if self._future is None:
            return self._value  # type: ignore[return-value]
        try:
            return self._future.result()
        finally:
            self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __enter__(self) -> Pending[Result]:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def in_background(call: Callable[[], Result]) -> Pending[Result]:
    """`call()` in a process forked from this one, while this one goes on with work that does not need its
    result (e.g. the pack's charts drawn while its tables are protected and written: the second core is
    otherwise idle while one process writes the workbook). Where `parallel_map` would run serially (one core,
    `SWPS_WORKERS=1`, inside a worker, outside Linux), `call()` runs here, at once."""
    global _background
    if available_workers() <= 1 or not sys.platform.startswith("linux"):
        return Pending.done(call())
    with _one_at_a_time:
        _background = call
        try:
            pool = _forked_pool(1)
            return Pending(pool.submit(_run_background), pool)  # the worker is forked within `submit`
        finally:
            _background = None


def parallel_calls(calls: Sequence[Callable[[], Result]]) -> list[Result]:
    """The result of each call, in order, the calls shared among forked processes (e.g. a step's charts)."""
    return parallel_map(lambda call: call(), calls)


def _import_all(modules: tuple[str, ...]) -> None:
    """The warm worker's start: freeze what it inherits (as `_forked_pool`'s workers), then import `modules`. A
    module that fails to import is left for the call that needs it, which then raises in its step."""
    gc.freeze()
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - reported by the call that imports it again
            pass


@contextmanager
def warm_worker(modules: Sequence[str]) -> Iterator[None]:
    """During the block, one process forked now imports `modules` while this one goes on, for one later
    `warm_call`. Nothing happens where `parallel_map` would run serially, or when a warm worker is already
    there (a run inside a run). It is stopped when the block ends, if no call took it."""
    global _warm
    if available_workers() <= 1 or not sys.platform.startswith("linux") or _warm is not None:
        yield
        return
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_import_all,
                               initargs=(tuple(modules),))
    pool.submit(int)  # forks the worker now, so that it imports while the run starts
    _warm = pool
    try:
        yield
    finally:
        if _warm is pool:
            _warm = None
            pool.shutdown(wait=False, cancel_futures=True)


def warm_call(function: Callable[..., Result], *arguments) -> Pending[Result]:
    """`function(*arguments)` in the run's warm worker (`warm_worker`), which it then leaves; without one, in a
    process forked now (`in_background`). The function and its arguments go to the worker pickled (it was
    forked before they existed), so they must be module-level functions and plain data."""
    global _warm
    pool, _warm = _warm, None
    if pool is not None:
        try:
            return Pending(pool.submit(function, *arguments), pool)
        except (BrokenProcessPool, RuntimeError):
            pool.shutdown(wait=False)
    return in_background(lambda: function(*arguments))
