"""Concurrency: two `swps run` on one output folder, and readers of the marts while a run rewrites them.

One scenario serves both tests: the output folder holds the marts of a
complete run on the original data; two `swps run` on the corrected data start
together on it (same SWPS_OUTPUT_DIR, same DAGSTER_HOME) while a reader thread
reads every `marts/*.parquet` with pandas, over and over, from before the runs
start until after they end.
"""

from __future__ import annotations

import fcntl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest

pytestmark = pytest.mark.slow
RUN_PROVENANCE = "run_provenance"


class MartReader:
    """Reads every mart in a loop, in a thread, and records what it found: old version, new version, or else."""

    def __init__(self, marts: Path, old: dict[str, pd.DataFrame], new: dict[str, pd.DataFrame]):
        # run_provenance holds the run id, never equal to a reference run's by design: the reader leaves it out.
        self.old, self.new = ({name: table for name, table in tables.items() if name != RUN_PROVENANCE}
                              for tables in (old, new))
        self.marts = marts
        self.errors: list[str] = []
        self.row_counts: dict[str, set[int]] = {}
        self.sweeps: list[dict[str, str]] = []  # per sweep: mart -> "old" / "new"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self):
        while not self.stopping.is_set():
            self.sweep()
            time.sleep(0.005)

    def sweep(self):
        """One look at every mart, through the `marts` link resolved once (as a careful reader does)."""
        folder = self.marts.resolve()
        names = sorted(path.stem for path in folder.glob("*.parquet") if path.stem != RUN_PROVENANCE)
        if names != sorted(self.old):
            self.errors.append(f"marts/*.parquet lists {names}")
        found = {}
        for name in names:
            try:
                frame = pd.read_parquet(folder / f"{name}.parquet")
            except Exception as error:  # noqa: BLE001 - any error is what the test looks for
                self.errors.append(f"{name}: {type(error).__name__}: {error}")
                continue
            self.row_counts.setdefault(name, set()).add(len(frame))
            if frame.equals(self.old[name]):
                found[name] = "old"
            elif frame.equals(self.new[name]):
                found[name] = "new"
            else:
                self.errors.append(f"{name}: {len(frame)} rows, neither the previous nor the new table")
        self.sweeps.append(found)


@dataclass
class Ended:
    pid: int
    returncode: int
    stdout: str
    stderr: str


@dataclass
class Race:
    winner: Ended
    loser: Ended
    reader: MartReader
    output: Path


def run_two_together(command: list[str], environment: dict, folder: Path) -> list[Ended]:
    """Start two identical commands at once and wait for both; their output goes to files (no pipe to drain)."""
    started = []
    try:
        for index in (1, 2):
            with open(folder / f"run{index}.out", "w") as out, open(folder / f"run{index}.err", "w") as err:
                started.append(subprocess.Popen(command, env=environment, cwd=folder, stdout=out, stderr=err))
        for process in started:
            process.wait(timeout=180)
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    return [
        Ended(process.pid, process.returncode, (folder / f"run{index}.out").read_text(),
              (folder / f"run{index}.err").read_text())
        for index, process in enumerate(started, start=1)
    ]


@pytest.fixture(scope="module")
def race(tmp_path_factory, original_run, corrected_run, support) -> Race:
    folder = tmp_path_factory.mktemp("race")
    output = support.copy_output(original_run, folder / "out")
    environment = support.cli_environment(corrected_run.data_dir, output, folder / "dagster_home")
    reader = MartReader(output / "marts", original_run.marts, corrected_run.marts)
    reader.thread.start()
    while not reader.sweeps and not reader.errors:  # the reader is at work before the runs start
        time.sleep(0.01)
    try:
        first, second = run_two_together(support.swps_command("run"), environment, folder)
    finally:
        reader.stopping.set()
        reader.thread.join(timeout=60)
    reader.sweep()  # one last look, after both runs ended
    assert sorted([first.returncode, second.returncode]) == [0, 3], (
        f"expected one run to succeed and the other to refuse (exit 3), got {first.returncode} and "
        f"{second.returncode}\nstderr 1: {first.stderr}\nstderr 2: {second.stderr}"
    )
    winner, loser = (first, second) if first.returncode == 0 else (second, first)
    return Race(winner, loser, reader, output)


