"""The DRG performance page through its callbacks: every panel draws or says why, the numbers equal the
command line's, the MDC → ADRG → DRG drill-down and the outlier case list (counts, no identity, nothing more
precise than DOMAIN §9 allows, on the screen or in its downloads)."""

from __future__ import annotations

import base64
import io
import re

import pandas as pd
import pytest

from callbacks import drg
from callbacks.panels import clicked, download
from dashboard.core.cache import standalone_cache
from dashboard.core.messages import Message
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import labels, t, tell
from queries.execution import kpi_values
from queries.kpi.builder import Request
from queries.kpi.catalog import get_catalog
from queries.selection import filters_for
from tests.support import (
    CONSORTIUM,
    ERROR_TEXTS,
    PANEL_BOOK,
    cli_json,
    draw_panel,
    graphs,
    one_of_each_level,
    panel_data,
    texts,
)


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


@pytest.fixture(scope="module")
def busiest_drg(s_warehouse):
    """The DRG with the most discharges in the last 12 months, and the institution treating most of them."""
    groups = cli_json(s_warehouse, "discharges", "--by", "drg").dropna(subset=["value"])
    code = groups.sort_values("value", ascending=False)["drg_code"].iloc[0]
    where = cli_json(s_warehouse, "discharges", "--by", "institution", "--where", f"drg={code}").dropna(
        subset=["value"]
    )
    return code, where.sort_values("value", ascending=False)["institution_id"].iloc[0]


def _query(s_warehouse, code, institution):
    district, consortium, _level = get_catalog(s_warehouse).parents["institution"][institution]
    query = f"?district={district}&institution={institution}&group={code}"
    return query.replace("&institution", f"&consortium={consortium}&institution") if consortium else query


@pytest.mark.parametrize("key", sorted(drg.SPECS))
def test_every_panel_draws_at_every_drill_level(s_warehouse, busiest_drg, key):
    code, institution = busiest_drg
    for query in (
        "",
        CONSORTIUM,
        f"?group={code[0]}",
        f"?group={code[:3]}",
        _query(s_warehouse, code, institution),
    ):
        content = draw_panel(key, query, s_warehouse)
        text = texts(content)
        assert not any(e in text for e in ERROR_TEXTS), (key, query, text)
        if key == "drg-cards":
            assert "kpi-card" in str(content)
        elif key == "drg-group_costs" and "group=" + code not in query:
            assert "panel-message" in str(content)  # waits for a DRG to be chosen
        elif key == "drg-cases":
            assert "AgGrid" in str(type(content.children[0])) or "panel-message" in str(content)
        else:
            assert graphs(content), (key, query, text)


def test_cards_and_quadrant_equal_the_command_line(s_warehouse):
    text = texts(draw_panel("drg-cards", CONSORTIUM, s_warehouse))
    where = ["--where", "consortium=C04", "--where", "district=990122"]
    for kpi, unit in (("cmi", "index"), ("drg_grouping_rate", "share"), ("discharges", "count")):
        assert format_kpi(unit, cli_json(s_warehouse, kpi, *where)["value"][0]) in text
    figure = graphs(draw_panel("drg-quadrant-institution", CONSORTIUM, s_warehouse))[0].figure
    shown = {code: x for (_level, code), x in zip(figure.data[0].customdata, figure.data[0].x, strict=True)}
    cli = cli_json(s_warehouse, "cmi", "--by", "institution", *where).dropna(subset=["value"])
    assert shown == pytest.approx(dict(zip(cli["institution_id"], cli["value"], strict=True)))


def test_weight_bands_equal_the_command_line_in_band_order(s_warehouse):
    bars = graphs(draw_panel("drg-bands", "", s_warehouse))[0].figure.data[0]
    cli = cli_json(s_warehouse, "discharges", "--by", "weight_band")
    assert sum(bars.x) == pytest.approx(cli["value"].sum())
    assert list(bars.y)[::-1][:2] == ["未入组", "<0.5"]  # light to heavy from the top


