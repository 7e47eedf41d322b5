"""Whole-period work is reused when its inputs and code are unchanged (issue 17).

A corrected year's re-run re-validates that year only, but the impact
estimates, the cost-benefit model, the disclosure control of the pack and the
feedback to coordinators span every year. When what they read is the same as
in an earlier run (a file re-sent with no change to its rows, a correction of
a year that leaves a table untouched), recomputing them costs seconds and
gives the same bytes. `joblib.Memory` keeps their results under
`$SWPS_OUTPUT_DIR/.cache/`, keyed by the content of every argument and by a
fingerprint of the code (every source file of the package and its message
catalogues, the active country profile's files, the versions of the libraries that compute), so any
change of data, settings, profile or code computes afresh. A full run from an
empty output folder computes everything; `swps run --no-reuse` (or
`SWPS_REUSE=off`) turns reuse off. Files handed out (the feedback to
coordinators) are kept in place instead: `WrittenFiles` records what each was
made from, and a re-run writes only those whose inputs changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

import swps_pipeline
from swps_pipeline.parallel import WORKERS_VARIABLE
from swps_pipeline.profiles import profile_folder

REUSE_VARIABLE = "SWPS_REUSE"
#: Settings left out of the key: where data are read and written (other countries' runs included), whether
#: to reuse, and how many processes share the work (the same results either way).
PATH_SETTINGS = {REUSE_VARIABLE, "SWPS_DATA_DIR", "SWPS_OUTPUT_DIR", "SWPS_COMPARE_DIRS", WORKERS_VARIABLE}

#: Most the kept results may take on disk: past it, the least recently used go first.
KEPT_BYTES = 2 * 1024**3

Result = TypeVar("Result")
#: What the pure steps take to keep their costly parts' results: `reused` bound to an output folder, or
#: `compute_afresh` (the default: no Dagster, no folder, as in the tests and the command-line exports).
Reuse = Callable[[Callable[..., Result]], Callable[..., Result]]


def compute_afresh(function: Callable[..., Result]) -> Callable[..., Result]:
    return function


def reused_call(reuse: Reuse, function: Callable[..., Result], *args, **kwargs) -> Result:
    """`reuse(function)(*args, **kwargs)`, as a module-level function: a call that can be sent to another process
    (`figures.draw_meanwhile`)."""
    return reuse(function)(*args, **kwargs)


@cache
def code_fingerprint(profile: Path, settings: tuple[tuple[str, str], ...] = ()) -> str:
    """A digest of everything besides the arguments that may decide a result: every file of the package
    (source, parameters, catalogues of messages), the profile's files, the `SWPS_*` settings of the
    environment (`settings`: e.g. the language) and the computing libraries' versions."""
    digest = hashlib.sha256()
    package = Path(swps_pipeline.__file__).parent
    for folder in (package, profile):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    digest.update(repr(settings).encode() + sys.version.encode())
    for distribution in installed_distributions():
        digest.update(f"{distribution}\n".encode())
    return digest.hexdigest()


def installed_distributions() -> list[str]:
    """Every installed distribution as its metadata folder names it (`pandas-2.2.3.dist-info`: name and version,
    PEP 376), on the import path: a listing of folders, where reading each one's METADATA file cost 0.2 s a run."""
    found: set[str] = set()
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as entries:
                found |= {item.name for item in entries if item.name.endswith((".dist-info", ".egg-info"))}
        except OSError:  # a zip file or a folder that is gone: no metadata folders there
            continue
    return sorted(found)


def environment_settings() -> tuple[tuple[str, str], ...]:
    """The `SWPS_*` variables a function may read besides its arguments (language, profile, ...); not the
    folders, whose content reaches the functions as arguments, nor the switches of reuse and of parallel work."""
    return tuple(sorted((name, value) for name, value in os.environ.items()
                        if name.startswith("SWPS_") and name not in PATH_SETTINGS))


def reuse_enabled() -> bool:
    return os.environ.get(REUSE_VARIABLE, "on").strip().lower() not in ("off", "0", "false", "no")


