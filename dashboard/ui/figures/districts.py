"""Figures of the district comparison page: tartan, tile map, choropleth, small multiples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.ui.figures.common import axis_format, hover_text, styled, unit_bars
from dashboard.ui.figures.theme import COLORS, OUTCOME_COLORS
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import t

OUTCOME_CODE = {"better": 0, "similar": 1, "worse": 2, "higher": 3, "lower": 4, "unknown": 5, "suppressed": 5}
_OUTCOME_SCALE = [
    [i / 5, OUTCOME_COLORS[o]]
    for o, i in (("better", 0), ("similar", 1), ("worse", 2), ("higher", 3), ("lower", 4), ("unknown", 5))
]


def league_bars(frame: pd.DataFrame, meta: dict, kpi, lang: str) -> go.Figure:
    """The league table as bars with intervals, each unit ranked; the comparator as a dotted line (the city)
    or as a mark on each district's own row (its urban or rural peers)."""
    labelled = frame.assign(
        name=[
            f"{'' if r != r or r is None else f'{int(r)}. '}{n}"
            for r, n in zip(frame["rank"], frame["name"], strict=True)
        ],
        parent=np.nan if meta["peers"] else frame["comparator"],
    )
    figure = unit_bars(labelled, meta["key"], kpi.unit, lang, meta["level"])
    figure.update_traces(showlegend=False, selector={"type": "bar"})
    if meta["peers"]:  # each district's own comparator
        part = labelled.iloc[::-1]
        figure.add_scatter(
            x=part["comparator"],
            y=part["name"],
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 18, "color": "#212529", "line": {"width": 2}},
            name=t("comparator_mark", lang),
            hoverinfo="skip",
        )
    return figure


def district_map(frame: pd.DataFrame, meta: dict, kpi, lang: str) -> go.Figure:
    """The user's district boundaries when there are some, else equal tiles."""
    if meta.get("geojson"):
        return choropleth(frame, meta["geojson"], kpi.unit, lang)
    return tile_map(frame, kpi.unit, lang)


def tartan_grid(frame: pd.DataFrame, kpis: dict, lang: str, drill_level: str | None) -> go.Figure:
    """Units (rows) × KPIs (columns) coloured by outcome against the city, each cell showing its value."""
    ids = list(dict.fromkeys(frame["kpi"]))
    units = list(dict.fromkeys(frame["code"]))
    names = dict(zip(frame["code"], frame["name"], strict=False))
    cell = {(r["code"], r["kpi"]): r for r in frame.to_dict("records")}
    z, text, hover = [], [], []
    for code in units:
        z.append([OUTCOME_CODE.get(cell.get((code, k), {}).get("outcome", "unknown"), 5) for k in ids])
        text.append([format_kpi(kpis[k].unit, cell.get((code, k), {}).get("value"), lang) for k in ids])
        hover.append(
            [
                hover_text(
                    cell.get((code, k), {"value": None}),
                    kpis[k].unit,
                    lang,
                    f"{names[code]} · {kpis[k].name_en if lang == 'en' else kpis[k].name_zh}",
                )
                + f"<br>{t(cell.get((code, k), {}).get('outcome', 'unknown'), lang)}{' ' if lang == 'en' else ''}{t('benchmark', lang)}"
                for k in ids
            ]
        )
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=[kpis[k].name_en if lang == "en" else kpis[k].name_zh for k in ids],
            y=[names[c] for c in units],
            customdata=[[[drill_level, c]] * len(ids) for c in units] if drill_level else None,
            colorscale=_OUTCOME_SCALE,
            zmin=0,
            zmax=5,
            showscale=False,
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hoverinfo="text",
            xgap=2,
            ygap=2,
        )
    )
    return styled(
        figure,
        height=max(260, 34 * len(units) + 140),
        xaxis={"side": "top", "tickangle": -30},
        yaxis={"autorange": "reversed", "automargin": True},
        margin={"l": 10, "r": 10, "t": 110, "b": 10},
    )


def tile_map(frame: pd.DataFrame, unit: str, lang: str) -> go.Figure:
    """Districts as equal tiles (a tile map: no district looks bigger for being larger), coloured by outcome,
    with name and value; a click drills into the district."""
    figure = go.Figure(
        go.Scatter(
            x=frame["col"],
            y=frame["row"],
            mode="markers+text",
            marker={
                "symbol": "square",
                "size": 86,
                "color": [OUTCOME_COLORS.get(o, "#adb5bd") for o in frame["outcome"]],
                "opacity": 0.85,
            },
            text=[
                f"{n}<br>{format_kpi(unit, v, lang)}"
                for n, v in zip(frame["name"], frame["value"], strict=True)
            ],
            textfont={"color": "#fff", "size": 12},
            customdata=[["district", c] for c in frame["district_code"]],
            hovertext=[hover_text(r, unit, lang, r["name"]) for r in frame.to_dict("records")],
            hoverinfo="text",
        )
    )
    rows, cols = int(frame["row"].max()) + 1, int(frame["col"].max()) + 1
    return styled(
        figure,
        height=110 * rows + 60,
        xaxis={"visible": False, "range": [-0.6, cols - 0.4]},
        yaxis={"visible": False, "range": [rows - 0.4, -0.6]},
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
    )


def choropleth(frame: pd.DataFrame, geojson: dict, unit: str, lang: str) -> go.Figure:
    """Districts drawn from a user's GeoJSON (features carry properties.district_code), coloured by value."""
    figure = go.Figure(
        go.Choropleth(
            geojson=geojson,
            locations=frame["district_code"],
            featureidkey="properties.district_code",
            z=frame["value"],
            colorscale="Blues",
            hovertext=[hover_text(r, unit, lang, r["name"]) for r in frame.to_dict("records")],
            hoverinfo="text",
            customdata=[["district", c] for c in frame["district_code"]],
            colorbar={"tickformat": ".0%" if unit == "share" else ""},
        )
    )
    figure.update_geos(fitbounds="locations", visible=False)
    return styled(figure, height=420, margin={"l": 0, "r": 0, "t": 0, "b": 0})


def small_multiples(frame: pd.DataFrame, meta: dict, unit: str, lang: str) -> go.Figure:
    """One small chart per unit on a shared y axis; a significant trend is marked ▲ (improving / rising) or
    ▼ in the unit's title."""
    codes = list(dict.fromkeys(frame["code"]))
    cols = 4
    rows = (len(codes) + cols - 1) // cols
    titles = []
    for code in codes:
        test = meta["trend"].get(code, {})
        name = frame.loc[frame["code"] == code, "name"].iloc[0]
        mark = ""
        if test.get("significant"):
            mark = " ▲" if test["direction"] in ("improving", "rising") else " ▼"
        titles.append(f"{name}{mark}")
    figure = make_subplots(
        rows=rows, cols=cols, shared_yaxes=True, subplot_titles=titles, vertical_spacing=0.14
    )
    for i, code in enumerate(codes):
        part = frame[frame["code"] == code]
        figure.add_scatter(
            x=part["period"],
            y=part["value"],
            mode="lines",
            line={"color": COLORS[0], "width": 1.5},
            hovertext=[
                hover_text(r, unit, lang, f"{r['name']} {r['period']}") for r in part.to_dict("records")
            ],
            hoverinfo="text",
            showlegend=False,
            row=i // cols + 1,
            col=i % cols + 1,
        )
    figure.update_xaxes(showticklabels=False)
    figure.update_yaxes(**axis_format(unit))
    figure.update_annotations(font_size=11)
    return styled(figure, height=170 * rows + 40, margin={"l": 50, "r": 10, "t": 30, "b": 10})
