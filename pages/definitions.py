"""指标定义 — every KPI's definition, generated from the registry, in both languages."""

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.state import parse_query

dash.register_page(
    __name__,
    path="/definitions",
    name="指标定义",
    name_en="KPI definitions",
    title="医联体绩效分析 · 指标定义",
    section="reference",
    order=91,
)


def layout(**query_params):
    state, _ignored = parse_query(query_params)
    title = "KPI definitions" if state.lang == "en" else "指标定义"
    return html.Div([html.H4(title), dcc.Loading(html.Div(id=ids.DEFINITIONS), type="dot")])
