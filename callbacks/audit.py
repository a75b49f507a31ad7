"""审计日志 page: the trail, filtered by day, user and kind (the gate lets only administrators here)."""

from __future__ import annotations

import datetime as dt

from dash import Input, Output

from callbacks.panels import view_state
from dashboard.accounts import audit, store
from dashboard.ui import ids
from dashboard.ui.components.audit import audit_table

SHOWN = 500


def render(since, user, kind, search: str | None):
    """The newest events matching the filters; a malformed value (a forged request) is no filter."""
    lang = view_state(search).lang
    try:
        day = dt.date.fromisoformat(since) if isinstance(since, str) and since else None
    except ValueError:
        day = None
    user = user.strip()[:40] if isinstance(user, str) and user.strip() else None
    kind = kind if kind in audit.KINDS else None
    return audit_table(audit.events(store.shared_engine(), day, user, kind, SHOWN), lang)


def register(app, settings) -> None:
    app.callback(
        Output(ids.AUDIT_TABLE, "children"),
        Input(ids.AUDIT_SINCE, "value"),
        Input(ids.AUDIT_USER, "value"),
        Input(ids.AUDIT_KIND, "value"),
        Input(ids.PAGES_LOCATION, "search"),
    )(render)
