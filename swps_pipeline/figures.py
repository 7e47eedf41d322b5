"""One way to draw a chart: Agg figures without pyplot, money axes in millions of the profile's currency, the
synthetic-data stamp, numbers written the reader's way.

Every chart of the pipeline (asset metadata, evaluation pack, notebooks) is
built with `new_figure` and rendered with `to_png`. No backend is switched at
import, so a notebook that imports the package keeps its inline charts. A chart
drawn for a language other than English gets its tick labels with the
language's decimal sign (`language_ticks`: 0,5 in French, from Babel).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from swps_pipeline.i18n import N_, SOURCE_LANGUAGE
from swps_pipeline.parallel import Pending, WarmWorker, warm_call
from swps_pipeline.reuse import Reuse, reused_call

if TYPE_CHECKING:  # matplotlib is imported by the functions that draw: it costs half a second at start-up
    from matplotlib.figure import Figure

#: The process that draws a run's charts (`parallel.warm_workers`), which imports Matplotlib (0.7 s) while the
#: run starts: neither the run's process nor a fork of it then imports it.
CHART_WORKER = WarmWorker("charts", ("matplotlib.backends.backend_agg", "matplotlib.figure", "babel.numbers"))

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


def draw_meanwhile(reuse: Reuse, function: Callable[..., bytes], *args, **kwargs) -> Pending[bytes]:
    """`reuse(function)(*args, **kwargs)` (a chart's PNG) drawn in the run's `CHART_WORKER` while the step goes on
    (without one, in a process forked now); `result()` waits for it. `function` must be a module-level function
    and its arguments plain data: they are pickled to the worker."""
    return warm_call(CHART_WORKER, reused_call, reuse, function, *args, **kwargs)


def decimal_sign(language: str) -> str:
    """The decimal sign of `language` (CLDR, through Babel): "." in English, "," in French and Dutch."""
    from babel.numbers import get_decimal_symbol

    return get_decimal_symbol(language)


def money_axis(axis, unit: str, which: str = "y", scale: float = 1e6, language: str = SOURCE_LANGUAGE) -> None:
    """Label a money axis in `unit` (values drawn in units of the currency, shown divided by `scale`), with
    thousands separators, the decimal sign of `language` and no offset."""
    from matplotlib.ticker import FuncFormatter

    sign = decimal_sign(language)
    formatter = FuncFormatter(lambda value, _position: money_tick(value / scale, sign))
    target = axis.yaxis if which == "y" else axis.xaxis
    target.set_major_formatter(formatter)
    label = axis.get_ylabel() if which == "y" else axis.get_xlabel()
    text = f"{label} ({unit})" if label else unit
    (axis.set_ylabel if which == "y" else axis.set_xlabel)(text)


def money_tick(value: float, decimal: str = ".") -> str:
    """A tick label: thin-space thousands, a true minus, one decimal only where the value has one
    (`-500`, `1 250`, `2.5`: not `-500.0`), written with the `decimal` sign (2,5 in French)."""
    text = f"{value:,.1f}".removesuffix(".0").replace(",", "\u202f").replace(".", decimal)
    return "0" if text in ("-0", "0") else text.replace("-", "\u2212")


def language_ticks(figure: Figure, language: str) -> None:
    """Write the tick labels of `figure`'s axes that Matplotlib formats itself (its default formatter) with the
    decimal sign of `language` (0,5 in French); axes with their own formatter (money, counts) are left as they
    are. English needs nothing."""
    from matplotlib.ticker import ScalarFormatter

    sign = decimal_sign(language)
    if sign == ".":
        return

    class Localised(ScalarFormatter):
        """Matplotlib's own tick labels and offset, the decimal point replaced by the language's sign."""

        def __call__(self, value, position=None):
            return super().__call__(value, position).replace(".", sign)

        def get_offset(self):
            return super().get_offset().replace(".", sign)

    for axis in figure.axes:
        for target in (axis.xaxis, axis.yaxis):
            if type(target.get_major_formatter()) is ScalarFormatter:
                target.set_major_formatter(Localised())


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
