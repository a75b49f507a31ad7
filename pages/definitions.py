"""指标定义 — every KPI's definition, generated from the registry, in both languages."""

import dash
from dash import dcc, html

from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/definitions",
    **page_names("definitions"),
    section="reference",
    order=91,
)


def layout(**query_params):
    state, _ignored = parse_query(query_params)
    return html.Div(
        [html.H4(t("definitions", state.lang)), dcc.Loading(html.Div(id=ids.DEFINITIONS), type="dot")]
    )