def test_a_second_run_on_the_same_output_refuses_with_one_clear_line(race, corrected_run, support):
    winner, loser = race.winner, race.loser
    assert winner.returncode == 0 and "swps run: done" in winner.stdout
    assert loser.returncode == 3
    assert loser.stdout == ""
    (line,) = loser.stderr.splitlines()
    assert "another swps run" in line and f"(pid {winner.pid})" in line and str(race.output) in line
    for text in (winner.stdout, winner.stderr, loser.stdout, loser.stderr):
        assert "Traceback" not in text

    # Afterwards: the warehouse opens, the lock is free, the marts are those of a clean run.
    with duckdb.connect(str(race.output / "swps.duckdb"), read_only=True) as connection:
        for name, mart in corrected_run.marts.items():
            assert connection.execute(f'SELECT count(*) FROM main."{name}"').fetchone()[0] == len(mart), name
    with open(race.output / ".swps-run.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(handle, fcntl.LOCK_UN)
    support.assert_same_marts(support.read_marts(race.output / "marts"), corrected_run.marts, "after the race")


def test_a_reader_never_sees_an_error_or_a_partial_table_while_a_run_rewrites_the_marts(race):
    reader = race.reader
    assert reader.errors == []
    # Row counts are always the previous or the new one (tables whose length changed included).
    for name, counts in reader.row_counts.items():
        assert counts <= {len(reader.old[name]), len(reader.new[name])}, name
    changed = [name for name in reader.old if not reader.old[name].equals(reader.new[name])]
    assert len(changed) >= 6
    resized = [name for name in changed if len(reader.old[name]) != len(reader.new[name])]
    assert {"returns_valid", "returns_quarantine", "missing_returns"} <= set(resized)
    for name in resized:  # read at both lengths, never at any other
        assert len(reader.row_counts[name]) == 2, name
    # The reads overlapped the rewrite: they started on the old marts and ended on the new ones, and the
    # marts of one run are published together: no sweep found old and new tables side by side.
    assert all(reader.sweeps[0][name] == "old" for name in changed)
    assert all(reader.sweeps[-1][name] == "new" for name in changed)
    mixed = [sweep for sweep in reader.sweeps if {sweep.get(name) for name in changed} == {"old", "new"}]
    assert mixed == [], f"{len(mixed)} of {len(reader.sweeps)} sweeps mixed two runs"


def test_a_run_finding_the_warehouse_held_by_another_process_fails_with_the_reason(tmp_path, monkeypatch):
    """A run started from the UI and a `swps run` do not share a lock: the second finds the warehouse held
    by the first, retries, then fails with one line naming the holder, not DuckDB's error."""
    import sys

    import dagster as dg

    from swps_pipeline.publish.warehouse import RoutedDuckDbClient, WarehouseIOManager

    database = tmp_path / "swps.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(database)!r}); print('held', "
         "flush=True); time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(RoutedDuckDbClient, "LOCK_RETRIES", 1)

        @dg.asset
        def national_year() -> pd.DataFrame:
            return pd.DataFrame({"year": [2025], "positions_active": [3]})

        io_manager = WarehouseIOManager(database=str(database), marts_dir=str(tmp_path / "marts"))
        with dg.instance_for_test() as instance:
            result = dg.materialize([national_year], instance=instance, resources={"io_manager": io_manager},
                                    raise_on_error=False)
            failure = next(event for event in result.all_events if event.is_step_failure)
    finally:
        holder.kill()
        holder.wait()
    assert failure.step_failure_data.user_failure_data.description == (
        f"the warehouse {database} is held by another process (pid {holder.pid}): another run writes to this "
        "output folder (started from the UI or by `swps run`); let it end, then run again")