def test_group_costs_highlight_the_chosen_institution(s_warehouse, busiest_drg):
    code, institution = busiest_drg
    bars = graphs(draw_panel("drg-group_costs", _query(s_warehouse, code, institution), s_warehouse))[
        0
    ].figure.data[0]
    colors = dict(zip((c for _level, c in bars.customdata), bars.marker.color, strict=True))
    assert colors[institution] == "#212529" and list(colors.values()).count("#212529") == 1
    cli = cli_json(s_warehouse, "avg_inpatient_cost", "--by", "institution", "--where", f"drg={code}").dropna(
        subset=["value"]
    )
    # suppressed units (fewer than 5 cases) are drawn as empty bars that say so: compare the others
    shown = {c: x for (_level, c), x in zip(bars.customdata, bars.x, strict=True) if x == x}
    assert shown == pytest.approx(dict(zip(cli["institution_id"], cli["value"], strict=True)))


def test_drill_down_goes_mdc_adrg_drg(s_warehouse, busiest_drg):
    code, _institution = busiest_drg
    bars = graphs(draw_panel("drg-groups", "", s_warehouse))[0].figure.data[0]
    assert len(bars.customdata) > 0
    assert all(level == "group" and len(c) == 1 for level, c in bars.customdata)
    assert clicked({"points": [{"customdata": ["group", code[0]]}]}, "", s_warehouse) == f"?group={code[0]}"
    adrgs = graphs(draw_panel("drg-groups", f"?group={code[0]}", s_warehouse))[0].figure.data[0]
    assert len(adrgs.customdata) > 0
    assert all(len(c) == 3 and c[0] == code[0] for _level, c in adrgs.customdata)
    drgs = graphs(draw_panel("drg-groups", f"?group={code[:3]}", s_warehouse))[0].figure.data[0]
    assert len(drgs.customdata) > 0
    assert all(len(c) == 4 and c.startswith(code[:3]) for _level, c in drgs.customdata)
    last = graphs(draw_panel("drg-groups", f"?group={code}", s_warehouse))[0].figure.data[0]
    assert last.customdata is None  # a single DRG: nothing below


def test_outlier_case_list_holds_counts_and_no_identity(s_warehouse):
    content = draw_panel("drg-cases", "", s_warehouse)
    rows = content.children[0].rowData
    counts = panel_data("drg-outliers", "", s_warehouse).frame
    high = cli_json(s_warehouse, "high_cost_outlier_share")["numerator"][0]
    low = cli_json(s_warehouse, "low_cost_outlier_share")["numerator"][0]
    assert len(rows) == min(drg.q.CASE_LIST_LIMIT, high + low)
    assert list(rows[0]) == list(drg.q.CASE_COLUMNS)
    assert {r["kind"] for r in rows} <= {t("high_cost_outlier_share"), t("low_cost_outlier_share")}
    assert counts["numerator"].sum() <= high + low


def test_outlier_case_list_follows_every_filter_the_kpis_follow(s_warehouse):
    """The list and the outlier KPIs share their filters: with an insurance filter the list holds exactly
    the cases the two KPIs count."""
    rows = draw_panel("drg-cases", "?insurance=employee", s_warehouse).children[0].rowData
    where = ["--where", "insurance_type=employee"]
    high = cli_json(s_warehouse, "high_cost_outlier_share", *where)["numerator"][0]
    low = cli_json(s_warehouse, "low_cost_outlier_share", *where)["numerator"][0]
    assert 0 < len(rows) == min(drg.q.CASE_LIST_LIMIT, high + low)


