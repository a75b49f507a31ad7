"""The Dash application factory: the composition root that wires the layers into one app."""

from __future__ import annotations

import logging
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask_bootstrap
from dash import html
from flask import Blueprint, jsonify

from callbacks import register_all
from callbacks.panels import check_panels, panels_laid_out
from dashboard.auth import install_login
from dashboard.core.cache import init_cache
from dashboard.core.errors import UserFacingError
from dashboard.core.paths import PROJECT_ROOT
from dashboard.core.settings import Settings
from dashboard.gate import components_by_page, guard_layouts, install_gate
from dashboard.guard import protect
from dashboard.ui import ids
from dashboard.ui.components.shell import header
from dashboard.ui.words import t
from queries.warehouse import service_status

log = logging.getLogger(__name__)

# Bootstrap's stylesheet is served by this app from the bootstrap-flask package: no CDN at run time.
_VENDOR_STATIC = Path(flask_bootstrap.__file__).parent / "static"
BOOTSTRAP_CSS = "/vendor/bootstrap5/css/bootstrap.min.css"


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build a fully wired app. Safe to call more than once in a process (each app gets its callbacks).

    Raises:
        RuntimeError: a page lays out a panel no callback module registered (or the other way round).
    """
    settings = settings or Settings.from_env()
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PROJECT_ROOT / "pages"),
        assets_folder=str(PROJECT_ROOT / "assets"),
        external_stylesheets=[BOOTSTRAP_CSS],
        title=t("app_brand", "zh"),
        suppress_callback_exceptions=True,
        serve_locally=True,
        on_error=_callback_failed,
    )
    app.server.register_blueprint(
        Blueprint("vendor", __name__, static_folder=str(_VENDOR_STATIC), static_url_path="/vendor")
    )
    app.server.config["DASHBOARD_SETTINGS"] = settings
    init_cache(app.server, settings.redis_url)
    app.layout = html.Div([header(), dbc.Container(dash.page_container, fluid=True, id=ids.PAGE_CONTENT)])
    app.server.add_url_rule("/healthz", "healthz", _health(settings))
    register_all(app, settings)
    check_panels(app, panels_laid_out(dash.page_registry.values()))
    protect(app)  # first: the Host allow-list answers before anything else looks at a request
    install_login(app, settings.database_url)  # then: no session, no further
    install_gate(app, components_by_page(dash.page_registry.values()))
    guard_layouts(dash.page_registry.values())
    return app


def _callback_failed(error: Exception):
    """A callback that raised (a bug, or a forged value no check foresaw): logged for us, and the page keeps
    what it shows (no update) rather than receiving a 500."""
    log.error("callback failed: %s: %s", type(error).__name__, error, exc_info=error)
    return None


def _health(settings: Settings):
    """``/healthz``: 200 with the data version served (a deployment checks a load was picked up), 503 with the
    reason when the warehouse cannot be read."""

    def health():
        try:
            return jsonify({"status": "ok", **service_status(settings.database_url)})
        except UserFacingError as exc:
            # the reason's key only: the message may name a file path or a server, and this route is open
            return jsonify({"status": "unavailable", "reason": exc.key}), 503

    return health
