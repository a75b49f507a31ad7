"""数据质量 — is each institution's data complete, valid and on time, and what did the last loads bring?"""

import dash
from dash import html

from dashboard.core.state import parse_query
from dashboard.ui import ids
from dashboard.ui.components.controls import radio
from dashboard.ui.components.panels import panel_card, panel_row
from dashboard.ui.components.shell import page_frame
from dashboard.ui.words import page_names, t

dash.register_page(
    __name__,
    path="/data-quality",
    **page_names("quality"),
    section="reference",
    order=85,
)

SOURCES = (
    ("visits", "quality_visits"),
    ("inpatient", "quality_inpatient"),
    ("referrals", "quality_referrals"),
    ("followups", "quality_followups"),
)


def layout(**query_params):
    state, ignored = parse_query(query_params)
    lang = state.lang
    return page_frame(
        state,
        ignored,
        html.Div(
            [
                html.H4(t("page_quality", lang), className="mb-0 me-3"),
                radio(ids.QUALITY_TABLE, SOURCES, state.table or "visits", lang),
            ],
            className="d-flex align-items-center flex-wrap gap-3 mb-1",
        ),
        html.P(t("quality_intro", lang), className="text-muted small"),
        panel_row(
            (panel_card("quality-grid", t("panel_quality_grid", lang), lang, t("drill_hint", lang)), 12)
        ),
        panel_row((panel_card("quality-summary", t("panel_quality_summary", lang), lang), 12)),
        panel_row(
            (panel_card("quality-loads", t("panel_quality_loads", lang), lang), 7),
            (panel_card("quality-reasons", t("panel_quality_reasons", lang), lang), 5),
        ),
    )
