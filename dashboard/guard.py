"""What the app does to face a network (issue 15, serving): security headers with a CSP Dash works under,
a Host allow-list against DNS rebinding, and a request-size limit. Login and data scope come on top of it."""

from __future__ import annotations

import os

import dash
from flask import abort, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1", "::1")
MAX_REQUEST_BYTES = 1 << 20  # a callback's request is a few kilobytes


def trusted_proxies() -> int:
    """``DASHBOARD_TRUSTED_PROXIES``: how many reverse proxies stand in front of the app (0, the default: the
    app is reached directly and X-Forwarded-* headers, which anyone can send, are ignored)."""
    text = os.environ.get("DASHBOARD_TRUSTED_PROXIES", "").strip()
    return int(text) if text.isdigit() else 0


def allowed_hosts() -> frozenset[str]:
    """``DASHBOARD_ALLOWED_HOSTS`` (comma-separated host names, any port), default localhost and 127.0.0.1."""
    text = os.environ.get("DASHBOARD_ALLOWED_HOSTS", "")
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    return frozenset(names or DEFAULT_ALLOWED_HOSTS)


def _host_name(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8050
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def content_security_policy(app: dash.Dash) -> dict:
    """Scripts only from this server and Dash's own inline scripts (by hash, so no 'unsafe-inline' for
    scripts); inline styles, which Plotly and Dash components set on elements; no framing by other sites."""
    return {
        "default-src": "'self'",
        "script-src": ["'self'", *app.csp_hashes()],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def protect(app: dash.Dash) -> None:
    """Apply the headers, the Host allow-list and the size limit to ``app`` (call after its callbacks are
    registered: the CSP carries the hashes of the inline scripts they need)."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    proxies = trusted_proxies()
    if proxies:  # behind nginx: the client's address (audit trail, login limits) from X-Forwarded-For
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=proxies, x_proto=proxies, x_host=0)
    secure = os.environ.get("DASHBOARD_SECURE_COOKIES") == "1"
    Talisman(
        server,
        force_https=False,  # HTTPS is the reverse proxy's job (README: nginx); it sets Secure cookies with it
        strict_transport_security=secure,
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        frame_options="DENY",
        referrer_policy="same-origin",
        content_security_policy=None,  # written below: Dash's inline scripts are known only once it is set up
    )
    hosts = allowed_hosts()

    @server.after_request
    def _content_security_policy(response):
        # Dash adds the inline scripts of clientside callbacks when it sets itself up, at the first request:
        # the policy names the hashes of the scripts there are when the response leaves
        policy = content_security_policy(app)
        response.headers["Content-Security-Policy"] = "; ".join(
            f"{name} {' '.join(value) if isinstance(value, list) else value}"
            for name, value in policy.items()
        )
        return response

    @server.before_request
    def _known_host():
        # a page reached through a name nobody configured is a DNS-rebinding attempt, or a mistake
        if _host_name(request.host) not in hosts:
            abort(400)
