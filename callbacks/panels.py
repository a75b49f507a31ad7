"""Behaviour every page panel shares: drawing a panel from its data, downloading the data behind it, and
drilling down from a click on a chart. Each page's callback module declares its panels as PanelSpecs and
registers them on the app it is given; a page that lays out a panel nobody registered stops the app at
start-up (``check_panels``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, no_update

from callbacks.viewer import audited_rows, outside_scope, view_of
from dashboard.core.errors import UserFacingError
from dashboard.core.messages import Message
from dashboard.core.state import ViewState, parse_query
from dashboard.ui import ids
from dashboard.ui.components.kpi_cards import cards_table, cards_with_notice
from dashboard.ui.components.panels import graph, message
from dashboard.ui.exports import csv_bytes, readable, xlsx_bytes
from dashboard.ui.words import t, tell, unit_names
from queries.panels import PanelData
from queries.selection import View, drill_state

log = logging.getLogger(__name__)
PANELS_EXTENSION = "dashboard.panels"


@dataclass(frozen=True)
class PanelSpec:
    data: Callable[[View], PanelData]  # the panel's data for a view
    draw: Callable  # (data, state) -> a figure, or a component for panels that are not charts
    table: Callable[[PanelData, str], pd.DataFrame] | None = None  # the download, if not data.frame
    note: Callable[[PanelData, str], str] | None = None  # a line under the chart (method, what is left out)
    city_open: bool = False  # the commission's league tables: districts as aggregates at the city level


def cards_spec(data: Callable[[View], PanelData]) -> PanelSpec:
    """A page's KPI cards as a panel: the cards drawn, their numbers as the download."""
    return PanelSpec(
        data,
        lambda data, state: cards_with_notice(data.meta["cards"], (), state.lang, data.meta["notes"]),
        table=lambda data, lang: cards_table(data.meta["cards"], lang),
    )


# customdata levels that choose something on a page rather than a unit: level -> ViewState field
PAGE_CHOICES = {"chapter": "chapter", "group": "group"}


def panels_of(app) -> dict[str, PanelSpec]:
    """The panels registered on ``app`` (kept with its Flask server's extensions, one book per app)."""
    return app.server.extensions.setdefault(PANELS_EXTENSION, {})


def register_panels(app, specs: dict[str, PanelSpec]) -> None:
    """Make a page's panels known to the app's one MATCH callback that draws them all."""
    book = panels_of(app)
    for key, spec in specs.items():
        if key in book:
            raise ValueError(f"panel {key!r} is registered twice")
        book[key] = spec


def check_panels(app, laid_out: set[str]) -> None:
    """Every panel a page lays out has a spec, and every spec is laid out by some page.

    Raises:
        RuntimeError: at start-up, naming the panels; a missing spec would otherwise show "no data" forever.
    """
    registered = set(panels_of(app))
    missing, unused = sorted(laid_out - registered), sorted(registered - laid_out)
    if missing or unused:
        raise RuntimeError(
            f"panels laid out but not registered: {missing}; registered but not laid out: {unused}"
        )


def render(spec: PanelSpec, key: str, search: str | None, database_url: str):
    """A panel's body for the URL's view: its chart (with its note), a component, or a message saying why not."""
    state = view_state(search)
    lang = state.lang
    try:
        data = spec.data(view_of(database_url, state, spec.city_open))
    except UserFacingError as exc:
        return message(t("error", lang) + tell(exc, lang))
    except Exception:  # a query bug must not leave a spinner forever (or a 500): say so, and log it for us
        log.exception("panel %s could not be computed for %s", key, search)
        return message(t("compute_error", lang))
    if data.message:
        return message(tell(data.message, lang))
    if data.frame.empty:
        return message(tell(Message.of("no_data"), lang))
    data = replace(data, frame=unit_names(data.frame, lang))
    try:
        drawn = spec.draw(data, state)
    except Exception:  # a drawing bug must not leave a spinner forever: say so, and log it for us
        log.exception("panel %s could not be drawn", key)
        return message(t("draw_error", lang))
    if not hasattr(drawn, "to_plotly_json") or not hasattr(drawn, "layout"):
        return drawn  # a component (cards, a table) rather than a figure
    return graph(key, drawn, spec.note(data, lang) if spec.note else "")


