"""The app: factory, pages, callbacks called directly, and start-up with and without a warehouse."""

from __future__ import annotations

import json

import pytest
from dash import html

from callbacks.warehouse import render_summary
from dashboard.app import create_app
from dashboard.serve import ensure_warehouse
from dashboard.settings import Settings
from tests.conftest import TEST_LAST_MONTH


def _texts(component) -> list[str]:
    """Every string in a component tree, in order."""
    out = []
    stack = [component]
    while stack:
        node = stack.pop(0)
        if isinstance(node, str | int | float):
            out.append(str(node))
        elif isinstance(node, list | tuple):
            stack[:0] = list(node)
        elif hasattr(node, "children"):
            stack.insert(0, node.children)
    return out


def test_two_apps_both_get_their_callbacks(s_warehouse):
    first = create_app(Settings(database_url=s_warehouse))
    second = create_app(Settings(database_url=s_warehouse))
    for app in (first, second):
        client = app.server.test_client()
        dependencies = client.get("/_dash-dependencies")
        assert dependencies.status_code == 200
        outputs = [d["output"] for d in json.loads(dependencies.data)]
        assert any("warehouse-summary.children" in o for o in outputs)
        assert any("home-cards.children" in o for o in outputs)
        assert client.get("/_dash-layout").status_code == 200


@pytest.mark.parametrize("path", ["/", "/visits", "/referrals", "/chronic", "/warehouse", "/definitions"])
@pytest.mark.parametrize("query", ["", "?district=990102", "?foo=%3Cscript%3E&bar=&&x=1%00&period=never"])
def test_every_page_renders_with_any_query_string(s_warehouse, path, query):
    client = create_app(Settings(database_url=s_warehouse)).server.test_client()
    response = client.get(f"{path}{query}")
    assert response.status_code == 200
    assert "医联体绩效分析" in response.get_data(as_text=True)


def test_unknown_page_is_a_page_not_a_crash(s_warehouse):
    client = create_app(Settings(database_url=s_warehouse)).server.test_client()
    assert client.get("/no-such-page").status_code == 200


def test_bootstrap_is_served_locally(s_warehouse):
    client = create_app(Settings(database_url=s_warehouse)).server.test_client()
    response = client.get("/vendor/bootstrap5/css/bootstrap.min.css")
    assert response.status_code == 200 and b".container" in response.data


def test_summary_callback_shows_row_counts_and_period(s_warehouse):
    from queries.warehouse import warehouse_summary

    texts = _texts(render_summary(None, s_warehouse))
    visits = warehouse_summary(s_warehouse).row_counts["fact_visit"]
    assert f"{visits:,}" in texts
    assert "2023-11-01 至 2026-10-31" in texts


def test_summary_callback_explains_a_missing_warehouse(tmp_path):
    panel = render_summary(None, f"duckdb:///{tmp_path / 'missing.duckdb'}")
    assert panel.id == "warehouse-error"
    assert any("python -m dashboard demo" in t for t in _texts(panel))
    assert isinstance(panel.children[0], html.H5)


def test_start_up_builds_a_missing_embedded_warehouse(tmp_path, monkeypatch):
    from dashboard.demo import build

    monkeypatch.setattr(build, "last_full_month", lambda _today: TEST_LAST_MONTH)
    url = f"duckdb:///{tmp_path / 'data' / 'warehouse.duckdb'}"
    meta = ensure_warehouse(Settings(database_url=url, demo_scale="S"), build_missing=True)
    assert meta["scale"] == "S" and meta["period_end"] == "2026-10-31"
    # a second start finds it and does not rebuild
    assert (
        ensure_warehouse(Settings(database_url=url), build_missing=True)["data_version"]
        == meta["data_version"]
    )


def test_start_up_does_not_build_behind_a_configured_url(tmp_path):
    from dashboard.errors import WarehouseUnavailable

    with pytest.raises(WarehouseUnavailable, match="no warehouse at"):
        ensure_warehouse(Settings(database_url=f"duckdb:///{tmp_path / 'x.duckdb'}"), build_missing=False)


@pytest.mark.parametrize("query", ["", "?lang=en&district=990122", "?district=%3Cb%3E&period=never&x=1"])
def test_page_layouts_accept_junk_parameters(query):
    """Each page's layout function takes any query parameters and reports what it ignored."""
    from urllib.parse import parse_qsl

    import dash

    params = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    create_app(Settings())  # registers the pages
    for page in dash.page_registry.values():
        layout = page["layout"](**params)
        assert layout is not None
