"""Shared fixtures: a scale-S demo warehouse built once per session, database and browser switches; markers
applied by folder (browser/, postgres/) and by fixture (a demo build is slow)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from dashboard.core.db import dispose_engines
from tests.support import TEST_LAST_MONTH, TEST_PASSWORD, TEST_SEED, TEST_USER

TESTS = Path(__file__).resolve().parent
DEMO_FIXTURES = {
    "s_warehouse",
    "pg_s_warehouse",
    "quality_warehouse",
}  # each builds a demo warehouse (once per session)
POSTGRES_FIXTURES = {"postgres_url", "pg_s_warehouse"}


@pytest.fixture(scope="session")
def _app_database(tmp_path_factory) -> str:
    """A scratch application database for the session, with the tests' administrator in it."""
    from dashboard.accounts import store

    url = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'app.sqlite3'}"
    store.add_user(store.app_engine(url), TEST_USER, "admin", None, None, TEST_PASSWORD)
    return url


@pytest.fixture(autouse=True)
def app_users(_app_database, monkeypatch) -> str:
    """Every test's app uses the scratch application database and a fixed secret key (never data/)."""
    monkeypatch.setenv("DASHBOARD_APP_DATABASE_URL", _app_database)
    monkeypatch.setenv("DASHBOARD_SECRET_KEY", "tests-only-secret-key-0123456789abcdef")
    return _app_database


@pytest.fixture(scope="session")
def s_warehouse(tmp_path_factory) -> str:
    """URL of a scale-S demo warehouse (DuckDB), the same for the whole session."""
    from dashboard.load.demo.build import build_demo

    path = tmp_path_factory.mktemp("warehouse") / "s.duckdb"
    url = f"duckdb:///{path}"
    build_demo(url, scale="S", seed=TEST_SEED, last_month=TEST_LAST_MONTH)
    yield url
    dispose_engines()


@pytest.fixture(scope="session")
def quality_warehouse(s_warehouse, tmp_path_factory):
    """The S demo with its last month of visits loaded again with data-quality faults (see
    ``tests.support.extracts.quality_warehouse``): (URL, institution by role)."""
    from dashboard.core.db import duckdb_path, parse_database_url
    from tests.support.extracts import quality_warehouse as build

    return build(duckdb_path(parse_database_url(s_warehouse)), tmp_path_factory.mktemp("quality"))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("DASHBOARD_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need DASHBOARD_TEST_POSTGRES_URL (set by .ci/run)")
    return url


@pytest.fixture(scope="session")
def pg_s_warehouse(postgres_url) -> str:
    """The same scale-S demo loaded into the local PostgreSQL (once per session)."""
    from dashboard.load.demo.build import build_demo

    build_demo(postgres_url, scale="S", seed=TEST_SEED, last_month=TEST_LAST_MONTH)
    return postgres_url


@pytest.fixture(scope="module")
def hospital(s_warehouse):
    """A tertiary hospital of the demo city and the view state that selects it (hospital report tests)."""
    from queries.kpi.catalog import get_catalog

    catalog = get_catalog(s_warehouse)
    code = sorted(c for c, p in catalog.parents["institution"].items() if p[2] == "tertiary")[1]
    district, consortium, _level = catalog.parents["institution"][code]
    query = (
        f"?district={district}" + (f"&consortium={consortium}" if consortium else "") + f"&institution={code}"
    )
    return code, catalog.names["institution"][code], query


def _browser_missing() -> str | None:
    for binary in ("chromium", "chromedriver"):
        if shutil.which(binary) is None:
            return f"{binary} is not installed (apt-get install chromium chromium-driver)"
    return None


def _mark_by_layer(items) -> None:
    """browser for tests/browser/, postgres for tests/postgres/, slow for a test that needs a demo build;
    a browser or PostgreSQL test outside its folder is a usage error, so the folders stay what they say."""
    for item in items:
        in_browser = item.path.is_relative_to(TESTS / "browser")
        in_postgres = item.path.is_relative_to(TESTS / "postgres")
        uses = set(getattr(item, "fixturenames", ()))
        if "dash_duo" in uses and not in_browser:
            raise pytest.UsageError(f"{item.nodeid} drives a browser: it belongs under tests/browser/")
        if uses & POSTGRES_FIXTURES and not in_postgres:
            raise pytest.UsageError(f"{item.nodeid} needs PostgreSQL: it belongs under tests/postgres/")
        if in_browser:
            item.add_marker(pytest.mark.browser)
        if in_postgres:
            item.add_marker(pytest.mark.postgres)
        if uses & DEMO_FIXTURES:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(tryfirst=True)  # mark before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    _mark_by_layer(items)
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
    from dashboard.bench.ui import chromium_options

    return chromium_options()
