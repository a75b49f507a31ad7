"""Figures of the referrals page: flows between levels and institutions, up and down by month."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.ui.figures.common import code_names, count_lines, hover_text, styled, whole
from dashboard.ui.figures.theme import COLORS
from dashboard.ui.words import pick


def sankey(
    frame: pd.DataFrame,
    source: str,
    target: str,
    lang: str,
    pairs: bool = False,
    top: int | None = None,
) -> go.Figure:
    """Flows from a referring side (left) to a receiving side (right), each side named by the frame (``name``,
    ``to_name``) or by the catalogue (levels); with ``pairs`` each link carries its ``source~target`` codes so
    a click can choose the pair."""
    names = {**code_names(frame, target, "to_name", lang), **code_names(frame, source, "name", lang)}
    part = frame.dropna(subset=["value"])
    part = part[part["value"] > 0].head(top) if top else part[part["value"] > 0]
    left = list(dict.fromkeys(part[source]))
    right = list(dict.fromkeys(part[target]))
    labels = [names.get(c, c) for c in left] + [names.get(c, c) for c in right]
    index_left = {c: i for i, c in enumerate(left)}
    index_right = {c: len(left) + i for i, c in enumerate(right)}
    link_text = [
        f"{names.get(a, a)} → {names.get(b, b)}: {whole(v)}"
        for a, b, v in zip(part[source], part[target], part["value"], strict=True)
    ]
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": labels, "pad": 12, "thickness": 14, "color": "#adb5bd"},
            link={
                "source": [index_left[c] for c in part[source]],
                "target": [index_right[c] for c in part[target]],
                "value": part["value"].tolist(),
                "customdata": [f"{a}~{b}" for a, b in zip(part[source], part[target], strict=True)]
                if pairs
                else None,
                "hovertemplate": "%{label}<extra></extra>",
                "label": link_text,
                "color": "rgba(13,110,253,0.25)",
            },
        )
    )
    return styled(
        figure,
        height=max(320, 18 * max(len(left), len(right)) + 80),
        margin={"l": 10, "r": 10, "t": 32, "b": 10},
    )


def direction_bars(frame: pd.DataFrame, kpis: dict, lang: str) -> go.Figure:
    """Up and down referrals by month (bars) and the down-referral share with its interval (line, right axis)."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    for i, kpi_id in enumerate(("up_referrals", "down_referrals")):
        part, kpi = frame[frame["kpi"] == kpi_id], kpis[kpi_id]
        name = kpi.name_en if lang == "en" else kpi.name_zh
        figure.add_bar(
            x=part["month"],
            y=part["value"],
            name=name,
            marker_color=COLORS[i],
            hovertext=[hover_text(r, "count", lang, f"{name} {r['month']}") for r in part.to_dict("records")],
            hoverinfo="text",
        )
    share, kpi = frame[frame["kpi"] == "down_referral_share"], kpis["down_referral_share"]
    name = kpi.name_en if lang == "en" else kpi.name_zh
    figure.add_scatter(
        x=share["month"],
        y=share["value"],
        name=name,
        mode="lines+markers",
        line={"color": COLORS[2]},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": (share["ci_high"] - share["value"]).tolist(),
            "arrayminus": (share["value"] - share["ci_low"]).tolist(),
            "thickness": 1,
        },
        hovertext=[hover_text(r, "share", lang, f"{name} {r['month']}") for r in share.to_dict("records")],
        hoverinfo="text",
        secondary_y=True,
    )
    figure.update_yaxes(separatethousands=True, secondary_y=False)
    figure.update_yaxes(tickformat=".0%", rangemode="tozero", secondary_y=True, showgrid=False)
    return styled(figure, barmode="group")


def pair_lines(frame: pd.DataFrame, kpis: dict, lang: str) -> go.Figure:
    """A referring → receiving pair's up and down referrals by month, one line each."""
    names = {kpi_id: pick(kpis[kpi_id], lang) for kpi_id in set(frame["kpi"])}
    return count_lines(frame, "month", "kpi", lang, names)
