"""The shared frame: navigation, data-as-of, language link, breadcrumb, cascading filters <-> URL."""

from __future__ import annotations

from dataclasses import replace

import dash
from dash import Input, Output, State, ctx, no_update

from dashboard import ids
from dashboard.components.shell import breadcrumb_items, language_link, navigation
from dashboard.errors import UserFacingError
from dashboard.i18n import t
from dashboard.state import DRILL_LEVELS, parse_query
from queries.catalog import get_catalog
from queries.views import breadcrumb, filter_options


def render_frame(search: str | None, pathname: str | None, database_url: str):
    """Nav, data-as-of text, language link text and href, for the current URL."""
    state, _ = parse_query(search or "")
    pages = sorted(dash.page_registry.values(), key=lambda p: p.get("order", 50))
    nav = navigation(pages, state, pathname or "/")
    try:
        as_of = f"{t('data_as_of', state.lang)} {get_catalog(database_url).period_end}"
    except UserFacingError:
        as_of = ""
    label, href = language_link(state)
    return nav, as_of, label, (pathname or "/") + href


def render_breadcrumb_and_options(search: str | None, pathname: str | None, database_url: str):
    state, _ = parse_query(search or "")
    try:
        crumbs = breadcrumb_items(breadcrumb(database_url, state, state.lang), pathname or "/")
        options = filter_options(database_url, state, state.lang)
    except UserFacingError:
        return [], [], [], [], []
    return crumbs, options["district"], options["consortium"], options["institution"], options["team"]


def filters_to_url(period, district, consortium, institution, team, disease, insurance, search):
    """The filter bar's values as the URL's search; changing a parent clears its descendants."""
    state, _ = parse_query(search or "")
    changed = {ids.FILTERS[k]: k for k in ids.FILTERS}.get(ctx.triggered_id)
    new = replace(state, period=period or "last_12_months", disease=disease or "", insurance=insurance or "")
    values = {"district": district, "consortium": consortium, "institution": institution, "team": team}
    if changed in DRILL_LEVELS:
        # select() clears the level's descendants; selecting "" clears the level too
        new = new.select(changed, values[changed] or "")
    query = new.to_query()
    return query if query != (search or "") else no_update


def register(app, settings) -> None:
    url = settings.database_url
    app.callback(
        Output(ids.NAVBAR, "children"),
        Output(ids.DATA_AS_OF, "children"),
        Output(ids.LANG_SWITCH, "children"),
        Output(ids.LANG_SWITCH, "href"),
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
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        *[
            Input(ids.FILTERS[k], "value")
            for k in ("period", "district", "consortium", "institution", "team", "disease", "insurance")
        ],
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(filters_to_url)
