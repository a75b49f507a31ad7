"""Who is asking: the logged-in user's data scope, joined to every view a callback builds.

The session is Flask-Login's (``dashboard.auth``); its guard lets no callback run without one. A handler
called directly, outside any web request (the operator's own Python: tests, a notebook), acts as the
operator and sees the whole city.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context
from flask_login import current_user

from dashboard.core.state import ViewState, parse_query
from queries.access import EVERYTHING, NOTHING, Scope, scope_for
from queries.selection import View, confine


def viewer_account():
    """The account of the request's session (None outside a web request, or without a session)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user.account


def viewer_scope(database_url: str) -> Scope:
    """The data scope of whoever asks."""
    if not has_request_context():
        return EVERYTHING
    account = viewer_account()
    if account is None:
        return NOTHING
    return scope_for(database_url, account.role, account.scope_type, account.scope_id)


def view_of(database_url: str, state: ViewState, city_open: bool = False) -> View:
    """The view of ``state`` for whoever asks, kept inside their scope (``city_open``: a page that shows a
    district official the city's districts as aggregates)."""
    return confine(View(database_url, state, viewer_scope(database_url), city_open=city_open))


def outside_scope(state: ViewState) -> bool:
    """Whether ``state`` names a unit outside the viewer's scope (a URL a callback must not hand back)."""
    if not has_request_context():
        return False
    url = current_app.config["DASHBOARD_SETTINGS"].database_url
    return bool(view_of(url, state).confined)


def confined_query(query: dict, city_open: bool = False) -> dict:
    """A page's query parameters kept inside the viewer's scope: units outside it removed, the viewer's own
    unit filled in (so the filter bar shows where the data comes from)."""
    if not has_request_context():
        return query
    state, _ignored = parse_query(query)
    kept = view_of(current_app.config["DASHBOARD_SETTINGS"].database_url, state, city_open).state
    changed = {
        k: getattr(kept, k)
        for k in ("district", "consortium", "institution", "team", "doctor", "pair")
        if getattr(kept, k) != getattr(state, k)
    }  # the rest as given: a malformed value is still the page's to report
    return {**{k: v for k, v in query.items() if k not in changed}, **{k: v for k, v in changed.items() if v}}


def audited_rows(rows: int, kind: str = "download") -> None:
    """Tell the audit trail how many rows a download or an export sends out (read by ``dashboard.gate``)."""
    if has_request_context():
        g.audit_rows = rows
        g.audit_kind = kind
