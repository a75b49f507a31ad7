"""医院数据发布 page: the hospital picker, the slides, presentation mode and the PDF / Excel exports."""

from __future__ import annotations

from dash import Input, Output, State, ctx, dcc, no_update

from callbacks.panels import checked_query, view_state
from callbacks.viewer import audited_rows, view_of
from dashboard.core.errors import UserFacingError
from dashboard.ui import ids
from dashboard.ui.components.panels import message
from dashboard.ui.components.report import slides
from dashboard.ui.report_files import report_pdf, report_xlsx
from dashboard.ui.words import t, tell
from queries.report import hospitals, report
from queries.selection import drill_state


def render_slides(search: str | None, database_url: str):
    state = view_state(search)
    try:
        data = report(view_of(database_url, state))
    except UserFacingError as exc:
        return message(t("error", state.lang) + tell(exc, state.lang))
    if data.message:
        return message(tell(data.message, state.lang))
    return slides(data.frame, data.meta, state.lang)


def pick(code: str | None, search: str | None, database_url: str):
    """Choosing a hospital scopes the view to it (its district and consortium too)."""
    state = view_state(search)
    if not isinstance(code, str) or not code or code == state.institution:
        return no_update
    new = drill_state(view_of(database_url, state), "institution", code)
    return checked_query(new, search) if new else no_update


def export(search: str | None, database_url: str, triggered: str):
    state = view_state(search)
    data = report(view_of(database_url, state))
    if data.message or data.frame.empty:
        return no_update
    name = f"report_{data.meta['institution']}"
    audited_rows(len(data.frame) + len(data.meta["peers"]), kind="export")
    if triggered == ids.REPORT_PDF:
        return dcc.send_bytes(report_pdf(data.frame, data.meta, state.lang), f"{name}.pdf")
    return dcc.send_bytes(report_xlsx(data.frame, data.meta, state.lang), f"{name}.xlsx")


def register(app, settings) -> None:
    url = settings.database_url
    app.callback(Output(ids.REPORT_HOSPITAL, "options"), Input(ids.PAGES_LOCATION, "search"))(
        lambda search: hospitals(view_of(url, view_state(search)))
    )
    app.callback(Output(ids.REPORT_SLIDES, "children"), Input(ids.PAGES_LOCATION, "search"))(
        lambda search: render_slides(search, url)
    )
    app.callback(
        Output(ids.PAGES_LOCATION, "search", allow_duplicate=True),
        Input(ids.REPORT_HOSPITAL, "value"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda code, search: pick(code, search, url))
    app.callback(
        Output(ids.REPORT_DOWNLOAD, "data"),
        Input(ids.REPORT_PDF, "n_clicks"),
        Input(ids.REPORT_XLSX, "n_clicks"),
        State(ids.PAGES_LOCATION, "search"),
        prevent_initial_call=True,
    )(lambda _pdf, _xlsx, search: export(search, url, ctx.triggered_id))
    # Presentation mode lives in the browser (assets/presentation.js): full screen, arrows, Esc.
    app.clientside_callback(
        "function(n) { if (n) { window.reportPresentation.start(); } return window.dash_clientside.no_update; }",
        Output(ids.REPORT_PRESENT, "title"),
        Input(ids.REPORT_PRESENT, "n_clicks"),
        prevent_initial_call=True,
    )
