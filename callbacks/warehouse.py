"""数据概况 page: what the warehouse holds and for which period."""

from __future__ import annotations

from dash import Input, Output

from callbacks.panels import view_state
from dashboard.core.errors import UserFacingError
from dashboard.ui import ids
from dashboard.ui.components.warehouse import error_panel, summary_panel
from dashboard.ui.words import tell
from queries.warehouse import warehouse_summary


def render_summary(search: str | None, database_url: str):
    lang = view_state(search).lang
    try:
        summary = warehouse_summary(database_url)
    except UserFacingError as exc:
        return error_panel(tell(exc, lang), lang)
    return summary_panel(summary.row_counts, summary.period_start, summary.period_end, summary.meta, lang)


def register(app, settings) -> None:
    app.callback(Output(ids.WAREHOUSE_SUMMARY, "children"), Input(ids.PAGES_LOCATION, "search"))(
        lambda search: render_summary(search, settings.database_url)
    )
