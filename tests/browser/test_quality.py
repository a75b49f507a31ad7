"""数据质量 in a real browser: the grid drawn, an institution's link drills into its months, the fact-table
choice goes into the URL, and the page is as usable on a phone's width."""

from __future__ import annotations

from dash.testing.wait import until

from tests.support import chart, click, open_page, settle, wait_url


def test_the_quality_page_drills_into_an_institution(dash_duo, quality_warehouse):
    url, roles = quality_warehouse
    open_page(dash_duo, url, "/data-quality?period=last_12_months")
    chart(dash_duo, "quality-grid", ".heatmaplayer")
    link_selector = f'#panel-quality-summary a[href*="institution={roles["low"]}"]'
    dash_duo.wait_for_element(link_selector, timeout=30)
    settle(dash_duo)
    click(dash_duo, dash_duo.find_element(link_selector))
    wait_url(dash_duo, f"institution={roles['low']}")
    dash_duo.wait_for_contains_text("#panel-quality-summary", "明显偏低", timeout=30)
    dash_duo.driver.save_screenshot("/tmp/quality-institution.png")
    click(
        dash_duo, dash_duo.find_element("label[for='_dbcprivate_radioitems_quality-table_input_inpatient']")
    )
    wait_url(dash_duo, "table=inpatient")
    chart(dash_duo, "quality-grid", ".heatmaplayer")
    dash_duo.wait_for_contains_text("#panel-quality-reasons", "visit_type = walk_in", timeout=30)
    settle(dash_duo)
    assert dash_duo.get_logs() == []


def test_the_quality_page_on_a_phone(dash_duo, quality_warehouse):
    url, _roles = quality_warehouse
    open_page(dash_duo, url, "/data-quality?period=last_12_months")
    dash_duo.driver.set_window_size(390, 844)
    chart(dash_duo, "quality-grid", ".heatmaplayer")
    settle(dash_duo)
    dash_duo.driver.save_screenshot("/tmp/quality-phone.png")
    width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    until(lambda: width <= 400, timeout=5)
    assert dash_duo.get_logs() == []
