"""医院数据发布 — one hospital against its peers on the bureau's indicators: slides, PDF and Excel."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/report",
    **page_names("report"),
    section="insurance",
    order=60,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    buttons = [
        dbc.Button(t("present", lang), id=ids.REPORT_PRESENT, size="sm", color="primary", className="me-2"),
        dbc.Button(t("download_pdf", lang), id=ids.REPORT_PDF, size="sm", color="link", className="p-0 me-3"),
        dbc.Button(t("download_xlsx", lang), id=ids.REPORT_XLSX, size="sm", color="link", className="p-0"),
    ]
    return page_frame(
        state,
        ignored,
        html.Div(
            [
                html.H4(t("page_report", lang), className="mb-0 me-3"),
                dcc.Dropdown(
                    id=ids.REPORT_HOSPITAL,
                    value=state.institution or None,
                    placeholder=t("report_pick", lang),
                    clearable=False,
                    style={"minWidth": "18rem"},
                    className="me-auto",
                ),
                html.Div(buttons, className="d-flex align-items-center"),
            ],
            className="d-flex align-items-center flex-wrap gap-2 mb-1",
        ),
        html.Div(t("present_hint", lang), className="small text-muted mb-2"),
        dcc.Loading(html.Div(id=ids.REPORT_SLIDES, className="report-slides"), type="dot", delay_show=150),
        dcc.Download(id=ids.REPORT_DOWNLOAD),
    )
