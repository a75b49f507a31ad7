"""Definitions page: the registry as a bilingual table."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.components.definitions import definitions_table
from dashboard.state import parse_query
from queries.registry import KPIS


def render(search: str | None):
    state, _ = parse_query(search or "")
    return definitions_table(KPIS, state.lang)


def register(app, settings) -> None:
    app.callback(Output(ids.DEFINITIONS, "children"), Input(ids.PAGES_LOCATION, "search"))(render)
