"""Figures of the DRG page: CMI × surplus quadrants, outlier counts by group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.ui.figures.common import code_names, styled, whole
from dashboard.ui.figures.theme import COLORS, OUTCOME_COLORS
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import t


def quadrant_plot(
    frame: pd.DataFrame, key: str, region_cmi: float, lang: str, drill_level: str | None, chosen: str = ""
) -> go.Figure:
    """CMI (x) against surplus per case (y), bubble size = grouped cases; the lines at the region's CMI and at
    zero surplus make four quadrants (heavy and gaining, heavy and losing, light and gaining, light and losing)."""
    part = frame.dropna(subset=["value", "surplus_per_case"])
    sizes = np.sqrt(part["denominator"].clip(lower=1))
    figure = go.Figure(
        go.Scatter(
            x=part["value"],
            y=part["surplus_per_case"],
            mode="markers+text",
            text=[n if len(part) <= 12 else "" for n in part["name"]],  # more labels than that only collide
            textposition="top center",
            textfont={"size": 10},
            marker={
                "size": (8 + 22 * sizes / max(sizes.max(), 1)).tolist(),
                "color": [OUTCOME_COLORS.get(o, COLORS[0]) for o in part["outcome"]],
                "opacity": 0.75,
                "line": {
                    "width": [3 if c == chosen else 0.5 for c in part[key]],
                    "color": ["#212529" if c == chosen else "#fff" for c in part[key]],
                },
            },
            customdata=[[drill_level, c] for c in part[key]] if drill_level else None,
            hovertext=[
                f"<b>{r['name']}</b><br>CMI {r['value']:.3f}<br>{t('surplus_per_case', lang)} "
                f"{format_kpi('yuan', r['surplus_per_case'], lang)}<br>{t('grouped_cases', lang)} {whole(r['denominator'])}"
                for r in part.to_dict("records")
            ],
            hoverinfo="text",
        )
    )
    figure.add_vline(x=region_cmi, line={"dash": "dot", "color": "#6c757d"})
    figure.add_hline(y=0, line={"dash": "dot", "color": "#6c757d"})
    return styled(
        figure,
        height=380,
        xaxis={"title": "CMI", "tickformat": ".2f"},
        yaxis={"title": t("surplus_per_case", lang), "separatethousands": True},
        showlegend=False,
        margin={"l": 60, "r": 10, "t": 32, "b": 40},
    )


def outlier_bars(frame: pd.DataFrame, lang: str) -> go.Figure:
    """High- and low-cost outlier cases (counts) by DRG group (named by the frame's ``name``)."""
    names = code_names(frame, "drg_code", "name", lang)
    figure = go.Figure()
    order = frame.groupby("drg_code")["numerator"].sum().sort_values().index
    for kind, color in (
        ("high_cost_outlier_share", OUTCOME_COLORS["worse"]),
        ("low_cost_outlier_share", COLORS[2]),
    ):
        part = frame[frame["kind"] == kind].set_index("drg_code").reindex(order).reset_index()
        figure.add_bar(
            y=[f"{c} {names.get(c, '')}"[:28] for c in part["drg_code"]],
            x=part["numerator"],
            orientation="h",
            name=t(kind, lang),
            marker_color=color,
            hovertext=[
                f"{c} {names.get(c, '')}<br>{t(kind, lang)}: "
                + (t("suppressed", lang) if s else f"{whole(n)} / {whole(d)}")
                for c, n, d, s in zip(
                    part["drg_code"], part["numerator"], part["denominator"], part["suppressed"], strict=True
                )
            ],
            hoverinfo="text",
        )
    return styled(
        figure,
        height=max(260, 22 * len(order) + 90),
        barmode="stack",
        yaxis={"automargin": True},
        margin={"l": 10, "r": 10, "t": 32, "b": 30},
    )
