"""Validation of the yearly returns against the contract (rule ids of position_returns.md)."""

from swps_pipeline.validate.year import ValidationResult, validate_year

__all__ = ["ValidationResult", "validate_year"]
