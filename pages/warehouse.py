"""数据概况 — what the warehouse holds and for which period."""

import dash
from dash import dcc, html

from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/warehouse",
    **page_names("warehouse"),
    section="reference",
    order=90,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    return page_frame(
        state,
        ignored,
        html.H4(t("warehouse", state.lang), className="mb-1"),
        html.P(t("warehouse_intro", state.lang), className="text-muted"),
        dcc.Loading(html.Div(id=ids.WAREHOUSE_SUMMARY), type="dot"),
    )
