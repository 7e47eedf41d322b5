"""What a run's outputs were computed from, and where a what-if run writes.

The mart `run_provenance` (columns `key`, `value`) lets a reader of any
output tell an official run from a what-if one: the full resolved parameter
set and its hash, the Dagster run id, the package version, the git commit,
a SHA-256 of every input file and the scenario name (or "official").
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

from swps_pipeline.ingest.folder import safe_name
from swps_pipeline.profiles import Profile, assumptions_to_verify

import pandas as pd

OFFICIAL = "official"
#: The version of the contract the published tables follow (shared/contract/outputs.md, "v1" in its title):
#: tables of runs under different versions are not put side by side (publish/comparison.py).
OUTPUTS_CONTRACT_VERSION = "1"
RUN_PROFILE_COLUMNS = ["country", "country_name", "currency", "ppp", "ppp_year", "ppp_source",
                       "assumptions_to_verify", "synthetic_data", "contract_version"]
#: Run tags a user sets in the Launchpad (or `swps run --scenario/--publish` sets): see README, "What-if runs".
SCENARIO_TAG = "swps/scenario"
PUBLISH_TAG = "swps/publish"
SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
PACKAGE = "swps-pipeline"
REPO = Path(__file__).resolve().parents[2]


class ScenarioError(ValueError):
    """A scenario name that cannot be a folder name, or the reserved name "official"."""


def checked_scenario_name(name: str) -> str:
    if not SCENARIO_NAME.fullmatch(name) or name == OFFICIAL:
        raise ScenarioError(
            f"scenario name {name!r} must be 1-64 letters, digits, '.', '_' or '-' (and not {OFFICIAL!r})"
        )
    return name


def flat_record(value: object, prefix: str = "") -> dict[str, str]:
    """A nested dataclass / mapping as dotted keys and text values, in a stable order."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        record: dict[str, str] = {}
        for key in sorted(value, key=str):
            record.update(flat_record(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return record
    if isinstance(value, (list, tuple)):
        return {prefix: json.dumps([str(v) if not isinstance(v, (int, float)) else v for v in value])}
    return {prefix: "" if value is None else str(value)}


def record_hash(record: Mapping[str, str]) -> str:
    """SHA-256 of a record in canonical JSON: equal parameter sets, equal hashes."""
    return hashlib.sha256(json.dumps(dict(record), sort_keys=True).encode("utf-8")).hexdigest()


def scenario_of(tags: Mapping[str, str], parameters_hash: str, default_parameters_hash: str) -> str:
    """The scenario a run writes to: "official" unless what it depends on differs from the defaults.

    `swps/publish: true` publishes whatever the parameters; `swps/scenario: NAME` names
    the scenario; a run whose resolved parameters or step configs differ from the packaged ones and
    that has neither tag writes to `what-if-<first 8 hex digits of the parameter hash>`.
    """
    if str(tags.get(PUBLISH_TAG, "")).strip().lower() in ("true", "1", "yes"):
        return OFFICIAL
    if tags.get(SCENARIO_TAG):
        return checked_scenario_name(str(tags[SCENARIO_TAG]).strip())
    if parameters_hash != default_parameters_hash:
        return f"what-if-{parameters_hash[:8]}"
    return OFFICIAL


def file_checksums(root: Path, cache_file: Path | None = None) -> dict[str, str]:
    """SHA-256 of every file under `root` (hidden files aside), keyed by its path relative to `root`.

    With `cache_file`, a file whose size and modification time are those recorded by the last run is not
    read again, so a corrected year's re-run reads that year's files only (the same test the returns sensor
    uses to notice a changed file); the cache is then rewritten for the next run.
    """
    known = _read_cache(cache_file)
    checksums, cache = {}, {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue
        name = safe_name(relative.as_posix())  # names that are not UTF-8, escaped
        status = path.stat()
        stamp = [status.st_size, status.st_mtime_ns]
        previous = known.get(name)
        digest = previous[2] if isinstance(previous, list) and previous[:2] == stamp and len(previous) == 3 \
            else _sha256(path)
        checksums[name] = digest
        cache[name] = [*stamp, digest]
    if cache_file is not None:
        staging = cache_file.with_name(f"{cache_file.name}.{os.getpid()}.tmp")
        staging.write_text(json.dumps(cache), encoding="utf-8")
        os.replace(staging, cache_file)
    return checksums


def _read_cache(cache_file: Path | None) -> dict[str, list]:
    """The last run's checksums; none (every file read) when the cache is missing or unreadable."""
    try:
        cache = json.loads(cache_file.read_text(encoding="utf-8")) if cache_file else {}
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(directory: Path = REPO) -> str:
    """The commit checked out at `directory`, "unknown" outside a git checkout (e.g. an installed wheel)."""
    try:
        completed = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = completed.stdout.strip()
    return commit if completed.returncode == 0 and re.fullmatch(r"[0-9a-f]{40}", commit) else "unknown"


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown"


def provenance_table(
    *,
    scenario: str,
    run_id: str,
    parameters: Mapping[str, str],
    parameters_loaded_from: str,
    input_files: Mapping[str, str],
) -> pd.DataFrame:
    """The `run_provenance` mart: one (key, value) row per fact, parameters and inputs last."""
    rows = {
        "scenario": scenario,
        "dagster_run_id": run_id,
        "package_version": package_version(),
        "git_commit": git_commit(),
        "parameters_sha256": record_hash(parameters),
        "parameters_loaded_from": parameters_loaded_from,
        "input_files": str(len(input_files)),
        **{f"parameter.{key}": value for key, value in parameters.items()},
        **{f"input_sha256.{path}": digest for path, digest in input_files.items()},
    }
    return pd.DataFrame({"key": list(rows), "value": list(rows.values())}, dtype="string")


def run_profile_table(profile: Profile, synthetic: bool) -> pd.DataFrame:
    """The `run_profile` mart: which country profile made the run's tables (their currency, its purchasing-power
    parity, how many of its values are unverified), whether the data were synthetic, and the contract version;
    one row, so that marts read away from their run still say what they are."""
    row = {"country": profile.country, "country_name": profile.name, "currency": profile.currency,
           "ppp": profile.ppp_per_euro, "ppp_year": profile.ppp_year, "ppp_source": profile.sources["ppp"],
           "assumptions_to_verify": assumptions_to_verify(profile), "synthetic_data": synthetic,
           "contract_version": OUTPUTS_CONTRACT_VERSION}
    return pd.DataFrame([row])[RUN_PROFILE_COLUMNS].astype({
        "country": "string", "country_name": "string", "currency": "string", "ppp": float,
        "ppp_year": "Int64", "ppp_source": "string", "assumptions_to_verify": "Int64", "synthetic_data": bool,
        "contract_version": "string"})


def cli_run_tags(parameters_file: str | None, scenario: str | None, publish: bool) -> dict[str, str]:
    """The run tags of `swps run`: `--parameters` alone writes to a scenario named after the file."""
    if publish and scenario:
        raise ScenarioError("--publish writes the official outputs and --scenario a what-if: choose one")
    if publish:
        return {PUBLISH_TAG: "true"}
    if scenario:
        return {SCENARIO_TAG: checked_scenario_name(scenario)}
    if parameters_file:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(parameters_file).stem).strip("-.") or "what-if"
        return {SCENARIO_TAG: checked_scenario_name(stem[:64] if stem != OFFICIAL else "what-if")}
    return {}
