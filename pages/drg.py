"""DRG绩效 — case mix, efficiency, low-risk mortality and outliers, against the region."""

import dash

from dashboard.core.state import parse_query
from dashboard.ui.components.panels import cards_strip, panel_card, panel_row
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/drg",
    **page_names("drg"),
    section="insurance",
    order=40,
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    group = f" · {state.group}" if state.group else ""
    return page_frame(
        state,
        ignored,
        cards_strip("drg-cards", t("page_drg", lang) + group, lang),
        panel_row(
            (panel_card("drg-groups", t("panel_groups", lang), lang, t("groups_hint", lang)), 6),
            (panel_card("drg-bands", t("panel_weight_bands", lang), lang), 6),
        ),
        panel_row(
            (
                panel_card(
                    "drg-quadrant-institution",
                    t("panel_quadrant_institution", lang),
                    lang,
                    t("quadrant_hint", lang),
                ),
                6,
            ),
            (panel_card("drg-quadrant-department", t("panel_quadrant_department", lang), lang), 6),
        ),
        panel_row(
            (panel_card("drg-group_costs", t("panel_group_costs", lang), lang), 6),
            (panel_card("drg-outliers", t("panel_outliers", lang), lang), 6),
        ),
        panel_row((panel_card("drg-cases", t("panel_outlier_cases", lang), lang), 12)),
    )
