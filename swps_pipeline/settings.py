"""Where the pipeline reads and writes, from the environment (README, "Configuration")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from swps_pipeline.assumptions import PLAUSIBLE_YEARS

#: Output folders of other countries' runs to compare with this one (`cross_country_comparison`), separated
#: like PATH (os.pathsep); unset or empty: nothing to compare.
COMPARE_DIRS_VARIABLE = "SWPS_COMPARE_DIRS"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    output_dir: Path
    crime_edition: str | None = None  # which file of crime/ to use when there are several
    run_folder: Path | None = None  # where this run writes its marts before they are published together
    compare_dirs: tuple[Path, ...] = ()  # other countries' output folders to compare this run with

    @property
    def returns_dir(self) -> Path:
        return self.data_dir / "returns"

    def returns_years(self) -> list[int]:
        """Years that have a folder `returns/<YYYY>/` in the plausible range (one partition each)."""
        return self.returns_folders()[0]

    def returns_folders(self) -> tuple[list[int], list[tuple[str, str]]]:
        """The years of `returns/<YYYY>/` to read, and every other entry of `returns/` with why it is not read
        (a year outside `assumptions.PLAUSIBLE_YEARS` is a typo such as 2402 or 0999; a link leaving the data
        folder is not followed)."""
        if not self.returns_dir.is_dir():
            return [], []
        years, not_read = [], []
        root = self.data_dir.resolve()
        for path in sorted(self.returns_dir.iterdir()):
            name = f"returns/{os.fsencode(path.name).decode('utf-8', 'backslashreplace')}"
            if re.fullmatch(r"\d{4}", path.name) and not path.name.isascii() and path.is_dir():
                # `\d` and int() read fullwidth or Arabic-Indic digits, but the year's files are read from returns/<YYYY>/.
                not_read.append((name, f"year written with digits other than 0-9: rename the folder "
                                       f"returns/{int(path.name)}/"))
            elif not re.fullmatch(r"[0-9]{4}", path.name) or not path.is_dir():
                not_read.append((name, "not a year folder returns/<YYYY>/"))
            elif int(path.name) not in PLAUSIBLE_YEARS:
                not_read.append((name, f"year outside {PLAUSIBLE_YEARS.start}–{PLAUSIBLE_YEARS.stop - 1}: a typo? "
                                       "rename the folder"))
            elif not path.resolve().is_relative_to(root):
                not_read.append((name, "symbolic link to outside the data folder: not followed"))
            else:
                years.append(int(path.name))
        return years, not_read

    @property
    def registry_path(self) -> Path:
        return self.data_dir / "positions.csv"

    @property
    def crime_dir(self) -> Path:
        return self.data_dir / "crime"

    @property
    def warehouse_path(self) -> Path:
        return self.output_dir / "swps.duckdb"

    @property
    def marts_dir(self) -> Path:
        """Where marts are written: this run's folder while `swps run` works, else the published `marts`."""
        return self.run_folder or self.published_marts_dir

    @property
    def published_marts_dir(self) -> Path:
        """What readers open: `marts`, a link to the folder of the last complete run (`publish/warehouse.py`)."""
        return self.output_dir / "marts"

    @property
    def pack_dir(self) -> Path:
        return self.output_dir / "evaluation_pack"

    @property
    def comparison_dir(self) -> Path:
        """Where the cross-country comparison is written (`swps compare` without --out, the asset)."""
        return self.output_dir / "comparison"

    @property
    def scenarios_dir(self) -> Path:
        return self.output_dir / "scenarios"

    def scenario(self, name: str) -> "Settings":
        """Where the what-if scenario `name` writes: the same layout under `scenarios/<name>/`."""
        return replace(self, output_dir=self.scenarios_dir / name, run_folder=None)

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            data_dir=Path(os.environ.get("SWPS_DATA_DIR", "data/raw")).resolve(),
            output_dir=Path(os.environ.get("SWPS_OUTPUT_DIR", "data/warehouse")).resolve(),
            crime_edition=os.environ.get("SWPS_CRIME_EDITION") or None,
            compare_dirs=tuple(Path(folder).resolve() for folder in
                               os.environ.get(COMPARE_DIRS_VARIABLE, "").split(os.pathsep) if folder.strip()),
        )
