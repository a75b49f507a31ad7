"""Warehouse page: fill the overview."""

from __future__ import annotations

from dash import Input, Output

from dashboard import ids
from dashboard.components.warehouse import error_panel, summary_panel
from dashboard.errors import UserFacingError
from queries.warehouse import warehouse_summary


def render_summary(_trigger, database_url: str):
    try:
        summary = warehouse_summary(database_url)
    except UserFacingError as exc:
        return error_panel(str(exc))
    return summary_panel(summary.row_counts, summary.period_start, summary.period_end, summary.meta)


def register(app, settings) -> None:
    app.callback(Output(ids.WAREHOUSE_SUMMARY, "children"), Input(ids.WAREHOUSE_SUMMARY, "id"))(
        lambda trigger: render_summary(trigger, settings.database_url)
    )
