"""`swps fetch crime` against a local copy of the portal: the real SSMSI edition served on 127.0.0.1.

The server answers the dataset API (`/api/1/datasets/<slug>/`) with the
resources the portal lists (a commune file, an older and the current
département edition, with the portal's sha1 checksums) and serves the files.
Nothing here reaches the real portal.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from swps_pipeline.cli import main
from swps_pipeline.impact.crime import read_crime_file
from swps_pipeline.profiles import active_profile

REAL_EDITION = Path(__file__).parent / "data" / "donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv.gz"
OLDER_EDITION = "donnee-dep-data.gouv-2021-geographie2022-produit-le2022-03-08.csv.gz"
COMMUNE_FILE = "donnee-data.gouv-2022-geographie2023-produit-le2023-07-17.csv.gz"  # a newer, non-département file
API_PATH = f"/api/1/datasets/{active_profile().crime_dataset}/"


class Portal:
    """A local stand-in for data.gouv.fr: `files` are served under /resources/, `listed` in the dataset API."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.checksums: dict[str, str] = {}
        self.requests: list[str] = []
        portal = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                portal.requests.append(self.path)
                path = urlsplit(self.path).path  # a proxied request carries the whole URL
                if path == API_PATH:
                    body, kind = json.dumps(portal.dataset()).encode(), "application/json"
                elif path.startswith("/resources/") and path.removeprefix("/resources/") in portal.files:
                    body, kind = portal.files[path.removeprefix("/resources/")], "application/octet-stream"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.base = self.url  # where the listed resources point
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, name: str, content: bytes, checksum_of: bytes | None = None) -> None:
        """Serve `content` as `name`, listed with the sha1 of `checksum_of` (default: of `content`)."""
        self.files[name] = content
        self.checksums[name] = hashlib.sha1(content if checksum_of is None else checksum_of).hexdigest()

    def dataset(self) -> dict:
        return {"title": "Bases statistiques communale, départementale et régionale de la délinquance enregistrée",
                "resources": [{"title": name, "url": f"{self.base}/resources/{name}", "format": "csv.gz",
                               "checksum": {"type": "sha1", "value": self.checksums[name]}} for name in self.files]}


@pytest.fixture
def portal():
    server = Portal()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def data_dir(tmp_path, monkeypatch, portal) -> Path:
    """A data folder holding an older edition, the environment pointing `swps` at it and at the local portal."""
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    data = tmp_path / "raw"
    (data / "crime").mkdir(parents=True)
    (data / "crime" / OLDER_EDITION).write_bytes(older_edition_bytes())
    monkeypatch.setenv("SWPS_DATA_DIR", str(data))
    monkeypatch.setenv("SWPS_OUTPUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("SWPS_CRIME_PORTAL", portal.url)
    return data


def older_edition_bytes() -> bytes:
    """A valid earlier edition: the real file without its last year."""
    with gzip.open(REAL_EDITION, "rt", encoding="utf-8-sig") as handle:
        lines = handle.read().splitlines(keepends=True)
    return gzip.compress("".join([lines[0], *(line for line in lines[1:] if ";22;" not in line)]).encode("utf-8"))


def crime_folder(data: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((data / "crime").iterdir())}


def test_fetch_stores_the_current_edition_and_replaces_the_previous_one(portal, data_dir, capsys):
    real = REAL_EDITION.read_bytes()
    portal.publish(OLDER_EDITION, older_edition_bytes())
    portal.publish(REAL_EDITION.name, real)
    portal.publish(COMMUNE_FILE, b"not read")

    assert main(["fetch", "crime"]) == 0

    stored = crime_folder(data_dir)
    assert sorted(stored) == sorted([REAL_EDITION.name, "edition.json"])  # the older edition is gone
    assert stored[REAL_EDITION.name] == real
    record = json.loads(stored["edition.json"])
    assert record["sha256"] == hashlib.sha256(real).hexdigest()
    assert record["portal_checksum"] == {"type": "sha1", "value": hashlib.sha1(real).hexdigest()}
    assert record["rows"] == 9898 and record["years"] == [2016, 2022]
    assert record["url"] == f"{portal.url}/resources/{REAL_EDITION.name}"
    assert not (data_dir / ".crime-fetch").exists()
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out == (f"swps fetch crime: {data_dir / 'crime' / REAL_EDITION.name} (9,898 rows, 2016–2022, "
                       f"sha256 {hashlib.sha256(real).hexdigest()[:16]}…; replaced {OLDER_EDITION})\n")
    assert f"/resources/{COMMUNE_FILE}" not in portal.requests  # only the département file is downloaded
    assert len(read_crime_file(data_dir / "crime" / REAL_EDITION.name)) == 9898


def test_a_corrupted_download_is_rejected_by_the_checksum_and_the_previous_edition_kept(portal, data_dir, capsys):
    real = REAL_EDITION.read_bytes()
    damaged = real[:1000] + bytes([real[1000] ^ 0xFF]) + real[1001:]
    portal.publish(REAL_EDITION.name, damaged, checksum_of=real)
    before = crime_folder(data_dir)

    assert main(["fetch", "crime"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"swps fetch: the download of {REAL_EDITION.name} does not match the portal's sha1 "
                          f"checksum ({hashlib.sha1(damaged).hexdigest()[:12]}… instead of "
                          f"{hashlib.sha1(real).hexdigest()[:12]}…)")
    assert "the previous edition is kept" in err
    assert crime_folder(data_dir) == before
    assert not (data_dir / ".crime-fetch").exists()


def test_a_download_in_no_ssmsi_format_is_rejected_and_the_previous_edition_kept(portal, data_dir, capsys):
    wrong = gzip.compress("date;commune;faits\n2022-01-01;Meaux;3\n".encode())
    portal.publish(REAL_EDITION.name, wrong)  # the checksum matches: the format check rejects it
    before = crime_folder(data_dir)

    assert main(["fetch", "crime"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "is not a usable SSMSI département file" in err and "has an unknown header" in err
    assert "the previous edition is kept" in err
    assert crime_folder(data_dir) == before


def test_no_network_is_one_line_and_exit_2(portal, data_dir, capsys, monkeypatch):
    portal.server.shutdown()
    portal.server.server_close()  # nothing listens on the portal's port any more
    before = crime_folder(data_dir)

    assert main(["fetch", "crime"]) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"swps fetch: cannot reach 127.0.0.1:{portal.server.server_port} (")
    assert "check the network connection, or the proxy in HTTPS_PROXY / HTTP_PROXY" in err
    assert crime_folder(data_dir) == before


def test_the_proxy_of_the_environment_carries_the_requests(portal, data_dir, monkeypatch, capsys):
    """With HTTP_PROXY set, the portal's host is never resolved: both requests go through the proxy (here the
    local server, which sees the whole URL in each request line)."""
    portal.base = "http://portal.invalid"
    portal.publish(REAL_EDITION.name, REAL_EDITION.read_bytes())
    monkeypatch.setenv("SWPS_CRIME_PORTAL", "http://portal.invalid")
    monkeypatch.setenv("HTTP_PROXY", portal.url)

    assert main(["fetch", "crime"]) == 0, capsys.readouterr().err

    assert portal.requests == [f"http://portal.invalid{API_PATH}",
                               f"http://portal.invalid/resources/{REAL_EDITION.name}"]
    assert sorted(crime_folder(data_dir)) == sorted([REAL_EDITION.name, "edition.json"])
