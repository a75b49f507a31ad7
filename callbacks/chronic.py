"""慢病管理 page: which query feeds which chart."""

from __future__ import annotations

from dash import html

from callbacks.panels import PanelSpec, cards_spec, register_panels
from dashboard import charts
from dashboard.components.panels import graph
from dashboard.formatting import format_kpi
from dashboard.i18n import t
from queries import chronic_care as q
from queries.builder import output_column
from queries.registry import REGISTRY


def _funnel(level: str):
    def draw(data, state, names):
        key = output_column(level)
        figure = charts.funnel_plot(
            data.frame, data.meta, key, "share", state.lang, level, t("managed_patients", state.lang)
        )
        outside = data.frame[data.frame["outside_99.8"].fillna(False)]
        return html.Div([graph(f"chronic-funnel-{level}", figure), outside_list(outside, data.meta, state)])

    return draw


def outside_list(outside, meta, state) -> html.Div:
    """The units outside the 99.8% limits, named, with their values: what a director follows up."""
    lang = state.lang
    if outside.empty:
        return html.Div(t("none_outside", lang), className="small text-muted")
    items = [
        html.Li(
            f"{row['name']}: {format_kpi('share', row['value'], lang)} "
            f"({t('above' if row['value'] > meta['benchmark'] else 'below', lang)})",
            className="text-success" if row["value"] > meta["benchmark"] else "text-danger",
        )
        for row in outside.to_dict("records")
    ]
    return html.Div(
        [
            html.Div(t("outside_limits", lang), className="small fw-semibold"),
            html.Ul(items, className="small mb-0 outside-list"),
        ]
    )


def _cascade_note(data, lang: str) -> str:
    return (
        t("cascade_note", lang) if data.meta.get("estimated_shown") else t("cascade_note_no_estimate", lang)
    )


SPECS = {
    "chronic-cards": cards_spec(q.card_kpis, state_for=q.card_state),
    "chronic-cascade": PanelSpec(
        q.cascade, lambda data, state, names: charts.cascade_bars(data.frame, state.lang), note=_cascade_note
    ),
    "chronic-funnel-institution": PanelSpec(
        lambda url, state: q.control_funnel(url, state, "institution"), _funnel("institution")
    ),
    "chronic-funnel-team": PanelSpec(
        lambda url, state: q.control_funnel(url, state, "team"), _funnel("team")
    ),
    "chronic-trends": PanelSpec(
        q.trends, lambda data, state, names: charts.trend_panels(data.frame, data.meta, REGISTRY, state.lang)
    ),
    "chronic-standardised": PanelSpec(
        q.crude_vs_standardised,
        lambda data, state, names: charts.crude_vs_adjusted(
            data.frame,
            output_column(data.meta["level"]),
            state.lang,
            data.meta["method_en" if state.lang == "en" else "method"],
            data.meta["level"],
        ),
        note=lambda data, lang: t("standardised_note", lang),
    ),
    "chronic-followups": PanelSpec(
        q.followup_completeness,
        lambda data, state, names: charts.followup_bars(
            data.frame, names("followups"), state.lang, data.meta["quarters"]
        ),
        note=lambda data, lang: t("followups_note", lang).format(quarters=data.meta["quarters"]),
    ),
    "chronic-team_doctors": PanelSpec(
        q.team_doctors,
        lambda data, state, names: charts.unit_bars(data.frame, "doctor_id", "count", state.lang, "doctor"),
    ),
}


def register(app, settings) -> None:
    register_panels(app, SPECS, settings.database_url)
