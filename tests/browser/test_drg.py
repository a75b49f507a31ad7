"""The DRG performance page in a real browser (headless Chromium): MDC → ADRG → DRG by clicking the bars,
down to the group's costs and the outlier cases."""

from __future__ import annotations

from tests.support import chart, click_until, open_page


def test_drg_page_drills_mdc_adrg_drg_to_the_group_costs(dash_duo, s_warehouse):
    open_page(dash_duo, s_warehouse, "/drg")
    dash_duo.wait_for_element("#card-cmi .kpi-value", timeout=30)
    # the largest group is drawn at the top (the last bar): MDC, then ADRG, then DRG
    for length in (1, 3, 4):
        click_until(
            dash_duo, "drg-groups", ".bars .point:last-child path", lambda url, n=length: _group(url, n)
        )
    chart(dash_duo, "drg-group_costs", ".bars .point")
    dash_duo.wait_for_element("#panel-drg-cases .ag-row", timeout=30)
    dash_duo.driver.save_screenshot("/tmp/dashboard-drg.png")
    assert dash_duo.get_logs() == []


def _group(url: str, length: int) -> bool:
    return "group=" in url and len(url.split("group=")[1].split("&")[0]) == length
