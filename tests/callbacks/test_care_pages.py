"""The care-delivery pages (visits, referrals, chronic disease) through their callbacks, called directly:
every panel draws, clicks drill, downloads carry the data, and the numbers shown equal the command line's."""

from __future__ import annotations

import base64
import io
import math

import pandas as pd
import pytest
from dash import no_update

from callbacks import chronic, referrals, visits
from callbacks.panels import clicked, download
from dashboard.core.cache import standalone_cache
from dashboard.ui.formatting import format_kpi
from dashboard.ui.words import t
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
    panel_data,
    texts,
    view,
)

ALL_SPECS = {**visits.SPECS, **referrals.SPECS, **chronic.SPECS}


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


@pytest.fixture(scope="module")
def team_view(s_warehouse):
    """A view of one family-doctor team of the consortium (with its institution and district)."""
    catalog = get_catalog(s_warehouse)
    team = next(
        t
        for t, inst in sorted(catalog.parents["team"].items())
        if catalog.parents["institution"][inst][1] == "C04"
    )
    institution = catalog.parents["team"][team]
    return team, institution, f"{CONSORTIUM}&institution={institution}&team={team}"


@pytest.mark.parametrize("key", sorted(ALL_SPECS))
@pytest.mark.parametrize("query", ["", CONSORTIUM])
def test_every_panel_draws_a_chart_or_says_why(s_warehouse, key, query):
    content = draw_panel(key, query, s_warehouse)
    text = texts(content)
    assert not any(e in text for e in ERROR_TEXTS), text
    waiting_for_a_choice = key in ("referrals-pair", "chronic-team_doctors")  # a flow / a team to be chosen
    if key.endswith("-cards"):
        assert "kpi-card" in str(content)
    elif waiting_for_a_choice:
        assert "panel-message" in str(content)
    else:
        drawn = graphs(content)
        assert len(drawn) == 1 and drawn[0].figure.data, f"{key}: {text}"


def test_english_view_names_units_in_english(s_warehouse):
    figure = graphs(draw_panel("referrals-units", "?lang=en", s_warehouse))[0].figure
    names = list(figure.data[0].y)
    assert any("Consortium" in n or "Alliance" in n or "Group" in n for n in names), names
    assert not any("医" in n for n in names)


def test_visits_by_level_equal_the_command_line(s_warehouse):
    figure = graphs(draw_panel("visits-by_level", CONSORTIUM, s_warehouse))[0].figure
    shown = {trace.name: sum(trace.y) for trace in figure.data}
    cli = cli_json(
        s_warehouse, "visit_count", "--by", "level", "--where", "consortium=C04", "--where", "district=990122"
    )
    # the command line names levels in Chinese as the chart does ("三级医院", not "tertiary")
    assert shown == {r["name"]: r["value"] for r in cli.to_dict("records")}
    assert "乡镇卫生院" in shown


def test_referral_cards_equal_the_command_line(s_warehouse):
    text = texts(draw_panel("referrals-cards", CONSORTIUM, s_warehouse))
    for kpi in ("down_referral_share", "referral_completion_rate", "referral_completion_days"):
        value = cli_json(s_warehouse, kpi, "--where", "consortium=C04", "--where", "district=990122")[
            "value"
        ][0]
        assert format_kpi({"referral_completion_days": "days"}.get(kpi, "share"), value) in text


def test_sankey_flows_equal_the_command_line(s_warehouse):
    figure = graphs(draw_panel("referrals-levels", "", s_warehouse))[0].figure
    cli = cli_json(s_warehouse, "referral_count", "--by", "level")
    assert sum(figure.data[0].link.value) == pytest.approx(cli["value"].sum())


def test_chronic_funnel_equals_the_command_line(s_warehouse):
    content = draw_panel("chronic-funnel-institution", "?disease=diabetes", s_warehouse)
    shown = {
        code: y
        for points in graphs(content)[0].figure.data
        if points.mode == "markers"  # one funnel per institution level
        for (_level, code), y in zip(points.customdata, points.y, strict=True)
    }
    cli = cli_json(s_warehouse, "dm_control_rate", "--by", "institution").dropna(subset=["value"])
    assert shown == pytest.approx(dict(zip(cli["institution_id"], cli["value"], strict=True)))


