"""区县对比 — which differences between districts are real: intervals, funnels, standardisation, peers."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.components.controls import compare_radio, limits_radio
from dashboard.ui.components.panels import panel_card, panel_row
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/districts",
    **page_names("districts"),
    section="commission",
    order=70,
)


def _controls(state, lang: str) -> html.Div:
    return html.Div(
        [
            html.H4(t("page_districts", lang), className="mb-0 me-3"),
            dcc.Dropdown(id=ids.DISTRICT_KPI, clearable=False, style={"minWidth": "16rem"}),
            compare_radio(ids.DISTRICT_COMPARE, state, lang),
            dbc.RadioItems(
                id=ids.DISTRICT_ADJUST,
                options=[
                    {"label": t("adjust_crude", lang), "value": "crude"},
                    {"label": t("adjust_standardised", lang), "value": "standardised"},
                ],
                value=state.adjust or "crude",
                inline=True,
                className="small",
            ),
            limits_radio(ids.DISTRICT_LIMITS, state, lang),
        ],
        className="d-flex align-items-center flex-wrap gap-3 mb-2",
    )


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    return page_frame(
        state,
        ignored,
        _controls(state, lang),
        panel_row(
            (panel_card("districts-league", t("panel_league", lang), lang, t("drill_hint", lang)), 6),
            (panel_card("districts-funnel", t("panel_funnel", lang), lang), 6),
        ),
        panel_row(
            (panel_card("districts-map", t("panel_map", lang), lang), 5),
            (panel_card("districts-tartan", t("panel_tartan", lang), lang), 7),
        ),
        panel_row((panel_card("districts-trends", t("panel_trends", lang), lang), 12)),
    )
