"""Charts of the cost-benefit model as PNG bytes (asset metadata, evaluation pack, notebooks).

Drawn with `swps_pipeline.figures` (no pyplot, no backend switch: notebooks keep their inline charts);
money axes in millions of the profile's currency (`unit`); stamped when the data are synthetic; labels in
`language` (English by default, the evaluation pack passes its own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from swps_pipeline.figures import SYNTHETIC_STAMP, language_ticks, money_axis, new_figure, to_png
from swps_pipeline.i18n import N_, SOURCE_LANGUAGE, Texts, filled_values
from swps_pipeline.publish.currency import profile_money

if TYPE_CHECKING:  # matplotlib is imported by the steps that draw (issue 17)
    from matplotlib.figure import Figure


NPV = N_("NPV")
NET_PRESENT_VALUE = N_("net present value")
TORNADO_TITLE = N_("One-way sensitivity of the NPV (p10 / p90)")
#: A parameter's label when its value comes from the impact estimate (`cba.with_impact_estimate`).
IMPACT_ESTIMATE_LABEL = N_("{label} (impact estimate)")
#: The tornado's legend sits in this many empty rows under its smallest bar: placed by Matplotlib among the bars,
#: it hid the largest one.
TORNADO_LEGEND_ROWS = 3


def parameter_label(label: str, say: Texts) -> str:
    """A parameter's label (as the `cba_sensitivity` mart keeps it, in English) in the language of `say`."""
    values = filled_values(IMPACT_ESTIMATE_LABEL, label)
    return say(IMPACT_ESTIMATE_LABEL, label=say(values["label"])) if values else say(label)


def _millions(amount: float, say: Texts) -> str:
    """An amount in millions as the legend shows it: the reader's decimal sign and a true minus (−13,6)."""
    return say.decimal(amount / 1e6, "#,##0.0").replace("-", "\u2212")


def npv_distribution_png(npv_draws: np.ndarray, npv_at_means: float | None = None, title: str | None = None,
                         synthetic: bool = True, language: str = SOURCE_LANGUAGE, unit: str | None = None) -> bytes:
    """Histogram of the Monte Carlo NPV draws: zero, the mean and the median, the 5th / 95th percentiles, the NPV
    at means; amounts in `unit` (millions: default the profile's `Money.millions`)."""
    return to_png(npv_distribution_figure(npv_draws, npv_at_means, title, language, unit), synthetic=synthetic,
                  stamp_text=Texts(language)(SYNTHETIC_STAMP))


def npv_distribution_figure(npv_draws: np.ndarray, npv_at_means: float | None = None, title: str | None = None,
                            language: str = SOURCE_LANGUAGE, unit: str | None = None) -> Figure:
    """The figure of `npv_distribution_png`."""
    say = Texts(language)
    unit = unit or profile_money().millions
    title = title or say(NPV)
    draws = np.asarray(npv_draws, dtype=float)
    figure = new_figure(7, 4)
    axis = figure.add_subplot()
    axis.hist(draws, bins=60, color="#4C72B0", alpha=0.85)
    p5, p95 = np.percentile(draws, [5, 95])
    axis.axvline(0, color="black", linewidth=1)
    axis.axvline(draws.mean(), color="#2CA02C", linewidth=2,
                 label=say(N_("mean {value} {unit}"), value=_millions(draws.mean(), say), unit=unit))
    median = float(np.median(draws))  # beside the mean: a skewed NPV puts them apart, even on either side of 0
    axis.axvline(median, color="#6A3D9A", linewidth=1.5, linestyle="-.",
                 label=say(N_("median {value} {unit}"), value=_millions(median, say), unit=unit))
    for value in (p5, p95):
        axis.axvline(value, color="grey", linestyle=":")
    if npv_at_means is not None:
        axis.axvline(npv_at_means, color="#C44E52", linestyle="--", label=say(N_("at parameter means")))
    axis.legend(fontsize=8)
    axis.set_title(say(N_("{title}: P(NPV > 0) = {share} (dotted: 5th and 95th percentiles)"), title=title,
                       share=say.percent((draws > 0).mean(), 0)), fontsize=9)
    axis.set_xlabel(say(NET_PRESENT_VALUE))
    money_axis(axis, unit, which="x", language=language)
    axis.set_ylabel(say(N_("draws")))
    language_ticks(figure, language)
    return figure


def tornado_png(cba_sensitivity: pd.DataFrame, title: str | None = None, synthetic: bool = True,
                language: str = SOURCE_LANGUAGE, unit: str | None = None) -> bytes:
    """Tornado chart: NPV with each parameter at its p10 and p90, largest swing on top, labelled in words; amounts
    in `unit` (millions: default the profile's `Money.millions`)."""
    return to_png(tornado_figure(cba_sensitivity, title, language, unit), synthetic=synthetic,
                  stamp_text=Texts(language)(SYNTHETIC_STAMP))


def tornado_figure(cba_sensitivity: pd.DataFrame, title: str | None = None,
                   language: str = SOURCE_LANGUAGE, unit: str | None = None) -> Figure:
    """The figure of `tornado_png`."""
    say = Texts(language)
    unit = unit or profile_money().millions
    table = cba_sensitivity.sort_values("swing_eur")
    figure = new_figure(8, 0.42 * (max(len(table), 1) + TORNADO_LEGEND_ROWS) + 1.8)
    axis = figure.add_subplot()
    if len(table):
        base = float(table["npv_at_means_eur"].iloc[0])
        positions = np.arange(len(table))
        for column, colour, label in (("npv_low_eur", "#C44E52", N_("parameter at p10")),
                                      ("npv_high_eur", "#4C72B0", N_("parameter at p90"))):
            axis.barh(positions, table[column] - base, left=base, color=colour, alpha=0.8, label=say(label))
        axis.set_yticks(positions, [parameter_label(str(label), say) for label in table["label"]], fontsize=7)
        axis.axvline(base, color="black", linewidth=1,
                     label=say(N_("NPV at the parameters' means ({value} {unit})"),
                               value=_millions(base, say), unit=unit))
        axis.set_ylim(-0.5 - TORNADO_LEGEND_ROWS, len(table) - 0.5)
        axis.legend(fontsize=8, loc="lower right")
    axis.set_title(title or say(TORNADO_TITLE), fontsize=9)
    axis.set_xlabel(say(NET_PRESENT_VALUE))
    money_axis(axis, unit, which="x", language=language)
    language_ticks(figure, language)
    figure.tight_layout()
    return figure

