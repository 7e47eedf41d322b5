"""Parts of a step shared among forked processes: same results, same order, same errors as in one process."""

import os

import pandas as pd
import pytest

from swps_pipeline import parallel
from swps_pipeline.parallel import WORKERS_VARIABLE, available_workers, parallel_map


def _pid_and_square(number: int) -> tuple[int, int]:
    return os.getpid(), number * number


def test_results_come_back_in_the_order_of_the_items_from_other_processes(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    results = parallel_map(_pid_and_square, range(7))
    assert [square for _, square in results] == [0, 1, 4, 9, 16, 25, 36]
    assert os.getpid() not in {pid for pid, _ in results}  # computed in forked workers


def test_one_worker_runs_everything_in_the_step_process(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "1")
    assert {pid for pid, _ in parallel_map(_pid_and_square, range(3))} == {os.getpid()}


def test_workers_see_the_parent_memory_and_send_tables_back(monkeypatch):
    """Closures and unpicklable inputs are fine: the workers are forks; only results travel."""
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    table = pd.DataFrame({"department_code": ["01", "2A", "971"], "cases": [3, None, 5]})
    parts = parallel_map(lambda code: table[table["department_code"] == code], ["971", "01"])
    assert [part["cases"].tolist() for part in parts] == [[5.0], [3.0]]


def _fails_on_three(number: int) -> int:
    if number == 3:
        raise ValueError("three is refused")
    return number


def test_an_error_in_a_part_is_raised_in_the_step(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    with pytest.raises(ValueError, match="three is refused"):
        parallel_map(_fails_on_three, range(5))
    assert parallel._work is None  # nothing left behind for the next call


def _nested(number: int) -> list[int]:
    return [available_workers(), *(pid for pid, _ in parallel_map(_pid_and_square, [number, number]))]


def test_a_worker_does_not_fork_again(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    for workers, *pids in parallel_map(_nested, [1, 2]):
        assert workers == 1 and len(set(pids)) == 1 and pids[0] != os.getpid()


def test_a_setting_that_is_not_a_number_is_refused_with_what_to_write(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "two")
    with pytest.raises(ValueError, match=r"SWPS_WORKERS='two': write a whole number"):
        available_workers()


def test_a_background_call_runs_in_another_process_while_this_one_goes_on(monkeypatch, tmp_path):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    table = pd.DataFrame({"cases": [3, 4]})
    with parallel.in_background(lambda: (os.getpid(), int(table["cases"].sum()))) as pending:
        here = parallel_map(_pid_and_square, [2, 3])  # the step's own parallel work meanwhile
        pid, total = pending.result()
    assert total == 7 and pid != os.getpid() and [square for _, square in here] == [4, 9]
    assert parallel._background is None


def test_a_background_error_is_raised_when_its_result_is_asked(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    pending = parallel.in_background(lambda: _fails_on_three(3))
    with pytest.raises(ValueError, match="three is refused"):
        pending.result()


def test_with_one_worker_a_background_call_runs_at_once_in_this_process(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "1")
    calls = []
    pending = parallel.in_background(lambda: calls.append(os.getpid()) or "drawn")
    assert calls == [os.getpid()]  # before its result is asked
    assert pending.result() == "drawn"


def _process_and_imported(module: str) -> tuple[int, bool]:
    import sys

    return os.getpid(), module in sys.modules


ONE_CALL = parallel.WarmWorker("one call", ("wave",), one_call=True)
RUN_LONG = parallel.WarmWorker("run long", ("wave",))


def test_a_one_call_worker_imports_before_the_call_comes_and_serves_one_call(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    module = "wave"  # a standard module nothing here imports
    if module in __import__("sys").modules:
        pytest.skip(f"{module} is already imported in this process")
    with parallel.warm_workers([ONE_CALL]):
        with parallel.warm_call(ONE_CALL, _process_and_imported, module) as first:
            warm_pid, imported_there = first.result()
        cold_pid, imported_cold = parallel.warm_call(ONE_CALL, _process_and_imported, module).result()  # taken
    assert warm_pid != os.getpid() and imported_there  # imported by the worker, before the call
    assert cold_pid not in (os.getpid(), warm_pid) and not imported_cold  # a process forked from this one
    assert module not in __import__("sys").modules and parallel._warm == {}


def _process_and_scaled(number: int, factor: int = 1) -> tuple[int, int]:
    return os.getpid(), number * factor


def test_a_worker_for_the_run_serves_every_call_in_one_process_and_stops_with_its_block(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    with parallel.warm_workers([RUN_LONG, ONE_CALL]):
        pool = parallel._warm[RUN_LONG.name]
        calls = [parallel.warm_call(RUN_LONG, _process_and_scaled, number, factor=10) for number in (1, 2, 3)]
        results = [call.result() for call in calls]
        assert parallel._warm[RUN_LONG.name] is pool  # still there for the run's next calls
    assert [value for _, value in results] == [10, 20, 30]
    assert len({pid for pid, _ in results}) == 1 and results[0][0] != os.getpid()
    assert parallel._warm == {} and pool._shutdown_thread


def test_a_forked_worker_calls_in_its_own_process_not_in_its_copy_of_the_run_s_warm_worker(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    with parallel.warm_workers([RUN_LONG]):
        warm_pid, _ = parallel.warm_call(RUN_LONG, _process_and_scaled, 1).result()
        inside = parallel_map(lambda number: (os.getpid(), parallel.warm_call(RUN_LONG, _process_and_scaled,
                                                                              number).result()), [2, 3])
    assert [value for _, (_, value) in inside] == [2, 3]
    assert all(worker_pid == called_pid != warm_pid for worker_pid, (called_pid, _) in inside)


def test_a_warm_worker_nobody_called_is_stopped_with_its_block_and_errors_reach_the_caller(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "2")
    with parallel.warm_workers([ONE_CALL]):
        pool = parallel._warm[ONE_CALL.name]
    assert parallel._warm == {} and pool._shutdown_thread
    for worker in (ONE_CALL, RUN_LONG):
        with parallel.warm_workers([worker]):
            with pytest.raises(ValueError, match="three is refused"):
                parallel.warm_call(worker, _fails_on_three, 3).result()


def test_with_one_worker_there_is_no_warm_worker_and_the_call_runs_here(monkeypatch):
    monkeypatch.setenv(WORKERS_VARIABLE, "1")
    with parallel.warm_workers([ONE_CALL, RUN_LONG]):
        assert parallel._warm == {}
        pid, _ = parallel.warm_call(RUN_LONG, _process_and_imported, "wave").result()
    assert pid == os.getpid()
