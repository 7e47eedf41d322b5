"""The national panel: positions, départements and the nation, year by year."""

from swps_pipeline.panel.tables import department_year, missing_returns, national_year, position_year

__all__ = ["department_year", "missing_returns", "national_year", "position_year"]
