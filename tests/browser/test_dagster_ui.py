"""The Dagster UI, driven in headless Chromium: the asset groups are listed and a full run succeeds.

`dagster dev` runs on 127.0.0.1 with its own DAGSTER_HOME, a copy of the bundled
data and a temporary output folder. The run is launched through the server's
GraphQL API exactly as `swps run` does (every year partition, then everything
downstream) and watched in the UI's Runs page.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

playwright = pytest.importorskip("playwright.sync_api")

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
GROUPS = ["reference", "ingest", "panel", "indicators", "economics", "impact", "publish"]
LOCATION = "swps_pipeline"  # workspace.yaml
STARTUP_SECONDS = 120
RUN_SECONDS = 300

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make system-deps)"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(url: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


def _wait(condition, seconds: float, what: str, log: Path):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = condition()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"{what} within {seconds} s; server log:\n{log.read_text(errors='replace')[-3000:]}")


LOCATION_STATUS = """{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory):
    """URL of a `dagster dev` server on the bundled data; the server's process group is ended afterwards."""
    tmp = tmp_path_factory.mktemp("dagster_ui")
    shutil.copytree(REPO / "data" / "raw", tmp / "raw")
    (tmp / "home").mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(tmp / "home"), "SWPS_DATA_DIR": str(tmp / "raw"),
           "SWPS_OUTPUT_DIR": str(tmp / "output"), "DAGSTER_DISABLE_TELEMETRY": "1"}
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp / "dagster.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(REPO / ".venv" / "bin" / "dagster"), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        def loaded():
            entries = _graphql(url, LOCATION_STATUS)["workspaceOrError"]["locationEntries"]
            return any(e["name"] == LOCATION and e["loadStatus"] == "LOADED" for e in entries)
        _wait(loaded, STARTUP_SECONDS, "the UI did not answer with its code location loaded", log)
        yield url, tmp, log
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(server.pid, signal.SIGKILL)  # the webserver, daemon and code servers it started
        except ProcessLookupError:
            pass
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser_page():
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 900})
        finally:
            browser.close()


def _launch_full_run(url: str, years: list[str]) -> str:
    """Add every year partition, then launch `swps_all` over the whole range (as `swps run` does)."""
    repository = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
    for year in years:
        result = _graphql(url, """mutation($s: RepositorySelector!, $k: String!) {
            addDynamicPartition(repositorySelector: $s, partitionsDefName: "returns_year", partitionKey: $k) {
            __typename } }""", {"s": repository, "k": year})["addDynamicPartition"]
        # the returns_year_partitions sensor may have registered it already
        assert result["__typename"] in {"AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError"}, result
    launched = _graphql(url, """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
        __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }""", {"p": {
        "selector": {**repository, "jobName": "swps_all"},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/asset_partition_range_start", "value": years[0]},
                                       {"key": "dagster/asset_partition_range_end", "value": years[-1]}]},
    }})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return launched["run"]["runId"]


def test_asset_groups_are_listed_and_a_full_run_succeeds(dagster_ui, browser_page):
    url, tmp, log = dagster_ui
    page = browser_page

    page.goto(f"{url}/asset-groups")
    for group in GROUPS:
        page.get_by_text(group, exact=True).first.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp / "asset_groups.png"))

    years = sorted(p.name for p in (tmp / "raw" / "returns").iterdir() if p.is_dir())
    run_id = _launch_full_run(url, years)

    def finished():
        status = _graphql(url, "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                          {"id": run_id})["runOrError"]["status"]
        return status if status in {"SUCCESS", "FAILURE", "CANCELED"} else None
    assert _wait(finished, RUN_SECONDS, "the run did not finish", log) == "SUCCESS"

    page.goto(f"{url}/runs")
    page.get_by_text(run_id[:8]).first.wait_for(timeout=60_000)
    page.get_by_text("Success", exact=True).first.wait_for(timeout=60_000)  # the only run
    page.screenshot(path=str(tmp / "runs.png"))
    page.goto(f"{url}/runs/{run_id}")
    page.get_by_text("Success").first.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp / "run.png"), full_page=True)

    # the run published the marts: Seine-et-Marne's 2021 new cases, the published figure
    department_year = pd.read_parquet(tmp / "output" / "marts" / "department_year.parquet")
    seine_et_marne = department_year.query("department_code == '77' and year == 2021")
    assert seine_et_marne["new_cases"].tolist() == [1030]


def _year_partitions(home: Path) -> list[str]:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        return sorted(instance.get_dynamic_partitions("returns_year"))


def test_materialize_all_on_the_job_page_runs_every_year_in_one_run(dagster_ui, browser_page):
    url, tmp, log = dagster_ui
    page = browser_page
    years = sorted(p.name for p in (tmp / "raw" / "returns").iterdir() if p.is_dir())
    # the returns_year_partitions sensor (on by default) registers every year folder as a partition
    _wait(lambda: _year_partitions(tmp / "home") == years, STARTUP_SECONDS, "the year partitions were not registered", log)

    page.goto(f"{url}/locations/{LOCATION}/jobs/swps_all")
    materialize_all = page.get_by_role("button", name="Materialize all").first
    materialize_all.wait_for(timeout=60_000)
    try:  # Dagster's community dialog opens a moment after the first page of a fresh instance
        page.get_by_role("button", name="Skip").click(timeout=15_000)
    except playwright.TimeoutError:
        pass
    materialize_all.click()
    page.get_by_role("button", name="All", exact=True).click()
    page.get_by_text(f"{len(years)} partitions").first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp / "materialize_all.png"))
    page.get_by_role("button", name="Launch backfill").click()

    def backfill_runs():
        backfills = _graphql(url, """{ partitionBackfillsOrError(limit: 1) { ... on PartitionBackfills {
            results { id status runs(limit: 10) { runId status tags { key value } } } } } }""")
        latest = backfills["partitionBackfillsOrError"]["results"]
        if not latest or not latest[0]["runs"]:
            return None
        runs = latest[0]["runs"]
        return runs if all(r["status"] in {"SUCCESS", "FAILURE", "CANCELED"} for r in runs) else None
    runs = _wait(backfill_runs, RUN_SECONDS, "the Materialize all run did not finish", log)
    assert [r["status"] for r in runs] == ["SUCCESS"]  # one run, every asset, every year
    tags = {t["key"]: t["value"] for t in runs[0]["tags"]}
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        years[0], years[-1])
    page.goto(f"{url}/runs/{runs[0]['runId']}")
    page.get_by_text("Success").first.wait_for(timeout=60_000)
    page.screenshot(path=str(tmp / "materialize_all_run.png"), full_page=True)
