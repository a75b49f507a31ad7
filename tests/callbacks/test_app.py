"""The app: factory, pages, callbacks called directly, and start-up with and without a warehouse."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl

import dash
import pytest
from dash import html
from dash.development.base_component import Component

from callbacks.warehouse import render_summary
from dashboard.app import create_app
from dashboard.core.settings import Settings
from dashboard.serve import ensure_warehouse
from dashboard.ui import ids
from tests.support import TEST_LAST_MONTH, logged_in, raises_saying, run_kpi_cli, texts

# Pages drawn without the shared frame (filter bar, breadcrumb, notice of ignored link parameters)
FRAMELESS = {"/definitions", "/audit"}
JUNK = "?foo=%3Cscript%3E&bar=&&x=1%00&period=never"


def _page_paths() -> list[str]:
    """The path of every page the app registers (create_app registers them with Dash Pages)."""
    create_app(Settings())
    return [page["path"] for page in dash.page_registry.values()]


def _page(path: str) -> dict:
    return next(page for page in dash.page_registry.values() if page["path"] == path)


def _params(query: str) -> dict[str, str]:
    return dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))


def _components(tree):
    """Every component of a tree, in document order."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(reversed(node))
        elif isinstance(node, Component):
            yield node
            stack.append(getattr(node, "children", None))


def _by_id(tree, id_: str):
    return next((c for c in _components(tree) if getattr(c, "id", None) == id_), None)


def _heading(layout) -> str:
    """The text of a layout's first H4: the page's heading."""
    return texts(next(c for c in _components(layout) if isinstance(c, html.H4)))


def _preview_title(response) -> str:
    """The og:title of a served index: Dash Pages writes the matched page's title there."""
    found = re.search(r'<meta property="og:title" content="([^"]*)">', response.get_data(as_text=True))
    assert found, "no og:title in the index"
    return found.group(1)


def test_two_apps_both_get_their_callbacks(s_warehouse):
    first = create_app(Settings(database_url=s_warehouse))
    second = create_app(Settings(database_url=s_warehouse))
    for app in (first, second):
        client = logged_in(app.server.test_client())
        dependencies = client.get("/_dash-dependencies")
        assert dependencies.status_code == 200
        outputs = [d["output"] for d in json.loads(dependencies.data)]
        assert any("warehouse-summary.children" in o for o in outputs)
        assert any("home-cards.children" in o for o in outputs)
        assert client.get("/_dash-layout").status_code == 200


@pytest.mark.parametrize("path", _page_paths())
@pytest.mark.parametrize("query", ["", "?district=990102", JUNK])
def test_every_page_renders_with_any_query_string(s_warehouse, path, query):
    """Any query string on any page path: the server answers with that page, and the page's layout shows it
    and reports the link parameters it ignored."""
    client = logged_in(create_app(Settings(database_url=s_warehouse)).server.test_client())
    response = client.get(f"{path}{query}")
    assert response.status_code == 200
    # Dash serves one index for every path (its <title> stays the app's until the browser runs the page's
    # routing), but the index's preview title is the matched page's own: the path decides it
    page = _page(path)
    assert _preview_title(response) == page["title"]
    assert [p["title"] for p in dash.page_registry.values()].count(page["title"]) == 1
    layout = page["layout"](**_params(query))
    assert _heading(layout).startswith(page["name"])
    framed = _by_id(layout, ids.FILTER_PERIOD) is not None
    assert framed == (path not in FRAMELESS)
    notice = _by_id(layout, ids.URL_NOTICE)
    if query == JUNK and framed:
        assert notice is not None and texts(notice).endswith("foo, bar, x, period")
    else:
        assert notice is None


def test_unknown_page_is_a_page_not_a_crash(s_warehouse):
    client = logged_in(create_app(Settings(database_url=s_warehouse)).server.test_client())
    response = client.get("/no-such-page")
    assert response.status_code == 200
    assert _preview_title(response) == "医联体绩效分析"  # the app's own title: no page matched the path


def test_bootstrap_is_served_locally(s_warehouse):
    client = logged_in(create_app(Settings(database_url=s_warehouse)).server.test_client())
    response = client.get("/vendor/bootstrap5/css/bootstrap.min.css")
    assert response.status_code == 200 and b".container" in response.data


def test_summary_callback_shows_row_counts_and_period(s_warehouse):
    from queries.warehouse import warehouse_summary

    shown = f" {texts(render_summary(None, s_warehouse))} "  # each string stands between spaces
    visits = warehouse_summary(s_warehouse).row_counts["fact_visit"]
    assert f" {visits:,} " in shown
    assert " 2023-11-01 至 2026-10-31 " in shown


def test_summary_callback_explains_a_missing_warehouse(tmp_path):
    panel = render_summary(None, f"duckdb:///{tmp_path / 'missing.duckdb'}")
    assert panel.id == "warehouse-error"
    assert "python -m dashboard demo" in texts(panel)
    assert isinstance(panel.children[0], html.H5)


@pytest.mark.slow  # builds a demo warehouse itself
def test_start_up_builds_a_missing_embedded_warehouse(tmp_path, monkeypatch):
    from dashboard.load.demo import build

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
    from dashboard.core.errors import WarehouseUnavailable

    with raises_saying(WarehouseUnavailable, "no warehouse at"):
        ensure_warehouse(Settings(database_url=f"duckdb:///{tmp_path / 'x.duckdb'}"), build_missing=False)


# query -> the parameters the shared frame reports as ignored
IGNORED = {
    "": "",
    "?lang=en&district=990122": "",
    "?district=%3Cb%3E&period=never&x=1": "district, period, x",
}


@pytest.mark.parametrize("query", list(IGNORED))
def test_page_layouts_accept_junk_parameters(query):
    """Each page's layout function takes any query parameters, shows its heading in the language asked for,
    and, in the shared frame, reports what it ignored."""
    params = _params(query)
    create_app(Settings())  # registers the pages
    pages = list(dash.page_registry.values())
    assert pages
    for page in pages:
        layout = page["layout"](**params)
        name = page["name_en"] if params.get("lang") == "en" else page["name"]
        assert _heading(layout).startswith(name), page["path"]
        framed = _by_id(layout, ids.FILTER_PERIOD) is not None
        assert framed == (page["path"] not in FRAMELESS), page["path"]
        notice = _by_id(layout, ids.URL_NOTICE)
        if IGNORED[query] and framed:
            assert notice is not None and texts(notice).endswith(IGNORED[query]), page["path"]
        else:
            assert notice is None, page["path"]


def test_a_period_past_the_data_is_cut_and_the_cards_say_so(s_warehouse):
    from callbacks.home import render_cards

    text = texts(render_cards("?start=1000-01&end=9999-12&lang=en", s_warehouse))
    assert "The period reached past the data and was cut to 2023-11 to 2026-10" in text
    assert "Primary-care visit share" in text


def test_the_command_line_cuts_the_period_too(s_warehouse):
    done = run_kpi_cli(s_warehouse, "visit_count", "--from", "1000-01", "--to", "9999-12", "--format", "csv")
    assert (
        done.returncode == 0 and "cut to 2023-11 to 2026-10" in done.stderr and "Traceback" not in done.stderr
    )
    assert done.stdout.splitlines()[0] == "name,numerator,denominator,value,ci_low,ci_high,suppressed"
    outside = run_kpi_cli(s_warehouse, "visit_count", "--from", "1999-01", "--to", "1999-03")
    assert outside.returncode == 2 and outside.stderr.startswith(
        "error: the period 1999-01 to 1999-03 lies outside"
    )
