"""数据概况 — what the warehouse holds and for which period."""

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components.shell import page_frame
from dashboard.i18n import t
from dashboard.state import parse_query

dash.register_page(
    __name__,
    path="/warehouse",
    name="数据概况",
    name_en="Warehouse",
    title="医联体绩效分析 · 数据概况",
    section="reference",
    order=90,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    return page_frame(
        state,
        ignored,
        html.H4(t("warehouse", state.lang), className="mb-1"),
        html.P("Warehouse overview: tables, row counts and the data period", className="text-muted"),
        dcc.Loading(html.Div(id=ids.WAREHOUSE_SUMMARY), type="dot"),
    )
