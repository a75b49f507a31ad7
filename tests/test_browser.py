"""In a real browser (headless Chromium): the shell, the home page, drill-down, language and shared links."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def _start(dash_duo, url, path="/"):
    dash_duo.start_server(create_app(Settings(database_url=url)))
    dash_duo.driver.set_window_size(1400, 2200)  # tall enough that the whole scorecard is on screen
    if path != "/":
        dash_duo.driver.get(dash_duo.server_url + path)
    dash_duo.wait_for_element("#card-primary_care_visit_share .kpi-value", timeout=30)


def _click(dash_duo, element):
    """A real click, retried while a loading overlay still covers the element."""
    import time

    from selenium.common.exceptions import ElementClickInterceptedException

    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    deadline = time.time() + 10
    while True:
        try:
            element.click()
            return
        except ElementClickInterceptedException:
            if time.time() > deadline:
                dash_duo.driver.save_screenshot("/tmp/click-failure.png")
                raise
            time.sleep(0.2)


def _settle(dash_duo, quiet: float = 0.4, timeout: float = 20):
    """Wait until no callback has been running for ``quiet`` seconds (Dash marks loading components)."""
    import time

    deadline, calm_since = time.time() + timeout, None
    while time.time() < deadline:
        busy = dash_duo.driver.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=\"true\"]').length"
        )
        if busy:
            calm_since = None
        elif calm_since is None:
            calm_since = time.time()
        elif time.time() - calm_since >= quiet:
            return
        time.sleep(0.05)
    raise AssertionError("the page kept loading")


def _click_row(dash_duo, code):
    selector = f'.ag-row[row-id="{code}"] .ag-cell[col-id="name"]'
    dash_duo.wait_for_element(selector, timeout=20)
    _settle(dash_duo)
    _click(dash_duo, dash_duo.find_element(selector))


def _wait_url(dash_duo, fragment):
    import time

    deadline = time.time() + 20
    while time.time() < deadline:
        if fragment in dash_duo.driver.current_url:
            return
        time.sleep(0.1)
    raise AssertionError(f"{fragment} not in {dash_duo.driver.current_url}")


def test_home_drill_down_and_back(dash_duo, s_warehouse):
    _start(dash_duo, s_warehouse)
    dash_duo.wait_for_contains_text("#home-scorecard-title", "区县", timeout=20)
    _click_row(dash_duo, "990122")  # 平湖县
    _wait_url(dash_duo, "district=990122")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "医联体", timeout=20)
    _click_row(dash_duo, "C04")
    _wait_url(dash_duo, "consortium=C04")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "机构", timeout=20)
    _click_row(dash_duo, "I037")  # a township health centre of the consortium
    _wait_url(dash_duo, "institution=I037")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "家庭医生团队", timeout=20)
    dash_duo.wait_for_element(".ag-row .ag-cell[col-id='name']", timeout=20)
    _settle(dash_duo)
    team = dash_duo.find_element(".ag-row .ag-cell[col-id='name']")
    team_name = team.text
    _click(dash_duo, team)
    _wait_url(dash_duo, "team=")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "医生", timeout=20)
    dash_duo.wait_for_contains_text("#breadcrumb", team_name, timeout=20)
    assert "平湖县紧密型医共体" in dash_duo.find_element("#breadcrumb").text
    dash_duo.driver.save_screenshot("/tmp/dashboard-home-team.png")
    # back up by breadcrumb to the consortium
    _click(
        dash_duo, dash_duo.find_element("#breadcrumb a[href*='consortium=C04']:not([href*='institution'])")
    )
    _wait_url(dash_duo, "consortium=C04")
    assert "institution=" not in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#home-scorecard-title", "机构", timeout=20)
    # the browser's back button steps back into the team view
    dash_duo.driver.back()
    _wait_url(dash_duo, "team=")
    dash_duo.wait_for_contains_text("#home-scorecard-title", "医生", timeout=20)
    assert dash_duo.get_logs() == []


def test_period_language_and_shared_link(dash_duo, s_warehouse):
    _start(dash_duo, s_warehouse)
    _settle(dash_duo)
    before = dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text
    dash_duo.select_dcc_dropdown("#filter-period", value="全部数据")
    _wait_url(dash_duo, "period=all")
    dash_duo.wait_for_element("#card-primary_care_visit_share .kpi-value", timeout=20)
    import time

    deadline = time.time() + 20
    while (
        dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text == before
        and time.time() < deadline
    ):
        time.sleep(0.1)
    assert dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text != before
    _settle(dash_duo)
    _click(dash_duo, dash_duo.find_element("#lang-switch"))
    _wait_url(dash_duo, "lang=en")
    dash_duo.wait_for_contains_text("#card-primary_care_visit_share", "Primary-care visit share", timeout=20)
    _settle(dash_duo)
    shared = dash_duo.driver.current_url
    value = dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text
    dash_duo.driver.get(shared)
    dash_duo.wait_for_contains_text("#card-primary_care_visit_share", "Primary-care visit share", timeout=30)
    assert dash_duo.find_element("#card-primary_care_visit_share .kpi-value").text == value
    assert dash_duo.find_element("#filter-period").text.startswith("All data")
    dash_duo.driver.save_screenshot("/tmp/dashboard-home-en.png")
    assert dash_duo.get_logs() == []


def test_junk_link_parameters_are_reported_not_fatal(dash_duo, s_warehouse):
    _start(dash_duo, s_warehouse, "/?district=NOPE&period=forever&evil=%3Cscript%3E")
    dash_duo.wait_for_element("#url-notice", timeout=20)
    assert "period" in dash_duo.find_element("#url-notice").text
    dash_duo.wait_for_contains_text("#home-cards", "district=NOPE", timeout=20)
    _settle(dash_duo)  # let every callback finish: stopping the server under a running one fails teardown
    assert dash_duo.get_logs() == []


def test_warehouse_and_definitions_pages(dash_duo, s_warehouse):
    from queries.warehouse import warehouse_summary

    summary = warehouse_summary(s_warehouse)
    _start(dash_duo, s_warehouse)
    dash_duo.driver.get(dash_duo.server_url + "/warehouse")
    dash_duo.wait_for_text_to_equal(
        '[data-table="fact_visit"]', f"{summary.row_counts['fact_visit']:,}", timeout=20
    )
    dash_duo.driver.get(dash_duo.server_url + "/definitions?lang=en")
    dash_duo.wait_for_contains_text("#def-cmi", "Case-mix index", timeout=20)
    _settle(dash_duo)
    assert dash_duo.get_logs() == []


def test_missing_warehouse_is_explained(dash_duo, tmp_path):
    dash_duo.start_server(create_app(Settings(database_url=f"duckdb:///{tmp_path / 'gone.duckdb'}")))
    dash_duo.driver.get(dash_duo.server_url + "/warehouse")
    dash_duo.wait_for_element("#warehouse-error", timeout=15)
    assert "python -m dashboard demo" in dash_duo.find_element("#warehouse-error").text
    _settle(dash_duo)


def test_changing_a_parent_filter_clears_its_descendants(dash_duo, s_warehouse):
    _start(dash_duo, s_warehouse, "/?district=990122&consortium=C04")
    _settle(dash_duo)
    dash_duo.select_dcc_dropdown("#filter-district", value="青山县")
    _wait_url(dash_duo, "district=990121")
    assert "consortium=" not in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#breadcrumb", "青山县", timeout=20)
    _settle(dash_duo)
    assert dash_duo.get_logs() == []
