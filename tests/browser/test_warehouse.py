"""The reference pages in a real browser (headless Chromium): the warehouse overview and the KPI definitions,
and a missing warehouse explained."""

from __future__ import annotations

from dashboard.app import create_app
from dashboard.core.settings import Settings
from tests.support import settle, start_app, start_home


def test_warehouse_and_definitions_pages(dash_duo, s_warehouse):
    from queries.warehouse import warehouse_summary

    summary = warehouse_summary(s_warehouse)
    start_home(dash_duo, s_warehouse)
    dash_duo.driver.get(dash_duo.server_url + "/warehouse")
    dash_duo.wait_for_text_to_equal(
        '[data-table="fact_visit"]', f"{summary.row_counts['fact_visit']:,}", timeout=20
    )
    dash_duo.driver.get(dash_duo.server_url + "/definitions?lang=en")
    dash_duo.wait_for_contains_text("#def-cmi", "Case-mix index", timeout=20)
    settle(dash_duo)
    assert dash_duo.get_logs() == []


def test_missing_warehouse_is_explained(dash_duo, tmp_path):
    start_app(
        dash_duo, create_app(Settings(database_url=f"duckdb:///{tmp_path / 'gone.duckdb'}")), "/warehouse"
    )
    dash_duo.wait_for_element("#warehouse-error", timeout=15)
    assert "python -m dashboard demo" in dash_duo.find_element("#warehouse-error").text
    settle(dash_duo)
