"""运营总览 — the consortium director's Monday page: KPI cards, red-red list, member scorecard."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/",
    **page_names("home"),
    section="consortium",
    order=0,
)


def _download_buttons(csv_id: str, xlsx_id: str, lang: str):
    return html.Div(
        [
            dbc.Button(t("download_csv", lang), id=csv_id, size="sm", color="link", className="p-0 me-3"),
            dbc.Button(t("download_xlsx", lang), id=xlsx_id, size="sm", color="link", className="p-0"),
        ],
        className="small",
    )


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    return page_frame(
        state,
        ignored,
        html.Div(
            [
                html.H4(t("overview", lang), className="mb-0 me-auto"),
                _download_buttons(ids.DOWNLOAD_CARDS_CSV, ids.DOWNLOAD_CARDS_XLSX, lang),
            ],
            className="d-flex align-items-end mb-2",
        ),
        dcc.Loading(html.Div(id=ids.HOME_CARDS, className="mb-2"), type="dot", delay_show=150),
        dbc.Row(
            [
                dbc.Col(
                    dbc.Card(
                        dbc.CardBody(
                            [
                                html.Div(
                                    [
                                        html.H6(id=ids.HOME_SCORECARD_TITLE, className="me-auto mb-1"),
                                        _download_buttons(
                                            ids.DOWNLOAD_SCORECARD_CSV, ids.DOWNLOAD_SCORECARD_XLSX, lang
                                        ),
                                    ],
                                    className="d-flex align-items-end",
                                ),
                                html.Div(t("scorecard_hint", lang), className="small text-muted mb-2"),
                                dcc.Loading(
                                    html.Div(id=ids.HOME_SCORECARD_CONTAINER), type="dot", delay_show=150
                                ),
                            ]
                        )
                    ),
                    lg=9,
                ),
                dbc.Col(
                    dbc.Card(
                        dbc.CardBody(
                            [
                                html.H6(t("red_red", lang), className="text-danger"),
                                dcc.Loading(html.Div(id=ids.HOME_RED_RED), type="dot", delay_show=150),
                            ]
                        )
                    ),
                    lg=3,
                ),
            ],
            className="g-3",
        ),
        dcc.Download(id=ids.DOWNLOAD),
        dcc.Store(id=ids.HOME_DRILL),
    )
