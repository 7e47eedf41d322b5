"""Impact settings: the choices an evaluator may change, their defaults and what each means.

One definition feeds the estimators, the Dagster config (Launchpad fields with
descriptions and enums) and the `impact:` section of a `swps run --parameters`
file. Defaults are R `did`'s (Callaway & Sant'Anna 2021) except the few-cluster
choices, which follow MacKinnon & Webb (2017) and Roodman et al. (2019).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import yaml

#: Allowed values of each enumerated setting, with a one-line meaning.
CONTROL_GROUPS = {
    "not_yet_treated": "départements without a position yet at the later of the cell's year and base year "
                       "(never treated included)",
    "never_treated": "départements with no position in the panel's span only",
}
BASE_PERIODS = {
    "varying": "pre-period cells compare consecutive years (R did's default); post-period cells use g − 1",
    "universal": "every cell compares with g − 1 − anticipation, so pre- and post-period cells share one base",
}
AGGREGATIONS = {
    "simple": "cohort-size-weighted mean of every post-adoption cell (term att_overall)",
    "group": "mean effect of each adoption cohort (att_group_<g>) and their weighted mean (att_group_overall)",
    "dynamic": "event study: effect by years since adoption (event_time_<e>) and their mean (att_dynamic_overall)",
    "calendar": "effect by calendar year (att_calendar_<t>) and their mean (att_calendar_overall)",
}
BOOTSTRAP_WEIGHTS = {
    "rademacher": "±1 with probability 1/2 (recommended with few clusters)",
    "mammen": "Mammen's two-point weights (R did's multiplier bootstrap)",
    "webb": "Webb's six-point weights (wild cluster bootstrap with fewer than ~12 clusters)",
}
TWFE_INFERENCE = {
    "auto": "wild cluster bootstrap when the staggered sample has fewer than 30 départements, else analytic",
    "wild_bootstrap": "restricted wild cluster bootstrap (WCR), p-value and interval by test inversion",
    "analytic": "cluster-robust SE with fixest's small-sample factor, t with G − 1 degrees of freedom",
}
HONEST_DID_METHODS = {
    "conditional": "Andrews–Roth–Pakes conditional test (HonestDiD's \"Conditional\"; seconds)",
    "c_lf": "conditional least-favourable hybrid (HonestDiD's default \"C-LF\"; minutes on 8 event times)",
}
#: Below these, inference is fragile: a warning is published with the estimates (Cameron & Miller 2015).
FEW_CLUSTERS = 30
SMALL_COHORT = 5


@dataclass(frozen=True)
class ImpactSettings:
    """Settings of the impact estimators; every estimate row records the ones that produced it."""

    control_group: str = "not_yet_treated"
    base_period: str = "varying"
    anticipation: int = 0
    aggregations: tuple[str, ...] = tuple(AGGREGATIONS)
    bootstrap_weights: str = "rademacher"
    twfe_inference: str = "auto"
    honest_did_method: str = "conditional"
    n_boot: int = 999
    seed: int = 2023

    def __post_init__(self) -> None:
        for name, allowed in (("control_group", CONTROL_GROUPS), ("base_period", BASE_PERIODS),
                              ("bootstrap_weights", BOOTSTRAP_WEIGHTS), ("twfe_inference", TWFE_INFERENCE),
                              ("honest_did_method", HONEST_DID_METHODS)):
            if getattr(self, name) not in allowed:
                raise ImpactSettingsError(f"impact setting {name}: {getattr(self, name)!r} is not one of "
                                          f"{', '.join(allowed)}")
        unknown = [a for a in self.aggregations if a not in AGGREGATIONS]
        if unknown or not self.aggregations:
            raise ImpactSettingsError(f"impact setting aggregations: expected some of {', '.join(AGGREGATIONS)}, "
                                      f"got {list(self.aggregations)}")
        for name, low in (("anticipation", 0), ("n_boot", 99), ("seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ImpactSettingsError(f"impact setting {name}: expected a whole number ≥ {low}, got {value!r}")

    def columns(self) -> dict[str, Any]:
        """The settings published as columns of `impact_estimates`."""
        return {"control_group": self.control_group, "base_period": self.base_period,
                "anticipation": self.anticipation}


class ImpactSettingsError(ValueError):
    """An impact setting is unknown or out of range (one line for the user)."""


DESCRIPTIONS = {
    "control_group": "Comparison départements for Callaway–Sant'Anna: " + "; ".join(
        f"{k} = {v}" for k, v in CONTROL_GROUPS.items()),
    "base_period": "Base year of each group-time cell: " + "; ".join(f"{k} = {v}" for k, v in BASE_PERIODS.items()),
    "anticipation": "Years before the first position in which an effect may already show (0 = none); "
                    "the base year moves back by as many years.",
    "aggregations": "Aggregations of the group-time effects to publish: " + "; ".join(
        f"{k} = {v}" for k, v in AGGREGATIONS.items()),
    "bootstrap_weights": "Multiplier/wild bootstrap weights, clustered by département: " + "; ".join(
        f"{k} = {v}" for k, v in BOOTSTRAP_WEIGHTS.items()),
    "twfe_inference": "Inference for the TWFE regressions: " + "; ".join(
        f"{k} = {v}" for k, v in TWFE_INFERENCE.items()),
    "honest_did_method": "Confidence set of the relative-magnitudes sensitivity analysis: " + "; ".join(
        f"{k} = {v}" for k, v in HONEST_DID_METHODS.items()),
    "n_boot": "Bootstrap draws (at least 99).",
    "seed": "Seed of the bootstrap draws (results are reproducible for a given seed).",
}


def impact_settings(raw: dict[str, Any] | None, origin: str = "impact settings") -> ImpactSettings:
    """Settings from a mapping (the `impact:` section of a parameter file or the run config); unknown keys refused."""
    raw = dict(raw or {})
    known = {f.name for f in fields(ImpactSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ImpactSettingsError(f"{origin}: unknown impact setting '{unknown[0]}' (expected one of "
                                  f"{', '.join(sorted(known))})")
    if "aggregations" in raw:
        value = raw["aggregations"]
        raw["aggregations"] = (value,) if isinstance(value, str) else tuple(value or ())
    try:
        return ImpactSettings(**raw)
    except ImpactSettingsError as error:
        raise ImpactSettingsError(f"{origin}: {error}") from None


def as_dict(settings: ImpactSettings) -> dict[str, Any]:
    return {**asdict(settings), "aggregations": list(settings.aggregations)}


#: The section of a `swps run --parameters` YAML file that holds these settings.
PARAMETERS_SECTION = "impact"


def settings_from_parameters_file(path: str | None, overrides: dict[str, Any] | None = None) -> ImpactSettings:
    """The `impact:` section of a parameter file (if any), then run-config overrides, over the defaults."""
    raw: dict[str, Any] = {}
    if path:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as error:
            raise ImpactSettingsError(f"{path}: cannot read the parameter file ({error.strerror or error})") from None
        except yaml.YAMLError:
            raise ImpactSettingsError(f"{path}: not valid YAML") from None
        section = data.get(PARAMETERS_SECTION) if isinstance(data, dict) else None
        if section is not None and not isinstance(section, dict):
            raise ImpactSettingsError(f"{path}: section '{PARAMETERS_SECTION}' must be a mapping")
        raw.update(section or {})
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return impact_settings(raw, path or "run config")