def test_cascade_counts_agree_with_the_kpis_and_follow_up_groups(s_warehouse):
    # 12 months: in the year to date (the default) the 0-follow-up group's control count is 1–4, withheld
    query = "?period=last_12_months"
    frame = panel_data("chronic-cascade", query, s_warehouse)
    counts = dict(zip(frame.frame["step"], frame.frame["patients"], strict=True))
    cli = cli_json(s_warehouse, "htn_management_rate", "--period", "last_12_months")
    assert (counts["estimated"], counts["managed"]) == pytest.approx(
        (cli["denominator"][0], cli["numerator"][0])
    )
    groups = panel_data("chronic-followups", query, s_warehouse).frame
    assert groups["denominator"].sum() == counts["managed"]  # every managed patient is in one follow-up group
    # 12 months ask for 4 face-to-face follow-ups; the groups count face-to-face follow-ups
    assert counts["standardised"] == groups.loc[groups["followups"] >= 4, "denominator"].sum()


def test_cascade_has_no_estimate_for_a_consortium(s_warehouse):
    frame = panel_data("chronic-cascade", CONSORTIUM, s_warehouse).frame
    assert list(frame["step"]) == ["managed", "standardised", "controlled"]


def test_team_detail_lists_its_doctors_as_counts(s_warehouse, team_view):
    team, _institution, query = team_view
    figure = graphs(draw_panel("chronic-team_doctors", query, s_warehouse))[0].figure
    doctors = {code for _level, code in figure.data[0].customdata}
    parents = get_catalog(s_warehouse).parents["doctor"]
    assert doctors and all(parents[d][1] == team for d in doctors)
    followups = panel_data("chronic-followups", query, s_warehouse).frame
    assert set(followups.columns) >= {"followups", "denominator", "value"}
    assert "patient_id" not in " ".join(map(str, followups.columns))


def test_a_click_on_a_unit_drills_with_its_whole_path(s_warehouse, team_view):
    team, institution, _query = team_view
    query = clicked({"points": [{"customdata": ["team", team]}]}, "?period=last_quarter", s_warehouse)
    assert (
        query == f"?period=last_quarter&district=990122&consortium=C04&institution={institution}&team={team}"
    )
    assert clicked({"points": [{"customdata": ["chapter", "IX"]}]}, "", s_warehouse) == "?chapter=IX"
    assert clicked({"points": [{"customdata": "A1~B2"}]}, "?lang=en", s_warehouse) == "?pair=A1~B2&lang=en"


@pytest.mark.parametrize(
    "forged",
    [
        {"points": [{"customdata": ["institution", "NOPE"]}]},
        {"points": [{"customdata": ["password", "x"]}]},
        {"points": [{"customdata": ["chapter", "<script>"]}]},
        {"points": [{"customdata": "a~b~c"}]},
        {"points": []},
        None,
    ],
)
def test_a_forged_click_changes_nothing(s_warehouse, forged):
    assert clicked(forged, "?district=990122", s_warehouse) is no_update


def test_chapter_narrows_the_visits_page(s_warehouse):
    figure = graphs(draw_panel("visits-diagnoses", "?chapter=IX", s_warehouse))[0].figure
    bars = figure.data[0]
    assert bars.customdata is None  # categories are the last level: nothing to click into
    shown = dict(zip(bars.y, bars.x, strict=True))
    cli = cli_json(s_warehouse, "visit_count", "--by", "icd_category", "--where", "icd_chapter=IX")
    assert 1 < len(cli) <= 20 and all(code.startswith("I") for code in cli["icd_category"])
    assert shown == dict(zip(cli["name"], cli["value"], strict=True))


