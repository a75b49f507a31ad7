"""就诊与分级诊疗 — are patients treated close to home, at the right level, at a sensible cost?"""

import dash
from dash import html

from dashboard.core.state import parse_query
from dashboard.ui.components.panels import cards_strip, panel_card, panel_row
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/visits",
    **page_names("visits"),
    section="consortium",
    order=10,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    chapter = f" · ICD-10 {state.chapter}" if state.chapter else ""
    return page_frame(
        state,
        ignored,
        cards_strip("visits-cards", t("page_visits", lang) + chapter, lang),
        panel_row(
            (panel_card("visits-shares", t("panel_shares", lang), lang), 7),
            (panel_card("visits-by_level", t("panel_visits_by_level", lang), lang), 5),
        ),
        panel_row(
            (panel_card("visits-members", t("panel_members_visits", lang), lang, t("drill_hint", lang)), 6),
            (panel_card("visits-diagnoses", t("panel_diagnoses", lang), lang), 6),
        ),
        panel_row(
            (panel_card("visits-flows", t("panel_flows", lang), lang, t("flows_hint", lang)), 6),
            (
                html.Div(
                    [
                        panel_card("visits-cost_by_level", t("panel_cost_by_level", lang), lang),
                        panel_card("visits-types", t("panel_visit_types", lang), lang),
                    ],
                    className="d-grid gap-3",
                ),
                6,
            ),
        ),
    )
