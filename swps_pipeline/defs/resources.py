"""Resources shared by the assets: where data are read and written."""


from pathlib import Path

import dagster as dg
from pydantic import Field

from swps_pipeline.defs.scenario import ScenarioWarehouseIOManager
from swps_pipeline.publish.warehouse import SCHEMA
from swps_pipeline.settings import Settings


class PipelineSettings(dg.ConfigurableResource):
    """Input root (`SWPS_DATA_DIR`) and output root (`SWPS_OUTPUT_DIR`) of a run."""

    data_dir: str = Field(description="Input root (SWPS_DATA_DIR): positions.csv, returns/<YYYY>/, crime/.")
    output_dir: str = Field(description="Output root (SWPS_OUTPUT_DIR): swps.duckdb, marts/, evaluation_pack/, "
                            "scenarios/<name>/ for what-if runs.")
    crime_edition: str | None = Field(
        default=None, description="File name under crime/ to use when it holds several SSMSI editions "
        "(SWPS_CRIME_EDITION); empty: the only file there.")
    run_folder: str | None = Field(
        default=None, description="Set by `swps run`: the folder runs/<id>/ this run writes its marts to before "
        "they are published together; empty in the UI (the marts link is written through).")
    compare_dirs: list[str] = Field(
        default=[], description="Output folders of other countries' runs that cross_country_comparison puts beside "
        "this run (SWPS_COMPARE_DIRS); empty: nothing to compare.")

    @property
    def paths(self) -> Settings:
        return Settings(Path(self.data_dir), Path(self.output_dir), self.crime_edition,
                        Path(self.run_folder) if self.run_folder else None,
                        tuple(Path(folder) for folder in self.compare_dirs))


def pipeline_resources(settings: Settings) -> dict[str, object]:
    """The resources of a code location reading `settings.data_dir` and writing `settings.output_dir`."""
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    return {
        "settings": PipelineSettings(
            data_dir=str(settings.data_dir), output_dir=str(settings.output_dir), crime_edition=settings.crime_edition,
            run_folder=str(settings.run_folder) if settings.run_folder else None,
            compare_dirs=[str(folder) for folder in settings.compare_dirs],
        ),
        "io_manager": ScenarioWarehouseIOManager(
            database=str(settings.warehouse_path), schema=SCHEMA, marts_dir=str(settings.marts_dir),
            output_dir=str(settings.output_dir),
        ),
    }
