"""指标定义 page: the disclosure rules for the deployment's threshold, and the registry as a bilingual table."""

from __future__ import annotations

from dash import Input, Output, html

from callbacks.panels import view_state
from dashboard.core.settings import suppression_threshold
from dashboard.ui import ids
from dashboard.ui.components.definitions import definitions_table, disclosure_rules
from queries.definitions import definitions


def render(search: str | None):
    lang = view_state(search).lang
    return html.Div([disclosure_rules(suppression_threshold(), lang), definitions_table(definitions(), lang)])


def register(app, settings) -> None:
    app.callback(Output(ids.DEFINITIONS, "children"), Input(ids.PAGES_LOCATION, "search"))(render)
