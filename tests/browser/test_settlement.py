"""The settlement and capitation page in a real browser (headless Chromium): a unit's bar drills down."""

from __future__ import annotations

from tests.support import chart, click_until, open_page


def test_settlement_page_drills_from_a_unit_bar(dash_duo, s_warehouse):
    open_page(dash_duo, s_warehouse, "/settlement")
    dash_duo.wait_for_element("#card-drg_surplus .kpi-value", timeout=30)
    chart(dash_duo, "settlement-capitation", ".scatterlayer .trace")
    click_until(dash_duo, "settlement-surplus-units", ".bars .point:last-child path", "district=")
    chart(dash_duo, "settlement-capitation_members", ".bars .point")
    dash_duo.wait_for_contains_text("#panel-settlement-policy", "chs-drg-1.1-demo", timeout=20)
    dash_duo.driver.save_screenshot("/tmp/dashboard-settlement.png")
    assert dash_duo.get_logs() == []
