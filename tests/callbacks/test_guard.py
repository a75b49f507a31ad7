"""Facing a network: security headers with a CSP that names every inline script Dash writes (and Dash works
under it: the browser tests fail on any console error), a Host allow-list against DNS rebinding, a
request-size limit, and no server name or version in responses."""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.error
import urllib.request

import pytest

from dashboard.app import create_app
from dashboard.core.settings import Settings
from tests.support import logged_in, served_app


@pytest.fixture
def client(tmp_path):
    # no warehouse is needed for the index, the headers or the refusals
    app = create_app(Settings(database_url=f"duckdb:///{tmp_path / 'none.duckdb'}"))
    return logged_in(app.server.test_client())


def test_the_policy_names_every_inline_script_and_forbids_framing(client):
    client.get("/")  # Dash writes its clientside callbacks when it sets itself up, at the first request
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    # the scripts a browser runs: Dash's Internet Explorer warning sits in a conditional comment no browser
    # of today reads
    page = re.sub(r"<!--\[if IE\]>.*?<!\[endif\]-->", "", response.get_data(as_text=True), flags=re.S)
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_an_unknown_host_is_refused(client, monkeypatch):
    assert client.get("/healthz", headers={"Host": "127.0.0.1:8050"}).status_code in (200, 503)
    assert client.get("/healthz", headers={"Host": "[::1]:8050"}).status_code in (200, 503)
    assert client.get("/", headers={"Host": "attacker.example"}).status_code == 400
    assert client.get("/", headers={"Host": "localhost.attacker.example:8050"}).status_code == 400


def test_configured_hosts(tmp_path, monkeypatch):
    monkeypatch.setenv("DASHBOARD_ALLOWED_HOSTS", "dashboard.example.cn, 10.0.0.5")
    app = create_app(Settings(database_url=f"duckdb:///{tmp_path / 'none.duckdb'}"))
    client = logged_in(app.server.test_client(), host="dashboard.example.cn")
    assert client.get("/", headers={"Host": "dashboard.example.cn"}).status_code == 200
    # another configured name: let through to the login (the session's cookie belongs to the first name)
    assert client.get("/", headers={"Host": "10.0.0.5:443"}).status_code == 302
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400


def test_an_oversized_request_is_refused(client):
    body = b'{"output": "' + b"x" * (2 << 20) + b'"}'
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code == 413


def test_the_production_server_names_nothing(s_warehouse):
    with served_app(s_warehouse) as (base, _process):
        with urllib.request.urlopen(base + "/healthz") as response:
            assert "Server" not in response.headers
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        request = urllib.request.Request(base + "/", headers={"Host": "rebinding.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request)
        assert refused.value.code == 400


def test_the_client_address_comes_from_the_proxy_only_when_one_is_trusted(tmp_path, monkeypatch, app_users):
    from dashboard.accounts import audit, store

    def failed_login_address(name):
        app = create_app(Settings(database_url=f"duckdb:///{tmp_path / 'none.duckdb'}"))
        client = app.server.test_client()
        page = client.get("/login")
        token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        client.post(
            "/login",
            data={"username": name, "password": "wrong-password", "csrf_token": token},
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        return audit.events(store.app_engine(app_users), user=name, kind="login_failed")[0]["address"]

    assert failed_login_address("direct") == "127.0.0.1"  # a header anyone can send is not believed
    monkeypatch.setenv("DASHBOARD_TRUSTED_PROXIES", "1")
    assert failed_login_address("proxied") == "203.0.113.9"
