"""Serving with users: the demo city gets one demo user per role (a new password each start, listed on the
login page); a non-loopback address is refused until a real user exists."""

from __future__ import annotations

import pytest

from dashboard.accounts import store
from dashboard.app import create_app
from dashboard.core.errors import UserFacingError
from dashboard.core.roles import ROLES
from dashboard.core.settings import Settings
from dashboard.serve import check_bind, demo_users
from tests.support import login_form


def test_the_demo_city_has_one_user_per_role_with_a_fresh_password(s_warehouse, app_users):
    password, names = demo_users(s_warehouse)
    assert names == [f"demo-{role}" for role in ROLES]
    engine = store.app_engine(app_users)
    users = {u.username: u for u in store.list_users(engine)}
    assert all(users[n].demo for n in names)
    assert (
        users["demo-hospital"].scope_type == "institution"
        and users["demo-consortium"].scope_type == "consortium"
    )
    client = create_app(Settings(database_url=s_warehouse)).server.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert all(n in page for n in names) and password not in page
    # the bureau and a hospital land on their own first page
    assert login_form(client, "demo-hospital", password).headers["Location"] == "/report"
    again, _ = demo_users(s_warehouse)
    assert again != password
    assert (
        login_form(
            create_app(Settings(database_url=s_warehouse)).server.test_client(), "demo-city", password
        ).status_code
        == 401
    )


def test_a_public_address_needs_a_real_user(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    monkeypatch.setenv("DASHBOARD_APP_DATABASE_URL", url)
    check_bind("127.0.0.1")
    check_bind("localhost")
    with pytest.raises(UserFacingError, match="bind_needs_users"):
        check_bind("0.0.0.0")
    store.add_user(store.app_engine(url), "demo-city", "city", None, None, "a-demo-password", demo=True)
    with pytest.raises(UserFacingError):
        check_bind("0.0.0.0")  # a demo user, whose password is printed, does not count
    store.add_user(store.app_engine(url), "operator", "admin", None, None, "a-real-password")
    check_bind("0.0.0.0")
