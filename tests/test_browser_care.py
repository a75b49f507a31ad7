"""The care-delivery pages in a real browser (headless Chromium): one flow per page, clicking on the charts."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains

from dashboard.app import create_app
from dashboard.settings import Settings
from tests.test_browser import _settle, _wait_url

pytestmark = pytest.mark.browser


def _open(dash_duo, url, path):
    dash_duo.start_server(create_app(Settings(database_url=url)))
    dash_duo.driver.set_window_size(1400, 2200)
    dash_duo.driver.get(dash_duo.server_url + path)


def _chart(dash_duo, panel: str, selector: str = ".main-svg"):
    """The first ``selector`` inside a panel's chart, once the chart is drawn."""
    found = dash_duo.wait_for_element(f"#panel-{panel} .js-plotly-plot {selector}", timeout=30)
    _settle(dash_duo)
    found = dash_duo.find_element(f"#panel-{panel} .js-plotly-plot {selector}")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", found)
    return found


def _click_until(dash_duo, panel: str, selector: str, fragment):
    """A real mouse click on a chart mark (Plotly reads clicks from the layer above its marks), repeated
    until the URL shows ``fragment`` (or satisfies it, if it is a function of the URL): a click landing
    while Plotly still lays out the chart is ignored."""
    import time

    done = fragment if callable(fragment) else (lambda url: fragment in url)
    for _attempt in range(4):
        element = _chart(dash_duo, panel, selector)
        time.sleep(0.3)  # let the scroll finish before the mouse moves
        ActionChains(dash_duo.driver).move_to_element(element).pause(0.3).click().perform()
        deadline = time.time() + 5
        while time.time() < deadline:
            if done(dash_duo.driver.current_url):
                return
            time.sleep(0.1)
    raise AssertionError(f"clicking {selector} in {panel} never led to {fragment}")


def test_visits_page_drills_into_a_district_and_a_chapter(dash_duo, s_warehouse):
    _open(dash_duo, s_warehouse, "/visits")
    dash_duo.wait_for_element("#card-primary_care_visit_share .kpi-value", timeout=30)
    _click_until(dash_duo, "visits-members", ".bars .point path", "district=")
    dash_duo.wait_for_element("#breadcrumb a", timeout=20)  # city › district
    # the largest chapter, drawn at the top
    _click_until(dash_duo, "visits-diagnoses", ".bars .point:last-child path", "chapter=")
    dash_duo.wait_for_contains_text("h4", "ICD-10", timeout=20)
    _settle(dash_duo)
    dash_duo.driver.save_screenshot("/tmp/dashboard-visits.png")
    assert dash_duo.get_logs() == []


def test_referrals_page_flow_click_shows_the_pair_trend(dash_duo, s_warehouse):
    _open(dash_duo, s_warehouse, "/referrals")
    dash_duo.wait_for_element("#card-down_referral_share .kpi-value", timeout=30)
    _click_until(dash_duo, "referrals-institutions", ".sankey-link", "pair=")
    _chart(dash_duo, "referrals-pair", ".scatterlayer .trace")
    assert "→" in dash_duo.find_element("#panel-referrals-pair").text
    dash_duo.driver.save_screenshot("/tmp/dashboard-referrals.png")
    assert dash_duo.get_logs() == []


def test_chronic_page_funnel_point_drills_into_its_institution(dash_duo, s_warehouse):
    _open(dash_duo, s_warehouse, "/chronic?disease=diabetes&district=990122&consortium=C04")
    dash_duo.wait_for_contains_text("h4", "糖尿病", timeout=30)
    dash_duo.wait_for_element("#card-dm_control_rate .kpi-value", timeout=30)
    _click_until(
        dash_duo, "chronic-funnel-institution", ".scatterlayer .trace:last-child .point", "institution="
    )
    assert "disease=diabetes" in dash_duo.driver.current_url
    _chart(dash_duo, "chronic-funnel-team", ".scatterlayer .trace:last-child .point")
    dash_duo.driver.save_screenshot("/tmp/dashboard-chronic.png")
    assert dash_duo.get_logs() == []


def test_drg_page_drills_mdc_adrg_drg_to_the_group_costs(dash_duo, s_warehouse):
    _open(dash_duo, s_warehouse, "/drg")
    dash_duo.wait_for_element("#card-cmi .kpi-value", timeout=30)
    # the largest group is drawn at the top (the last bar): MDC, then ADRG, then DRG
    for length in (1, 3, 4):
        _click_until(
            dash_duo, "drg-groups", ".bars .point:last-child path", lambda url, n=length: _group(url, n)
        )
    _chart(dash_duo, "drg-group_costs", ".bars .point")
    dash_duo.wait_for_element("#panel-drg-cases .ag-row", timeout=30)
    dash_duo.driver.save_screenshot("/tmp/dashboard-drg.png")
    assert dash_duo.get_logs() == []


def _group(url: str, length: int) -> bool:
    return "group=" in url and len(url.split("group=")[1].split("&")[0]) == length


def test_settlement_page_drills_from_a_unit_bar(dash_duo, s_warehouse):
    _open(dash_duo, s_warehouse, "/settlement")
    dash_duo.wait_for_element("#card-drg_surplus .kpi-value", timeout=30)
    _chart(dash_duo, "settlement-capitation", ".scatterlayer .trace")
    _click_until(dash_duo, "settlement-surplus-units", ".bars .point:last-child path", "district=")
    _chart(dash_duo, "settlement-capitation_members", ".bars .point")
    dash_duo.wait_for_contains_text("#panel-settlement-policy", "chs-drg-1.1-demo", timeout=20)
    dash_duo.driver.save_screenshot("/tmp/dashboard-settlement.png")
    assert dash_duo.get_logs() == []


def test_district_page_switches_and_drills(dash_duo, s_warehouse):
    _open(dash_duo, s_warehouse, "/districts")
    _chart(dash_duo, "districts-league", ".bars .point")
    # standardise: the URL says so and the method is named next to the colours
    dash_duo.find_element("label[for='_dbcprivate_radioitems_district-adjust_input_standardised']").click()
    _wait_url(dash_duo, "adjust=standardised")
    dash_duo.wait_for_contains_text("#panel-districts-league", "间接标准化", timeout=30)
    dash_duo.find_element("label[for='_dbcprivate_radioitems_district-compare_input_peer']").click()
    _wait_url(dash_duo, "compare=peer")
    dash_duo.wait_for_contains_text("#panel-districts-league", "同类区县", timeout=30)
    _settle(dash_duo)
    dash_duo.driver.save_screenshot("/tmp/dashboard-districts.png")
    # a tile of the map drills into its district, keeping the page's choices
    _click_until(dash_duo, "districts-map", ".scatterlayer .point", "district=")
    assert "adjust=standardised" in dash_duo.driver.current_url
    dash_duo.wait_for_element("#breadcrumb a", timeout=20)
    _settle(dash_duo)
    assert dash_duo.get_logs() == []
