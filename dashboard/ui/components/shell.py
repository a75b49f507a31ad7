"""The frame every page shares: navigation by audience, data-as-of, language switch, filter bar, breadcrumb."""

from __future__ import annotations

from dataclasses import replace

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.core.state import PERIODS, ViewState
from dashboard.ui import ids
from dashboard.ui.words import labels, t

SECTIONS = ("consortium", "commission", "insurance", "reference")


def header() -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(t("app_brand", "zh"), href="/", id="brand"),
                dbc.Nav(id=ids.NAVBAR, className="me-auto", navbar=True),
                html.Span(id=ids.DATA_AS_OF, className="text-white-50 small me-3"),
                html.Span(id=ids.VIEWER, className="text-white small me-2"),
                # a plain link: logging out is a request to the server, which ends the session
                html.A(
                    t("logout", "zh"), href="/logout", id=ids.LOGOUT, className="btn btn-sm btn-light me-2"
                ),
                dcc.Link(
                    t("switch_lang", "zh"),
                    href="?lang=en",
                    id=ids.LANG_SWITCH,
                    className="btn btn-sm btn-outline-light",
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        className="mb-3 shadow-sm",
    )


def navigation(pages: list[dict], state: ViewState, pathname: str) -> list:
    """Nav items grouped by audience (the pages' ``section``), keeping the current filters in every link."""
    lang = state.lang
    query = state.to_query()
    items = []
    for section in SECTIONS:
        members = [p for p in pages if p.get("section") == section]
        if not members:
            continue
        links = [
            dbc.DropdownMenuItem(
                p["name_en"] if lang == "en" else p["name"],
                href=p["path"] + query,
                active=p["path"] == pathname,
            )
            for p in members
        ]
        items.append(dbc.DropdownMenu(links, label=t(f"section_{section}", lang), nav=True, in_navbar=True))
    return items


def language_link(state: ViewState) -> tuple[str, str]:
    other = "en" if state.lang == "zh" else "zh"
    return t("switch_lang", state.lang), replace(state, lang=other).to_query() or "?"


def _dropdown(id_: str, value: str, placeholder: str, options=None, clearable: bool = True):
    if options is None:
        # The real options arrive from a callback; until then the current value must be among them, or the
        # dropdown would drop it (and the URL with it).
        options = [{"label": value, "value": value}] if value else []
    return dcc.Dropdown(
        id=id_,
        value=value or None,
        options=options,
        placeholder=placeholder,
        clearable=clearable,
        className="filter-dropdown",
    )


def filter_bar(state: ViewState) -> dbc.Card:
    """The shared filter bar; its values come from the URL, its options from a callback."""
    lang = state.lang
    periods = [{"label": t(p, lang), "value": p} for p in PERIODS]
    diseases = [{"label": name, "value": code} for code, name in labels("chronic_group", lang).items()]
    insurance = [{"label": name, "value": code} for code, name in labels("insurance_type", lang).items()]
    columns = [
        (ids.FILTER_PERIOD, state.period, t("period", lang), periods, False, 2),
        (ids.FILTER_DISTRICT, state.district, t("district", lang), None, True, 2),
        (ids.FILTER_CONSORTIUM, state.consortium, t("consortium", lang), None, True, 2),
        (ids.FILTER_INSTITUTION, state.institution, t("institution", lang), None, True, 2),
        (ids.FILTER_TEAM, state.team, t("team", lang), None, True, 2),
        (ids.FILTER_DISEASE, state.disease, t("disease", lang), diseases, True, 1),
        (ids.FILTER_INSURANCE, state.insurance, t("insurance", lang), insurance, True, 1),
    ]
    return dbc.Card(
        [
            dbc.CardBody(
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                html.Label(label, className="small text-muted mb-0"),
                                _dropdown(id_, value, label, options, clearable),
                            ],
                            md=width,
                            xs=6,
                        )
                        for id_, value, label, options, clearable, width in columns
                    ],
                    className="g-2",
                ),
                className="py-2",
            ),
            dcc.Store(id=ids.FILTER_CHANGE),  # a real change of a filter, passed on by the browser
        ],
        className="mb-2 filter-bar",
    )


def breadcrumb_items(crumbs: list[tuple[str | None, ViewState]], pathname: str, lang: str) -> list[dict]:
    """Breadcrumb items from (name, view) pairs, the city (named None) first; the last one is where we are."""
    items = [
        {"label": name if name is not None else t("city_crumb", lang), "href": pathname + state.to_query()}
        for name, state in crumbs
    ]
    if items:
        items[-1] = {"label": items[-1]["label"], "active": True}
    return items


def page_frame(state: ViewState, ignored: list[str], *content) -> html.Div:
    """Filter bar, breadcrumb, a notice for ignored link parameters, then the page's own content."""
    notice = None
    if ignored:
        notice = dbc.Alert(
            t("bad_url", state.lang) + ", ".join(ignored),
            color="warning",
            dismissable=True,
            className="py-2",
            id=ids.URL_NOTICE,
        )
    return html.Div(
        [
            filter_bar(state),
            dbc.Breadcrumb(id=ids.BREADCRUMB, items=[], className="small mb-2"),
            notice,
            *content,
        ]
    )


def data_as_of(day, lang: str) -> str:
    """The header's "data as of" line."""
    return f"{t('data_as_of', lang)} {day}"


def viewer_text(username: str | None, role: str | None, scope_name: str | None, lang: str) -> str:
    """Who is logged in, as the header shows it: name · role (· their unit)."""
    if not username:
        return ""
    parts = [username, t(f"role_{role}", lang)]
    if scope_name:
        parts.append(scope_name)
    return " · ".join(parts)
