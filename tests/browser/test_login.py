"""Logging in, working and logging out in a real browser, as a consortium director: the login form, the
header naming who is logged in, a drill-down inside the consortium, a download, logging out; and a session
that ends under an open page brings the user to the login page."""

from __future__ import annotations

import os
import time

from dashboard.app import create_app
from dashboard.core.settings import Settings
from tests.support import browser_login, click_row, settle, wait_url
from tests.support.roles import ROLE_PASSWORD, ROLE_USERS, add_role_users


def _start(dash_duo, s_warehouse, app_users):
    add_role_users(app_users, s_warehouse)
    dash_duo.start_server(create_app(Settings(database_url=s_warehouse)), navigate=False)
    dash_duo._url = dash_duo.server.url  # no first visit by dash_duo: it would wait for a Dash page at /login
    dash_duo.driver.set_window_size(1400, 2200)


def test_log_in_drill_download_and_log_out(dash_duo, s_warehouse, app_users, tmp_path):
    _start(dash_duo, s_warehouse, app_users)
    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_element("#username", timeout=20)
    assert "/login?next=" in dash_duo.driver.current_url
    dash_duo.driver.save_screenshot("/tmp/dashboard-login.png")
    browser_login(dash_duo, "/", ROLE_USERS["consortium"][0], ROLE_PASSWORD)
    dash_duo.wait_for_contains_text("#viewer", "平湖县紧密型医共体", timeout=30)
    assert "role-consortium" in dash_duo.find_element("#viewer").text
    # the view starts at the consortium: its members in the scorecard
    dash_duo.wait_for_contains_text("#home-scorecard-title", "机构", timeout=30)
    click_row(dash_duo, "I037")
    wait_url(dash_duo, "institution=I037")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "家庭医生团队", timeout=30)
    settle(dash_duo)
    dash_duo.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    dash_duo.find_element("#download-scorecard-csv").click()
    deadline = time.time() + 20
    while not [f for f in os.listdir(tmp_path) if f.endswith(".csv")] and time.time() < deadline:
        time.sleep(0.2)
    (download,) = [f for f in os.listdir(tmp_path) if f.endswith(".csv")]
    assert "钟楼" not in (tmp_path / download).read_text(encoding="utf-8-sig")  # another district's teams
    dash_duo.driver.save_screenshot("/tmp/dashboard-consortium-director.png")
    assert dash_duo.get_logs() == []
    dash_duo.find_element("#logout").click()
    dash_duo.wait_for_element("#username", timeout=20)
    dash_duo.driver.get(dash_duo.server_url + "/drg")
    dash_duo.wait_for_element("#username", timeout=20)
    assert "/login?next=%2Fdrg" in dash_duo.driver.current_url


def test_a_session_that_ends_under_an_open_page_goes_to_the_login_page(dash_duo, s_warehouse, app_users):
    _start(dash_duo, s_warehouse, app_users)
    browser_login(dash_duo, "/drg", ROLE_USERS["insurance"][0], ROLE_PASSWORD)
    dash_duo.wait_for_contains_text("#viewer", "医保局", timeout=30)
    settle(dash_duo)
    dash_duo.driver.delete_cookie("dashboard_session")  # as when the server ends an idle session
    dash_duo.find_element("#lang-switch").click()  # the next request finds no session
    dash_duo.wait_for_element("#username", timeout=20)
    assert "/login?next=%2Fdrg" in dash_duo.driver.current_url
