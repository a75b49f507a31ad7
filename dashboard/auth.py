"""Login, sessions and the guard in front of every route (issue 15).

Flask does this, not Dash: Flask-Login keeps who is logged in, Flask-WTF checks the login form's CSRF token,
Flask-Limiter limits failed logins per user and address. Sessions live on the server, in the application
database (``dashboard.accounts.sessions``); the cookie carries a random id. A ``before_request`` guard lets
through only the login page, the health check and static files without a live session: a page asked for
without one is sent to ``/login``, a callback or a download gets 401. Sessions end at logout and after
``DASHBOARD_IDLE_MINUTES`` (default 30) without a request.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Flask, has_request_context, redirect, render_template_string, request, session
from flask_limiter import Limiter
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from dashboard.accounts import audit, sessions, store
from dashboard.core.paths import DATA_DIR
from dashboard.core.roles import ROLE_DEFAULT_PAGE
from dashboard.ui.words import t
from queries.access import is_demo_warehouse

log = logging.getLogger(__name__)

SECRET_KEY_FILE = DATA_DIR / "secret_key"
DEFAULT_IDLE_MINUTES = 30
FAILED_LOGINS = "10 per 15 minutes"  # per user name and address: slow enough to stop guessing
PUBLIC_PREFIXES = ("/login", "/healthz", "/vendor/", "/assets/", "/_favicon.ico", "/favicon.ico")


class SessionUser(UserMixin):
    """The logged-in user as Flask-Login holds them: the account's row and the server-side session (whose id
    is all the cookie carries)."""

    def __init__(self, account: store.User, session_id: str):
        self.account = account
        self.session_id = session_id

    def get_id(self) -> str:
        return self.session_id


class LoginForm(FlaskForm):
    username = StringField(validators=[DataRequired(), Length(max=40)])
    password = PasswordField(validators=[DataRequired(), Length(max=200)])


def secret_key() -> str:
    """``DASHBOARD_SECRET_KEY``, or a key generated once and kept under data/ (readable by its owner only),
    so sessions survive a restart and every worker of one deployment signs cookies alike."""
    given = os.environ.get("DASHBOARD_SECRET_KEY", "").strip()
    if given:
        return given
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    SECRET_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def idle_minutes() -> int:
    text = os.environ.get("DASHBOARD_IDLE_MINUTES", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_IDLE_MINUTES


def address() -> str:
    return request.remote_addr or ""


def account() -> store.User | None:
    """The account of the request's session, if any (None outside a request: the operator's own call)."""
    if not has_request_context() or not current_user.is_authenticated:
        return None
    return current_user.account


def audit_event(kind: str, user: store.User | None = None, username: str = "", **fields) -> None:
    """Record ``kind`` for the request's user (or the given one); a trail that cannot be written is logged,
    and the request goes on (the database is the operator's to fix, the user's page is not to blame)."""
    user = user or account()
    try:
        audit.record(
            store.shared_engine(),
            audit.Event(
                username=user.username if user else username,
                role=user.role if user else "",
                scope=user.scope_label if user else "",
                address=address(),
                kind=kind,
                **fields,
            ),
        )
    except Exception:
        log.exception("audit event %s could not be recorded", kind)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path on this site only (never another host: an open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def install_login(app, database_url: str) -> None:
    """Put the login page, logout and the session guard on the Dash app's Flask server."""
    server: Flask = app.server
    server.config.update(
        SECRET_KEY=secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("DASHBOARD_SECURE_COOKIES") == "1",
        SESSION_COOKIE_NAME="dashboard_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=idle_minutes()),
        REMEMBER_COOKIE_DURATION=dt.timedelta(seconds=0),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    manager = LoginManager(server)
    manager.session_protection = "basic"

    @manager.user_loader
    def _load(session_id: str):
        # the session must be live on the server (not ended, not idle), and its user still allowed in
        engine = store.shared_engine()
        username = sessions.user_of(engine, session_id, dt.timedelta(minutes=idle_minutes()))
        user = store.get_user(engine, username) if username else None
        if user is None or user.disabled or (user.demo and not is_demo_warehouse(database_url)):
            return None
        return SessionUser(user, session_id)

    limiter = Limiter(
        key_func=address,
        app=server,
        storage_uri=os.environ.get("DASHBOARD_REDIS_URL") or "memory://",
        strategy="moving-window",
        headers_enabled=False,
        # a Redis that fails must not stop logins: the limits are then counted in this process
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )

    def _login_key() -> str:
        return f"{address()}|{(request.form.get('username') or '').strip().lower()[:40]}"

    @limiter.limit(
        FAILED_LOGINS,
        key_func=_login_key,
        methods=["POST"],
        deduct_when=lambda response: response.status_code != 302,
    )
    def login():
        lang = "en" if request.args.get("lang") == "en" else "zh"
        form = LoginForm()
        error = ""
        if request.method == "POST":
            if form.validate_on_submit():
                name = form.username.data.strip()
                user = store.verify(store.shared_engine(), name, form.password.data)
                if user is not None and user.demo and not is_demo_warehouse(database_url):
                    user = None
                if user is not None:
                    session.clear()
                    session_id = sessions.start(store.shared_engine(), user.username, address())
                    login_user(SessionUser(user, session_id))
                    session.permanent = True
                    audit_event("login", user=user, page="/login")
                    target = safe_next(request.args.get("next"))
                    if target == "/":  # the role's own first page (the bureau and hospitals have no overview)
                        target = ROLE_DEFAULT_PAGE.get(user.role, "/")
                    return redirect(target)
                audit_event("login_failed", username=name, page="/login")
            elif "csrf_token" in form.errors:  # no token, or one from another session: a forged or stale form
                name = (request.form.get("username") or "")[:40]
                audit_event("login_failed", username=name, page="/login", detail="csrf")
                return _login_page(LoginForm(), lang, t("login_expired_form", lang), database_url), 400
            else:
                audit_event("login_failed", username=(request.form.get("username") or "")[:40], page="/login")
            error = t("login_failed", lang)
        return _login_page(form, lang, error, database_url), 200 if not error else 401

    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])

    def logout():
        if current_user.is_authenticated:
            audit_event("logout", page="/logout")
            sessions.end(store.shared_engine(), current_user.session_id)
        logout_user()
        session.clear()
        return redirect("/login")

    server.add_url_rule("/logout", "logout", logout)

    @server.errorhandler(429)
    def _too_many(_error):
        lang = "en" if request.args.get("lang") == "en" else "zh"
        audit_event("refused", username=(request.form.get("username") or "")[:40], detail="login rate limit")
        return _login_page(LoginForm(), lang, t("login_too_many", lang), database_url), 429

    @server.before_request
    def _guard():
        path = request.path
        if any(path == p or path.startswith(p) for p in PUBLIC_PREFIXES):
            return None
        if current_user.is_authenticated:  # a live session on the server (dashboard/accounts/sessions.py)
            return None
        if path.startswith("/_dash-") or request.method != "GET":
            audit_event("refused", username="", page=path, detail="no session")
            return {"error": "login required", "login": "/login"}, 401
        query = urlencode({"next": request.full_path.rstrip("?")})
        return redirect(f"/login?{query}")


