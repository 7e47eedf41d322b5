"""Resources shared by the assets: where data are read and written."""


from pathlib import Path

import dagster as dg

from swps_pipeline.publish.warehouse import SCHEMA, WarehouseIOManager
from swps_pipeline.settings import Settings


class PipelineSettings(dg.ConfigurableResource):
    """Input root (`SWPS_DATA_DIR`) and output root (`SWPS_OUTPUT_DIR`) of a run."""

    data_dir: str
    output_dir: str
    crime_edition: str | None = None
    run_folder: str | None = None

    @property
    def paths(self) -> Settings:
        return Settings(Path(self.data_dir), Path(self.output_dir), self.crime_edition,
                        Path(self.run_folder) if self.run_folder else None)


def pipeline_resources(settings: Settings) -> dict[str, object]:
    """The resources of a code location reading `settings.data_dir` and writing `settings.output_dir`."""
    settings.output_dir.mkdir(parents=True, exist_ok=True)
    return {
        "settings": PipelineSettings(
            data_dir=str(settings.data_dir), output_dir=str(settings.output_dir), crime_edition=settings.crime_edition,
            run_folder=str(settings.run_folder) if settings.run_folder else None,
        ),
        "io_manager": WarehouseIOManager(
            database=str(settings.warehouse_path), schema=SCHEMA, marts_dir=str(settings.marts_dir)
        ),
    }
