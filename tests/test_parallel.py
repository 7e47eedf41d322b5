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
