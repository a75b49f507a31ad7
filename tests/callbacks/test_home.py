"""Home page callbacks called directly, as functions: cards, scorecard, drill target, downloads, filters."""

from __future__ import annotations

import io
import zipfile

import pandas as pd
import pytest

from callbacks.home import download, drill, render_cards, render_scorecard
from callbacks.shell import render_breadcrumb_and_options
from dashboard.core.cache import standalone_cache
from dashboard.ui import ids
from queries.home import HOME_KPIS
from tests.support import PROJECT_ROOT, texts, view


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


def test_cards_show_every_home_kpi(s_warehouse):
    content = render_cards("?consortium=C04", s_warehouse)
    grid = next(c for c in content if c is not None)
    assert len(grid.children) == len(HOME_KPIS)
    text = texts(content)
    assert "基层就诊率" in text and "目标" in text
    # the default period is 本年累计: compared with the same months last year only (DOMAIN §4), a change in a
    # share written in 个百分点
    comparisons = [texts(_find(card, "card-comparisons")) for card in grid.children]
    assert all(c.startswith("同比 ") and "环比" not in c for c in comparisons), comparisons
    assert "个百分点" in comparisons[0] and "pp" not in text


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?period=last_quarter", ["环比", "同比"]),
        ("?period=last_month", ["环比", "同比"]),
        ("?start=2026-04&end=2026-06", ["环比", "同比"]),
        ("?period=last_12_months", ["同比"]),  # its 环比 would be the same comparison as its 同比
        ("?start=2026-02&end=2026-04", ["同比"]),  # three months, not a calendar quarter
    ],
)
def test_cards_offer_a_previous_period_only_for_a_month_or_a_quarter(s_warehouse, query, words):
    content = render_cards(query, s_warehouse)
    rows = [_find(card, "card-comparisons") for card in next(c for c in content if c is not None).children]
    # a month is too short for 规范管理率 and the control rates (no value), and a latest month's referrals are
    # all provisional (no comparison); every other card compares
    compared = [row for row in rows if row is not None and row.children]
    assert len(compared) >= len(HOME_KPIS) - 4
    for row in compared:
        assert [span.children.split(" ")[0] for span in row.children] == words


def _find(component, class_name):
    """The first component under ``component`` carrying ``class_name``."""
    if class_name in (getattr(component, "className", None) or "").split():
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str):
            found = _find(child, class_name)
            if found is not None:
                return found
    return None


def test_red_red_measures_worsening_by_the_comparison_the_period_has(s_warehouse):
    """本年累计 has no 环比: getting worse is measured against the same months last year, and said so."""
    from queries.home import scorecard

    data = scorecard(view(s_warehouse))
    red = data.meta["red_red"]
    assert data.meta["compared_with"] == "last_year" and len(red) >= 1
    long = data.frame.set_index(["district_code", "kpi"])
    for row in red.itertuples(index=False):
        assert row.previous == pytest.approx(long.loc[(row.district_code, row.kpi), "value_last_year"])
    _grid, _title, shown = render_scorecard("", s_warehouse)
    assert texts(shown).count("同比") == len(red)
    assert scorecard(view(s_warehouse, "?period=last_quarter")).meta["compared_with"] == "previous"


def test_scorecard_lists_children_and_drills(s_warehouse):
    grid, title, _red = render_scorecard("?district=990122", s_warehouse)
    assert "医联体" in title
    assert {row["code"] for row in grid.rowData} == {"C04"}
    assert drill({"rowId": "C04"}, "?district=990122", s_warehouse) == "?district=990122&consortium=C04"
    from dash import no_update

    assert drill(None, "?district=990122", s_warehouse) is no_update  # no click: nothing to do


def test_breadcrumb_and_cascading_options(s_warehouse):
    crumbs, districts, consortia, institutions, teams = render_breadcrumb_and_options(
        "?district=990122&consortium=C04", "/", s_warehouse
    )
    assert [c["label"] for c in crumbs] == ["全市", "平湖县", "平湖县紧密型医共体"]
    assert crumbs[0]["href"] == "/" and crumbs[-1]["active"]
    assert len(districts) == 8 and [o["value"] for o in consortia] == ["C04"]
    assert institutions and all(o["value"] in {f"I{n:03d}" for n in range(1, 70)} for o in institutions)
    assert teams and len(teams) < 40


