"""The hospital report in a real browser (headless Chromium): picking a hospital, then presentation mode
stepping through the slides with the keyboard."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.keys import Keys

from dashboard.core.cache import standalone_cache
from dashboard.ui import ids
from queries.report import REPORT_KPIS
from tests.support import open_page, settle, wait_url


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def test_presentation_mode_steps_through_the_slides(dash_duo, s_warehouse, hospital):
    code, name, _query = hospital
    open_page(dash_duo, s_warehouse, "/report")
    dash_duo.wait_for_contains_text("#report-slides", "请选择一家医院", timeout=30)
    dash_duo.select_dcc_dropdown(f"#{ids.REPORT_HOSPITAL}", value=name)
    wait_url(dash_duo, f"institution={code}")
    dash_duo.wait_for_contains_text("#report-slides", name, timeout=30)
    settle(dash_duo)
    dash_duo.find_element(f"#{ids.REPORT_PRESENT}").click()
    dash_duo.wait_for_element("#report-slides.presenting .report-slide.active", timeout=10)
    count = len(REPORT_KPIS) + 1
    assert dash_duo.find_element("#report-slides").get_attribute("data-slide") == f"1/{count}"
    visible = [s for s in dash_duo.find_elements(".report-slide") if s.is_displayed()]
    assert len(visible) == 1 and name in visible[0].text
    body = dash_duo.find_element("body")
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_LEFT)
    assert dash_duo.find_element("#report-slides").get_attribute("data-slide") == f"2/{count}"
    assert "CMI" in next(s for s in dash_duo.find_elements(".report-slide") if s.is_displayed()).text
    dash_duo.driver.save_screenshot("/tmp/dashboard-report-present.png")
    body.send_keys(Keys.ESCAPE)
    dash_duo.wait_for_no_elements("#report-slides.presenting", timeout=10)
    assert len([s for s in dash_duo.find_elements(".report-slide") if s.is_displayed()]) == count
    assert dash_duo.get_logs() == []
