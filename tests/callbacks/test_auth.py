"""Login and sessions: every route but the login page, the health check and static files needs a session;
the login form has a CSRF token, failed logins are limited per user and address, sessions end when idle,
logins and failures are audited, demo users only ever log in to the demo city."""

from __future__ import annotations

import datetime as dt
import stat

import pytest

from dashboard import auth
from dashboard.accounts import audit, sessions, store
from dashboard.app import create_app
from dashboard.core.settings import Settings
from tests.support import TEST_PASSWORD, TEST_USER, logged_in, login_form
from tests.support.mini_warehouse import build_mini_warehouse


@pytest.fixture(scope="module")
def app(s_warehouse):
    return create_app(Settings(database_url=s_warehouse))


def _events(app_users, username, kind):
    return audit.events(store.app_engine(app_users), user=username, kind=kind)


def test_without_a_session_pages_go_to_login_and_data_is_refused(app):
    client = app.server.test_client()
    page = client.get("/drg?district=990102")
    assert page.status_code == 302
    assert page.headers["Location"] == "/login?next=%2Fdrg%3Fdistrict%3D990102"
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    refused = client.post("/_dash-update-component", json={"output": "home-cards.children", "inputs": []})
    assert refused.status_code == 401 and refused.get_json() == {"error": "login required", "login": "/login"}
    assert client.get("/healthz").status_code == 200
    assert client.get("/login").status_code == 200
    assert client.get("/vendor/bootstrap5/css/bootstrap.min.css").status_code == 200


def test_the_login_page_is_a_form_with_a_csrf_token_in_both_languages(app):
    client = app.server.test_client()
    chinese = client.get("/login").get_data(as_text=True)
    assert 'name="username"' in chinese and 'name="password"' in chinese and 'name="csrf_token"' in chinese
    assert "用户名" in chinese and "密码" in chinese
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "User name" in english and "Password" in english
    # no token, no login (even with the right password)
    forged = client.post("/login", data={"username": TEST_USER, "password": TEST_PASSWORD})
    assert forged.status_code == 400
    assert client.get("/").status_code == 302


def test_a_login_goes_where_it_was_asked_on_this_site_only(app, app_users):
    client = app.server.test_client()
    answer = login_form(client, TEST_USER, TEST_PASSWORD, next_path="/drg")
    assert answer.status_code == 302 and answer.headers["Location"] == "/drg"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/drg").status_code == 200
    assert _events(app_users, TEST_USER, "login")
    for hostile in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        other = app.server.test_client()
        assert login_form(other, TEST_USER, TEST_PASSWORD, next_path=hostile).headers["Location"] == "/"


def test_secure_cookies_when_asked(s_warehouse, monkeypatch):
    monkeypatch.setenv("DASHBOARD_SECURE_COOKIES", "1")
    client = create_app(Settings(database_url=s_warehouse)).server.test_client()
    assert "Secure" in login_form(client, TEST_USER, TEST_PASSWORD).headers["Set-Cookie"]


def test_a_wrong_password_is_refused_audited_and_limited(app, app_users):
    engine = store.app_engine(app_users)
    store.add_user(engine, "guessed", "city", None, None, "the-right-password-1")
    client = app.server.test_client()
    for _ in range(auth_limit()):
        refused = login_form(client, "guessed", "wrong-password-xx")
        assert refused.status_code == 401 and "用户名或密码不正确" in refused.get_data(as_text=True)
    # the limit holds even for the right password now, for this user from this address
    limited = login_form(client, "guessed", "the-right-password-1")
    assert limited.status_code == 429 and "15" in limited.get_data(as_text=True)
    assert len(_events(app_users, "guessed", "login_failed")) == auth_limit()
    # another user from the same address is not locked out by it
    assert login_form(app.server.test_client(), TEST_USER, TEST_PASSWORD).status_code == 302


def auth_limit() -> int:
    return int(auth.FAILED_LOGINS.split()[0])


def test_logout_ends_the_session_on_the_server(app, app_users):
    client = logged_in(app.server.test_client())
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        copied = dict(session)  # the cookie as someone who copied it holds it
    assert client.get("/logout").headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    assert _events(app_users, TEST_USER, "logout")
    replay = app.server.test_client()
    with replay.session_transaction() as session:
        session.update(copied)
    assert replay.get("/").status_code == 302  # the copied cookie names a session that has ended
    # the table holds a hash of the id, never the id
    with store.app_engine(app_users).connect() as conn:
        hashes = [
            r[0]
            for r in conn.execute(
                sessions.app_session.select().with_only_columns(sessions.app_session.c.session_hash)
            )
        ]
    assert copied["_user_id"] not in hashes


def _session_id(client) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def test_an_idle_session_ends_on_the_server(app, app_users):
    client = logged_in(app.server.test_client())
    assert client.get("/").status_code == 200
    idle = dt.timedelta(minutes=auth.DEFAULT_IDLE_MINUTES, seconds=5)
    sessions.set_last_seen(store.app_engine(app_users), _session_id(client), store.utc_now() - idle)
    assert client.get("/").status_code == 302
    refused = client.post("/_dash-update-component", json={"output": "home-cards.children", "inputs": []})
    assert refused.status_code == 401


def test_a_disabled_user_is_out_at_the_next_request(app, app_users):
    engine = store.app_engine(app_users)
    store.add_user(engine, "leaver", "city", None, None, "leaver-password-1")
    client = logged_in(app.server.test_client(), "leaver", "leaver-password-1")
    assert client.get("/").status_code == 200
    store.disable_user(engine, "leaver")
    assert client.get("/").status_code == 302
    assert login_form(app.server.test_client(), "leaver", "leaver-password-1").status_code == 401


def test_demo_users_log_in_to_the_demo_city_only(s_warehouse, tmp_path, app_users):
    engine = store.app_engine(app_users)
    store.add_user(engine, "demo-tryout", "city", None, None, "demo-password-12", demo=True)
    demo = create_app(Settings(database_url=s_warehouse)).server.test_client()
    assert "demo-tryout" in demo.get("/login").get_data(as_text=True)
    assert login_form(demo, "demo-tryout", "demo-password-12").status_code == 302
    loaded = create_app(Settings(database_url=build_mini_warehouse(tmp_path / "mini.duckdb")))
    client = loaded.server.test_client()
    assert "demo-tryout" not in client.get("/login").get_data(as_text=True)
    assert login_form(client, "demo-tryout", "demo-password-12").status_code == 401


def test_the_secret_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("DASHBOARD_SECRET_KEY")
    monkeypatch.setattr(auth, "SECRET_KEY_FILE", tmp_path / "secret_key")
    first = auth.secret_key()
    assert len(first) == 64 and auth.secret_key() == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", "given-by-the-operator")
    assert auth.secret_key() == "given-by-the-operator"
