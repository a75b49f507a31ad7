"""Figures of the chronic-disease page: the care cascade, crude against standardised rates, follow-up completeness."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.ui.figures.common import SHARE_AXIS, styled, whole
from dashboard.ui.figures.theme import COLORS, OUTCOME_COLORS
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import label, t


def cascade_bars(frame: pd.DataFrame, lang: str) -> go.Figure:
    """The care cascade as bars, each labelled with its count and the share of the step before."""
    labels = [t(f"cascade_{s}", lang) for s in frame["step"]]
    counts = frame["patients"].astype(float)
    rates = pd.to_numeric(frame["rate"], errors="coerce")
    text = [
        f"{whole(c)}" + ("" if math.isnan(r) else f" ({r:.1%})") for c, r in zip(counts, rates, strict=True)
    ]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=counts,
            text=text,
            textposition="outside",
            marker_color=[COLORS[6], COLORS[0], COLORS[1], COLORS[5]][-len(labels) :],
            hovertext=[f"{lab}: {tx}" for lab, tx in zip(labels, text, strict=True)],
            hoverinfo="text",
        )
    )
    return styled(figure, yaxis={"separatethousands": True}, margin={"l": 50, "r": 10, "t": 36, "b": 30})


def crude_vs_adjusted(
    frame: pd.DataFrame, key: str, lang: str, method: str, drill_level: str | None
) -> go.Figure:
    """Each unit's crude rate (hollow) and standardised rate with its interval (filled); the axis names the
    standardisation ``method`` (a code of the catalogue's ``method_…`` texts)."""
    part = frame.sort_values("adjusted").reset_index(drop=True)
    figure = go.Figure()
    figure.add_scatter(
        x=part["crude"],
        y=part["name"],
        mode="markers",
        marker={"symbol": "circle-open", "size": 10, "color": "#6c757d"},
        name=t("crude", lang),
        hovertext=[
            f"{n}<br>{t('crude', lang)} {format_kpi('share', v, lang)}"
            for n, v in zip(part["name"], part["crude"], strict=True)
        ],
        hoverinfo="text",
    )
    figure.add_scatter(
        x=part["adjusted"],
        y=part["name"],
        mode="markers",
        marker={"size": 10, "color": COLORS[0]},
        error_x={
            "type": "data",
            "symmetric": False,
            "array": (part["adjusted_high"] - part["adjusted"]).tolist(),
            "arrayminus": (part["adjusted"] - part["adjusted_low"]).tolist(),
            "thickness": 1,
        },
        customdata=[[drill_level, c] for c in part[key]] if drill_level else None,
        name=t("standardised", lang),
        hovertext=[
            f"{r['name']}<br>{t('standardised', lang)} {format_kpi('share', r['adjusted'], lang)}"
            f"<br>O/E {r['ratio']:.2f} ({r['ratio_low']:.2f}–{r['ratio_high']:.2f})"
            f"<br>{t('observed', lang)} {whole(r['observed'])} / {t('expected', lang)} {r['expected']:,.1f}"
            for r in part.to_dict("records")
        ],
        hoverinfo="text",
    )
    return styled(
        figure,
        height=max(240, 26 * len(part) + 100),
        xaxis={
            **SHARE_AXIS,
            "title": t(f"method_{method}", lang),
            "range": [0, 1.02],
        },  # an interval past 100% is cut at 100%
        yaxis={"automargin": True},
        legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
        margin={"l": 10, "r": 10, "t": 30, "b": 40},
    )


def followup_bars(frame: pd.DataFrame, lang: str, required: int) -> go.Figure:
    """Managed patients by face-to-face follow-ups in the period; bars reaching the standard (⌊m/3⌋) in green."""
    part = frame.sort_values("followups")
    names = {str(f): label("followups", f, lang) for f in part["followups"]}
    colors = [OUTCOME_COLORS["better"] if int(f) >= required else COLORS[0] for f in part["followups"]]
    figure = go.Figure(
        go.Bar(
            x=[names.get(str(f), str(f)) for f in part["followups"]],
            y=part["denominator"],
            marker_color=colors,
            hovertext=[
                f"{names.get(str(r['followups']), r['followups'])}: {whole(r['denominator'])} "
                f"{t('patients', lang)}<br>{t('control_rate', lang)} {format_kpi('share', r['value'], lang)}"
                if not r["suppressed"]
                else t("suppressed", lang)
                for r in part.to_dict("records")
            ],
            hoverinfo="text",
        )
    )
    return styled(
        figure,
        xaxis={"type": "category"},
        yaxis={"separatethousands": True},
    )
