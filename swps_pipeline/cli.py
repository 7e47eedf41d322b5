"""`swps`: run the pipeline, generate the synthetic data, export the evaluation pack.

Errors a user can fix (no data folder, a bad registry, another run in
progress) end with one clear line and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import logging
import os
import shutil
import stat
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from swps_pipeline.garbage import START_YOUNG_THRESHOLD, batch_collector
from swps_pipeline.i18n import LanguageError, add_i18n_command, select_language
from swps_pipeline.reuse import REUSE_VARIABLE
from swps_pipeline.profiles import ProfileError
from swps_pipeline.profiles.commands import add_profile_command, select_profile, use_profile
from swps_pipeline.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

EXIT_CANNOT_RUN = 2
EXIT_BUSY = 3
EXIT_RUN_FAILED = 1


class CannotRun(Exception):
    """A problem the user can fix before running; its message is the one line we print."""

    def __init__(self, message: str, exit_code: int = EXIT_CANNOT_RUN):
        super().__init__(message)
        self.exit_code = exit_code


@contextmanager
def exclusive_run_lock(output_dir: Path):
    """One writer at a time: a second `swps run` on the same output refuses instead of fighting for DuckDB."""
    output_dir.mkdir(parents=True, exist_ok=True)
    lock_path = output_dir / ".swps-run.lock"
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise CannotRun(
                f"another swps run ({holder}) is writing to {output_dir}; wait for it to finish and run again",
                EXIT_BUSY,
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def preflight(settings: Settings, parameters_file: str | None = None, only_year: int | None = None) -> pd.DataFrame:
    """Check what a run needs before starting Dagster, so the user gets one line instead of a failed run; the
    positions registry it read."""
    from swps_pipeline.ingest.registry import RegistryError, read_registry

    from swps_pipeline.parallel import available_workers

    try:
        available_workers()
    except ValueError as error:
        raise CannotRun(str(error)) from None
    if not settings.data_dir.is_dir():
        raise CannotRun(f"data folder {settings.data_dir} does not exist (set SWPS_DATA_DIR or run `swps generate`)")
    years = settings.returns_years()
    if not years:
        raise CannotRun(f"no year folder under {settings.returns_dir} (expected returns/<YYYY>/)")
    if only_year is not None and only_year not in years:
        folder = f"{only_year:04d}"
        reason = dict(settings.returns_folders()[1]).get(f"returns/{folder}")
        raise CannotRun(f"{settings.returns_dir / folder}: {reason}" if reason else
                        f"no folder {settings.returns_dir / folder}")
    try:
        registry = read_registry(settings.registry_path)
    except RegistryError as error:
        raise CannotRun(str(error)) from None
    from swps_pipeline import economics, impact  # heavy imports, only once the folders are there

    if parameters_file:
        check_regular_file(Path(parameters_file), "parameter file")
    try:  # no or a bad recorded-crime file is no reason to stop: only the impact is skipped (run summary)
        economics.load_parameters(Path(parameters_file) if parameters_file else None)
        impact.settings_from_parameters_file(parameters_file)
    except (economics.ParameterError, impact.ImpactSettingsError) as error:
        raise CannotRun(str(error)) from None
    check_writable_folder(dagster_home(), "Dagster instance folder (DAGSTER_HOME)")
    check_writable_folder(settings.output_dir, "output folder (SWPS_OUTPUT_DIR)")
    return registry


def check_regular_file(path: Path, what: str) -> None:
    """A path the user gave must be a regular file: reading a FIFO or a device would hang or never end."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # a missing file is reported by its reader, with its own wording
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "not a file"
        raise CannotRun(f"{path}: the {what} is {kind}, not a regular file; give the path of a YAML file")


