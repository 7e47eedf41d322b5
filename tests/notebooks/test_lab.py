"""`make lab` starts JupyterLab with the project's kernel, and a notebook opens on it (REST API)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(url: str, token: str, method: str = "GET", body: dict | None = None) -> dict:
    request = urllib.request.Request(
        url, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`make lab` on a free loopback port with a token; stopped (its own process group) at the end."""
    port, token = _free_port(), secrets.token_hex(16)
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(log.parent / "runtime")}
    with open(log, "w") as output:
        server = subprocess.Popen(
            ["make", "-s", "lab", f"LAB_PORT={port}",
             f"LAB_ARGS=--no-browser --IdentityProvider.token={token}"],
            cwd=REPO, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _request(f"{base}/api/status", token)
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(1)
        yield base, token
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


@pytest.mark.slow
def test_the_server_lists_the_project_kernel(lab):
    base, token = lab
    specs = _request(f"{base}/api/kernelspecs", token)
    assert "swps-pipeline" in specs["kernelspecs"]
    spec = specs["kernelspecs"]["swps-pipeline"]["spec"]
    assert spec["display_name"] == "Python (swps-pipeline)"
    assert Path(spec["argv"][0]).resolve() == VENV_PYTHON.resolve()


@pytest.mark.slow
def test_a_notebook_opens_on_the_project_kernel(lab):
    base, token = lab
    notebook = _request(f"{base}/api/contents/01_data_quality.ipynb", token)
    assert notebook["type"] == "notebook"
    assert notebook["content"]["metadata"]["kernelspec"]["name"] == "swps-pipeline"
    session = _request(f"{base}/api/sessions", token, "POST", {
        "path": "01_data_quality.ipynb", "type": "notebook", "kernel": {"name": "swps-pipeline"},
    })
    try:
        assert session["kernel"]["name"] == "swps-pipeline"
        kernel = _request(f"{base}/api/kernels/{session['kernel']['id']}", token)
        assert kernel["execution_state"] in {"starting", "idle", "busy"}
    finally:
        _request(f"{base}/api/sessions/{session['id']}", token, "DELETE")
