"""The shell and the home page in a real browser (headless Chromium): drill-down and back, period, language
and shared links, junk link parameters, cascading filters."""

from __future__ import annotations

import time

from tests.support import click, click_row, settle, start_home, wait_url


def test_home_drill_down_and_back(dash_duo, s_warehouse):
    start_home(dash_duo, s_warehouse)
    dash_duo.wait_for_contains_text("#home-scorecard-title", "区县", timeout=20)
    click_row(dash_duo, "990122")  # 平湖县
    wait_url(dash_duo, "district=990122")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "医联体", timeout=20)
    click_row(dash_duo, "C04")
    wait_url(dash_duo, "consortium=C04")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "机构", timeout=20)
    click_row(dash_duo, "I037")  # a township health centre of the consortium
    wait_url(dash_duo, "institution=I037")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "家庭医生团队", timeout=20)
    dash_duo.wait_for_element(".ag-row .ag-cell[col-id='name']", timeout=20)
    settle(dash_duo)
    team = dash_duo.find_element(".ag-row .ag-cell[col-id='name']")
    team_name = team.text
    click(dash_duo, team)
    wait_url(dash_duo, "team=")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "医生", timeout=20)
    dash_duo.wait_for_contains_text("#breadcrumb", team_name, timeout=20)
    assert "平湖县紧密型医共体" in dash_duo.find_element("#breadcrumb").text
    dash_duo.driver.save_screenshot("/tmp/dashboard-home-team.png")
    # back up by breadcrumb to the consortium
    click(dash_duo, dash_duo.find_element("#breadcrumb a[href*='consortium=C04']:not([href*='institution'])"))
    wait_url(dash_duo, "consortium=C04")
    assert "institution=" not in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#home-scorecard-title", "机构", timeout=20)
    # the browser's back button steps back into the team view
    dash_duo.driver.back()
    wait_url(dash_duo, "team=")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "医生", timeout=20)
    assert dash_duo.get_logs() == []


def test_period_language_and_shared_link(dash_duo, s_warehouse):
    start_home(dash_duo, s_warehouse)
    settle(dash_duo)
    before = dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text
    dash_duo.select_dcc_dropdown("#filter-period", value="全部数据")
    wait_url(dash_duo, "period=all")
    # the cards are drawn again (the element comes and goes meanwhile): wait for a value other than before
    read = "var e = document.querySelector('#card-primary_care_visit_share .kpi-value'); return e && e.textContent;"
    deadline = time.time() + 20
    while dash_duo.driver.execute_script(read) in (None, before) and time.time() < deadline:
        time.sleep(0.1)
    assert dash_duo.driver.execute_script(read) not in (None, before)
    settle(dash_duo)
    click(dash_duo, dash_duo.find_element("#lang-switch"))
    wait_url(dash_duo, "lang=en")
    dash_duo.wait_for_contains_text("#card-primary_care_visit_share", "Primary-care visit share", timeout=20)
    settle(dash_duo)
    shared = dash_duo.driver.current_url
    value = dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text
    dash_duo.driver.get(shared)
    dash_duo.wait_for_contains_text("#card-primary_care_visit_share", "Primary-care visit share", timeout=30)
    assert dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text == value
    assert dash_duo.find_element("#filter-period").text.startswith("All data")
    dash_duo.driver.save_screenshot("/tmp/dashboard-home-en.png")
    assert dash_duo.get_logs() == []


def test_junk_link_parameters_are_reported_not_fatal(dash_duo, s_warehouse):
    start_home(dash_duo, s_warehouse, "/?district=NOPE&period=forever&evil=%3Cscript%3E")
    dash_duo.wait_for_element("#url-notice", timeout=20)
    assert "period" in dash_duo.find_element("#url-notice").text
    dash_duo.wait_for_contains_text("#home-cards", "district=NOPE", timeout=20)
    settle(dash_duo)  # let every callback finish: stopping the server under a running one fails teardown
    assert dash_duo.get_logs() == []


def test_changing_a_parent_filter_clears_its_descendants(dash_duo, s_warehouse):
    start_home(dash_duo, s_warehouse, "/?district=990122&consortium=C04")
    settle(dash_duo)
    dash_duo.select_dcc_dropdown("#filter-district", value="青山县")
    wait_url(dash_duo, "district=990121")
    assert "consortium=" not in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#breadcrumb", "青山县", timeout=20)
    settle(dash_duo)
    assert dash_duo.get_logs() == []
