"""Panel bodies made of a chart and something beside it: a funnel plot with the units outside its limits
listed, the DRG drill-down with its way back up."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from dash import dcc, html

from dashboard.core.state import ViewState
from dashboard.ui.components.panels import graph
from dashboard.ui.figures.common import funnel_plot, unit_bars
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import t

OUTCOME_TEXT = {
    "better": "text-success",
    "worse": "text-danger",
    "higher": "text-primary",
    "lower": "text-warning",
}


def outside_list(outside: pd.DataFrame, meta: dict, lang: str) -> html.Div:
    """The units outside the 99.8% limits, named, with their values and their verdict (the query layer's,
    through the KPI's polarity): what a director follows up."""
    if outside.empty:
        return html.Div(t("none_outside", lang), className="small text-muted")
    items = [
        html.Li(
            f"{row['name']}: {format_kpi('share', row['value'], lang)} ({t(row['outcome'], lang)})",
            className=OUTCOME_TEXT.get(row["outcome"], ""),
        )
        for row in outside.to_dict("records")
    ]
    return html.Div(
        [
            html.Div(t("outside_limits", lang), className="small fw-semibold"),
            html.Ul(items, className="small mb-0 outside-list"),
        ]
    )


def funnel_with_outliers(key: str, frame: pd.DataFrame, meta: dict, lang: str, note: str = "") -> html.Div:
    """A control-rate funnel (x = managed patients) with its note (comparator, limits), and under it the
    units outside its 99.8% limits."""
    figure = funnel_plot(frame, meta, meta["key"], "share", lang, meta["level"], t("managed_patients", lang))
    outside = frame[frame["outside_99.8"].fillna(False)]
    return html.Div([graph(key, figure, note), outside_list(outside, meta, lang)])


def group_drill(key: str, frame: pd.DataFrame, meta: dict, state: ViewState) -> html.Div:
    """Discharges by MDC, ADRG or DRG; a click goes one level down (until a single DRG), and links above the
    chart go back up to every level of the path."""
    group = meta["group"]
    drill = "group" if len(group or "") != 4 else None
    figure = unit_bars(frame, meta["key"], "count", state.lang, drill, top=meta["top"])
    crumbs = []
    path = [group[:1], group[:3], group[:4]] if group else []
    for code in ["", *dict.fromkeys(c for c in path if c)]:
        if code == group:
            break
        text = code or t("groups_back", state.lang)
        crumbs.append(
            dcc.Link(text, href="/drg" + replace(state, group=code).to_query(), className="me-3 small")
        )
    return html.Div([html.Div(crumbs) if crumbs else None, graph(key, figure)])
