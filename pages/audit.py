"""审计日志 — who logged in, looked at what and took which data away (administrators only)."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.core.roles import AUDIT_KINDS
from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.words import label, page_names, t

dash.register_page(
    __name__,
    path="/audit",
    **page_names("audit"),
    section="reference",
    order=95,
)


def layout(**query_params):
    state, _ignored = parse_query(query_params)
    lang = state.lang
    controls = dbc.Row(
        [
            dbc.Col(
                [
                    dbc.Label(t("audit_since", lang), html_for=ids.AUDIT_SINCE),
                    dbc.Input(id=ids.AUDIT_SINCE, type="date"),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label(t("audit_user", lang), html_for=ids.AUDIT_USER),
                    dbc.Input(id=ids.AUDIT_USER, type="text", maxLength=40, debounce=True),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    dbc.Label(t("audit_kind", lang), html_for=ids.AUDIT_KIND),
                    dbc.Select(
                        id=ids.AUDIT_KIND,
                        options=[{"label": t("all_units", lang), "value": ""}]
                        + [{"label": label("audit_kind", k, lang), "value": k} for k in AUDIT_KINDS],
                        value="",
                    ),
                ],
                md=3,
            ),
        ],
        className="mb-3 g-2",
    )
    # no filter bar: the trail is filtered by its own controls, not by the period and units of the data
    return html.Div(
        [
            html.H4(t("audit", lang), className="mb-1"),
            html.P(t("audit_intro", lang), className="text-muted"),
            controls,
            dcc.Loading(html.Div(id=ids.AUDIT_TABLE), type="dot"),
        ]
    )
