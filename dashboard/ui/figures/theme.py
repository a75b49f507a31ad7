"""The figures' look: a Plotly template matching the Bootstrap theme, colours by outcome, the empty figure and
the sparkline every KPI card draws."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", system-ui, sans-serif'
COLORS = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#d63384", "#198754", "#0dcaf0", "#6c757d"]
OUTCOME_COLORS = {
    "better": "#198754",
    "similar": "#6c757d",
    "worse": "#dc3545",
    "higher": "#0d6efd",
    "lower": "#fd7e14",
    "unknown": "#adb5bd",
    "suppressed": "#adb5bd",
    "city": "#6c757d",
    # a band (capitation spend against its budget)
    "within_budget": "#198754",
    "overspend": "#dc3545",
    "underuse": "#fd7e14",
}

pio.templates["consortium"] = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT, "size": 13, "color": "#212529"},
        colorway=COLORS,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"gridcolor": "#e9ecef", "zeroline": False},
        yaxis={"gridcolor": "#e9ecef", "zeroline": False},
        hoverlabel={"font": {"family": FONT}},
        margin={"l": 40, "r": 10, "t": 30, "b": 30},
    )
)
TEMPLATE = "consortium"


def empty_figure(message: str, height: int = 160) -> go.Figure:
    """An explicit message instead of empty axes."""
    figure = go.Figure()
    figure.update_layout(
        template=TEMPLATE,
        height=height,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[{"text": message, "showarrow": False, "font": {"size": 13, "color": "#6c757d"}}],
    )
    return figure


def sparkline_svg(
    values, color: str = COLORS[0], width: int = 240, height: int = 44, provisional=None
) -> str:
    """A sparkline as an SVG data URI: a dozen points do not need a plotting library in the browser.
    Provisional points (``provisional``, one flag per value) are drawn as open circles on a dashed line."""
    import math
    from urllib.parse import quote

    points = [(i, float(v)) for i, v in enumerate(values) if v is not None and not math.isnan(float(v))]
    if len(points) < 2:
        return ""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    low, high = min(ys), max(ys)
    span = (high - low) or abs(high) or 1.0
    x_span = (max(xs) - min(xs)) or 1
    pad = 4

    def xy(i, v):
        x = pad + (i - min(xs)) / x_span * (width - 2 * pad)
        y = pad + (1 - (v - low) / span) * (height - 2 * pad)
        return f"{x:.1f},{y:.1f}"

    flags = list(provisional) if provisional is not None else [False] * len(values)
    settled = [p for p in points if not flags[p[0]]]
    open_ = [p for p in points if flags[p[0]]]
    line = " ".join(xy(i, v) for i, v in settled)
    # the provisional tail continues the line, dashed, from the last settled point
    tail = " ".join(xy(i, v) for i, v in (settled[-1:] + open_)) if open_ else ""
    last_x, last_y = xy(*points[-1]).split(",")
    marks = "".join(
        f'<circle cx="{x}" cy="{y}" r="3" fill="white" stroke="{color}" stroke-width="1.5"/>'
        for x, y in (xy(i, v).split(",") for i, v in open_)
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f'<polyline fill="none" stroke="{color}" stroke-width="2" stroke-linejoin="round" points="{line}"/>'
        + (
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" stroke-dasharray="3,3" points="{tail}"/>'
            if tail
            else ""
        )
        + (marks or f'<circle cx="{last_x}" cy="{last_y}" r="3" fill="{color}"/>')
        + "</svg>"
    )
    return "data:image/svg+xml;utf8," + quote(svg)
