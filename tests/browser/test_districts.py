"""The district comparison page in a real browser (headless Chromium): the controls switch the method and
the comparator, and a map tile drills into its district."""

from __future__ import annotations

from tests.support import chart, click_until, open_page, settle, wait_url


def test_district_page_switches_and_drills(dash_duo, s_warehouse):
    open_page(dash_duo, s_warehouse, "/districts")
    chart(dash_duo, "districts-league", ".bars .point")
    # standardise: the URL says so and the method is named next to the colours
    dash_duo.find_element("label[for='_dbcprivate_radioitems_district-adjust_input_standardised']").click()
    wait_url(dash_duo, "adjust=standardised")
    dash_duo.wait_for_contains_text("#panel-districts-league", "间接标准化", timeout=30)
    dash_duo.find_element("label[for='_dbcprivate_radioitems_district-compare_input_peer']").click()
    wait_url(dash_duo, "compare=peer")
    dash_duo.wait_for_contains_text("#panel-districts-league", "同类区县", timeout=30)
    settle(dash_duo)
    dash_duo.driver.save_screenshot("/tmp/dashboard-districts.png")
    # a tile of the map drills into its district, keeping the page's choices
    click_until(dash_duo, "districts-map", ".scatterlayer .point", "district=")
    assert "adjust=standardised" in dash_duo.driver.current_url
    dash_duo.wait_for_element("#breadcrumb a", timeout=20)
    settle(dash_duo)
    assert dash_duo.get_logs() == []