def download(book: dict[str, PanelSpec], triggered, search: str | None, database_url: str) -> dict:
    """The data behind a panel as CSV (with a BOM, for Excel) or xlsx; a forged panel key is refused."""
    key = triggered.get("panel") if isinstance(triggered, dict) else None
    spec = book.get(key) if isinstance(key, str) else None
    if spec is None:
        log.warning("download of unknown panel %r refused", key)
        return no_update
    state = view_state(search)
    lang = state.lang
    try:
        data = spec.data(view_of(database_url, state, spec.city_open))
        if data.message:  # the panel says why it has no numbers: so does its file
            frame = _note_frame(tell(data.message, lang), lang)
        else:
            frame = spec.table(data, lang) if spec.table else readable(data.frame, lang)
    except UserFacingError as exc:
        frame = _note_frame(t("error", lang) + tell(exc, lang), lang)
    except (
        Exception
    ):  # a query bug: the file says so (never a 500 or a click that does nothing), and we log it
        log.exception("download of panel %s failed for %s", key, search)
        frame = _note_frame(t("compute_error", lang), lang)
    name = key.replace("-", "_")
    audited_rows(len(frame))
    if triggered.get("type") == "panel-csv":
        return dcc.send_bytes(csv_bytes(frame), f"{name}.csv")
    return dcc.send_bytes(xlsx_bytes(frame, name[:31]), f"{name}.xlsx")


def _note_frame(text: str, lang: str) -> pd.DataFrame:
    """A download's one-cell table when the panel has no numbers to give: why not."""
    return pd.DataFrame({t("note_column", lang): [text]})


def clicked(click, search: str | None, database_url: str) -> str:
    """The URL after a click on a chart point: a unit drills down, a chapter or a flow is chosen."""
    points = click.get("points") if isinstance(click, dict) else None
    first = points[0] if isinstance(points, list) and points else None
    custom = first.get("customdata") if isinstance(first, dict) else None
    state = view_state(search)
    new = None
    if isinstance(custom, str) and "~" in custom:
        new = replace(state, pair=custom)
    elif isinstance(custom, list) and len(custom) == 2 and all(isinstance(c, str) for c in custom):
        level, code = custom
        if level in PAGE_CHOICES:  # a page's own drill-down (an ICD-10 chapter, a DRG group)
            new = replace(state, **{PAGE_CHOICES[level]: code})
        else:
            new = drill_state(view_of(database_url, state), level, code)
    return checked_query(new, search) if new is not None else no_update


def draw(book: dict[str, PanelSpec], key: str, search: str | None, database_url: str):
    """A panel's body. Dash Pages re-creates a page's panels whenever the URL changes, and every new panel
    fires this once, in its own request: the panels of a page load in parallel and appear as each is ready.
    One pattern-matching callback instead of one per panel keeps the browser's callback graph small."""
    spec = book.get(key) if isinstance(key, str) else None
    if spec is None:  # only a forged request gets here: start-up checked every laid-out panel
        log.warning("drawing of unknown panel %r refused", key)
        return message(tell(Message.of("no_data"), view_state(search).lang))
    return render(spec, key, search, database_url)


def register(app, settings) -> None:
    url = settings.database_url
    book = panels_of(app)
    app.callback(
        Output(ids.panel_body(MATCH), "children"),
        Input(ids.panel_trigger(MATCH), "data"),
        State(ids.PAGES_LOCATION, "search"),
    )(lambda _trigger, search: draw(book, ctx.outputs_list["id"]["panel"], search, url))
    app.callback(
        Output(ids.panel_file(MATCH), "data"),
        Input(ids.panel_csv(MATCH), "n_clicks"),
        Input(ids.panel_xlsx(MATCH), "n_clicks"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda _csv, _xlsx, search: download(book, ctx.triggered_id, search, url))
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.panel_graph(ALL), "clickData"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda _clicks, search: clicked(ctx.triggered[0]["value"] if ctx.triggered else None, search, url))


def checked_query(new: ViewState, search: str | None):
    """The URL of a view the browser asked for, if every value in it is one a link may hold; no change
    otherwise (a forged click or payload cannot put junk into the URL)."""
    checked, ignored = parse_query(new.to_query())
    if ignored or outside_scope(checked):  # nor hand back a unit the viewer may not see
        return no_update
    query = checked.to_query()
    return query if query != (search or "") else no_update


def view_state(search: str | None) -> ViewState:
    """The view state of a URL's query string (what every callback starts from)."""
    return parse_query(search if isinstance(search, str) else "")[0]


def layout_ids(page) -> list:
    """The ids of every component in a page's default layout (walked depth-first)."""
    found = []
    stack = [page["layout"]() if callable(page["layout"]) else page["layout"]]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        node_id = getattr(node, "id", None)
        if node_id is not None:
            found.append(node_id)
        children = getattr(node, "children", None)
        if children is not None:
            stack.append(children)
    return found


def panels_laid_out(pages) -> set[str]:
    """The panel keys the pages lay out (each page's default layout, walked for panel triggers)."""
    return {
        node_id["panel"]
        for page in pages
        for node_id in layout_ids(page)
        if isinstance(node_id, dict) and node_id.get("type") == "panel-trigger"
    }
