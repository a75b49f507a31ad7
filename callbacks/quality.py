"""数据质量 page: which query feeds which panel, and the fact-table choice written into the URL."""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, State

from callbacks.panels import PanelSpec, checked_query, register_panels, view_state
from dashboard.ui import ids, notes
from dashboard.ui.components import quality as components
from dashboard.ui.figures import quality as figures
from queries import quality as q

SPECS = {
    "quality-grid": PanelSpec(
        q.grid,
        lambda data, state: figures.quality_grid(data.frame, data.meta, state.lang),
        table=components.grid_table,
        note=notes.quality_grid,
    ),
    "quality-summary": PanelSpec(
        q.institution_summary,
        lambda data, state: components.summary_table(data.frame, data.meta, state),
        table=components.summary_download,
    ),
    "quality-loads": PanelSpec(
        q.loads,
        lambda data, state: components.loads_table(data.frame, state),
        table=components.loads_download,
    ),
    "quality-reasons": PanelSpec(
        q.reasons,
        lambda data, state: components.reasons_table(data.frame, data.meta, state.lang),
        table=components.reasons_download,
    ),
}


def table_to_url(choice, search):
    """The fact table chosen, written into the URL (visits, the default, leaves it out)."""
    state = view_state(search)
    return checked_query(replace(state, table="" if choice == "visits" else (choice or "")), search)


def register(app, settings) -> None:
    register_panels(app, SPECS)
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.QUALITY_TABLE, "value"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(table_to_url)
