"""`make bench`: wall time and peak memory of the pipeline at 1×, 10× and 100× the bundled data.

Every measured step runs in its own child process, so its peak memory is its
own (`os.wait4` gives the child's `ru_maxrss`). The whole run and the
incremental run are the real `swps run` (process wall time, Dagster start-up
included); the other steps call the pipeline's pure functions and time only
their work (interpreter start-up and imports excluded, inputs read from the
marts of the whole run). A plain DuckDB `read_csv` of the same CSV files is the
floor of what reading them can cost. The table goes to `bench/results.md`.

Usage: `python bench/benchmark.py [--scales 1 10 100]` (generated data is cached in `bench/data/`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "results.md"
SWPS = Path(sys.executable).with_name("swps")
SEED = 2023  # the seed of the bundled data (`swps generate` default)
SCALES = (1, 10, 100)
DRAWS = (10_000, 100_000)

# Targets of issue 7 (checked in the benchmark, never in timed tests).
TARGET_BUNDLED_RUN_S = 20.0
TARGET_INCREMENTAL_SHARE = 0.5
TARGET_SCALING = 100.0
TARGET_PEAK_MB_AT_100X = 4096.0
TARGET_MONTE_CARLO_100K_S = 2.0


# --- measured steps (run in a child process: `benchmark.py --step NAME ...`) ---------------------------

def _settings(data_dir: Path, output_dir: Path):
    from swps_pipeline.settings import Settings

    return Settings(data_dir=data_dir, output_dir=output_dir)


def step_ingest(data_dir: Path, output_dir: Path, draws: int) -> tuple[float, dict]:
    """Registry, then reading and validating every year's files."""
    from swps_pipeline.ingest.registry import read_registry
    from swps_pipeline.validate import validate_year

    settings = _settings(data_dir, output_dir)
    started = time.perf_counter()
    registry = read_registry(settings.registry_path)
    results = [validate_year(settings.data_dir, year, registry) for year in settings.returns_years()]
    seconds = time.perf_counter() - started
    return seconds, {"rows_read": int(sum(r.ingestion_accounting["rows_read"].sum() for r in results)),
                     "rows_valid": int(sum(len(r.returns_valid) for r in results))}


def step_panel(data_dir: Path, output_dir: Path, draws: int) -> tuple[float, dict]:
    """The panel tables and the indicators, from the run's registry, valid returns and populations."""
    from swps_pipeline import indicators, panel
    from swps_pipeline.publish.warehouse import read_mart

    settings = _settings(data_dir, output_dir)
    registry = read_mart(settings.marts_dir, "positions_registry")
    returns_valid = read_mart(settings.marts_dir, "returns_valid")
    population = read_mart(settings.marts_dir, "department_population")
    started = time.perf_counter()
    position_year = panel.position_year(registry, returns_valid, settings.returns_years())
    panel.missing_returns(position_year)
    department_year = panel.department_year(position_year)
    national_year = panel.national_year(department_year)
    table = indicators.build_indicators(position_year, department_year, national_year, population)
    indicators.indicator_outliers(table)
    return time.perf_counter() - started, {"position_years": len(position_year), "indicator_rows": len(table)}


def step_monte_carlo(data_dir: Path, output_dir: Path, draws: int) -> tuple[float, dict]:
    """The whole-period national cost-benefit model with `draws` Monte Carlo draws (costs built beforehand)."""
    from swps_pipeline import economics
    from swps_pipeline.publish.warehouse import read_mart

    settings = _settings(data_dir, output_dir)
    position_year = read_mart(settings.marts_dir, "position_year")
    params = economics.load_parameters()
    costs = economics.build_cost_tables(position_year, read_mart(settings.marts_dir, "positions_registry"), params)
    started = time.perf_counter()
    result = economics.run_cost_benefit(costs["cost_position_year"], position_year, params, n_draws=draws)
    return time.perf_counter() - started, {"npv_mean_eur": float(result.cba_summary["npv_mean_eur"].iloc[0])}


def step_duckdb_read_csv(data_dir: Path, output_dir: Path, draws: int) -> tuple[float, dict]:
    """A plain DuckDB `read_csv` of every CSV returns file (all text, sniffed), materialised: the reading floor."""
    import duckdb

    files = sorted((data_dir / "returns").glob("*/*.csv"))
    connection = duckdb.connect()
    started = time.perf_counter()
    rows = 0
    for path in files:
        for encoding in ("utf-8", "latin-1"):  # as ingestion: UTF-8 first, then the Windows code page
            try:
                connection.execute(
                    "CREATE OR REPLACE TEMP TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true, "
                    "encoding = ?, null_padding = true, ignore_errors = true)", [str(path), encoding])
                rows += connection.execute("SELECT count(*) FROM raw").fetchone()[0]
                break
            except duckdb.Error:
                continue
    return time.perf_counter() - started, {"csv_files": len(files), "rows": rows}