def reused(output_dir: Path, function: Callable[..., Result]) -> Callable[..., Result]:
    """`function`, its results kept under `output_dir/.cache/` and returned again for the same arguments and
    code; `function` itself when reuse is off."""
    if not reuse_enabled():
        return function
    try:
        remembered = _memory(output_dir / ".cache").cache(_pickled_result, ignore=["args", "kwargs"])
    except OSError as error:  # a cache folder that cannot be made: compute, and say why
        warnings.warn(f"results not kept ({output_dir / '.cache'}: {error}); computed afresh", stacklevel=2)
        return function
    fingerprint = code_fingerprint(profile_folder(), environment_settings())

    def call(*args, **kwargs) -> Result:
        try:
            return pickle.loads(remembered(function, fingerprint, content_digest((args, kwargs)), args, kwargs))
        except OSError as error:  # a cache folder that cannot be written or read: compute, and say why
            warnings.warn(f"results not kept ({output_dir / '.cache'}: {error}); computed afresh", stacklevel=2)
            return function(*args, **kwargs)

    return call


@cache
def _memory(folder: Path):
    """The kept results under `folder`, trimmed to `KEPT_BYTES` once per process (least recently used first)."""
    from joblib import Memory

    memory = Memory(folder, verbose=0)
    try:
        memory.reduce_size(bytes_limit=KEPT_BYTES)
    except OSError:  # an unusable folder: each call then computes afresh (`reused`)
        pass
    return memory


