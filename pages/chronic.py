"""慢病管理 — hypertension and diabetes: found, managed, followed up, controlled?"""

import dash
from dash import html

from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.components.controls import compare_radio, limits_radio
from dashboard.ui.components.panels import cards_strip, panel_card, panel_row
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/chronic",
    **page_names("chronic"),
    section="consortium",
    order=30,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    disease = t(state.disease or "hypertension", lang)
    return page_frame(
        state,
        ignored,
        cards_strip("chronic-cards", f"{t('page_chronic', lang)} · {disease}", lang, t("chronic_hint", lang)),
        panel_row(
            (panel_card("chronic-cascade", t("panel_cascade", lang), lang), 5),
            (panel_card("chronic-trends", t("panel_chronic_trends", lang), lang), 7),
        ),
        html.Div(
            [compare_radio(ids.CHRONIC_COMPARE, state, lang), limits_radio(ids.CHRONIC_LIMITS, state, lang)],
            className="d-flex align-items-center flex-wrap gap-3 mb-2",
        ),
        panel_row(
            (
                panel_card(
                    "chronic-funnel-institution",
                    t("panel_funnel_institution", lang),
                    lang,
                    t("funnel_hint", lang),
                ),
                6,
            ),
            (
                panel_card("chronic-funnel-team", t("panel_funnel_team", lang), lang, t("funnel_hint", lang)),
                6,
            ),
        ),
        panel_row(
            (panel_card("chronic-standardised", t("panel_standardised", lang), lang), 6),
            (panel_card("chronic-followups", t("panel_followups", lang), lang), 6),
        ),
        panel_row(
            (
                panel_card(
                    "chronic-team_doctors", t("panel_team_doctors", lang), lang, t("drill_hint", lang)
                ),
                6,
            )
        ),
    )
