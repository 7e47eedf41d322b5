"""`swps fetch crime`: the current SSMSI département file from the open-data portal into `crime/`.

The portal's API lists the dataset's resources; the newest département file
(`donnee-dep-data.gouv-…-produit-le<date>`) is downloaded beside `crime/`,
checked against the portal's checksum and read with the project's own reader
(format A or B), and only then moved into `crime/` by a rename, the previous
edition removed after it. Anything wrong leaves `crime/` as it was.
Proxies come from the usual environment variables (`HTTPS_PROXY`, `NO_PROXY`):
urllib reads them on each call here.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from swps_pipeline.profiles import active_profile
from swps_pipeline.impact.crime import CRIME_SUFFIXES, CrimeFileError, read_crime_file

#: The département file of an edition, e.g. donnee-dep-data.gouv-2022-geographie2023-produit-le2023-07-17.csv.gz
DEPARTMENT_FILE = re.compile(
    r"donnee-dep-data\.gouv-(?P<year>\d{4})-geographie\d{4}-produit-le(?P<produced>\d{4}-\d{2}-\d{2})\.csv(\.gz)?"
)
#: Provenance of the fetched edition, kept beside it in `crime/` (not a CSV, so never read as data).
RECORD_NAME = "edition.json"
TIMEOUT_SECONDS = 60


class FetchError(Exception):
    """Why the fetch stopped, in one line; `crime/` is unchanged."""


@dataclass(frozen=True)
class Edition:
    """One département file as the portal lists it."""

    name: str
    url: str
    checksum: tuple[str, str] | None  # (hashlib algorithm, hex digest) as the portal gives it

    @property
    def sort_key(self) -> tuple[str, str, bool]:
        match = DEPARTMENT_FILE.fullmatch(self.name)
        return match["produced"], match["year"], self.name.endswith(".gz")  # newest; compressed if both


@dataclass(frozen=True)
class Fetched:
    path: Path
    record: dict
    replaced: list[str]


def dataset_api_url() -> str:
    """The dataset's API address; `SWPS_CRIME_PORTAL` replaces the portal (a mirror, or the tests' server)."""
    portal = os.environ.get("SWPS_CRIME_PORTAL") or active_profile().crime_portal
    return f"{portal.rstrip('/')}/api/1/datasets/{active_profile().crime_dataset}/"


def _open(url: str):
    """GET `url` through the proxies of the environment at this moment."""
    opener = urllib.request.build_opener()  # a ProxyHandler from the environment, built now
    opener.addheaders = [("User-Agent", "swps-pipeline (swps fetch crime)")]
    return opener.open(url, timeout=TIMEOUT_SECONDS)


def _unreachable(url: str, error: Exception) -> FetchError:
    if isinstance(error, urllib.error.HTTPError):
        return FetchError(f"{url} answered HTTP {error.code} {error.reason}")
    reason = getattr(error, "reason", None) or error
    host = urlsplit(url).netloc
    return FetchError(f"cannot reach {host} ({reason}): check the network connection, or the proxy in "
                      "HTTPS_PROXY / HTTP_PROXY")


def _resource_name(resource: dict) -> str:
    from_url = PurePosixPath(urlsplit(resource.get("url") or "").path).name
    return from_url if DEPARTMENT_FILE.fullmatch(from_url) else (resource.get("title") or "").strip()


def _checksum(resource: dict) -> tuple[str, str] | None:
    checksum = resource.get("checksum") or {}
    kind, value = str(checksum.get("type", "")).lower(), str(checksum.get("value", "")).lower()
    return (kind, value) if kind in hashlib.algorithms_available and value else None


def current_edition(dataset: dict) -> Edition:
    """The newest département file among the dataset's resources (the API's JSON)."""
    editions = [
        Edition(name, resource["url"], _checksum(resource))
        for resource in dataset.get("resources", [])
        if DEPARTMENT_FILE.fullmatch(name := _resource_name(resource)) and resource.get("url")
    ]
    if not editions:
        raise FetchError(f"the dataset {dataset.get('title') or active_profile().crime_dataset!r} lists no département file "
                         "(donnee-dep-data.gouv-…csv[.gz]); download it by hand into crime/")
    return max(editions, key=lambda edition: edition.sort_key)


def read_dataset(api_url: str) -> dict:
    try:
        with _open(api_url) as response:
            return json.load(response)
    except (urllib.error.URLError, OSError) as error:
        raise _unreachable(api_url, error) from None
    except ValueError:
        raise FetchError(f"{api_url} did not answer with the dataset's JSON") from None


def download(edition: Edition, destination: Path) -> str:
    """Write `edition` to `destination`; check the portal's checksum; the file's sha256."""
    digests = {"sha256": hashlib.sha256()}
    if edition.checksum:
        digests.setdefault(edition.checksum[0], hashlib.new(edition.checksum[0]))
    try:
        with _open(edition.url) as response, open(destination, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
    except (urllib.error.URLError, OSError) as error:
        raise _unreachable(edition.url, error) from None
    if edition.checksum:
        kind, expected = edition.checksum
        got = digests[kind].hexdigest()
        if got != expected:
            raise FetchError(f"the download of {edition.name} does not match the portal's {kind} checksum "
                             f"({got[:12]}… instead of {expected[:12]}…): corrupted; the previous edition is kept")
    return digests["sha256"].hexdigest()


def fetch_crime(crime_dir: Path) -> Fetched:
    """Download, verify and install the current edition in `crime_dir`, replacing the one there."""
    crime_dir = Path(crime_dir)
    api_url = dataset_api_url()
    edition = current_edition(read_dataset(api_url))
    staging = crime_dir.parent / ".crime-fetch"  # same file system: the final move is a rename
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        staged = staging / edition.name
        sha256 = download(edition, staged)
        try:
            table = read_crime_file(staged)
        except CrimeFileError as error:
            raise FetchError(f"the download is not a usable SSMSI département file ({error}); "
                             "the previous edition is kept") from None
        if table.empty:
            raise FetchError(f"the download {edition.name} has no rows; the previous edition is kept")
        record = {
            "dataset": api_url, "file": edition.name, "url": edition.url, "sha256": sha256,
            "portal_checksum": dict(zip(("type", "value"), edition.checksum)) if edition.checksum else None,
            "bytes": staged.stat().st_size, "rows": len(table),
            "years": [int(table["year"].min()), int(table["year"].max())],
            "fetched_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        (staging / RECORD_NAME).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        replaced = install(staging, crime_dir, edition.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Fetched(crime_dir / edition.name, record, replaced)


def install(staging: Path, crime_dir: Path, name: str) -> list[str]:
    """Rename the verified file and its record into `crime_dir`, then remove the other editions."""
    crime_dir.mkdir(parents=True, exist_ok=True)
    (staging / name).replace(crime_dir / name)
    (staging / RECORD_NAME).replace(crime_dir / RECORD_NAME)
    others = [p for p in crime_dir.iterdir() if p.name != name and p.name.lower().endswith(CRIME_SUFFIXES)]
    for path in others:
        path.unlink()
    return sorted(p.name for p in others)
