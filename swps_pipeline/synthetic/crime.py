"""Synthetic recorded-crime file: France's format B (`shared/contract/recorded_crime.md`) or the generic CSV.

Count = population × département baseline rate × national trend × noise,
and for intrafamily physical violence × `targets.ROLLOUT_EFFECT_INTRAFAMILY`
from the year of the département's first position on (the roll-out raises
reporting). Vehicle thefts and the other indicators get no effect.
Populations are the real INSEE ones of the SSMSI edition
(`reference/population.csv`, reference years 2016–2020); later years carry
the latest reference year forward, as the real edition does, and
`insee_pop_millesime` says which year was used. Dwellings (`insee_log`) are
synthetic: population × a département ratio of dwellings per inhabitant.
Another profile's file (`generic_crime_csv`) holds its outcome and placebo,
drawn from the same model, in `area_code;year;indicator;count;population`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from swps_pipeline.reference import departements
from swps_pipeline.reference.population import population_by_year
from swps_pipeline.synthetic import targets

FORMAT_B_COLUMNS = [
    "Code_departement", "Code_region", "annee", "indicateur", "unite_de_compte", "nombre", "taux_pour_mille",
    "insee_pop", "insee_pop_millesime", "insee_log", "insee_log_millesime",
]  # fmt: skip
FILE_NAME = "donnee-dep-data.gouv-synthetique-2025-geographie2025.csv"
GENERIC_FILE_NAME = "recorded_crime_synthetic.csv"


INDICATORS = pd.DataFrame(
    [
        # indicator, unit, national rate per 1,000 in 2016 (per 1,000 dwellings for burglaries), yearly trend, rate per dwelling
        ("Violences physiques intrafamiliales", "Victime", 1.9, 0.09, False),
        ("Violences sexuelles", "Victime", 0.55, 0.10, False),
        ("Violences physiques hors cadre familial", "Victime", 2.3, 0.02, False),
        ("Cambriolages de logement", "Infraction", 7.5, -0.03, True),
        ("Vols de véhicules", "Véhicule", 2.4, -0.04, False),
    ],
    columns=["indicator", "unit", "base_rate", "trend", "per_dwelling"],
)
"""Indicators with synthetic national levels and reporting trends, close to the published orders of magnitude."""

#: Département spread of baseline rates (lognormal sigma) and year-to-year noise (synthetic).
DEPARTMENT_SPREAD = 0.25
YEAR_NOISE = 0.04


def build_crime(first_position_year: pd.Series, rng: np.random.Generator,
                models: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The format-B table (its columns, values typed) for `targets.CRIME_YEARS` and the profile's areas.

    `first_position_year`: département code -> year its first position started.
    `models`: the rows of `INDICATORS` to draw (default all), the first one with the roll-out's effect.
    """
    indicators = INDICATORS if models is None else INDICATORS.set_index("indicator").loc[list(models)].reset_index()
    pop = population_by_year(targets.CRIME_YEARS)
    depts = departements().set_index("department_code")
    codes = depts.index
    dwellings_ratio = pd.Series(rng.uniform(0.42, 0.62, len(codes)), index=codes)
    frame = pop.merge(indicators, how="cross")
    level = pd.DataFrame(
        rng.lognormal(0, DEPARTMENT_SPREAD, (len(codes), len(indicators))), index=codes, columns=indicators["indicator"]
    ).stack()
    frame["level"] = level.reindex(pd.MultiIndex.from_frame(frame[["department_code", "indicator"]])).to_numpy()
    years_since = frame["year"] - min(targets.CRIME_YEARS)
    dwellings = frame["population"] * frame["department_code"].map(dwellings_ratio)
    base = np.where(frame["per_dwelling"], dwellings, frame["population"]) / 1000 * frame["base_rate"]
    treated = frame["year"] >= frame["department_code"].map(first_position_year)
    effect = np.where(treated & (frame["indicator"] == indicators["indicator"][0]), targets.ROLLOUT_EFFECT_INTRAFAMILY, 1.0)
    expected = base * frame["level"] * np.exp(frame["trend"] * years_since) * effect
    counts = rng.poisson(expected * rng.lognormal(0, YEAR_NOISE, len(frame)))
    denominator = np.where(frame["per_dwelling"], dwellings, frame["population"])
    return pd.DataFrame(
        {
            "Code_departement": frame["department_code"],
            "Code_region": frame["department_code"].map(depts["region_code"]),
            "annee": frame["year"],
            "indicateur": frame["indicator"],
            "unite_de_compte": frame["unit"],
            "nombre": counts,
            "taux_pour_mille": counts / denominator * 1000,
            "insee_pop": frame["population"],
            "insee_pop_millesime": frame["population_year"],
            "insee_log": dwellings,
            "insee_log_millesime": frame["population_year"],
        }
    )[FORMAT_B_COLUMNS].sort_values(["indicateur", "annee", "Code_departement"], ignore_index=True)


def crime_csv(table: pd.DataFrame) -> bytes:
    """Format B bytes: UTF-8 with BOM, `;`, decimal comma."""
    out = table.copy()
    for column in ("taux_pour_mille", "insee_log"):
        out[column] = out[column].map("{:.6f}".format).str.replace(".", ",", regex=False)
    return out.to_csv(index=False, sep=";", lineterminator="\n").encode("utf-8-sig")


def generic_crime_csv(table: pd.DataFrame, names: dict[str, str]) -> bytes:
    """The generic CSV (docs/replication.md) of a format-B table, its indicators renamed by `names`: UTF-8, `;`."""
    out = pd.DataFrame({"area_code": table["Code_departement"], "year": table["annee"],
                        "indicator": table["indicateur"].map(names), "count": table["nombre"],
                        "population": table["insee_pop"]})
    return out.to_csv(index=False, sep=";", lineterminator="\n").encode("utf-8")
