"""One way to draw a chart: Agg figures without pyplot, money axes in millions, the synthetic-data stamp.

Every chart of the pipeline (asset metadata, evaluation pack, notebooks) is
built with `new_figure` and rendered with `to_png`. No backend is switched at
import, so a notebook that imports the package keeps its inline charts.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from swps_pipeline.i18n import N_

if TYPE_CHECKING:  # matplotlib is imported by the functions that draw: it costs half a second at start-up
    from matplotlib.figure import Figure

#: Short stamp printed at the foot of every chart drawn from the bundled (synthetic) data.
SYNTHETIC_STAMP = N_("SYNTHETIC DATA (swps generate): not findings about the programme")
#: Inches kept under the plot of a stamped chart: tick labels, axis label and the stamp line.
_STAMP_MARGIN_INCHES = 0.65


def new_figure(width: float = 7.0, height: float = 4.0) -> Figure:
    """A Matplotlib figure on its own Agg canvas: no global pyplot state, safe in any process."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def money_axis(axis, unit: str, which: str = "y", scale: float = 1e6) -> None:
    """Label a money axis in `unit` (values drawn in units of the currency, shown divided by `scale`), with
    thousands separators and no offset."""
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda value, _position: money_tick(value / scale))
    target = axis.yaxis if which == "y" else axis.xaxis
    target.set_major_formatter(formatter)
    label = axis.get_ylabel() if which == "y" else axis.get_xlabel()
    text = f"{label} ({unit})" if label else unit
    (axis.set_ylabel if which == "y" else axis.set_xlabel)(text)


def money_tick(value: float) -> str:
    """A tick label: thin-space thousands, a true minus, one decimal only where the value has one
    (`-500`, `1 250`, `2.5`: not `-500.0`)."""
    text = f"{value:,.1f}".removesuffix(".0").replace(",", "\u202f")
    return "0" if text in ("-0", "0") else text.replace("-", "\u2212")


def stamp(figure: Figure, text: str = SYNTHETIC_STAMP) -> None:
    """Print the synthetic-data stamp (`text`: SYNTHETIC_STAMP in the chart's language) at the foot of `figure`,
    with room kept for it under the plot."""
    figure.text(0.5, 0.005, text, ha="center", va="bottom", fontsize=7, color="#B22222")
    figure.subplots_adjust(bottom=max(figure.subplotpars.bottom, _STAMP_MARGIN_INCHES / figure.get_figheight()))


def to_png(figure: Figure, synthetic: bool = True, dpi: int = 110, stamp_text: str = SYNTHETIC_STAMP) -> bytes:
    """Render to PNG bytes (reproducible: no software tag), stamped when drawn from synthetic data."""
    if synthetic:
        stamp(figure, stamp_text)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
