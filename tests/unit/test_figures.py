"""Figure builders checked as data: the empty figure, the template, sparklines."""

from __future__ import annotations


def test_figure_builders_as_data():
    from dashboard.ui.figures.theme import TEMPLATE, empty_figure, sparkline_svg

    figure = empty_figure("所选范围内没有数据")
    assert figure.layout.template.layout.font.family.startswith('"PingFang SC"')
    assert figure.layout.annotations[0].text == "所选范围内没有数据" and not figure.data
    assert TEMPLATE == "consortium"
    svg = sparkline_svg([0.5, 0.52, None, 0.55])
    assert svg.startswith("data:image/svg+xml") and "polyline" in svg
    assert sparkline_svg([0.5]) == ""  # one point is not a line
