"""Validation of the yearly returns against the contract (rule ids of position_returns.md)."""

from swps_pipeline.validate.tables import ValidationResult
from swps_pipeline.validate.year import validate_year, validate_years

__all__ = ["ValidationResult", "validate_year", "validate_years"]
