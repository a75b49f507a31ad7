"""The data-quality grid: institutions down, months across, a cell's colour its status."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.ui.figures.theme import TEMPLATE
from dashboard.ui.formatting import format_int, format_percent
from dashboard.ui.words import label, t

# status -> colour; the order is the colour scale's
STATUS_COLORS = {
    "not_expected": "#f8f9fa",
    "missing": "#dc3545",
    "anomaly_low": "#fd7e14",
    "anomaly_high": "#6f42c1",
    "withheld": "#adb5bd",
    "ok": "#198754",
}


def quality_grid(frame: pd.DataFrame, meta: dict, lang: str) -> go.Figure:
    """A heatmap of statuses; the text is the count where one is shown; a click drills into the institution."""
    codes = list(dict.fromkeys(frame["institution_id"]))
    names = dict(zip(frame["institution_id"], frame["name"], strict=False))
    months = [m.isoformat()[:7] for m in meta["months"]]
    index = {s: i for i, s in enumerate(STATUS_COLORS)}
    cells = frame.set_index(["institution_id", "month"])
    z, text, hover, custom = [], [], [], []
    for code in codes:
        zr, tr, hr, cr = [], [], [], []
        for month in meta["months"]:
            row = cells.loc[(code, month)]
            status = row["status"]
            zr.append(index[status])
            shown = "" if pd.isna(row["count"]) or row["withheld"] else format_int(row["count"])
            tr.append("—" if status == "withheld" else shown)
            share = row.get("quarantined_share")
            lines = [f"{names[code]} · {month.isoformat()[:7]}", label("quality_status", status, lang)]
            if shown:
                lines.append(f"{t('quality_rows', lang)}: {shown}")
            if pd.notna(share):
                lines.append(f"{t('quality_quarantined', lang)}: {format_percent(share)}")
            if isinstance(row.get("main_reason"), str):
                lines.append(f"{t('quality_main_reason', lang)}: {row['main_reason']}")
            if pd.notna(row.get("days_to_load")):
                lines.append(f"{t('quality_days_to_load', lang)}: {int(row['days_to_load'])}")
            hr.append("<br>".join(lines))
            cr.append(["institution", code])
        z.append(zr)
        text.append(tr)
        hover.append(hr)
        custom.append(cr)
    n = len(STATUS_COLORS)
    scale = []
    for i, color in enumerate(STATUS_COLORS.values()):
        scale += [[i / n, color], [(i + 1) / n, color]]
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=months,
            y=[_short(names[c]) for c in codes],
            text=text,
            texttemplate="%{text}",
            textfont={"size": 10},
            hovertext=hover,
            hoverinfo="text",
            customdata=custom,
            colorscale=scale,
            zmin=-0.5,
            zmax=n - 0.5,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    figure.update_layout(
        template=TEMPLATE,
        height=max(150, 22 * len(codes) + 80),
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        xaxis={"type": "category", "side": "top"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def _short(name: str, limit: int = 12) -> str:
    """A long institution name cut for the axis (the hover gives it whole): the cells keep their width."""
    return name if len(name) <= limit else name[: limit - 1] + "…"
