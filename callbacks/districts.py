"""区县对比 page: the KPI, comparator and adjustment controls, and which query feeds which chart."""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State, no_update

from callbacks.panels import PanelSpec, checked_query, register_panels, view_state
from dashboard.ui import ids, notes
from dashboard.ui.components.controls import kpi_options
from dashboard.ui.figures import common
from dashboard.ui.figures import districts as figures
from queries import districts as q
from queries.definitions import REGISTRY

SPECS = {
    "districts-league": PanelSpec(
        q.league,
        lambda data, state: figures.league_bars(
            data.frame, data.meta, REGISTRY[data.meta["kpi"]], state.lang
        ),
        note=notes.district_colours,
        city_open=True,
    ),
    "districts-funnel": PanelSpec(
        q.funnel_view,
        lambda data, state: common.funnel_plot(
            data.frame,
            data.meta,
            data.meta["key"],
            data.meta["unit"],
            state.lang,
            data.meta["level"],
            common.axis_title(data.meta["x_axis"], state.lang),
        ),
        note=notes.district_funnel,
        city_open=True,
    ),
    "districts-map": PanelSpec(
        q.district_map,
        lambda data, state: figures.district_map(
            data.frame, data.meta, REGISTRY[data.meta["kpi"]], state.lang
        ),
        note=notes.district_map,
        city_open=True,
    ),
    "districts-tartan": PanelSpec(
        q.tartan,
        lambda data, state: figures.tartan_grid(data.frame, REGISTRY, state.lang, data.meta["level"]),
        note=lambda data, lang: notes.tartan(data, lang, REGISTRY),
        city_open=True,
    ),
    "districts-trends": PanelSpec(
        q.small_trends,
        lambda data, state: figures.small_multiples(
            data.frame, data.meta, REGISTRY[data.meta["kpi"]].unit, state.lang
        ),
        city_open=True,
    ),
}


def controls_to_url(kpi, compare, adjust, limits, search):
    """The district page's own controls, written into the URL like the filter bar's."""
    if kpi is not None and kpi not in q.kpi_choices():  # a forged KPI: nothing is written into the URL
        return no_update
    state = view_state(search)
    new = replace(
        state,
        kpi="" if kpi in (None, q.DEFAULT_KPI) else kpi,
        compare=compare if compare in ("parent", "peer") else "",
        adjust="standardised" if adjust == "standardised" else "",
        limits="plain" if limits == "plain" else "overdispersed",
    )
    return checked_query(new, search)


def kpi_choices(search: str | None):
    """The KPIs the page compares, named in the view's language, and the one chosen."""
    state = view_state(search)
    return kpi_options([REGISTRY[k] for k in q.kpi_choices()], state.lang), q.kpi_of(state)


def register(app, settings) -> None:
    register_panels(app, SPECS)
    app.callback(
        Output(ids.DISTRICT_KPI, "options"),
        Output(ids.DISTRICT_KPI, "value"),
        Input(ids.PAGES_LOCATION, "search"),
    )(kpi_choices)
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.DISTRICT_KPI, "value"),
        Input(ids.DISTRICT_COMPARE, "value"),
        Input(ids.DISTRICT_ADJUST, "value"),
        Input(ids.DISTRICT_LIMITS, "value"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(controls_to_url)
