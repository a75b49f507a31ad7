"""Shared fixtures: a scale-S demo warehouse built once per session, database and browser switches."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest

from dashboard.db import dispose_engines

TEST_LAST_MONTH = dt.date(2026, 10, 1)
TEST_SEED = 2025
SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session")
def s_warehouse(tmp_path_factory) -> str:
    """URL of a scale-S demo warehouse (DuckDB), the same for the whole session."""
    from dashboard.demo.build import build_demo

    path = tmp_path_factory.mktemp("warehouse") / "s.duckdb"
    url = f"duckdb:///{path}"
    build_demo(url, scale="S", seed=TEST_SEED, last_month=TEST_LAST_MONTH)
    yield url
    dispose_engines()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("DASHBOARD_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need DASHBOARD_TEST_POSTGRES_URL (set by .ci/run)")
    return url


@pytest.fixture(scope="session")
def pg_s_warehouse(postgres_url) -> str:
    """The same scale-S demo loaded into the local PostgreSQL (once per session)."""
    from dashboard.demo.build import build_demo

    build_demo(postgres_url, scale="S", seed=TEST_SEED, last_month=TEST_LAST_MONTH)
    return postgres_url


def _browser_missing() -> str | None:
    for binary in ("chromium", "chromedriver"):
        if shutil.which(binary) is None:
            return f"{binary} is not installed (apt-get install chromium chromium-driver)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("DASHBOARD_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"browser tests required but {reason}")
    skip = pytest.mark.skip(reason=f"browser test skipped: {reason}")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_setup_options():
    """Chrome options for dash_duo: the same Debian Chromium set-up as the UI benchmark."""
    from dashboard.bench_ui import chromium_options

    return chromium_options()
