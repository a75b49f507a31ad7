"""The care-delivery pages in a real browser (headless Chromium): one flow per page (visits, referrals,
chronic disease), clicking on the charts."""

from __future__ import annotations

from tests.support import chart, click_until, open_page, settle


def test_visits_page_drills_into_a_district_and_a_chapter(dash_duo, s_warehouse):
    open_page(dash_duo, s_warehouse, "/visits")
    dash_duo.wait_for_element("#card-primary_care_visit_share .kpi-value", timeout=30)
    click_until(dash_duo, "visits-members", ".bars .point path", "district=")
    dash_duo.wait_for_element("#breadcrumb a", timeout=20)  # city › district
    # the largest chapter, drawn at the top
    click_until(dash_duo, "visits-diagnoses", ".bars .point:last-child path", "chapter=")
    dash_duo.wait_for_contains_text("h4", "ICD-10", timeout=20)
    settle(dash_duo)
    dash_duo.driver.save_screenshot("/tmp/dashboard-visits.png")
    assert dash_duo.get_logs() == []


def test_referrals_page_flow_click_shows_the_pair_trend(dash_duo, s_warehouse):
    open_page(dash_duo, s_warehouse, "/referrals")
    dash_duo.wait_for_element("#card-down_referral_share .kpi-value", timeout=30)
    click_until(dash_duo, "referrals-institutions", ".sankey-link", "pair=")
    chart(dash_duo, "referrals-pair", ".scatterlayer .trace")
    assert "→" in dash_duo.find_element("#panel-referrals-pair").text
    dash_duo.driver.save_screenshot("/tmp/dashboard-referrals.png")
    assert dash_duo.get_logs() == []


def test_chronic_page_funnel_point_drills_into_its_institution(dash_duo, s_warehouse):
    open_page(dash_duo, s_warehouse, "/chronic?disease=diabetes&district=990122&consortium=C04")
    dash_duo.wait_for_contains_text("h4", "糖尿病", timeout=30)
    dash_duo.wait_for_element("#card-dm_control_rate .kpi-value", timeout=30)
    click_until(
        dash_duo, "chronic-funnel-institution", ".scatterlayer .trace:last-child .point", "institution="
    )
    assert "disease=diabetes" in dash_duo.driver.current_url
    chart(dash_duo, "chronic-funnel-team", ".scatterlayer .trace:last-child .point")
    dash_duo.driver.save_screenshot("/tmp/dashboard-chronic.png")
    assert dash_duo.get_logs() == []
