"""运营总览 page: KPI cards, the member scorecard with drill-down, the red-red list, downloads."""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, no_update

from callbacks.panels import checked_query, view_state
from callbacks.viewer import audited_rows, view_of
from dashboard.core.errors import UserFacingError
from dashboard.ui import ids
from dashboard.ui.components.kpi_cards import cards_table, cards_with_notice
from dashboard.ui.components.scorecard import error_alert, scorecard_panel
from dashboard.ui.exports import csv_bytes, readable, xlsx_bytes
from dashboard.ui.words import t, tell
from queries.definitions import REGISTRY
from queries.home import HOME_KPIS, home_cards, scorecard
from queries.selection import drill_target


def render_cards(search: str | None, database_url: str):
    state = view_state(search)
    try:
        data = home_cards(view_of(database_url, state))
    except UserFacingError as exc:
        return error_alert(t("error", state.lang) + tell(exc, state.lang))
    return cards_with_notice(data.meta["cards"], data.meta["dropped"], state.lang, data.meta["notes"])


def render_scorecard(search: str | None, database_url: str):
    state = view_state(search)
    try:
        data = scorecard(view_of(database_url, state))
    except UserFacingError as exc:
        return error_alert(tell(exc, state.lang)), "", None
    return scorecard_panel(data.frame, data.meta, REGISTRY, HOME_KPIS, state.lang)


def drill(cell, search: str | None, database_url: str):
    """A click on a unit re-scopes the page to it."""
    if not isinstance(cell, dict) or not isinstance(cell.get("rowId"), str):
        return no_update
    target = drill_target(view_of(database_url, view_state(search)), cell["rowId"])
    return checked_query(target, search) if target else no_update


def download(search, database_url: str, triggered: str):
    state = view_state(search)
    view = view_of(database_url, state)
    if triggered in (ids.DOWNLOAD_CARDS_CSV, ids.DOWNLOAD_CARDS_XLSX):
        frame, name = cards_table(home_cards(view).meta["cards"], state.lang), "kpi_cards"
    else:
        frame, name = readable(scorecard(view).frame, state.lang), "scorecard"
    audited_rows(len(frame))
    if triggered in (ids.DOWNLOAD_CARDS_CSV, ids.DOWNLOAD_SCORECARD_CSV):
        return dcc.send_bytes(csv_bytes(frame), f"{name}.csv")
    return dcc.send_bytes(xlsx_bytes(frame, name), f"{name}.xlsx")


def register(app, settings) -> None:
    url = settings.database_url
    app.callback(Output(ids.HOME_CARDS, "children"), Input(ids.PAGES_LOCATION, "search"))(
        lambda search: render_cards(search, url)
    )
    app.callback(
        Output(ids.HOME_SCORECARD_CONTAINER, "children"),
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
    )(lambda _a, _b, _c, _d, search: download(search, url, ctx.triggered_id))
