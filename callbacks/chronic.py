"""慢病管理 page: which query feeds which chart."""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State

from callbacks.panels import PanelSpec, cards_spec, checked_query, register_panels, view_state
from dashboard.ui import ids, notes
from dashboard.ui.components.composed import funnel_with_outliers
from dashboard.ui.figures import chronic as figures
from dashboard.ui.figures import common
from queries import chronic as q
from queries.definitions import REGISTRY

SPECS = {
    "chronic-cards": cards_spec(q.chronic_cards),
    "chronic-cascade": PanelSpec(
        q.cascade, lambda data, state: figures.cascade_bars(data.frame, state.lang), note=notes.cascade
    ),
    "chronic-funnel-institution": PanelSpec(
        lambda view: q.control_funnel(view, "institution"),
        lambda data, state: funnel_with_outliers(
            "chronic-funnel-institution",
            data.frame,
            data.meta,
            state.lang,
            notes.funnel(data, state.lang, "share"),
        ),
    ),
    "chronic-funnel-team": PanelSpec(
        lambda view: q.control_funnel(view, "team"),
        lambda data, state: funnel_with_outliers(
            "chronic-funnel-team", data.frame, data.meta, state.lang, notes.funnel(data, state.lang, "share")
        ),
    ),
    "chronic-trends": PanelSpec(
        q.trends,
        lambda data, state: common.trend_panels(data.frame, data.meta, REGISTRY, state.lang),
        note=notes.fixed("chronic_trends_note"),
    ),
    "chronic-standardised": PanelSpec(
        q.crude_vs_standardised,
        lambda data, state: figures.crude_vs_adjusted(
            data.frame,
            data.meta["key"],
            state.lang,
            data.meta["method"],
            data.meta["level"],
        ),
        note=notes.standardised,
    ),
    "chronic-followups": PanelSpec(
        q.followup_completeness,
        lambda data, state: figures.followup_bars(data.frame, state.lang, data.meta["required"]),
        note=notes.followups,
    ),
    "chronic-team_doctors": PanelSpec(
        q.team_doctors,
        lambda data, state: common.unit_bars(data.frame, "doctor_id", "count", state.lang, "doctor"),
    ),
}


def controls_to_url(compare, limits, search):
    """The page's comparator and funnel limits, written into the URL like the filter bar's."""
    state = view_state(search)
    new = replace(
        state,
        compare=compare if compare in ("parent", "peer") else "",
        limits="plain" if limits == "plain" else "overdispersed",
    )
    return checked_query(new, search)


def register(app, settings) -> None:
    register_panels(app, SPECS)
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.CHRONIC_COMPARE, "value"),
        Input(ids.CHRONIC_LIMITS, "value"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(controls_to_url)