def test_downloads_are_excel_friendly(s_warehouse):
    sent = download("?district=990122", s_warehouse, ids.DOWNLOAD_CARDS_CSV)
    import base64

    raw = base64.b64decode(sent["content"])
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Chinese Excel
    frame = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    assert set(HOME_KPIS) == set(frame["kpi_id"]) and "基层就诊率" in set(frame["name"])
    sent = download("?district=990122", s_warehouse, ids.DOWNLOAD_SCORECARD_XLSX)
    xlsx = base64.b64decode(sent["content"])
    assert zipfile.is_zipfile(io.BytesIO(xlsx))
    sheet = pd.read_excel(io.BytesIO(xlsx))
    assert {"numerator", "denominator", "ci_low", "ci_high"} <= set(sheet.columns)


def test_filters_to_url_resets_descendants():
    from callbacks.shell import filters_to_url

    search = "?district=990122&consortium=C04&institution=I037&team=T050"
    change = {
        "changed": ids.FILTER_DISTRICT,
        "values": ["this_year", "990121", "C04", "I037", "T050", None, None],
    }
    assert filters_to_url(change, search) == "?district=990121"
    change = {"changed": ids.FILTER_PERIOD, "values": ["all", "990122", "C04", "I037", "T050", None, None]}
    assert filters_to_url(change, search) == "?period=all&" + search.lstrip("?")


@pytest.mark.parametrize(
    "forged",
    [
        None,
        "x",
        {"changed": "filter-district"},
        {"changed": "evil", "values": [None] * 7},
        {"changed": "filter-team", "values": [1]},
    ],
)
def test_filters_to_url_ignores_forged_changes(forged):
    from dash import no_update

    from callbacks.shell import filters_to_url

    assert filters_to_url(forged, "?district=990122") is no_update


def test_sparklines_of_quarterly_kpis_use_whole_quarters():
    import datetime as dt

    from queries.kpi.filters import make_filters
    from queries.selection import whole_quarters

    cases = {
        ((2025, 11), (2026, 10)): (dt.date(2026, 1, 1), dt.date(2026, 9, 30)),
        ((2026, 1), (2026, 12)): (dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
        ((2026, 2), (2026, 3)): (dt.date(2026, 2, 1), dt.date(2026, 3, 31)),  # no whole quarter: unchanged
    }
    for (first, last), expected in cases.items():
        window = whole_quarters(make_filters(dt.date(*first, 1), dt.date(*last, 1)))
        assert (window.start, window.end) == expected


def test_the_browser_guard_knows_the_filter_ids():
    """assets/filters.js builds the dropdowns' ids as "filter-<name>" in FILTER_ORDER."""
    from callbacks.shell import FILTER_ORDER

    assert [ids.FILTERS[name] for name in FILTER_ORDER] == [f"filter-{name}" for name in FILTER_ORDER]
    script = (PROJECT_ROOT / "assets" / "filters.js").read_text(encoding="utf-8")
    assert str(list(FILTER_ORDER)).replace("'", '"') in script
    # the guard's idea of "no period in the URL" is the server's default period
    from dashboard.core.state import DEFAULT_PERIOD

    assert f'var defaults = {{ period: "{DEFAULT_PERIOD}" }};' in script


def test_the_standardised_management_sparkline_reads_like_its_card(s_warehouse):
    """4 face-to-face follow-ups in 12 months is a rule over the whole window: the sparkline shows the card's
    window ending at earlier quarter ends (it showed quarters needing one follow-up each: ≈90% beside 38%)."""
    from queries.home import home_cards

    card = next(
        c
        for c in home_cards(view(s_warehouse, "")).meta["cards"]
        if c["kpi"] == "htn_standardized_management_rate"
    )
    points = card["series"]["value"].tolist()
    assert len(points) >= 4 and points[-1] == pytest.approx(card["value"])
    assert max(abs(p - card["value"]) for p in points) < 0.08, (card["value"], points)
    assert 0.60 <= card["value"] <= 0.85
