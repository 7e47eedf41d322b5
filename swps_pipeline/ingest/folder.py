"""What a year folder holds: the files to read, and every other entry recorded with its reason.

Folders arrive from a hundred départements, unzipped on every kind of machine:
Excel lock files, `.DS_Store`, sub-folders, links, names in a Windows code
page. Nothing in `returns/<year>/` may vanish unrecorded, and nothing outside
the data folder may be read through a link (issue 18).
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

#: The sub-folder whose files supersede earlier rows of the same position-year (issue 16).
CORRECTIONS = "corrections"
#: Entries that are not returns and that nobody sent on purpose: listed as ignored, not rejected.
SYSTEM_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
IGNORED_PREFIXES = {"~$": "Excel lock file (the workbook was open when the folder was copied)",
                    ".~lock.": "LibreOffice lock file (the file was open when the folder was copied)",
                    "._": "macOS metadata file"}


def safe_name(name: str) -> str:
    """A file name as text every table can store, reversibly: bytes that are not UTF-8 (e.g. `é` in
    Windows-1252, decoded by Python as surrogates) become `\\xe9`, and a backslash becomes `\\\\`.
    `original_name` gives the name back."""
    raw = os.fsencode(name).replace(b"\\", b"\\\\")
    return raw.decode("utf-8", "backslashreplace")


def original_name(safe: str) -> str:
    """The file name (as Python holds it) behind `safe_name(...)`."""
    return os.fsdecode(codecs.escape_decode(safe.encode("utf-8"))[0])


@dataclass(frozen=True)
class ReturnsFile:
    """A regular file to read: its path, its name in every table, and whether it is a correction."""

    path: Path
    source_file: str  # relative to the data root, `/`-separated, `safe_name`
    correction: bool = False


@dataclass
class YearFolder:
    """Every entry of `returns/<year>/`: read, rejected (with the reason) or ignored (with the reason)."""

    to_read: list[ReturnsFile] = field(default_factory=list)  # top-level files, then those of corrections/
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (source_file, reason)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (source_file, reason)


def _ignored_because(name: str) -> str | None:
    if name in SYSTEM_FILES:
        return "system file, not a return"
    return next((reason for prefix, reason in IGNORED_PREFIXES.items() if name.startswith(prefix)), None)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def scan_year_folder(data_dir: Path, year: int) -> YearFolder:
    """Sort every entry of `returns/<year>/` (and of its `corrections/`) into read / rejected / ignored.

    Links are followed only to files inside the data folder. A FIFO, socket or device is never opened
    (reading a FIFO would hang the run). Other sub-folders are listed as ignored.
    """
    folder = YearFolder()
    root = data_dir.resolve()
    _scan(data_dir, root, data_dir / "returns" / str(year), folder, correction=False)
    return folder


def _scan(data_dir: Path, root: Path, directory: Path, folder: YearFolder, correction: bool) -> None:
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: os.fsencode(entry.name))
    except FileNotFoundError:
        return
    except OSError as error:
        folder.rejected.append((safe_name(directory.relative_to(data_dir).as_posix()),
                                f"folder cannot be listed ({error.strerror})"))
        return
    later: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        source = safe_name(path.relative_to(data_dir).as_posix())
        ignored = _ignored_because(entry.name)
        if ignored:
            folder.ignored.append((source, ignored))
            continue
        if entry.is_symlink():
            target = Path(os.path.realpath(path))
            if not target.exists():
                folder.rejected.append((source, "broken symbolic link: its target does not exist"))
                continue
            if not target.is_relative_to(root):
                folder.rejected.append((source, "symbolic link to outside the data folder: not followed; "
                                                "copy the file into the folder instead"))
                continue
        try:
            mode = path.stat().st_mode
        except OSError as error:
            folder.rejected.append((source, f"cannot be opened ({error.strerror})"))
            continue
        if stat.S_ISDIR(mode):
            if entry.name == CORRECTIONS and not correction:
                later.append(path)
            else:
                folder.ignored.append((source, "sub-folder: only the files of returns/<year>/ and of "
                                               f"returns/<year>/{CORRECTIONS}/ are read"))
        elif stat.S_ISREG(mode):
            folder.to_read.append(ReturnsFile(path, source, correction))
        else:
            folder.rejected.append((source, f"{_kind(mode)}, not a file: send the return as a .csv or .xlsx file"))
    for corrections in later:
        _scan(data_dir, root, corrections, folder, correction=True)


def folder_fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of a year's files (and of its corrections/): changes when a file is
    added, replaced or touched."""
    entries = sorted(
        (p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for directory in (folder, folder / CORRECTIONS) if directory.is_dir()
        for p in directory.iterdir() if p.is_file()
    )
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]