STEPS = {
    "ingest": step_ingest,
    "panel": step_panel,
    "monte_carlo": step_monte_carlo,
    "duckdb_read_csv": step_duckdb_read_csv,
}


# --- the parent: data, child processes, table -----------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    scale: int
    step: str
    seconds: float
    peak_mb: float
    detail: dict


def run_child(command: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """Run a command to completion: its wall time, its own peak RSS in MB (`os.wait4`) and its stdout."""
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {stderr.read().strip()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, stdout.read()  # ru_maxrss is in kB on Linux


def ensure_data(scale: int) -> Path:
    """The synthetic data at `scale` (the bundled seed), generated once into bench/data/x<scale>."""
    data_dir = BENCH_DATA / f"x{scale}"
    if not (data_dir / "synthetic_manifest.json").exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        subprocess.run([str(SWPS), "generate", "--out", str(data_dir), "--seed", str(SEED), "--scale", str(scale)],
                       check=True, stdout=subprocess.DEVNULL)
    return data_dir


def swps_run(data_dir: Path, output_dir: Path, home: Path, year: int | None = None) -> tuple[float, float]:
    env = {**os.environ, "SWPS_DATA_DIR": str(data_dir), "SWPS_OUTPUT_DIR": str(output_dir), "DAGSTER_HOME": str(home)}
    seconds, peak_mb, _ = run_child([str(SWPS), "run", *(["--year", str(year)] if year else [])], env)
    return seconds, peak_mb


def measure_step(step: str, data_dir: Path, output_dir: Path, draws: int = 0) -> tuple[float, float, dict]:
    _, peak_mb, stdout = run_child([sys.executable, __file__, "--step", step, "--data", str(data_dir),
                                    "--output", str(output_dir), "--draws", str(draws)])
    report = json.loads(stdout.strip().splitlines()[-1])
    return report["seconds"], peak_mb, report["detail"]


def change_one_file(data_dir: Path, year: int) -> Path:
    """Append a summary row ("Total") to one CSV of `year`: the file's content changes, its rows do not."""
    path = sorted((data_dir / "returns" / str(year)).glob("*.csv"))[0]
    content = path.read_bytes()
    path.write_bytes(content + (b"" if content.endswith(b"\n") else b"\r\n") + b"Total\r\n")
    return path


def bench_scale(scale: int, work: Path) -> list[Measure]:
    data_dir = ensure_data(scale)
    output_dir, home = work / f"x{scale}" / "output", work / f"x{scale}" / "dagster_home"
    shutil.rmtree(work / f"x{scale}", ignore_errors=True)
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n", encoding="utf-8")
    measures: list[Measure] = []

    def add(step: str, seconds: float, peak_mb: float, detail: dict | None = None) -> None:
        measures.append(Measure(scale, step, seconds, peak_mb, detail or {}))
        print(f"  {scale:>3}×  {step:<28} {seconds:8.2f} s {peak_mb:8.0f} MB  {detail or ''}", flush=True)

    add("swps run (whole)", *swps_run(data_dir, output_dir, home))
    add("ingestion + validation", *measure_step("ingest", data_dir, output_dir))
    add("panel + indicators", *measure_step("panel", data_dir, output_dir))
    for draws in DRAWS:
        add(f"Monte Carlo {draws:,} draws", *measure_step("monte_carlo", data_dir, output_dir, draws))
    add("DuckDB read_csv (floor)", *measure_step("duckdb_read_csv", data_dir, output_dir))

    year = _settings(data_dir, output_dir).returns_years()[-1]
    original = sorted((data_dir / "returns" / str(year)).glob("*.csv"))[0]
    backup = original.read_bytes()
    try:
        change_one_file(data_dir, year)
        add(f"swps run --year {year} (incremental)", *swps_run(data_dir, output_dir, home, year))
    finally:
        original.write_bytes(backup)
    return measures


def positions_per_year(scale: int) -> int:
    from swps_pipeline.ingest.registry import read_registry
    from swps_pipeline.synthetic import targets

    registry = read_registry(BENCH_DATA / f"x{scale}" / "positions.csv")
    years = targets.RETURN_YEARS
    active = [int(((registry["start_date"].dt.year <= y) & ~(registry["end_date"].dt.year < y)).sum()) for y in years]
    return round(sum(active) / len(active))


def targets_table(measures: list[Measure]) -> list[tuple[str, str, bool]]:
    by = {(m.scale, m.step): m for m in measures}
    rows: list[tuple[str, str, bool]] = []
    scales = sorted({m.scale for m in measures})
    whole = {s: by[(s, "swps run (whole)")].seconds for s in scales}
    if 1 in whole:
        rows.append((f"whole run on the bundled data (1×) < {TARGET_BUNDLED_RUN_S:.0f} s",
                     f"{whole[1]:.1f} s", whole[1] < TARGET_BUNDLED_RUN_S))
    for s in scales:
        incremental = next(m for m in measures if m.scale == s and m.step.endswith("(incremental)"))
        rows.append((f"incremental < half of the whole run ({s}×)",
                     f"{incremental.seconds:.1f} s vs {whole[s]:.1f} s ({incremental.seconds / whole[s]:.0%})",
                     incremental.seconds < TARGET_INCREMENTAL_SHARE * whole[s]))
    if 1 in whole and 100 in whole:
        ratio = whole[100] / whole[1]
        rows.append(("100× data in under 100× the time", f"{ratio:.1f}×", ratio < TARGET_SCALING))
    if 100 in whole:
        peak = max(m.peak_mb for m in measures if m.scale == 100)
        rows.append((f"peak memory at 100× < {TARGET_PEAK_MB_AT_100X / 1024:.0f} GB", f"{peak:.0f} MB",
                     peak < TARGET_PEAK_MB_AT_100X))
    for s in scales:
        mc = by[(s, f"Monte Carlo {DRAWS[-1]:,} draws")].seconds
        rows.append((f"Monte Carlo at {DRAWS[-1]:,} draws < {TARGET_MONTE_CARLO_100K_S:.0f} s ({s}×)", f"{mc:.2f} s",
                     mc < TARGET_MONTE_CARLO_100K_S))
    return rows


def markdown(measures: list[Measure], positions: dict[int, int], total_seconds: float) -> str:
    by = {(m.scale, m.step): m for m in measures}
    lines = [
        "# Benchmark (`make bench`)",
        "",
        f"Run {dt.date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}; synthetic data of `swps generate --seed {SEED} --scale K`; "
        f"the benchmark took {total_seconds / 60:.1f} min.",
        "",
        "Each step runs in its own process; peak memory is that process's maximum resident set size. "
        "`swps run` rows are the process wall time (start-up, Dagster, every asset, marts and evaluation pack); "
        "the other rows time the pipeline functions alone on inputs read from the run's marts. "
        "The incremental run follows a change to one CSV file of the last year.",
        "",
        "| scale | positions/year | step | wall (s) | peak memory (MB) |",
        "| --- | ---: | --- | ---: | ---: |",
    ]
    for m in measures:
        lines.append(f"| {m.scale}× | {positions[m.scale]:,} | {m.step} | {m.seconds:.2f} | {m.peak_mb:,.0f} |")
    lines += ["", "## Reading floor", "",
              "Ingestion + validation against a plain DuckDB `read_csv` of the same CSV files "
              "(XLSX files are not in the floor: DuckDB has no built-in XLSX reader).", "",
              "| scale | CSV files | ingestion + validation (s) | DuckDB read_csv (s) | ratio |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for scale in sorted(positions):
        ingest, floor = by[(scale, "ingestion + validation")], by[(scale, "DuckDB read_csv (floor)")]
        lines.append(f"| {scale}× | {floor.detail['csv_files']} | {ingest.seconds:.2f} | {floor.seconds:.2f} | "
                     f"{ingest.seconds / floor.seconds:.1f}× |")
    lines += ["", "## Targets", "", "| target | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {name} | {value} | {'yes' if met else '**no**'} |" for name, value, met in targets_table(measures)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=list(SCALES))
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step:
        seconds, detail = STEPS[args.step](args.data, args.output, args.draws)
        print(json.dumps({"seconds": seconds, "detail": detail}))
        return 0

    started = time.perf_counter()
    work = BENCH_DATA / "runs"
    measures: list[Measure] = []
    for scale in args.scales:
        print(f"scale {scale}×", flush=True)
        measures += bench_scale(scale, work)
    positions = {scale: positions_per_year(scale) for scale in args.scales}
    report = markdown(measures, positions, time.perf_counter() - started)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
