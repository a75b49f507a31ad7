"""The shared frame: navigation, data-as-of, language link, breadcrumb, cascading filters <-> URL."""

from __future__ import annotations

from dataclasses import replace

import dash
from dash import ClientsideFunction, Input, Output, State, no_update

from callbacks.panels import checked_query, view_state
from callbacks.viewer import view_of, viewer_account
from dashboard.core.errors import UserFacingError
from dashboard.core.roles import CITY_OPEN_PAGES, may_open
from dashboard.core.state import DEFAULT_PERIOD, DRILL_LEVELS
from dashboard.ui import ids
from dashboard.ui.components.shell import breadcrumb_items, data_as_of, language_link, navigation, viewer_text
from dashboard.ui.words import t
from queries.access import unit_of
from queries.selection import breadcrumb, filter_options
from queries.warehouse import data_as_of as data_end


def render_frame(search: str | None, pathname: str | None, database_url: str):
    """Nav (the pages the viewer's role opens), data-as-of text, language link text and href, who is logged
    in and the logout link's text, for the current URL (its units kept inside the viewer's scope: the links
    carry them)."""
    account = viewer_account()
    state = view_state(search)
    pathname = pathname if isinstance(pathname, str) else "/"
    if account is not None:
        try:
            state = view_of(database_url, state, pathname in CITY_OPEN_PAGES).state
        except UserFacingError:  # no warehouse to check against: no units in the links
            state = state.up_to(None)
    pages = sorted(
        (p for p in dash.page_registry.values() if account is None or may_open(account.role, p["path"])),
        key=lambda p: p.get("order", 50),
    )
    nav = navigation(pages, state, pathname or "/")
    try:
        as_of = data_as_of(data_end(database_url), state.lang)
    except UserFacingError:
        as_of = ""
    label, href = language_link(state)
    who = ""
    if account is not None:
        unit = unit_of(database_url, account.scope_type, account.scope_id, state.lang)
        who = viewer_text(account.username, account.role, unit, state.lang)
    return nav, as_of, label, (pathname or "/") + href, who, t("logout", state.lang)


def render_breadcrumb_and_options(search: str | None, pathname: str | None, database_url: str):
    view = view_of(
        database_url, view_state(search), isinstance(pathname, str) and pathname in CITY_OPEN_PAGES
    )
    try:
        crumbs = breadcrumb_items(breadcrumb(view), pathname or "/", view.state.lang)
        options = filter_options(view)
    except UserFacingError:
        return [], [], [], [], []
    return crumbs, options["district"], options["consortium"], options["institution"], options["team"]


# the order assets/filters.js sends the values in; the dropdowns' ids are ids.FILTERS
FILTER_ORDER = ("period", "district", "consortium", "institution", "team", "disease", "insurance")


def filters_to_url(change, search):
    """The URL after a filter change: the filter bar's values, where changing a parent clears its descendants.

    ``change`` is {"changed": the filter's id, "values": the seven values in FILTER_ORDER}; anything else (a
    forged request) changes nothing.
    """
    if not isinstance(change, dict) or not isinstance(change.get("values"), list):
        return no_update
    if len(change["values"]) != len(FILTER_ORDER) or change.get("changed") not in ids.FILTERS.values():
        return no_update
    state = view_state(search)
    given = dict(zip(FILTER_ORDER, change["values"], strict=True))
    changed = {ids.FILTERS[k]: k for k in ids.FILTERS}[change["changed"]]
    new = replace(
        state,
        period=given["period"] or DEFAULT_PERIOD,
        disease=given["disease"] or "",
        insurance=given["insurance"] or "",
    )
    values = {level: given[level] for level in ("district", "consortium", "institution", "team")}
    if changed in DRILL_LEVELS:
        # select() clears the level's descendants; selecting "" clears the level too
        new = new.select(changed, values[changed] or "")
    return checked_query(new, search)


def register(app, settings) -> None:
    url = settings.database_url
    app.callback(
        Output(ids.NAVBAR, "children"),
        Output(ids.DATA_AS_OF, "children"),
        Output(ids.LANG_SWITCH, "children"),
        Output(ids.LANG_SWITCH, "href"),
        Output(ids.VIEWER, "children"),
        Output(ids.LOGOUT, "children"),
        Input(ids.PAGES_LOCATION, "search"),
        Input(ids.PAGES_LOCATION, "pathname"),
    )(lambda search, pathname: render_frame(search, pathname, url))
    app.callback(
        Output(ids.BREADCRUMB, "items"),
        Output(ids.FILTER_DISTRICT, "options"),
        Output(ids.FILTER_CONSORTIUM, "options"),
        Output(ids.FILTER_INSTITUTION, "options"),
        Output(ids.FILTER_TEAM, "options"),
        Input(ids.PAGES_LOCATION, "search"),
        State(ids.PAGES_LOCATION, "pathname"),
    )(lambda search, pathname: render_breadcrumb_and_options(search, pathname, url))
    # assets/filters.js: the browser passes on only a real change, so a page load costs no request here
    app.clientside_callback(
        ClientsideFunction(namespace="filters", function_name="changed"),
        Output(ids.FILTER_CHANGE, "data"),
        *[Input(ids.FILTERS[k], "value") for k in FILTER_ORDER],
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.FILTER_CHANGE, "data"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(filters_to_url)