_LOGIN_PAGE = """<!doctype html>
<html lang="{{ 'en' if lang == 'en' else 'zh-CN' }}">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ words.title }}</title>
<link rel="stylesheet" href="/vendor/bootstrap5/css/bootstrap.min.css">
</head>
<body class="bg-light">
<main class="container" style="max-width: 28rem">
  <h1 class="h4 mt-5 mb-1">{{ words.brand }}</h1>
  <p class="text-muted mb-4">{{ words.title }}</p>
  {% if error %}<div class="alert alert-danger" role="alert">{{ error }}</div>{% endif %}
  <form method="post" action="{{ action }}" class="card card-body shadow-sm">
    <input type="hidden" name="csrf_token" value="{{ form.csrf_token.current_token }}">
    <div class="mb-3">
      <label for="username" class="form-label">{{ words.username }}</label>
      <input id="username" name="username" class="form-control" autocomplete="username" required autofocus
             maxlength="40">
    </div>
    <div class="mb-3">
      <label for="password" class="form-label">{{ words.password }}</label>
      <input id="password" name="password" type="password" class="form-control"
             autocomplete="current-password" required maxlength="200">
    </div>
    <button type="submit" class="btn btn-primary w-100">{{ words.submit }}</button>
  </form>
  <p class="mt-3"><a href="{{ switch_href }}">{{ words.switch }}</a></p>
  {% if demo_users %}
  <div class="card card-body mt-3">
    <h2 class="h6">{{ words.demo_users }}</h2>
    <p class="small text-muted mb-2">{{ words.demo_note }}</p>
    <table class="table table-sm mb-0">
      <thead><tr><th>{{ words.username }}</th><th>{{ words.role }}</th></tr></thead>
      <tbody>
      {% for user in demo_users %}<tr><td><code>{{ user.username }}</code></td><td>{{ user.role_name }}</td></tr>
      {% endfor %}
      </tbody>
    </table>
  </div>
  {% endif %}
</main>
</body>
</html>
"""


def _login_page(form: LoginForm, lang: str, error: str, database_url: str) -> str:
    next_target = safe_next(request.args.get("next"))
    query = {"next": next_target} if next_target != "/" else {}
    action = "/login" + ("?" + urlencode({**query, "lang": lang}) if (query or lang == "en") else "")
    switch = "zh" if lang == "en" else "en"
    switch_href = "/login?" + urlencode({**query, "lang": switch})
    demo_users = []
    if is_demo_warehouse(database_url):
        demo_users = [
            {"username": u.username, "role_name": t(f"role_{u.role}", lang)}
            for u in store.list_users(store.shared_engine())
            if u.demo and not u.disabled
        ]
    words = {
        key: t(f"login_{key}", lang)
        for key in ("title", "username", "password", "submit", "demo_users", "demo_note", "role")
    }
    words.update({"brand": t("app_brand", lang), "switch": t("switch_lang", lang)})
    return render_template_string(
        _LOGIN_PAGE,
        form=form,
        lang=lang,
        error=error,
        words=words,
        action=action,
        switch_href=switch_href,
        demo_users=demo_users,
    )
