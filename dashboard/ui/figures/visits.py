"""Figures of the visits page: where residents are treated."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.ui.figures.common import code_names, styled, whole


def flow_matrix(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Rows: residents' district; columns: district of care; colour: share of the residents' visits. The
    frame names both sides (``name`` for residence, ``care_name`` for the place of care)."""
    names = {
        **code_names(frame, "district_code", "care_name", lang),
        **code_names(frame, "res_district", "name", lang),
    }
    rows = sorted(frame["res_district"].unique())
    cols = sorted(frame["district_code"].unique())
    share = frame.pivot(index="res_district", columns="district_code", values="share").reindex(
        index=rows, columns=cols
    )
    count = frame.pivot(index="res_district", columns="district_code", values="value").reindex(
        index=rows, columns=cols
    )
    text = [
        [
            f"{names.get(r, r)} → {names.get(c, c)}<br>{whole(count.loc[r, c])} "
            f"({'—' if np.isnan(share.loc[r, c]) else f'{share.loc[r, c]:.1%}'})"
            for c in cols
        ]
        for r in rows
    ]
    figure = go.Figure(
        go.Heatmap(
            z=share.to_numpy(),
            x=[names.get(c, c) for c in cols],
            y=[names.get(r, r) for r in rows],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            hovertext=text,
            hoverinfo="text",
            texttemplate="%{z:.0%}",
            colorbar={"tickformat": ".0%"},
        )
    )
    return styled(
        figure,
        height=max(300, 34 * len(rows) + 140),
        xaxis={"side": "top", "tickangle": -40},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
    )
