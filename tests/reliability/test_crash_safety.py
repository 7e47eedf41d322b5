"""Crash safety: `swps run` killed with SIGKILL in the middle of the validation step.

The output folder holds the marts of a complete run on the original data; the
killed run works on the corrected data (conftest.py), so the marts fed by the
returns differ between the two versions. The run writes its marts into its own
folder `runs/<id>/` and publishes them together at the end (one rename of the
`marts` link). The kill is triggered by the step's first rename in that folder:
once its `returns_valid.parquet` has been replaced by a new file, the run is
inside the validation step (its other tables are still to be written) and the
panel has not started. The kill comes as soon as the next temporary Parquet
file appears (mid-export), or 0.2 s later.

After the kill: every published mart is the previous version (none from the
killed run), readers globbing `*.parquet` see no temporary file, the warehouse
opens, the dead run's lock blocks nobody, and the next `swps run` removes the
killed run's folder and gives the marts of a clean run.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

#: The first mart the validation step rewrites (its first output), and one the panel step rewrites much later.
TRIGGER = "returns_valid"
LATER = "national_year"
KILL_DEADLINE_S = 90.0
#: After the trigger, how long to wait for a temporary file to appear before killing anyway (the step's
#: remaining outputs take about a second, the panel step comes after them).
MID_WRITE_WINDOW_S = 0.2


def file_identity(path: Path) -> tuple[int, int] | None:
    """Inode and mtime: a rename into place gives a new inode."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns


def start_and_kill_in_validation(
    command: list[str], environment: dict, marts: Path, logs: Path
) -> tuple[subprocess.Popen, bool]:
    runs = marts.parent / "runs"
    """Start `swps run`; SIGKILL it (and its process group) once the trigger mart has been replaced.

    Returns the process and whether the trigger was seen (if not, the process ended by itself or was
    killed at the deadline). Its stdout and stderr go to `logs`.out / .err.
    """
    trigger = marts / f"{TRIGGER}.parquet"
    before = file_identity(trigger)
    assert before is not None
    with open(logs.with_suffix(".out"), "w") as stdout, open(logs.with_suffix(".err"), "w") as stderr:
        process = subprocess.Popen(
            command, env=environment, cwd=marts.parent.parent, stdout=stdout, stderr=stderr, start_new_session=True
        )
    deadline, triggered = time.monotonic() + KILL_DEADLINE_S, False
    try:
        while process.poll() is None and time.monotonic() < deadline:
            if any(file_identity(path) not in (before, None) for path in runs.glob(f"*/{TRIGGER}.parquet")):
                # Inside the validation step. Give it a moment to start writing its next table, so the kill
                # often lands in the middle of a Parquet export (a `.tmp` file on disk); kill anyway after that.
                triggered, window = True, time.monotonic() + MID_WRITE_WINDOW_S
                while time.monotonic() < window and not any(runs.glob("*/.*.tmp")):
                    time.sleep(0.0005)
                os.killpg(process.pid, signal.SIGKILL)
                break
            time.sleep(0.001)
    finally:
        if process.poll() is None and not triggered:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    return process, triggered


@pytest.mark.slow
def test_a_run_killed_in_the_validation_step_leaves_whole_marts_and_the_next_run_repairs_them(
    original_run, corrected_run, support, tmp_path
):
    output = support.copy_output(original_run, tmp_path / "out")
    marts = output / "marts"
    environment = support.cli_environment(corrected_run.data_dir, output, tmp_path / "dagster_home")

    logs = tmp_path / "killed_run"
    killed, triggered = start_and_kill_in_validation(support.swps_command("run"), environment, marts, logs)
    stdout, stderr = logs.with_suffix(".out").read_text(), logs.with_suffix(".err").read_text()
    assert triggered and killed.returncode == -signal.SIGKILL, (
        f"`swps run` was not killed in the validation step (exit {killed.returncode}; {TRIGGER}.parquet "
        f"{'replaced' if triggered else f'not replaced within {KILL_DEADLINE_S:.0f} s'}): the test proves "
        f"nothing.\nstdout: {stdout}\nstderr: {stderr}"
    )

    # Readers glob `*.parquet`: they find exactly the previous set of marts, whatever temporary file the
    # killed run left behind (a hidden `.<mart>.parquet.<pid>.tmp`, never `*.parquet`).
    assert sorted(p.stem for p in marts.glob("*.parquet")) == sorted(original_run.marts)
    for stray in marts.iterdir():
        assert stray.suffix == ".parquet" or (stray.name.startswith(".") and stray.name.endswith(".tmp")), stray

    # The published marts are all those of the previous run: the killed run published nothing.
    support.assert_same_marts(support.read_marts(marts), original_run.marts, "published marts after the kill")
    # The kill landed where intended: in the killed run's own folder, the trigger was rewritten, the panel's
    # national table was not.
    (killed_folder,) = [folder for folder in (output / "runs").iterdir() if folder != marts.resolve()]
    in_progress = support.read_marts(killed_folder)
    assert not original_run.marts[TRIGGER].equals(corrected_run.marts[TRIGGER])
    assert in_progress[TRIGGER].equals(corrected_run.marts[TRIGGER])
    assert not original_run.marts[LATER].equals(corrected_run.marts[LATER])
    assert in_progress[LATER].equals(original_run.marts[LATER]), "the run got past the panel step before the kill"

    # The warehouse opens (DuckDB replays or drops what the dead run left in its log) and holds every table.
    with duckdb.connect(str(output / "swps.duckdb")) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert set(original_run.marts) <= tables
        for name in original_run.marts:
            connection.execute(f'SELECT count(*) FROM main."{name}"').fetchone()

    # The dead run's lock file is still there, naming it, but its flock died with the process.
    lock = output / ".swps-run.lock"
    assert lock.read_text().strip() == f"pid {killed.pid}"
    with open(lock, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises BlockingIOError if still held
        fcntl.flock(handle, fcntl.LOCK_UN)

    # The next run is not blocked, succeeds, and repairs everything: the marts of a clean run.
    following = support.run_cli(environment)
    assert following.returncode == 0, following.stderr
    assert "another swps run" not in following.stderr and "Traceback" not in following.stderr + following.stdout
    assert "swps run: done" in following.stdout
    support.assert_same_marts(support.read_marts(marts), corrected_run.marts, "run after the crash")
    assert not list(marts.glob(".*.tmp")), "the next run removes the temporary files the killed run left"
    assert not killed_folder.exists(), "the next run removes the killed run's folder"
    assert marts.is_symlink() and len(list((output / "runs").iterdir())) <= 2  # this run's, and the one before
    assert lock.read_text().strip() != f"pid {killed.pid}"
    with duckdb.connect(str(output / "swps.duckdb"), read_only=True) as connection:
        valid = connection.execute("SELECT * FROM main.returns_valid ORDER BY ALL").fetchdf()
    assert len(valid) == len(corrected_run.marts["returns_valid"])
    assert not valid.duplicated(["position_id", "year"]).any()
    pd.testing.assert_frame_equal(
        valid[["position_id", "year", "actions"]].reset_index(drop=True),
        corrected_run.marts["returns_valid"][["position_id", "year", "actions"]].reset_index(drop=True),
        check_dtype=False,
    )
