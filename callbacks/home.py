"""Home page: KPI cards, scorecard with drill-down, red-red list, downloads."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, no_update

from dashboard import ids
from dashboard.components.kpi_cards import cards_grid, cards_table
from dashboard.components.scorecard import red_red_list, scorecard_grid, scorecard_rows
from dashboard.downloads import csv_bytes, xlsx_bytes
from dashboard.errors import UserFacingError
from dashboard.i18n import t
from dashboard.state import parse_query
from queries.registry import REGISTRY
from queries.views import HOME_KPIS, drill_target, home_cards, scorecard


def render_cards(search: str | None, database_url: str):
    state, _ = parse_query(search or "")
    try:
        selection, cards = home_cards(database_url, state)
    except UserFacingError as exc:
        return dbc.Alert(t("error", state.lang) + str(exc), color="danger")
    notice = (
        dbc.Alert(t("bad_url", state.lang) + ", ".join(selection.dropped), color="warning", className="py-2")
        if selection.dropped
        else None
    )
    return [notice, cards_grid(cards, state.lang)]


def render_scorecard(search: str | None, database_url: str):
    state, _ = parse_query(search or "")
    lang = state.lang
    try:
        _selection, child, long, red = scorecard(database_url, state)
    except UserFacingError as exc:
        return dbc.Alert(str(exc), color="danger"), "", None
    if child is None or long.empty:
        return (
            dbc.Alert(t("no_data", lang), color="light"),
            t("scorecard", lang),
            red_red_list(red, REGISTRY, lang),
        )
    order = [k for k in HOME_KPIS if k in set(long["kpi"])]
    grid = scorecard_grid(scorecard_rows(long, REGISTRY, lang), REGISTRY, order, lang, t(child, lang))
    return grid, f"{t('scorecard', lang)} · {t(child, lang)}", red_red_list(red, REGISTRY, lang)


def drill(cell, search: str | None, database_url: str):
    """A click on a unit re-scopes the page to it."""
    if not cell or not cell.get("rowId"):
        return no_update
    state, _ = parse_query(search or "")
    target = drill_target(database_url, state, cell["rowId"])
    return target.to_query() if target else no_update


def download(_csv_cards, _xlsx_cards, _csv_score, _xlsx_score, search, database_url: str, triggered: str):
    state, _ = parse_query(search or "")
    if triggered in (ids.DOWNLOAD_CARDS_CSV, ids.DOWNLOAD_CARDS_XLSX):
        _selection, cards = home_cards(database_url, state)
        frame, name = cards_table(cards, state.lang), "kpi_cards"
    else:
        _selection, _child, frame, _red = scorecard(database_url, state)
        name = "scorecard"
    if triggered in (ids.DOWNLOAD_CARDS_CSV, ids.DOWNLOAD_SCORECARD_CSV):
        return dcc.send_bytes(csv_bytes(frame), f"{name}.csv")
    return dcc.send_bytes(xlsx_bytes(frame, name), f"{name}.xlsx")


def register(app, settings) -> None:
    from dash import ctx

    url = settings.database_url
    app.callback(Output(ids.HOME_CARDS, "children"), Input(ids.PAGES_LOCATION, "search"))(
        lambda search: render_cards(search, url)
    )
    app.callback(
        Output("home-scorecard-container", "children"),
        Output(ids.HOME_SCORECARD_TITLE, "children"),
        Output(ids.HOME_RED_RED, "children"),
        Input(ids.PAGES_LOCATION, "search"),
    )(lambda search: render_scorecard(search, url))
    # The grid sets cellClicked as it mounts: filter that in the browser, so a page load costs no round trip.
    app.clientside_callback(
        "function(cell) { return (cell && cell.rowId) ? cell : window.dash_clientside.no_update; }",
        Output(ids.HOME_DRILL, "data"),
        Input(ids.HOME_SCORECARD, "cellClicked"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.HOME_DRILL, "data"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda cell, search: drill(cell, search, url))
    app.callback(
        Output(ids.DOWNLOAD, "data"),
        Input(ids.DOWNLOAD_CARDS_CSV, "n_clicks"),
        Input(ids.DOWNLOAD_CARDS_XLSX, "n_clicks"),
        Input(ids.DOWNLOAD_SCORECARD_CSV, "n_clicks"),
        Input(ids.DOWNLOAD_SCORECARD_XLSX, "n_clicks"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda a, b, c, d, search: download(a, b, c, d, search, url, ctx.triggered_id))
