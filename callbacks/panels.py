"""Behaviour every page panel shares: drawing a panel from its data, downloading the data behind it, and
drilling down from a click on a chart. Pages' callback modules declare their panels as PanelSpecs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, no_update

from dashboard import ids
from dashboard.components.kpi_cards import cards_grid, cards_table
from dashboard.components.panels import graph, message
from dashboard.downloads import csv_bytes, xlsx_bytes
from dashboard.errors import UserFacingError
from dashboard.i18n import t
from dashboard.state import ViewState, parse_query
from queries.catalog import get_catalog
from queries.filters import DIMENSIONS
from queries.panels import PanelData, cards_panel
from queries.views import drill_state

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PanelSpec:
    data: Callable[[str, ViewState], PanelData]  # (database_url, state) -> the panel's data
    draw: Callable  # (data, state, names) -> a figure, or a component for panels that are not charts
    table: Callable[[PanelData, str], pd.DataFrame] | None = None  # the download, if not data.frame
    note: Callable[[PanelData, str], str] | None = None  # a line under the chart (method, what is left out)


def cards_spec(kpis, extra=lambda state: (), state_for=lambda state: state) -> PanelSpec:
    """A page's KPI cards as a panel: ``kpis`` (a tuple, or a function of the state), the page's own
    filters ``extra(state)``, and ``state_for`` to adjust the view state the cards are computed for."""

    def data(database_url: str, state: ViewState) -> PanelData:
        chosen = kpis(state) if callable(kpis) else kpis
        return cards_panel(database_url, state_for(state), chosen, extra(state))

    return PanelSpec(
        data,
        lambda data, state, names: cards_grid(data.meta["cards"], state.lang),
        table=lambda data, lang: cards_table(data.meta["cards"], lang),
    )


PANELS: dict[str, PanelSpec] = {}
# customdata levels that choose something on a page rather than a unit: level -> ViewState field
PAGE_CHOICES = {"chapter": "chapter", "group": "group"}


class Names:
    """Names of codes in the view's language, for labelling charts."""

    def __init__(self, database_url: str, lang: str):
        self._catalog, self.lang = get_catalog(database_url), lang

    def __call__(self, dimension: str) -> dict[str, str]:
        table = self._catalog.names if self.lang == "zh" else self._catalog.names_en
        return table.get(dimension, {})


# the dimension behind a frame's first column, to name its units in the viewer's language
_DIMENSION_OF_COLUMN = {column: dimension for dimension, (column, _zh, _en) in DIMENSIONS.items()}
_DIMENSION_OF_COLUMN |= {"district_code": "district", "level": "level"}


def localised_names(frame: pd.DataFrame, dimension: str, database_url: str, lang: str) -> pd.DataFrame:
    """``frame`` with its ``name`` column in ``lang`` for the codes in its first column."""
    if lang == "zh" or frame.empty:
        return frame
    table = Names(database_url, lang)(dimension)
    return frame.assign(name=[table.get(str(code), str(code)) for code in frame.iloc[:, 0]])


def localised(data: PanelData, names: Names) -> PanelData:
    """The data with its units' ``name`` column in the viewer's language (queries name them in Chinese)."""
    frame = data.frame
    if names.lang == "zh" or "name" not in frame or frame.empty:
        return data
    dimension = _DIMENSION_OF_COLUMN.get(frame.columns[0])
    if dimension is None:
        return data
    table = names(dimension)
    labels = [
        table.get(str(code), str(code)) if code == code and code is not None else "(none)"
        for code in frame.iloc[:, 0]
    ]
    return replace(data, frame=frame.assign(name=labels))


def render(key: str, search: str | None, database_url: str):
    state, _ = parse_query(search or "")
    spec = PANELS[key]
    try:
        data = spec.data(database_url, state)
    except UserFacingError as exc:
        return message(t("error", state.lang) + str(exc))
    if data.message:
        return message(data.message)
    if data.frame.empty:
        return message(t("no_data", state.lang))
    names = Names(database_url, state.lang)
    data = localised(data, names)
    try:
        drawn = spec.draw(data, state, names)
    except Exception:  # a drawing bug must not leave a spinner forever: say so, and log it for us
        log.exception("panel %s could not be drawn", key)
        return message(t("draw_error", state.lang))
    if not hasattr(drawn, "to_plotly_json") or not hasattr(drawn, "layout"):
        return drawn  # a component (cards, a table) rather than a figure
    return graph(key, drawn, spec.note(data, state.lang) if spec.note else "")


def download(_csv, _xlsx, search: str | None, database_url: str, triggered) -> dict:
    key = triggered.get("panel") if isinstance(triggered, dict) else None
    spec = PANELS.get(key)
    if spec is None:
        log.warning("download of unknown panel %r refused", key)
        return no_update
    state, _ = parse_query(search or "")
    data = localised(spec.data(database_url, state), Names(database_url, state.lang))
    frame = spec.table(data, state.lang) if spec.table else data.frame
    name = key.replace("-", "_")
    if triggered.get("type") == "panel-csv":
        return dcc.send_bytes(csv_bytes(frame), f"{name}.csv")
    return dcc.send_bytes(xlsx_bytes(frame, name[:31]), f"{name}.xlsx")


def clicked(click, search: str | None, database_url: str) -> str:
    """The URL after a click on a chart point: a unit drills down, a chapter or a flow is chosen."""
    points = (click or {}).get("points") or []
    custom = points[0].get("customdata") if points else None
    state, _ = parse_query(search or "")
    new = None
    if isinstance(custom, str) and "~" in custom:
        new = replace(state, pair=custom)
    elif isinstance(custom, list) and len(custom) == 2 and all(isinstance(c, str) for c in custom):
        level, code = custom
        if level in PAGE_CHOICES:  # a page's own drill-down (an ICD-10 chapter, a DRG group)
            new = replace(state, **{PAGE_CHOICES[level]: code})
        else:
            new = drill_state(database_url, state, level, code)
    if new is None:
        return no_update
    checked, ignored = parse_query(new.to_query())  # a forged click cannot put junk into the URL
    if ignored:
        return no_update
    query = checked.to_query()
    return query if query != (search or "") else no_update


def register_panels(app, specs: dict[str, PanelSpec], database_url: str) -> None:
    """Make a page's panels known to the one MATCH callback that draws them all."""
    PANELS.update(specs)


def draw(_trigger, search: str | None, database_url: str, key: str):
    """A panel's body. Dash Pages re-creates a page's panels whenever the URL changes, and every new panel
    fires this once, in its own request: the panels of a page load in parallel and appear as each is ready.
    One pattern-matching callback instead of one per panel keeps the browser's callback graph small."""
    if key not in PANELS:
        log.warning("drawing of unknown panel %r refused", key)
        return message(t("no_data", parse_query(search or "")[0].lang))
    return render(key, search, database_url)


def register(app, settings) -> None:
    url = settings.database_url
    app.callback(
        Output(ids.panel_body(MATCH), "children"),
        Input(ids.panel_trigger(MATCH), "data"),
        State(ids.PAGES_LOCATION, "search"),
    )(lambda trigger, search: draw(trigger, search, url, ctx.outputs_list["id"]["panel"]))
    app.callback(
        Output(ids.panel_file(MATCH), "data"),
        Input(ids.panel_csv(MATCH), "n_clicks"),
        Input(ids.panel_xlsx(MATCH), "n_clicks"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda a, b, search: download(a, b, search, url, ctx.triggered_id))
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.panel_graph(ALL), "clickData"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda clicks, search: clicked(ctx.triggered[0]["value"] if ctx.triggered else None, search, url))
