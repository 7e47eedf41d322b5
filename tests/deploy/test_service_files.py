"""The service files (systemd units, docker-compose.yml, Dockerfile, nginx site) agree with the code.

No Docker here: the compose file is parsed and checked, not run; the units are
parsed as systemd would and their command lines read by `swps`'s own parser.
"""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

import yaml

from swps_pipeline.cli import build_parser
from swps_pipeline.server import CONFIG_DEFAULTS, NGINX_TEMPLATE, ServerConfig, instance_settings, nginx_site

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
WORKDIR = re.search(r"^WORKDIR (\S+)", DOCKERFILE, re.M)[1]


def serve_process(command: list[str]) -> str:
    """The process a `swps serve --only X` command line starts, as `swps` parses it."""
    assert command[0].endswith("swps")
    arguments = build_parser().parse_args(command[1:])
    assert arguments.command == "serve"
    return arguments.only


def test_the_example_settings_file_lists_every_setting_the_code_reads():
    from swps_pipeline.server import read_env_file

    assert set(read_env_file(DEPLOY / "server.env.example")) == set(CONFIG_DEFAULTS)


def test_compose_services_networks_and_volumes():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "webserver", "daemon", "proxy"}
    assert {name: serve_process(s["command"]) for name, s in services.items() if name != "postgres"} == {
        "webserver": "webserver", "daemon": "daemon", "proxy": "proxy"}
    # Only the proxy publishes a port; PostgreSQL and the webserver are on the internal network only.
    assert COMPOSE["networks"]["internal"]["internal"] is True
    assert [name for name, s in services.items() if s.get("ports")] == ["proxy"]
    assert services["postgres"]["networks"] == ["internal"]
    assert services["webserver"]["networks"] == services["daemon"]["networks"] == ["internal"]
    assert set(services["proxy"]["networks"]) == {"internal", "edge"}
    (published,) = services["proxy"]["ports"]
    assert published.split(":")[-1] == services["proxy"]["environment"]["SWPS_PROXY_LISTEN"]
    # The proxy finds the webserver where the webserver listens.
    web = services["webserver"]["environment"]
    assert services["proxy"]["environment"]["SWPS_PROXY_UPSTREAM"] == f"webserver:{web['SWPS_WEB_PORT']}"
    # Every named volume used is declared, and the webserver and daemon share the instance and the outputs.
    named = {v.split(":")[0] for s in services.values() for v in s.get("volumes", []) if not v.startswith(".")}
    assert named == set(COMPOSE["volumes"])
    assert services["webserver"]["volumes"] == services["daemon"]["volumes"]
    mounted = {v.split(":")[1] for v in services["webserver"]["volumes"]}
    for key in ("SWPS_DATA_DIR", "SWPS_OUTPUT_DIR", "DAGSTER_HOME", "SWPS_LOG_DIR"):
        assert web[key] in mounted, key
    # The proxy's password file and certificates are mounted where the relative settings point from WORKDIR.
    proxy_mounts = {v.split(":")[1] for v in services["proxy"]["volumes"]}
    assert f"{WORKDIR}/{services['proxy']['environment']['SWPS_HTPASSWD']}" in proxy_mounts
    assert f"{WORKDIR}/deploy/tls" in proxy_mounts


def test_compose_environment_names_are_the_codes():
    services = COMPOSE["services"]
    for name in ("webserver", "daemon", "proxy"):
        assert services[name]["env_file"] == "server.env"
        assert set(services[name]["environment"]) <= set(CONFIG_DEFAULTS), name
    interpolated = set(re.findall(r"(?<!\$)\$\{(\w+)", (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")))
    assert interpolated == {"SWPS_POSTGRES_DB", "SWPS_POSTGRES_USER", "SWPS_POSTGRES_PASSWORD"}
    assert interpolated <= set(CONFIG_DEFAULTS)
    # The database the containers use is the one PostgreSQL creates.
    assert services["webserver"]["environment"]["SWPS_POSTGRES_HOST"] == "postgres"
    config = ServerConfig({**CONFIG_DEFAULTS, **services["webserver"]["environment"]}, "compose")
    assert instance_settings(config)["storage"]["postgres"]["postgres_db"]["hostname"] == "postgres"
    assert "SWPS_POSTGRES_PASSWORD" not in str(services["webserver"]["environment"])  # from the git-ignored file


def test_dockerfile_builds_what_compose_runs():
    assert "apt-get install -y --no-install-recommends nginx postgresql-client" in DOCKERFILE
    assert re.search(r"^USER swps$", DOCKERFILE, re.M)  # not root
    assert re.search(r"pip install --no-cache-dir -e \.", DOCKERFILE)
    assert COMPOSE["services"]["webserver"]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    for copied in ("workspace.yaml", "swps_pipeline", "deploy", "docs"):
        assert re.search(rf"^COPY .*\b{copied}\b", DOCKERFILE, re.M), copied
    ignored = (DEPLOY.parent / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"deploy/server.env", "deploy/htpasswd", "deploy/tls"} <= set(ignored)  # no secret in the image


def test_systemd_units_restart_on_failure_and_run_one_process_each():
    for process in ("webserver", "daemon"):
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str
        unit.read(DEPLOY / "systemd" / f"swps-{process}.service")
        service = unit["Service"]
        assert service["Restart"] == "on-failure"
        assert service["User"] != "root"
        assert serve_process(shlex.split(service["ExecStart"])) == process
        assert service["EnvironmentFile"] == f"{service['WorkingDirectory']}/deploy/server.env"
        assert service["ExecStart"].startswith(f"{service['WorkingDirectory']}/.venv/bin/swps ")
        assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_git_ignores_the_secrets():
    ignored = (DEPLOY.parent / ".gitignore").read_text(encoding="utf-8").split()
    assert {"deploy/server.env", "deploy/htpasswd", "deploy/tls/", "backups/"} <= set(ignored)


def test_nginx_site_asks_for_a_password_and_speaks_tls_when_a_certificate_is_given(tmp_path):
    (tmp_path / "htpasswd").write_text("alice:$2y$05$abc\n")
    base = {**CONFIG_DEFAULTS, "SWPS_HTPASSWD": str(tmp_path / "htpasswd"), "SWPS_PROXY_LISTEN": "8443",
            "SWPS_WEB_PORT": "3001"}
    plain = nginx_site(ServerConfig(base, "test"))
    assert "listen 8443;" in plain and "ssl_certificate" not in plain
    assert f"auth_basic_user_file {tmp_path / 'htpasswd'};" in plain
    assert "proxy_pass http://127.0.0.1:3001;" in plain
    assert "@@" not in plain
    tls = nginx_site(ServerConfig({**base, "SWPS_TLS_CERT": str(tmp_path / "c.pem"),
                                   "SWPS_TLS_KEY": str(tmp_path / "k.pem")}, "test"))
    assert "listen 8443 ssl;" in tls
    assert f"ssl_certificate {tmp_path / 'c.pem'};" in tls and f"ssl_certificate_key {tmp_path / 'k.pem'};" in tls
    assert NGINX_TEMPLATE.is_file()
