"""Loading the definitions (every `swps` command, the UI's code location, the daemon) leaves out the heavy
libraries that only some steps use: they are imported by the functions that need them (issue 17)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.dagster.test_graph import write_folder

#: Imported by the steps that draw, estimate or solve, never by `import swps_pipeline.definitions`.
DEFERRED = ["scipy.stats", "scipy.optimize", "scipy.sparse", "matplotlib", "statsmodels", "moderndid", "cvxpy",
            "highspy", "threadpoolctl"]


def test_loading_the_definitions_imports_no_step_only_library():
    code = ("import json, sys, swps_pipeline.definitions; "
            f"print(json.dumps([m for m in {DEFERRED!r} if m in sys.modules]))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == []


def test_a_run_starts_without_the_template_writer():
    """`swps run` builds every command's parser and loads the runner; openpyxl (0.2–0.4 s to import) is for
    `swps template` only (returns are read by calamine, the published workbooks written by XlsxWriter)."""
    code = ("import json, sys; from swps_pipeline import cli, runner; cli.build_parser(); "
            "print(json.dumps([m for m in ['openpyxl', *" + repr(DEFERRED) + "] if m in sys.modules]))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == []


def test_a_run_draws_its_charts_elsewhere_and_writes_no_workbook_with_openpyxl(tmp_path):
    """The run's charts are drawn in its chart worker (`figures.CHART_WORKER`) and its workbooks written by
    XlsxWriter: the process that runs the steps never imports Matplotlib (0.7 s) or openpyxl (0.2–0.4 s), in a
    whole run as in a year's re-run."""
    write_folder(tmp_path / "raw")
    code = ("import json, sys; from pathlib import Path; import dagster as dg; "
            "from swps_pipeline.runner import materialise; from swps_pipeline.settings import Settings; "
            f"settings = Settings(data_dir=Path({str(tmp_path / 'raw')!r}), output_dir=Path({str(tmp_path / 'out')!r})); "
            "result = materialise(settings, dg.DagsterInstance.ephemeral()); "
            "print(json.dumps([result.success, sorted(m for m in ('matplotlib', 'openpyxl') if m in sys.modules)]))")
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout.strip().splitlines()[-1]) == [True, []]