@pytest.mark.parametrize("key", sorted(drg.SPECS))
def test_every_panel_draws_for_an_institution_of_each_level_and_the_whole_period(s_warehouse, key):
    """The whole period's 同比 reaches before the data: no value, the cards still drawn."""
    for query in [*one_of_each_level(s_warehouse), "?period=all"]:
        content = draw_panel(key, query, s_warehouse)
        text = texts(content)
        assert not any(e in text for e in ERROR_TEXTS), (key, query, text)
        if key == "drg-cards":
            assert "kpi-card" in str(content) and "政策文件没有" not in text, (query, text)
    if key == "drg-cards":  # the efficiency indices say they leave outliers out; risk levels say their source
        text = texts(draw_panel(key, "?period=all", s_warehouse))
        assert "不含高/低倍率病例" in text and "风险等级：取自DRG目录" in text


def test_a_comparison_reaching_a_year_the_policy_does_not_cover_is_dropped_with_a_note(
    s_warehouse, monkeypatch, tmp_path
):
    """A region whose policy file has no 2024 entry: the last 12 months' 同比 (2024-11–2025-10) has no value
    and says why, the cards are still drawn."""
    from dashboard.core.policy import DEFAULT_POLICY_FILE

    entries = DEFAULT_POLICY_FILE.read_text(encoding="utf-8").split("[[policy]]")
    kept = [e for e in entries[1:] if "year = 2024" not in e]
    assert len(kept) == len(entries) - 2  # exactly the 2024 entry left out
    copy = tmp_path / "policy.toml"
    copy.write_text("\n".join(["[[policy]]" + e for e in kept]), encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_POLICY_FILE", str(copy))
    content = draw_panel("drg-cards", "?period=last_12_months", s_warehouse)
    text = texts(content)
    assert "kpi-card" in str(content) and not any(e in text for e in ERROR_TEXTS), text
    assert "同比（2024-11–2025-10）有政策文件未覆盖的年份" in text


@pytest.mark.parametrize("kpi", ["high_cost_outlier_share", "low_cost_outlier_share"])
def test_outliers_add_up_month_by_month_on_the_demo(s_warehouse, kpi):
    def numerator(first, last):
        request = Request(kpi, filters_for(s_warehouse, from_month=first, to_month=last))
        return float(kpi_values(s_warehouse, request, threshold=1)["numerator"].iloc[0])

    year = numerator("2025-01", "2025-12")
    quarters = sum(numerator(f"2025-{m:02d}", f"2025-{m + 2:02d}") for m in (1, 4, 7, 10))
    months = sum(numerator(f"2025-{m:02d}", f"2025-{m:02d}") for m in range(1, 13))
    assert year > 50 and months == quarters == year


def test_the_outlier_case_list_adds_up_quarter_by_quarter(s_warehouse):
    """The case list flags cases as the KPIs do, by the year's region-wide group mean: one consortium's
    quarterly lists together are its yearly list (each quarter holds enough cases to be listed)."""
    base = "?district=990103&consortium=C02"
    year = draw_panel("drg-cases", f"{base}&start=2025-01&end=2025-12", s_warehouse).children[0].rowData
    quarters = []
    for m in (1, 4, 7, 10):
        content = draw_panel("drg-cases", f"{base}&start=2025-{m:02d}&end=2025-{m + 2:02d}", s_warehouse)
        quarters += content.children[0].rowData
    assert 20 <= len(year) < drg.q.CASE_LIST_LIMIT
    assert sorted(tuple(r.values()) for r in quarters) == sorted(tuple(r.values()) for r in year)


# --- the case list's disclosure control (DOMAIN §9) ---------------------------------------------------------


@pytest.fixture(scope="module")
def district_months(s_warehouse):
    """The query strings of a district's month in 2025 holding 1–4 outlier cases, and of one holding from 5
    to 40 (counted without suppression, as only a test may), with that month's count."""
    total = None
    for kpi in ("high_cost_outlier_share", "low_cost_outlier_share"):
        filters = filters_for(s_warehouse, from_month="2025-01", to_month="2025-12")
        frame = kpi_values(s_warehouse, Request(kpi, filters, ("district",), "month"), threshold=1)
        counts = frame.set_index(["district_code", "month"])["numerator"].astype(float)
        total = counts if total is None else total.add(counts, fill_value=0)
    total = total.sort_index()

    def query(key):
        district, month = key
        month = pd.Timestamp(month).strftime("%Y-%m")
        return f"?district={district}&start={month}&end={month}"

    few = total[(total >= 1) & (total <= 4)].index[0]
    many = total[(total >= 5) & (total <= 40)].index[0]
    return query(few), query(many), int(total[many])


def _csv(key: str, query: str, url: str) -> pd.DataFrame:
    sent = download(PANEL_BOOK, {"type": "panel-csv", "panel": key}, query, url)
    data = base64.b64decode(sent["content"]) if sent.get("base64") else sent["content"].encode("utf-8")
    return pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig", keep_default_na=False)


def _xlsx(key: str, query: str, url: str) -> pd.DataFrame:
    sent = download(PANEL_BOOK, {"type": "panel-xlsx", "panel": key}, query, url)
    return pd.read_excel(io.BytesIO(base64.b64decode(sent["content"])), dtype=str)


def _screen(grid) -> pd.DataFrame:
    """The grid's rows under its column headers, as text (what a reader sees)."""
    headers = {c["field"]: c["headerName"] for c in grid.columnDefs}
    return pd.DataFrame(grid.rowData).astype(str).rename(columns=headers)


def test_fewer_than_5_outlier_cases_give_a_message_and_a_download_that_says_so(s_warehouse, district_months):
    few, _many, _count = district_months
    for lang in ("zh", "en"):
        query = f"{few}&lang={lang}"
        content = draw_panel("drg-cases", query, s_warehouse)
        said = tell(Message.of("case_list_too_few", threshold=5), lang)
        assert "panel-message" in str(content) and "AgGrid" not in str(content)
        assert said in texts(content)
        assert _csv("drg-cases", query, s_warehouse).to_dict("list") == {t("note_column", lang): [said]}


def test_the_case_list_has_no_exact_date_cost_or_stay(s_warehouse, district_months):
    _few, many, count = district_months
    bands = {lang: set(labels("los_band", lang).values()) for lang in ("zh", "en")}
    for query in (many, f"{many}&lang=en", "", "?period=all"):
        lang = "en" if "lang=en" in query else "zh"
        rows = pd.DataFrame(draw_panel("drg-cases", query, s_warehouse).children[0].rowData)
        assert list(rows.columns) == list(drg.q.CASE_COLUMNS)  # no department, no cost ratio, no days
        assert (rows["cost"] % 100 == 0).all() and (rows["cost"] > 0).all()
        assert rows["month"].map(lambda m: re.fullmatch(r"\d{4}-\d{2}", m) is not None).all()
        assert set(rows["los_band"]) <= bands[lang]
        if query == many:
            assert len(rows) == count  # every outlier case of the view (fewer than the list's limit)


def test_the_downloads_equal_the_screen(s_warehouse, district_months):
    """CSV and xlsx hold the rows of the screen, value for value, under the screen's headers."""
    _few, many, _count = district_months
    for query in (many, f"{many}&lang=en"):
        shown = _screen(draw_panel("drg-cases", query, s_warehouse).children[0])
        pd.testing.assert_frame_equal(_csv("drg-cases", query, s_warehouse), shown)
        pd.testing.assert_frame_equal(_xlsx("drg-cases", query, s_warehouse), shown)
    cost = labels("case_column", "zh")["cost"]
    assert (_csv("drg-cases", many, s_warehouse)[cost].astype(int) % 100 == 0).all()


def test_a_deployment_that_raises_the_threshold_lists_fewer_views(s_warehouse, district_months, monkeypatch):
    _few, many, count = district_months
    assert "AgGrid" in str(draw_panel("drg-cases", many, s_warehouse))
    monkeypatch.setenv("DASHBOARD_SUPPRESSION_THRESHOLD", str(count + 1))
    content = draw_panel("drg-cases", many, s_warehouse)
    assert tell(Message.of("case_list_too_few", threshold=count + 1)) in texts(content)
