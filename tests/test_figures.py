"""The shared chart helpers: money axes in millions of the currency and the synthetic stamp."""

import pytest

from swps_pipeline.figures import SYNTHETIC_STAMP, money_axis, new_figure, to_png


def test_money_axis_reads_in_millions_of_the_currency():
    figure = new_figure()
    axis = figure.subplots()
    axis.set_ylabel("NPV")
    money_axis(axis, "M zł")
    assert axis.get_ylabel() == "NPV (M zł)"
    assert axis.yaxis.get_major_formatter()(2_500_000, 0) == "2.5"
    assert axis.yaxis.get_major_formatter()(-12_345_678_000, 0) == "\u221212\u202f345.7"
    # whole values without a trailing ".0" (the NPV histogram's ticks read -500, 1 250)
    assert axis.yaxis.get_major_formatter()(-500_000_000, 0) == "\u2212500"
    assert axis.yaxis.get_major_formatter()(1_250_000_000, 0) == "1\u202f250"
    assert axis.yaxis.get_major_formatter()(-10_000, 0) == "0"


def test_stamp_keeps_the_same_room_under_a_tall_chart_as_under_a_short_one():
    for height in (4.0, 10.0):
        figure = new_figure(7, height)
        figure.subplots().set_xlabel("net present value")
        figure.tight_layout()
        to_png(figure, synthetic=True)
        # 0.65 inch under the plot for ticks, label and stamp, whatever the chart's height
        assert figure.subplotpars.bottom * height == pytest.approx(0.65, abs=0.01)


def test_synthetic_stamp_is_drawn_only_for_synthetic_data():
    stamped, plain = new_figure(), new_figure()
    png = to_png(stamped, synthetic=True)
    to_png(plain, synthetic=False)
    assert png.startswith(b"\x89PNG")
    assert [text.get_text() for text in stamped.texts] == [SYNTHETIC_STAMP]
    assert plain.texts == []


def test_npv_histogram_marks_the_median_beside_the_mean():
    import numpy as np

    from swps_pipeline.economics.charts import npv_distribution_figure

    # a right-skewed NPV: mean (1 + 2 + 3 + 4 + 40) / 5 = 10 M€, median 3 M€
    figure = npv_distribution_figure(np.array([1.0, 2.0, 3.0, 4.0, 40.0]) * 1e6)
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels == ["mean 10.0 M€", "median 3.0 M€"]