def check_writable_folder(path: Path, what: str) -> None:
    """The folder exists (or can be made) and accepts a file, so a run never fails on its first write."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except FileExistsError:
        raise CannotRun(f"{path}: the {what} is a file, not a folder; choose a folder") from None
    except OSError as error:
        raise CannotRun(f"{path}: the {what} cannot be written ({error.strerror}); choose a writable "
                        "folder") from None


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or Path(".dagster_home").resolve())


def dagster_instance():
    """The persistent instance at $DAGSTER_HOME (default: ./.dagster_home), so the UI shows the runs."""
    from dagster import DagsterInstance

    from swps_pipeline.instance import write_instance_settings

    write_instance_settings(Path(os.environ.setdefault("DAGSTER_HOME", str(dagster_home()))))
    return DagsterInstance.get()


def print_summary(settings: Settings, seconds: float, scenario: str | None = None) -> None:
    """What the run produced, read from the published marts (the scenario's, for a what-if run)."""
    from swps_pipeline.publish.warehouse import read_mart

    accounting = read_mart(settings.marts_dir, "ingestion_accounting")
    rejected = read_mart(settings.marts_dir, "files_rejected")
    missing = read_mart(settings.marts_dir, "missing_returns")
    # Every year with something to say, an empty folder's too (all its returns missing, no file read).
    years = sorted({int(year) for table in (accounting, rejected, missing) for year in table["year"].dropna()})
    per_year = accounting.groupby("year")[["rows_valid", "rows_quarantined"]].sum().reindex(years, fill_value=0)
    print(f"swps run: done in {seconds:.1f} s — synthetic data unless you loaded real returns")
    for year, row in per_year.iterrows():
        print(
            f"  {year}: {row.rows_valid} valid, {row.rows_quarantined} quarantined, "
            f"{int((rejected.year == year).sum())} files rejected, {int((missing.year == year).sum())} missing returns"
        )
    for folder, reason in settings.returns_folders()[1]:
        print(f"  not read: {folder} ({reason})")
    if scenario:
        print(f"  what-if scenario {scenario!r}: the official outputs are untouched (rerun with --publish to replace them)")
    print(f"  warehouse: {settings.warehouse_path}")
    print(f"  marts:     {settings.marts_dir}/<table>.parquet")


def recorded_crime_status(result, instance) -> str:
    """The edition the run read, or why the impact was skipped and how to add a file (`recorded_crime` metadata);
    a year's re-run that left the table as it was reports its last materialisation."""
    import dagster as dg

    from swps_pipeline.defs.impact import CRIME_STATUS

    materialisations = result.asset_materializations_for_node("recorded_crime") or [
        instance.get_latest_materialization_event(dg.AssetKey("recorded_crime")).asset_materialization]
    return materialisations[0].metadata[CRIME_STATUS].value


def command_run(args: argparse.Namespace) -> int:
    from swps_pipeline.publish.provenance import SCENARIO_TAG, ScenarioError, cli_run_tags
    from swps_pipeline.validate.ahead import validating_ahead

    settings = Settings.from_env()
    started = time.perf_counter()
    if args.no_reuse:
        os.environ[REUSE_VARIABLE] = "off"
    try:
        tags = cli_run_tags(args.parameters, args.scenario, args.publish)
    except ScenarioError as error:
        raise CannotRun(str(error)) from None
    registry = preflight(settings, args.parameters, args.year)
    scenario = tags.get(SCENARIO_TAG)  # without the tag, no parameter is overridden: an official run
    if scenario and args.year is not None:
        raise CannotRun(f"--year {args.year} re-runs one year into the official outputs; a what-if run "
                        f"(scenario {scenario}) recomputes every year: drop --year")
    all_years = settings.returns_years()
    years = all_years if args.year is None else [args.year]
    with (exclusive_run_lock(settings.output_dir),
          validating_ahead(settings.data_dir, years, registry, feedback_year=all_years[-1] if all_years else None,
                           output_dir=settings.output_dir)):
        from swps_pipeline.publish.warehouse import publish_run_folder, remove_stale_runs, start_run_folder
        from swps_pipeline.runner import StepProgress, materialise, run_config

        remove_stale_runs(settings.output_dir)
        config = run_config(str(Path(args.parameters).resolve()) if args.parameters else None, log_level="WARNING")
        progress = StepProgress.for_stream(sys.stderr)
        instance = dagster_instance()
        if scenario:  # a what-if writes to scenarios/<name>/ only: the published marts stay as they are
            result = materialise(settings, instance, args.year, config, tags, progress)
        else:
            run_folder = start_run_folder(settings.output_dir)
            result = materialise(dataclasses.replace(settings, run_folder=run_folder), instance, args.year,
                                 config, tags, progress)
            if result.success:
                publish_run_folder(settings.output_dir, run_folder)
            else:
                shutil.rmtree(run_folder, ignore_errors=True)
    if not result.success:
        failed = [event for event in result.all_events if event.is_step_failure]
        reasons = "; ".join(
            f"{event.step_key}: {event.step_failure_data.error.message.strip().splitlines()[-1]}"
            if event.step_failure_data.error else event.step_key
            for event in failed
        )
        print(f"swps run: failed — {reasons or 'see the run in the Dagster UI'}", file=sys.stderr)
        return EXIT_RUN_FAILED
    print_summary(settings.scenario(scenario) if scenario else settings, time.perf_counter() - started, scenario)
    print(f"  recorded crime: {recorded_crime_status(result, instance)}")
    return 0


def command_generate(args: argparse.Namespace) -> int:
    from swps_pipeline.profiles import active_profile
    from swps_pipeline.synthetic.generate import generate

    if args.profile:
        use_profile(args.profile)
    profile = active_profile()
    summary = generate(Path(args.out), seed=args.seed, scale=args.scale)
    print(f"swps generate: synthetic data for {profile.country} (seed {args.seed}, scale {args.scale}) written to "
          f"{args.out}")
    for key in ("years", "files_written"):
        if key in summary:
            print(f"  {key}: {summary[key]}")
    return 0


def command_export(args: argparse.Namespace) -> int:
    from swps_pipeline.publish.evaluation import build_evaluation_pack

    settings = Settings.from_env()
    if not (settings.marts_dir / "national_year.parquet").exists():
        raise CannotRun(f"no marts under {settings.marts_dir}: run `swps run` first")
    manifest = build_evaluation_pack(settings.marts_dir, settings.pack_dir)
    print(f"swps export: evaluation pack written to {manifest.directory} ({len(manifest.files)} files; "
          f"{sum(manifest.suppressed_cells.values())} cells shown as <5)")
    return 0


def command_collect(args: argparse.Namespace) -> int:
    """`template`, `feedback`, `status --year`: the yearly collection loop (swps_pipeline/collect/)."""
    from swps_pipeline.collect.commands import CollectionError
    from swps_pipeline.ingest.registry import RegistryError

    try:
        print(args.collect(args, Settings.from_env()))
    except (CollectionError, RegistryError) as problem:
        raise CannotRun(str(problem)) from None
    return 0


def command_status(args: argparse.Namespace) -> int:
    """`swps status`: the deployment's health; `swps status --year YYYY`: where that year's collection stands."""
    if args.year is None:
        return command_server(args)
    return command_collect(args)


def command_fetch(args: argparse.Namespace) -> int:
    """`swps fetch crime`: the current SSMSI edition into crime/ (swps_pipeline/impact/fetch.py)."""
    from swps_pipeline.impact.fetch import FetchError, fetch_crime
    from swps_pipeline.profiles import active_profile

    profile = active_profile()
    if profile.crime_format != "ssmsi":
        raise CannotRun(f"fetch crime downloads France's SSMSI file; the {profile.country} profile reads the generic "
                        f"file area_code;year;indicator;count;population: write it into crime/ (docs/replication.md)")
    settings = Settings.from_env()
    try:
        with exclusive_run_lock(settings.output_dir):  # never swap the file under a running pipeline
            fetched = fetch_crime(settings.crime_dir)
    except FetchError as error:
        raise CannotRun(str(error)) from None
    record = fetched.record
    replaced = f"; replaced {', '.join(fetched.replaced)}" if fetched.replaced else ""
    print(f"swps fetch crime: {fetched.path} ({record['rows']:,} rows, {record['years'][0]}–{record['years'][1]}, "
          f"sha256 {record['sha256'][:16]}…{replaced})")
    return 0


def command_compare(args: argparse.Namespace) -> int:
    """`swps compare DIR...`: the runs of several country profiles side by side (publish/comparison.py)."""
    from swps_pipeline.publish.comparison import ComparisonError, compare_folders, summary_lines, write_comparison

    try:
        table = compare_folders([Path(folder) for folder in args.folders])
    except ComparisonError as error:
        raise CannotRun(str(error)) from None
    out = Path(args.out) if args.out else Settings.from_env().comparison_dir
    check_writable_folder(out, "comparison folder (--out)")
    written = write_comparison(table, out)
    lines = summary_lines(table)
    print(f"swps compare: {lines[0]}", *lines[1:], sep="\n")
    print(f"  written: {', '.join(str(path) for path in written)} (the caveats are in the column `caveats`)")
    return 0


def command_server(args: argparse.Namespace) -> int:
    """`swps serve | status | backup`: the team deployment (swps_pipeline/server.py)."""
    from swps_pipeline import server

    try:
        config = server.ServerConfig.load(args.config)
        if args.command == "serve":
            if args.print_nginx:
                print(server.nginx_site(config), end="")
                return 0
            return server.serve(config, args.only)
        if args.command == "status":
            print("\n".join(server.status(config)))
            return 0
        print(f"swps backup: {server.backup(config)}")
        return 0
    except server.ServerError as error:
        raise CannotRun(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser, commands = _parser()

    run = commands.add_parser("run", help="materialise every asset for every year under $SWPS_DATA_DIR/returns")
    run.add_argument("--year", type=int, help="only this year's returns (and everything downstream)")
    run.add_argument("--parameters", help="a YAML file overriding economics/parameters.yaml; the run is a what-if "
                     "written to $SWPS_OUTPUT_DIR/scenarios/<file name>/ unless --publish")
    run.add_argument("--scenario", metavar="NAME", help="write to $SWPS_OUTPUT_DIR/scenarios/NAME/, never to the "
                     "official outputs")
    run.add_argument("--publish", action="store_true", help="write a run with --parameters to the official outputs")
    run.add_argument("--no-reuse", action="store_true", help="compute everything afresh, even what an earlier run "
                     "computed from the same inputs and code ($SWPS_OUTPUT_DIR/.cache/; also SWPS_REUSE=off)")
    run.set_defaults(handler=command_run)

    export = commands.add_parser("export", help="write the evaluation pack from the current marts")
    export.set_defaults(handler=command_export)

    compare = commands.add_parser("compare", help="put the runs of several country profiles side by side (per "
                                  "100,000 inhabitants, PPP-euros, cost-benefit, caveats)")
    compare.add_argument("folders", nargs="+", metavar="DIR", help="the output folder (SWPS_OUTPUT_DIR) of one run "
                         "per country profile, or its marts folder")
    compare.add_argument("--out", help="where to write cross_country_comparison.parquet, .csv and .xlsx (default "
                         "$SWPS_OUTPUT_DIR/comparison)")
    compare.set_defaults(handler=command_compare)

    fetch = commands.add_parser("fetch", help="download the current SSMSI recorded-crime file into crime/")
    fetch.add_argument("what", choices=["crime"])
    fetch.set_defaults(handler=command_fetch)

    config_help = "the deployment's settings (default deploy/server.env, or $SWPS_SERVER_CONFIG)"
    serve = commands.add_parser("serve", help="the team deployment: Dagster webserver, daemon (and nginx)")
    serve.add_argument("--config", help=config_help)
    serve.add_argument("--only", choices=["webserver", "daemon", "proxy"], help="run just this process (services)")
    serve.add_argument("--print-nginx", action="store_true", help="print the nginx site for this configuration")
    backup = commands.add_parser("backup", help="dump the instance and archive the outputs into SWPS_BACKUP_DIR")
    backup.add_argument("--config", help=config_help)
    for subcommand in (serve, backup):
        subcommand.set_defaults(handler=command_server)

    generate = commands.add_parser("generate", help="write the deterministic synthetic data set")
    generate.add_argument("--out", default="data/raw", help="output folder (default data/raw)")
    generate.add_argument("--seed", type=int, default=2023, help="random seed (default 2023)")
    generate.add_argument("--scale", type=int, default=1, help="multiply the number of positions (benchmarks)")
    generate.add_argument("--profile", metavar="XX|DIR", help="the country profile to generate for (default: the "
                          "active one, FR)")
    generate.set_defaults(handler=command_generate)

    from swps_pipeline.collect import commands as collect

    template = commands.add_parser("template", help="write the XLSX return templates of a year, per département")
    collect.add_template_arguments(template)
    template.set_defaults(handler=command_collect, collect=collect.template)
    feedback = commands.add_parser("feedback", help="write the feedback of a year, per area, in the profile's language")
    collect.add_feedback_arguments(feedback)
    feedback.set_defaults(handler=command_collect, collect=collect.feedback)
    status = commands.add_parser(
        "status", help="instance, last runs, schedule's next tick, daemon heartbeat; with --year: that year's collection"
    )
    status.add_argument("--config", help=config_help)
    status.add_argument("--year", type=int, help="the collection year (returns/<year>/)")
    status.set_defaults(handler=command_status, collect=collect.status)
    return parser


def _parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    """The parser with the commands that need no country profile loaded (`profile`)."""
    parser = argparse.ArgumentParser(prog="swps", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", metavar="XX|DIR", help="the country profile for this command (before the "
                        "command; default $SWPS_PROFILE_DIR, $SWPS_PROFILE or FR)")
    parser.add_argument("--language", metavar="xx", help="the language of the feedback, templates and pack (before "
                        "the command; default $SWPS_LANGUAGE, else the profile's)")
    commands = parser.add_subparsers(dest="command", required=True)
    add_profile_command(commands)
    add_i18n_command(commands)
    return parser, commands


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        argv = select_profile(select_language(argv))
    except LanguageError as problem:
        print(f"swps: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    try:
        # `swps profile` and `swps i18n` build no other command, so they work even when the active profile is broken
        args = (_parser()[0] if argv[:1] in (["profile"], ["i18n"]) else build_parser()).parse_args(argv)
        return args.handler(args)
    except CannotRun as problem:
        print(f"swps {args.command}: {problem}", file=sys.stderr)
        return problem.exit_code
    except (ProfileError, LanguageError) as problem:
        print(f"swps: {problem}", file=sys.stderr)
        return EXIT_CANNOT_RUN


def command_line() -> NoReturn:
    """The `swps` program: a batch program's collector (`garbage.batch_collector`), `main`, then the process
    ends without Python's shutdown.

    When `main` returns, the command is over: every file it wrote is closed (and renamed into place), every
    event of a run committed to the Dagster instance, every worker process joined. Python's shutdown would
    then collect over every object still alive, some 460,000 after a run (pandas, Dagster, matplotlib, the
    tables), for memory the operating system takes back at once, and run the C++ libraries' destructors: once,
    under load, one of them aborted a finished run at exit ("terminate called without an active exception",
    exit status -6; issue 17). So the logs and standard streams are flushed, and the process ends here."""
    batch_collector(START_YOUNG_THRESHOLD)  # a run collects every `RUN_YOUNG_THRESHOLD` new objects
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)


if __name__ == "__main__":
    command_line()
