"""Both cores for work that splits into independent parts (issue 17).

Dagster runs the steps one after another in one process (`swps run`'s in-process
executor: a process per step costs seconds, and the DuckDB warehouse takes one
writer), so a step's own parts are where a second core helps: the years of the
returns, the files of a year, the départements' feedback, the impact estimators,
the cost-benefit scopes, the disclosure blocks. `parallel_map` runs them in processes forked from the
step's own: a fork starts in milliseconds with every module already imported and
every input already in memory (nothing is pickled on the way in, only results on
the way back), where a fresh process would spend seconds importing pandas and
Dagster. `in_background` forks one call that the step needs only at its end, while
the step goes on with its own one-core work. `warm_workers` forks processes when a
run starts, which import the heavy modules later steps need (the sensitivity
analysis: moderndid, cvxpy, SciPy, 3.5 s; the charts: Matplotlib, 0.7 s) on the
core the run's first steps leave idle; `warm_call` sends a step's part to one.

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
from dataclasses import dataclass
from typing import Generic, TypeVar

WORKERS_VARIABLE = "SWPS_WORKERS"

Item = TypeVar("Item")
Result = TypeVar("Result")

#: The work of the `parallel_map` under way: forked workers read it from their copy of the parent's memory.
_work: tuple[Callable, Sequence] | None = None
#: The call `in_background` is starting, read the same way by the process it forks.
_background: Callable | None = None
#: The processes `warm_workers` forked for this run, by name, until the run ends (or `warm_call` takes a
#: one-call worker).
_warm: dict[str, ProcessPoolExecutor] = {}
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
            with forked_pool(workers) as pool:
                return list(pool.map(_run, range(len(items))))
        finally:
            _work = None


def forked_pool(workers: int) -> ProcessPoolExecutor:
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
            pool = forked_pool(1)
            return Pending(pool.submit(_run_background), pool)  # the worker is forked within `submit`
        finally:
            _background = None


def _import_all(modules: tuple[str, ...]) -> None:
    """The warm worker's start: freeze what it inherits (as `forked_pool`'s workers), then import `modules`. A
    module that fails to import is left for the call that needs it, which then raises in its step."""
    gc.freeze()
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # noqa: BLE001 - reported by the call that imports it again
            pass


@dataclass(frozen=True)
class WarmWorker:
    """A process `warm_workers` forks when a run starts, to import `modules` on the core the run's first steps
    leave idle. A `one_call` worker serves one `warm_call` and is then stopped, freeing what it imported (the
    sensitivity analysis: moderndid, cvxpy, SciPy); the others serve every call of the run, one after another
    (the charts: Matplotlib is then imported neither by the run's process nor by a fork of it)."""

    name: str
    modules: tuple[str, ...]
    one_call: bool = False


@contextmanager
def warm_workers(workers: Sequence[WarmWorker]) -> Iterator[None]:
    """During the block, one process per worker, forked now, imports its modules while this one goes on, for
    the later `warm_call`s. Nothing happens where `parallel_map` would run serially; a worker already there (a
    run inside a run) is kept. Every worker still there is stopped when the block ends."""
    if available_workers() <= 1 or not sys.platform.startswith("linux"):
        yield
        return
    started = {}
    for worker in workers:
        if worker.name in _warm:
            continue
        pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"), initializer=_import_all,
                                   initargs=(worker.modules,))
        pool.submit(int)  # forks the worker now, so that it imports while the run starts
        started[worker.name] = (worker, pool)
        _warm[worker.name] = pool
    try:
        yield
    finally:
        for name, (worker, pool) in started.items():
            if _warm.get(name) is pool:
                del _warm[name]
                # A run-long worker is idle by now: it is waited for, so nothing of it outlives the run. A one-call
                # worker no call took may still be importing: it is left to end on its own.
                pool.shutdown(wait=not worker.one_call, cancel_futures=True)


def warm_call(worker: WarmWorker, function: Callable[..., Result], *arguments, **keywords) -> Pending[Result]:
    """`function(*arguments, **keywords)` in the run's `worker` (`warm_workers`); without one, in a process
    forked now (`in_background`). The function and its arguments go to the worker pickled (it was forked before
    they existed), so they must be module-level functions and plain data. A forked worker has no warm worker of
    its own (its copy of the run's would not answer)."""
    pool = _warm.get(worker.name) if multiprocessing.parent_process() is None else None
    if pool is not None:
        if worker.one_call:
            del _warm[worker.name]
        try:
            return Pending(pool.submit(function, *arguments, **keywords), pool if worker.one_call else None)
        except (BrokenProcessPool, RuntimeError):
            _warm.pop(worker.name, None)
            pool.shutdown(wait=False)
    return in_background(lambda: function(*arguments, **keywords))
