"""`swps serve` as the team gets it: nginx (Debian) with basic auth and TLS in front of the webserver.

The whole deployment starts from one settings file (SQLite instance: no
PostgreSQL configured), on free loopback ports: the webserver on 127.0.0.1
only, nginx in front asking for a password, over HTTPS with a certificate
made here.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
USER, PASSWORD = "alice", "correct horse battery"


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (IPv4 and IPv6), from /proc/net."""
    addresses = set()
    for table, size in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                if size == 8:
                    addresses.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                else:
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    addresses.add(socket.inet_ntop(socket.AF_INET6, words))
    return addresses


def get(url: str, context: ssl.SSLContext | None = None, auth: tuple[str, str] | None = None):
    request = urllib.request.Request(url)
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def deployment(deploy):
    """`swps serve` with the proxy: started once, stopped (SIGTERM) at the end of the module."""
    # nginx's workers (user nobody when the tests run as root) read the password file: a world-readable folder.
    root = Path(tempfile.mkdtemp(prefix="swps-serve-"))
    root.chmod(0o755)
    subprocess.run(["htpasswd", "-c", "-b", "-B", str(root / "htpasswd"), USER, PASSWORD], check=True,
                   capture_output=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(root / "key.pem"),
                    "-out", str(root / "cert.pem")], check=True, capture_output=True)
    web_port, proxy_port = deploy.free_port(), deploy.free_port()
    config = deploy.write_server_env(
        root / "server.env", SWPS_DATA_DIR=str(deploy.BUNDLED_DATA), SWPS_OUTPUT_DIR=str(root / "out"),
        DAGSTER_HOME=str(root / "home"), SWPS_WEB_PORT=str(web_port), SWPS_PROXY_LISTEN=f"127.0.0.1:{proxy_port}",
        SWPS_HTPASSWD=str(root / "htpasswd"), SWPS_TLS_CERT=str(root / "cert.pem"), SWPS_TLS_KEY=str(root / "key.pem"),
    )
    started = time.monotonic()
    server = subprocess.Popen(deploy.swps_command("serve", "--config", str(config)), cwd=deploy.REPO,
                              env=deploy.clean_environment(), stdout=subprocess.PIPE,
                              stderr=open(root / "serve.log", "w"), text=True, start_new_session=True)
    context = ssl.create_default_context(cafile=str(root / "cert.pem"))
    url = f"https://127.0.0.1:{proxy_port}"

    def ui_answers():
        try:
            return get(f"{url}/server_info", context, (USER, PASSWORD))[0] == 200
        except (urllib.error.URLError, ConnectionError, ssl.SSLError):
            assert server.poll() is None, (root / "serve.log").read_text()
            return False

    try:
        deploy.wait_for(ui_answers, 180, "the UI through the proxy")
        yield {"url": url, "context": context, "web_port": web_port, "proxy_port": proxy_port, "server": server,
               "seconds_to_ui": time.monotonic() - started, "root": root}
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def test_without_credentials_the_proxy_answers_401(deployment):
    status, headers, _ = get(f"{deployment['url']}/", deployment["context"])
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Basic realm="swps-pipeline evaluation"'
    assert get(f"{deployment['url']}/graphql", deployment["context"], (USER, "wrong"))[0] == 401


def test_with_credentials_the_team_reaches_the_dagster_ui(deployment):
    status, _, page = get(f"{deployment['url']}/", deployment["context"], (USER, PASSWORD))
    assert status == 200
    assert "<title data-next-head=\"\">Dagster</title>" in page
    status, _, info = get(f"{deployment['url']}/server_info", deployment["context"], (USER, PASSWORD))
    assert status == 200 and '"dagster_webserver_version"' in info
    print(f"time from `swps serve` to the UI through the proxy: {deployment['seconds_to_ui']:.0f} s")


def test_the_proxy_speaks_tls_only(deployment):
    status, _, page = get(f"http://127.0.0.1:{deployment['proxy_port']}/")
    assert status == 400 and "The plain HTTP request was sent to HTTPS port" in page


def test_the_webserver_listens_on_loopback_only(deployment):
    port = deployment["web_port"]
    assert listening_addresses(port) == {"127.0.0.1"}
    assert get(f"http://127.0.0.1:{port}/server_info")[0] == 200  # on the machine itself
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.2", port), timeout=5):
        pass  # another address of this machine: nobody listens there


def test_serve_prints_where_everything_is_and_stops_cleanly_on_sigterm(deployment):
    server = deployment["server"]
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    first_line = server.stdout.readline()
    root = deployment["root"]
    assert first_line.startswith(f"swps serve: instance SQLite in {root / 'home'} (single analyst; ")
    assert f"UI on http://127.0.0.1:{deployment['web_port']}, team entrance (nginx) on 127.0.0.1:" in first_line
    assert f"run logs {root / 'home' / 'logs'}" in first_line
    time.sleep(1)
    for port in (deployment["web_port"], deployment["proxy_port"]):
        assert listening_addresses(port) == set(), port  # every process stopped with it
