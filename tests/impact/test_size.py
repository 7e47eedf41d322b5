"""Size of the tests with few départements: a true null is rejected at most 8 % of the time at the 5 % level.

500 seeded simulated panels of 12 départements in 3 cohorts of 4 (2019, 2021,
2023; not-yet-treated comparisons), no effect, 2016–2025. The shipped
estimators, with their default inference for few clusters: Callaway–Sant'Anna's
overall effect (multiplier bootstrap, CR1 factor and t with 11 df) and TWFE
(restricted wild cluster bootstrap). docs/methods_impact.md gives the rates
measured for 12 and 101 départements.
"""

from __future__ import annotations

import numpy as np
import pytest

from swps_pipeline.impact import estimators as est
from swps_pipeline.impact.settings import ImpactSettings

REPLICATIONS = 500
COHORTS = {2019.0: 4, 2021.0: 4, 2023.0: 4}


@pytest.mark.slow
def test_true_null_rejected_at_most_8_percent_with_12_departements(simulate):
    rejected = {"callaway_santanna": 0, "twfe_treated": 0}
    for replication in range(REPLICATIONS):
        panel = simulate(10_000 + replication, lambda e: np.zeros(e.shape), COHORTS)
        settings = ImpactSettings(aggregations=("simple",), n_boot=999, seed=replication)
        cs = est.callaway_santanna(panel, settings=settings, event_study_table=False).table()
        twfe = est.twfe_treated(panel, settings=settings).table()
        rejected["callaway_santanna"] += cs.set_index("term").loc["att_overall", "p_value"] < 0.05
        rejected["twfe_treated"] += twfe["p_value"].item() < 0.05
        assert cs["n_clusters"].iloc[0] == 12 and twfe["inference"].item().startswith("wild_cluster_bootstrap")
    rates = {model: count / REPLICATIONS for model, count in rejected.items()}
    assert rates["callaway_santanna"] <= 0.08 and rates["twfe_treated"] <= 0.08, rates
    # and not absurdly conservative either
    assert rates["callaway_santanna"] >= 0.02 and rates["twfe_treated"] >= 0.02, rates
