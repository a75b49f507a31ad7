"""医保结算与按人头付费 — DRG payment against cost, and capitation budgets against spend."""

import dash

from dashboard.core.state import parse_query
from dashboard.ui.components.panels import cards_strip, panel_card, panel_row
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/settlement",
    **page_names("settlement"),
    section="insurance",
    order=50,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    return page_frame(
        state,
        ignored,
        cards_strip("settlement-cards", t("page_settlement", lang), lang),
        panel_row(
            (panel_card("settlement-capitation", t("panel_capitation", lang), lang), 7),
            (panel_card("settlement-capitation_members", t("panel_capitation_members", lang), lang), 5),
        ),
        panel_row(
            (
                panel_card(
                    "settlement-surplus-units", t("panel_surplus_units", lang), lang, t("drill_hint", lang)
                ),
                4,
            ),
            (panel_card("settlement-surplus-department", t("panel_surplus_department", lang), lang), 4),
            (panel_card("settlement-surplus-drg", t("panel_surplus_drg", lang), lang), 4),
        ),
        panel_row(
            (panel_card("settlement-payments", t("panel_payments", lang), lang, t("payments_hint", lang)), 5),
            (panel_card("settlement-policy", t("panel_policy", lang), lang, t("policy_hint", lang)), 7),
        ),
    )
