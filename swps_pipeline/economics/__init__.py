"""Economics: cost per position and per case, the State refund, and the probabilistic cost-benefit model."""

from swps_pipeline.economics.cba import (
    ACTIVITY_INPUTS, CbaScope, CostBenefitResult, cost_benefit_tables, run_cost_benefit, with_impact_estimate,
)
from swps_pipeline.economics.charts import npv_distribution_png, tornado_png
from swps_pipeline.economics.costs import build_cost_tables
from swps_pipeline.economics.parameters import ParameterError, Parameters, load_parameters

__all__ = [
    "ACTIVITY_INPUTS",
    "CbaScope",
    "CostBenefitResult",
    "ParameterError",
    "Parameters",
    "build_cost_tables",
    "cost_benefit_tables",
    "load_parameters",
    "npv_distribution_png",
    "run_cost_benefit",
    "tornado_png",
    "with_impact_estimate",
]
