"""运营总览 — for now, what the warehouse holds and for which period."""

import dash
from dash import dcc, html

from dashboard import ids

dash.register_page(__name__, path="/", name="数据概况", title="医联体绩效分析 · 数据概况", section="overview")


def layout(**_query_params):
    return html.Div(
        [
            html.H3("数据仓库概况", className="mb-1"),
            html.P("Warehouse overview: tables, row counts and the data period", className="text-muted"),
            dcc.Loading(html.Div(id=ids.WAREHOUSE_SUMMARY), type="dot"),
        ]
    )
