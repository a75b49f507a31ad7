"""The gate in front of Dash's callbacks: a role opens only its pages, a malformed request is refused with a
clear 400 rather than a traceback, and every callback request goes into the audit trail.

Which page a callback serves is read from the pages' own layouts: every component id a page lays out (a
panel's key, for the pattern-matching panels) belongs to that page. A callback whose outputs belong to a page
the role may not open is refused (403) before any query runs, whatever the browser sent. The page routing
itself shows such a page as a notice (``guard_layouts``).
"""

from __future__ import annotations

import logging

import dash
from dash import html
from flask import g, request
from werkzeug.exceptions import HTTPException

from callbacks.panels import layout_ids
from callbacks.viewer import confined_query
from dashboard.auth import account, audit_event
from dashboard.core.roles import CITY_OPEN_PAGES, may_open
from dashboard.ui import ids
from dashboard.ui.words import t

log = logging.getLogger(__name__)
CALLBACK_PATH = "/_dash-update-component"
GUARDED_FLAG = "_dashboard_guarded"


def _component_key(component_id) -> str | None:
    if isinstance(component_id, str):
        return component_id
    if isinstance(component_id, dict):
        return f"panel:{component_id['panel']}" if "panel" in component_id else None
    return None


def components_by_page(pages) -> dict[str, str]:
    """Component key -> the path of the one page laying it out (a string id, or "panel:KEY"); components
    several pages lay out (the filter bar, the breadcrumb) belong to the frame, not to a page."""
    owner: dict[str, str] = {}
    shared: set[str] = set()
    for page in pages:
        for node_id in layout_ids(page):
            key = _component_key(node_id)
            if key and owner.setdefault(key, page["path"]) != page["path"]:
                shared.add(key)
    return {key: path for key, path in owner.items() if key not in shared}


def _outputs(body: dict) -> list:
    outputs = body.get("outputs")
    items = outputs if isinstance(outputs, list) else [outputs]
    return [o.get("id") for o in items if isinstance(o, dict)]


def _url_values(body: dict) -> tuple[str, str]:
    """The page's pathname and query string, where the request carries them."""
    pathname = search = ""
    for item in [*(body.get("inputs") or []), *(body.get("state") or [])]:
        if isinstance(item, dict) and item.get("id") == ids.PAGES_LOCATION:
            if item.get("property") == "pathname" and isinstance(item.get("value"), str):
                pathname = item["value"]
            if item.get("property") == "search" and isinstance(item.get("value"), str):
                search = item["value"]
    return pathname, search


def install_gate(app: dash.Dash, owner: dict[str, str]) -> None:
    """Refuse callbacks of pages the role may not open, refuse malformed ones, audit every one."""
    server = app.server

    @server.before_request
    def _check_callback():
        if request.path != CALLBACK_PATH or request.method != "POST":
            return None
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "output" not in body or not isinstance(body.get("inputs", []), list):
            g.audit = {"kind": "refused", "detail": "malformed callback request"}
            return {"error": "malformed callback request"}, 400
        pathname, search = _url_values(body)
        pages = {owner[k] for k in map(_component_key, _outputs(body)) if k in owner}
        g.audit = {
            "page": next(iter(pages), pathname),
            "filters": search,
            "detail": str(body.get("output"))[:300],
        }
        user = account()
        refused = sorted(p for p in pages if not may_open(user.role if user else None, p))
        if refused:
            g.audit.update(kind="refused", detail=f"page {refused[0]} not open to role")
            return {"error": "not open to your role"}, 403
        if ids.NAVBAR in str(body.get("output")):
            g.audit["kind"] = "page_view"  # the frame follows the URL: one per page shown or filter changed
            g.audit["page"] = pathname
        return None

    @server.after_request
    def _audit_callback(response):
        if request.path == CALLBACK_PATH and request.method == "POST" and "audit" in g and account():
            fields = g.audit
            kind = fields.get("kind") or getattr(g, "audit_kind", None) or "data"
            detail = fields.get("detail", "")
            if response.status_code >= 400:
                detail = f"{response.status_code} {detail}"
            audit_event(
                kind,
                page=fields.get("page", ""),
                filters=fields.get("filters", ""),
                rows=getattr(g, "audit_rows", None),
                detail=detail,
            )
        return response

    @server.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return error
        # Dash's own dispatch failing on a request it cannot read (a forged body): a clear 400, never a 500
        if request.path == CALLBACK_PATH:
            log.warning("callback request refused: %s: %s", type(error).__name__, error)
            g.audit = {
                **g.get("audit", {}),
                "kind": "refused",
                "detail": f"unreadable: {type(error).__name__}",
            }
            return {"error": "malformed callback request"}, 400
        log.exception("unexpected error on %s", request.path)
        return {"error": "internal error"}, 500


def guard_layouts(pages) -> None:
    """Each page's layout, for a role that may not open it, is a notice instead (once per page entry)."""
    for page in pages:
        layout = page["layout"]
        if getattr(layout, GUARDED_FLAG, False):
            continue

        def guarded(_layout=layout, _path=page["path"], **query):
            user = account()
            if user is not None and not may_open(user.role, _path):
                lang = "en" if query.get("lang") == "en" else "zh"
                return html.Div(t("page_not_for_role", lang), className="alert alert-warning mt-3")
            if user is not None:  # the filter bar shows only units inside the scope, and the viewer's own
                query = confined_query(query, _path in CITY_OPEN_PAGES)
            return _layout(**query) if callable(_layout) else _layout

        setattr(guarded, GUARDED_FLAG, True)
        page["layout"] = guarded
