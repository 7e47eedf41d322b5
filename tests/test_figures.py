"""The shared chart helpers: money axes in M€ and the synthetic stamp."""

from swps_pipeline.figures import SYNTHETIC_STAMP, euro_axis, new_figure, to_png


def test_money_axis_reads_in_millions_of_euros():
    figure = new_figure()
    axis = figure.subplots()
    axis.set_ylabel("NPV")
    euro_axis(axis)
    assert axis.get_ylabel() == "NPV (M€)"
    assert axis.yaxis.get_major_formatter()(2_500_000, 0) == "2.5"
    assert axis.yaxis.get_major_formatter()(-12_345_678_000, 0) == "-12\u202f345.7"


def test_synthetic_stamp_is_drawn_only_for_synthetic_data():
    stamped, plain = new_figure(), new_figure()
    png = to_png(stamped, synthetic=True)
    to_png(plain, synthetic=False)
    assert png.startswith(b"\x89PNG")
    assert [text.get_text() for text in stamped.texts] == [SYNTHETIC_STAMP]
    assert plain.texts == []
