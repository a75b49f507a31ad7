"""指标定义 page: the registry as a bilingual table."""

from __future__ import annotations

from dash import Input, Output

from callbacks.panels import view_state
from dashboard.ui import ids
from dashboard.ui.components.definitions import definitions_table
from queries.definitions import definitions


def render(search: str | None):
    return definitions_table(definitions(), view_state(search).lang)


def register(app, settings) -> None:
    app.callback(Output(ids.DEFINITIONS, "children"), Input(ids.PAGES_LOCATION, "search"))(render)
