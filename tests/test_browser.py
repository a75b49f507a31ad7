"""In a real browser (headless Chromium): the home page shows what the warehouse holds."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.settings import Settings

pytestmark = pytest.mark.browser


def test_home_shows_the_warehouse_overview(dash_duo, s_warehouse, tmp_path):
    from queries.warehouse import warehouse_summary

    summary = warehouse_summary(s_warehouse)
    dash_duo.start_server(create_app(Settings(database_url=s_warehouse)))
    dash_duo.wait_for_text_to_equal(
        '[data-table="fact_visit"]', f"{summary.row_counts['fact_visit']:,}", timeout=15
    )
    assert dash_duo.find_element("#summary-0").text == "2023-11-01 至 2026-10-31"
    assert "医联体绩效分析" in dash_duo.find_element(".navbar-brand").text
    dash_duo.driver.save_screenshot(str(tmp_path / "home.png"))
    assert dash_duo.get_logs() == []


def test_home_explains_a_missing_warehouse(dash_duo, tmp_path):
    dash_duo.start_server(create_app(Settings(database_url=f"duckdb:///{tmp_path / 'gone.duckdb'}")))
    dash_duo.wait_for_element("#warehouse-error", timeout=15)
    assert "python -m dashboard demo" in dash_duo.find_element("#warehouse-error").text
    assert dash_duo.get_logs() == []
