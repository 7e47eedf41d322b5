"""Charts of the cost-benefit model as PNG bytes (asset metadata, evaluation pack, notebooks).

Drawn with `swps_pipeline.figures` (no pyplot, no backend switch: notebooks keep their inline charts);
money axes in M€; stamped when the data are synthetic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from swps_pipeline.figures import euro_axis, new_figure, to_png

if TYPE_CHECKING:  # matplotlib is imported by the steps that draw (issue 17)
    from matplotlib.figure import Figure


def npv_distribution_png(npv_draws: np.ndarray, npv_at_means: float | None = None, title: str = "NPV",
                         synthetic: bool = True) -> bytes:
    """Histogram of the Monte Carlo NPV draws: zero, the mean and the median, the 5th / 95th percentiles, the NPV
    at means."""
    return to_png(npv_distribution_figure(npv_draws, npv_at_means, title), synthetic=synthetic)


def npv_distribution_figure(npv_draws: np.ndarray, npv_at_means: float | None = None, title: str = "NPV") -> Figure:
    """The figure of `npv_distribution_png`."""
    draws = np.asarray(npv_draws, dtype=float)
    figure = new_figure(7, 4)
    axis = figure.add_subplot()
    axis.hist(draws, bins=60, color="#4C72B0", alpha=0.85)
    p5, p95 = np.percentile(draws, [5, 95])
    axis.axvline(0, color="black", linewidth=1)
    axis.axvline(draws.mean(), color="#2CA02C", linewidth=2, label=f"mean {draws.mean() / 1e6:,.1f} M€")
    median = float(np.median(draws))  # beside the mean: a skewed NPV puts them apart, even on either side of 0
    axis.axvline(median, color="#6A3D9A", linewidth=1.5, linestyle="-.", label=f"median {median / 1e6:,.1f} M€")
    for value in (p5, p95):
        axis.axvline(value, color="grey", linestyle=":")
    if npv_at_means is not None:
        axis.axvline(npv_at_means, color="#C44E52", linestyle="--", label="at parameter means")
    axis.legend(fontsize=8)
    axis.set_title(f"{title}: P(NPV > 0) = {(draws > 0).mean():.0%} (dotted: 5th and 95th percentiles)", fontsize=9)
    axis.set_xlabel("net present value")
    euro_axis(axis, which="x")
    axis.set_ylabel("draws")
    return figure


def tornado_png(cba_sensitivity: pd.DataFrame, title: str = "One-way sensitivity of the NPV (p10 / p90)",
                synthetic: bool = True) -> bytes:
    """Tornado chart: NPV with each parameter at its p10 and p90, largest swing on top, labelled in words."""
    table = cba_sensitivity.sort_values("swing_eur")
    figure = new_figure(8, 0.42 * max(len(table), 1) + 1.8)
    axis = figure.add_subplot()
    if len(table):
        base = float(table["npv_at_means_eur"].iloc[0])
        positions = np.arange(len(table))
        for column, colour, label in (("npv_low_eur", "#C44E52", "parameter at p10"),
                                      ("npv_high_eur", "#4C72B0", "parameter at p90")):
            axis.barh(positions, table[column] - base, left=base, color=colour, alpha=0.8, label=label)
        axis.set_yticks(positions, table["label"].astype(str).tolist(), fontsize=7)
        axis.axvline(base, color="black", linewidth=1, label=f"NPV at the parameters' means ({base / 1e6:,.1f} M€)")
        axis.legend(fontsize=8)
    axis.set_title(title, fontsize=9)
    axis.set_xlabel("net present value")
    euro_axis(axis, which="x")
    figure.tight_layout()
    return to_png(figure, synthetic=synthetic)

