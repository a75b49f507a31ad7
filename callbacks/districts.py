"""区县对比 page: the KPI, comparator and adjustment controls, and which query feeds which chart."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from dash import Input, Output, State, no_update

from callbacks.panels import PanelSpec, register_panels
from dashboard import charts, ids
from dashboard.i18n import t
from dashboard.state import parse_query
from queries import district_comparison as q
from queries.builder import output_column
from queries.registry import REGISTRY


def _colours_note(data, lang: str) -> str:
    comparator = t("comparator_peer" if data.meta.get("peers") else "comparator_city", lang)
    method = data.meta["method"][1 if lang == "en" else 0]
    return t("colours_note", lang).format(comparator=comparator, method=method)


def _league(data, state, names):
    frame = data.frame
    unit = REGISTRY[data.meta["kpi"]].unit
    labelled = frame.assign(
        name=[
            f"{'' if r != r or r is None else f'{int(r)}. '}{n}"
            for r, n in zip(frame["rank"], frame["name"], strict=True)
        ],
        parent=np.nan if data.meta["peers"] else frame["comparator"],
    )
    figure = charts.unit_bars(
        labelled, output_column(data.meta["level"]), unit, state.lang, data.meta["level"]
    )
    figure.update_traces(showlegend=False, selector={"type": "bar"})
    if data.meta["peers"]:  # each district's own comparator
        part = labelled.iloc[::-1]
        figure.add_scatter(
            x=part["comparator"],
            y=part["name"],
            mode="markers",
            marker={"symbol": "line-ns-open", "size": 18, "color": "#212529", "line": {"width": 2}},
            name=t("peers", state.lang),
            hoverinfo="skip",
        )
    return figure


def _funnel(data, state, names):
    meta = data.meta
    return charts.funnel_plot(
        data.frame, meta, meta["key"], meta["unit"], state.lang, meta["level"], t(meta["x_title"], state.lang)
    )


def _funnel_note(data, lang: str) -> str:
    notes = []
    if data.meta["unit"] == "ratio":
        notes.append(t("funnel_note_standardised", lang))
    return " ".join(notes)


def _map(data, state, names):
    unit = REGISTRY[data.meta["kpi"]].unit
    if data.meta.get("geojson"):
        geojson = json.loads(Path(data.meta["geojson"]).read_text(encoding="utf-8"))
        return charts.choropleth(data.frame, geojson, unit, state.lang)
    return charts.tile_map(data.frame, unit, state.lang)


SPECS = {
    "districts-league": PanelSpec(q.league, _league, note=_colours_note),
    "districts-funnel": PanelSpec(q.funnel_view, _funnel, note=_funnel_note),
    "districts-map": PanelSpec(q.district_map, _map, note=lambda data, lang: t("map_note", lang)),
    "districts-tartan": PanelSpec(
        q.tartan,
        lambda data, state, names: charts.tartan_grid(data.frame, REGISTRY, state.lang, data.meta["level"]),
        note=lambda data, lang: (
            (t("tartan_skipped", lang) + ", ".join(data.meta["skipped"])) if data.meta["skipped"] else ""
        ),
    ),
    "districts-trends": PanelSpec(
        q.small_trends,
        lambda data, state, names: charts.small_multiples(
            data.frame, data.meta, REGISTRY[data.meta["kpi"]].unit, state.lang
        ),
    ),
}


def controls_to_url(kpi, compare, adjust, search):
    """The district page's own controls, written into the URL like the filter bar's."""
    state, _ = parse_query(search or "")
    new = replace(
        state,
        kpi="" if kpi in (None, q.DEFAULT_KPI) else kpi,
        compare="peer" if compare == "peer" else "",
        adjust="standardised" if adjust == "standardised" else "",
    )
    query = new.to_query()
    return query if query != (search or "") else no_update


def kpi_options(search: str | None):
    """The KPIs the page compares, named in the view's language, and the one chosen."""
    state, _ = parse_query(search or "")
    name = "name_en" if state.lang == "en" else "name_zh"
    options = [{"label": getattr(REGISTRY[k], name), "value": k} for k in q.KPI_CHOICES]
    return options, q.kpi_of(state)


def register(app, settings) -> None:
    register_panels(app, SPECS, settings.database_url)
    app.callback(
        Output(ids.DISTRICT_KPI, "options"),
        Output(ids.DISTRICT_KPI, "value"),
        Input(ids.PAGES_LOCATION, "search"),
    )(kpi_options)
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.DISTRICT_KPI, "value"),
        Input(ids.DISTRICT_COMPARE, "value"),
        Input(ids.DISTRICT_ADJUST, "value"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(controls_to_url)
