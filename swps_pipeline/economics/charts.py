"""Charts of the cost-benefit model as PNG bytes (for asset metadata and the evaluation pack)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def _png(figure: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def npv_distribution_png(npv_draws: np.ndarray, npv_central: float | None = None, title: str = "NPV") -> bytes:
    """Histogram of the Monte Carlo NPV draws, with 0, the 5th/95th percentiles and the central NPV."""
    figure, axis = plt.subplots(figsize=(7, 4))
    axis.hist(np.asarray(npv_draws) / 1e3, bins=60, color="#4C72B0", alpha=0.85)
    p5, p95 = np.percentile(npv_draws, [5, 95])
    axis.axvline(0, color="black", linewidth=1)
    for value, style in ((p5, ":"), (p95, ":")):
        axis.axvline(value / 1e3, color="grey", linestyle=style)
    if npv_central is not None:
        axis.axvline(npv_central / 1e3, color="#C44E52", linestyle="--", label="central")
        axis.legend()
    share = float((np.asarray(npv_draws) > 0).mean())
    axis.set_title(f"{title}: P(NPV > 0) = {share:.0%} (dotted: 5th and 95th percentiles)")
    axis.set_xlabel("net present value (k€)")
    axis.set_ylabel("draws")
    return _png(figure)


def tornado_png(cba_sensitivity: pd.DataFrame, title: str = "One-way sensitivity (p10 / p90)") -> bytes:
    """Tornado chart: NPV with each parameter at its p10 and p90, largest swing on top."""
    table = cba_sensitivity.sort_values("swing_eur")
    figure, axis = plt.subplots(figsize=(7, 0.45 * max(len(table), 1) + 1.5))
    if len(table):
        base = float(table["npv_central_eur"].iloc[0]) / 1e3
        positions = np.arange(len(table))
        for column, colour, label in (("npv_low_eur", "#C44E52", "p10"), ("npv_high_eur", "#4C72B0", "p90")):
            axis.barh(positions, table[column] / 1e3 - base, left=base, color=colour, alpha=0.8, label=label)
        axis.set_yticks(positions, table["parameter"])
        axis.axvline(base, color="black", linewidth=1)
        axis.legend()
    axis.set_title(title)
    axis.set_xlabel("net present value (k€)")
    return _png(figure)
