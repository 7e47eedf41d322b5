"""Where the pipeline reads and writes, from the environment (README, "Configuration")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    output_dir: Path
    crime_edition: str | None = None  # which file of crime/ to use when there are several

    @property
    def returns_dir(self) -> Path:
        return self.data_dir / "returns"

    def returns_years(self) -> list[int]:
        """Years that have a folder `returns/<YYYY>/` (one partition each)."""
        if not self.returns_dir.is_dir():
            return []
        return sorted(int(p.name) for p in self.returns_dir.iterdir() if p.is_dir() and re.fullmatch(r"\d{4}", p.name))

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
        return self.output_dir / "marts"

    @property
    def pack_dir(self) -> Path:
        return self.output_dir / "evaluation_pack"

    @property
    def scenarios_dir(self) -> Path:
        return self.output_dir / "scenarios"

    def scenario(self, name: str) -> "Settings":
        """Where the what-if scenario `name` writes: the same layout under `scenarios/<name>/`."""
        return replace(self, output_dir=self.scenarios_dir / name)

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            data_dir=Path(os.environ.get("SWPS_DATA_DIR", "data/raw")).resolve(),
            output_dir=Path(os.environ.get("SWPS_OUTPUT_DIR", "data/warehouse")).resolve(),
            crime_edition=os.environ.get("SWPS_CRIME_EDITION") or None,
        )
