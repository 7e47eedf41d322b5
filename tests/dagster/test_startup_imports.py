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


def _run_python(code: str) -> object:
    """What a fresh Python process running `code` prints last, read as JSON."""
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(ran.stdout.strip().splitlines()[-1])


def _loaded(code: str, modules: list[str]) -> str:
    """`code`, then print which of `modules` it imported."""
    return f"{code}; import json, sys; print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"


def test_loading_the_definitions_imports_no_step_only_library():
    assert _run_python(_loaded("import swps_pipeline.definitions", DEFERRED)) == []


def test_a_run_starts_without_the_template_writer():
    """`swps run` builds every command's parser and loads the runner; openpyxl (0.2–0.4 s to import) is for
    `swps template` only (returns are read by calamine, the published workbooks written by XlsxWriter)."""
    code = "from swps_pipeline import cli, runner; cli.build_parser()"
    assert _run_python(_loaded(code, ["openpyxl", *DEFERRED])) == []


def test_a_whole_run_draws_elsewhere_writes_no_workbook_with_openpyxl_and_validates_without_hypothesis(tmp_path):
    """The run's charts are drawn in its chart worker (`figures.CHART_WORKER`) and its workbooks written by
    XlsxWriter: the process that runs the steps never imports Matplotlib (0.7 s) or openpyxl (0.2–0.4 s). Nor
    does it import hypothesis (0.35 s), a test dependency installed here, which pandera would import for data
    generation the pipeline never uses (`validate.schema.load_validation_backends`)."""
    write_folder(tmp_path / "raw")
    code = ("from pathlib import Path; import dagster as dg; "
            "from swps_pipeline.runner import materialise; from swps_pipeline.settings import Settings; "
            f"settings = Settings(data_dir=Path({str(tmp_path / 'raw')!r}), output_dir=Path({str(tmp_path / 'out')!r})); "
            "assert materialise(settings, dg.DagsterInstance.ephemeral()).success")
    assert _run_python(_loaded(code, ["matplotlib", "openpyxl", "hypothesis"])) == []
    assert _run_python("import json, hypothesis; print(json.dumps(bool(hypothesis.__version__)))")  # installed


def test_a_run_opens_its_instance_without_pygments(tmp_path):
    """Dagster's storage imports Alembic, whose Mako imports Pygments (with its plugins: 0.3-0.5 s) to colour
    the errors of templates the pipeline never renders; it is left out while the instance's storage loads
    (`startup.without`), and importable afterwards."""
    code = (f"import os; os.environ['DAGSTER_HOME'] = {str(tmp_path)!r}; from swps_pipeline import cli, runner; "
            "cli.dagster_instance()")
    assert _run_python(_loaded(code, ["pygments", "mako.ext.pygmentplugin"])) == []
    assert _run_python(f"{code}; import json, pygments.lexers; print(json.dumps(pygments.lexers.__name__))") == (
        "pygments.lexers")
