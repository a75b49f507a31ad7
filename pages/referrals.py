"""双向转诊 — who is sent up, who comes back down, and are referrals completed in time?"""

import dash

from dashboard.core.state import parse_query
from dashboard.ui.components.panels import cards_strip, panel_card, panel_row
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/referrals",
    **page_names("referrals"),
    section="consortium",
    order=20,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    return page_frame(
        state,
        ignored,
        cards_strip("referrals-cards", t("page_referrals", lang), lang),
        panel_row(
            (panel_card("referrals-levels", t("panel_level_flows", lang), lang), 5),
            (panel_card("referrals-institutions", t("panel_institution_flows", lang), lang), 7),
        ),
        panel_row(
            (panel_card("referrals-pair", t("panel_pair", lang), lang), 6),
            (panel_card("referrals-monthly", t("panel_directions", lang), lang), 6),
        ),
        panel_row(
            (panel_card("referrals-completion", t("panel_completion", lang), lang), 6),
            (panel_card("referrals-units", t("panel_referral_units", lang), lang, t("drill_hint", lang)), 6),
        ),
        panel_row((panel_card("referrals-diagnoses", t("panel_up_diagnoses", lang), lang), 6)),
    )