def test_downloads_hold_the_numbers_behind_the_chart(s_warehouse):
    sent = download(
        PANEL_BOOK, {"type": "panel-csv", "panel": "chronic-funnel-team"}, CONSORTIUM, s_warehouse
    )
    raw = sent["content"]

    data = base64.b64decode(raw) if sent.get("base64") else raw.encode()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens Chinese CSV correctly
    frame = pd.read_csv(io.BytesIO(data))
    assert {"numerator", "denominator", "value", "ci_low", "ci_high", "outside_99.8"} <= set(frame.columns)
    sent = download(PANEL_BOOK, {"type": "panel-xlsx", "panel": "visits-flows"}, "", s_warehouse)
    frame = pd.read_excel(io.BytesIO(base64.b64decode(sent["content"])))
    assert frame["value"].sum() > 0 and math.isclose(frame.groupby("res_district")["share"].sum().mean(), 1.0)


def test_a_forged_download_is_refused(s_warehouse):
    assert (
        download(PANEL_BOOK, {"type": "panel-csv", "panel": "../../etc/passwd"}, "", s_warehouse) is no_update
    )


def _state(query: str):
    from dashboard.core.state import parse_query

    return parse_query(query)[0]


def test_panels_use_no_patient_identity(s_warehouse):
    """Nothing a page shows or downloads carries a patient id."""
    for key, spec in ALL_SPECS.items():
        frame = spec.data(view(s_warehouse, CONSORTIUM)).frame
        assert "patient_id" not in frame.columns, key


def test_funnel_of_a_chosen_institution_shows_its_peers(s_warehouse, team_view):
    _team, institution, _query = team_view
    query = f"{CONSORTIUM}&institution={institution}"
    data = panel_data("chronic-funnel-institution", query, s_warehouse).frame
    consortium = get_catalog(s_warehouse).parents["institution"]
    assert len(data) > 1 and all(consortium[code][1] == "C04" for code in data["institution_id"])
    assert list(data.loc[data["chosen"], "institution_id"]) == [institution]
    figure = graphs(draw_panel("chronic-funnel-institution", query, s_warehouse))[0].figure
    widths = [w for d in figure.data if d.mode == "markers" for w in d.marker.line.width]
    assert max(widths) == 3 and widths.count(3) == 1


def _value(url: str, kpi: str, **filters) -> float:
    return float(kpi_values(url, Request(kpi, filters_for(url, **filters)))["value"].iloc[0])


def test_chronic_funnels_centre_on_the_comparator_they_name(s_warehouse):
    # Issue 12, item 8: drilled into 青山县 the control-rate funnels centred on the county (39.0%) while the
    # hint said 全市 (53.2%); now one funnel per level around the city's rate at that level, named so
    data = panel_data("chronic-funnel-institution", "?district=990121", s_warehouse)
    county = _value(s_warehouse, "htn_control_rate", district="990121")
    for group in data.meta["groups"]:
        assert group["benchmark"] == pytest.approx(
            _value(s_warehouse, "htn_control_rate", level=group["group"])
        )
        assert group["benchmark"] != pytest.approx(county)
    assert "比较对象：全市" in texts(
        draw_panel("chronic-funnel-institution", "?district=990121", s_warehouse)
    )
    assert "全市" not in t("funnel_hint", "zh")  # the hint no longer claims a comparator of its own
    # the overdispersion is the city's (every unit of the comparator), not the county's six centres'
    city = {
        g["group"]: g["tau2"]
        for g in panel_data("chronic-funnel-institution", "", s_warehouse).meta["groups"]
    }
    assert {g["group"]: g["tau2"] for g in data.meta["groups"]} == {"thc": city["thc"]}
    query = "?district=990121&compare=parent"
    data = panel_data("chronic-funnel-team", query, s_warehouse)
    for group in data.meta["groups"]:
        assert group["benchmark"] == pytest.approx(
            _value(s_warehouse, "htn_control_rate", district="990121", level=group["group"])
        )
    assert "比较对象：上级单位（青山县）" in texts(draw_panel("chronic-funnel-team", query, s_warehouse))
    note = texts(draw_panel("chronic-standardised", query, s_warehouse))
    assert "上级单位（青山县）" in note


def test_chronic_page_controls_write_the_url():
    assert chronic.controls_to_url("parent", "plain", "?district=990121") == (
        "?district=990121&compare=parent&limits=plain"
    )
    assert chronic.controls_to_url("city", "overdispersed", "?district=990121") is no_update