def _pickled_result(function: Callable[..., Result], code: str, inputs: str, args: tuple, kwargs: dict) -> bytes:
    """What joblib keeps, keyed by `function` (its module and name), `code` and `inputs` (the arguments'
    content digest): the result pickled by Python's own pickler. joblib would pickle the result itself and read
    it back through a pickler written in Python: 0.15 s for the cost tables at 10x the bundled data, against
    0.01 s for these bytes (issue 17)."""
    return pickle.dumps(function(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL)


def content_digest(value: object) -> str:
    """A digest of `value`'s content: tables by their values, index, column names and types (not by how
    pandas lays them out in memory, which differs between a table computed and the same table read back);
    containers and dataclasses (by their fields, not what they cached) item by item; anything else by its
    pickled form. The whole is pickled once: a model of thousands of cells costs one pickle, not one hash each."""
    return hashlib.sha256(pickle.dumps(_canonical(value), protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()


_ATOMS = frozenset({int, float, str, bytes, bool, type(None)})


def _canonical(value: object) -> object:
    """`value` with its tables replaced by their digests and its dataclasses by their named fields."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is list or kind is tuple:
        if all(type(item) in _ATOMS for item in value):  # e.g. a model's thousands of counts: pickled as they are
            return kind.__name__, value
        return kind.__name__, [_canonical(item) for item in value]
    if kind is dict:  # in its order: a function may depend on it (a workbook's sheets)
        return "dict", [(_canonical(key), _canonical(item)) for key, item in value.items()]
    import pandas as pd

    if isinstance(value, pd.Series):
        return "series", _frame_digest(value.to_frame(name=repr(value.name)))
    if isinstance(value, pd.DataFrame):
        return "frame", _frame_digest(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (f"{kind.__module__}.{kind.__qualname__}",
                [(field.name, _canonical(getattr(value, field.name))) for field in dataclasses.fields(value)])
    return value


#: Up to this many rows a table's values are pickled as Python values (a few microseconds a column); longer
#: columns are hashed by pandas (vectorised, but about 0.3 ms a column to set up).
SMALL_TABLE_ROWS = 1_000


def _frame_digest(frame) -> bytes:
    # The index's names as a list: pandas prints its own list type through its pretty-printer (0.4 ms a table).
    header = (repr(list(frame.index.names)), repr(frame.index.dtype), repr(frame.columns.name), repr(frame.attrs))
    if len(frame) <= SMALL_TABLE_ROWS:  # Python values keep their types apart (1, 1.0, "1", None, NaN)
        columns = [(repr(name), repr(column.dtype), column.tolist()) for name, column in frame.items()]
        return hashlib.sha256(pickle.dumps((header, frame.index.tolist(), columns),
                                           protocol=pickle.HIGHEST_PROTOCOL)).digest()
    digest = hashlib.sha256(_values_digest(frame.index) + pickle.dumps(header))
    for name, column in frame.items():  # the label with its type, the dtype with its categories
        digest.update(pickle.dumps((repr(name), repr(column.dtype))) + _values_digest(column))
    return digest.digest()


def _values_digest(values) -> bytes:
    """Typed values (numbers, dates, categories) and all-text columns by pandas' hash, with where the missing
    values are; other Python objects by their pickled form, which keeps their types apart (1 and "1")."""
    import pandas as pd

    if isinstance(values, pd.RangeIndex):
        return pickle.dumps((values.start, values.stop, values.step))
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if values.dtype == object and kind not in ("string", "empty"):
        return hashlib.sha256(pickle.dumps(list(values), protocol=pickle.HIGHEST_PROTOCOL)).digest()
    series = pd.Series(values)
    missing = series.isna().to_numpy()
    hashed = pd.util.hash_pandas_object(series, index=False).to_numpy().tobytes()
    kinds = repr([type(v).__name__ for v in series[missing]]) if values.dtype == object else ""  # None, NaN, NA
    return hashlib.sha256(kind.encode() + hashed + missing.tobytes() + kinds.encode()).digest()


def reference_inputs_key(data_dir: Path, returns_dir: Path, years: list[int]) -> str:
    """What the reference tables (registry, recorded crime, population, ...) are computed from: every file of the
    data folder outside `returns_dir`, by content; which years have a folder; and the code's fingerprint. A year's
    returns are not in it: a corrected return leaves it unchanged (`swps_pipeline/defs/selection.py`)."""
    digest = hashlib.sha256(code_fingerprint(profile_folder(), environment_settings()).encode())
    digest.update(repr(sorted(years)).encode())
    for entry in sorted(data_dir.iterdir()) if data_dir.is_dir() else []:
        if entry == returns_dir:
            continue
        for path in sorted(entry.rglob("*")) if entry.is_dir() else [entry]:
            if path.is_file():
                digest.update(path.relative_to(data_dir).as_posix().encode() + b"\0"
                              + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def inputs_key(*values: object) -> str:
    """What files are made from: the content of `values` and the code's fingerprint (as `reused` keys results)."""
    fingerprint = code_fingerprint(profile_folder(), environment_settings())
    return hashlib.sha256(fingerprint.encode() + content_digest(values).encode()).hexdigest()


@dataclasses.dataclass
class WrittenFiles:
    """The files a step wrote in a folder, each with the key of its inputs (`inputs_key`) and the digest of its
    bytes, kept beside the folder (`.<folder>.written.json`, so the folder holds only what is handed out): a file
    to make again from the same inputs with the same code, still there with the same bytes, need not be written
    again (a corrected file changes one of the 101 feedback reports). With reuse off (`SWPS_REUSE=off`), or a
    ledger that cannot be read, every file is written."""

    folder: Path
    entries: dict[str, list[str]]  # file name -> [inputs key, sha256 of the file]

    @property
    def ledger(self) -> Path:
        return self.folder.parent / f".{self.folder.name}.written.json"

    @classmethod
    def read(cls, folder: Path) -> WrittenFiles:
        import json

        written = cls(folder, {})
        try:
            entries = json.loads(written.ledger.read_text(encoding="utf-8")) if reuse_enabled() else {}
        except (OSError, ValueError):  # none yet, or not one this code wrote: write every file
            entries = {}
        written.entries = entries if isinstance(entries, dict) else {}
        return written

    def unchanged(self, names: list[str], key: str) -> bool:
        """Whether every file of `names` was written from `key` and still has the bytes it was written with."""
        for name in names:
            entry = self.entries.get(name)
            try:
                if entry != [key, _file_digest(self.folder / name)]:
                    return False
            except OSError:  # gone, or unreadable: write it again
                return False
        return True

    def record(self, names: list[str], key: str) -> None:
        for name in names:
            self.entries[name] = [key, _file_digest(self.folder / name)]

    def save(self) -> None:
        """Keep the ledger (replaced whole: a run that stops midway leaves the earlier one)."""
        import json

        if not reuse_enabled():
            return
        staging = self.ledger.with_suffix(".tmp")
        try:
            staging.write_text(json.dumps(self.entries, sort_keys=True), encoding="utf-8")
            staging.replace(self.ledger)
        except OSError as error:
            warnings.warn(f"{self.ledger} not kept ({error}): every file is written next time", stacklevel=2)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
