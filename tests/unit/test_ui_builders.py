"""UI builders as data: what used to be assembled inside callbacks (peer marks on the league, the DRG drill's
way back, the funnel's list of outliers, the case and policy tables, names on flows, the disclosure rules) is
built by the UI kit from plain frames, and checked here without a browser or a warehouse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dash import dcc, html

from dashboard.core.messages import Message, Name
from dashboard.core.state import parse_query
from dashboard.ui.components.composed import funnel_with_outliers, group_drill
from dashboard.ui.components.definitions import DISCLOSURE_RULES, disclosure_rules
from dashboard.ui.components.kpi_cards import cards_with_notice, kpi_card
from dashboard.ui.components.scorecard import red_red_list, scorecard_panel
from dashboard.ui.components.tables import case_table, outlier_cases, policy_table
from dashboard.ui.figures.chronic import followup_bars
from dashboard.ui.figures.common import funnel_plot
from dashboard.ui.figures.districts import league_bars
from dashboard.ui.figures.referrals import pair_lines, sankey
from dashboard.ui.figures.settlement import surplus_bars
from dashboard.ui.figures.visits import flow_matrix
from dashboard.ui.words import t, unit_names
from queries.definitions import REGISTRY
from queries.kpi.stats import sign_outcomes
from tests.support import graphs, texts


def _units(**columns) -> pd.DataFrame:
    base = {
        "value": [0.5, 0.3],
        "ci_low": [0.4, 0.2],
        "ci_high": [0.6, 0.4],
        "numerator": [50, 30],
        "denominator": [100, 100],
        "suppressed": [False, False],
    }
    return pd.DataFrame({**columns, **base})


def test_league_marks_each_districts_own_peers_and_ranks_the_names():
    frame = _units(district_code=["DA", "DB"], name=["甲区", "乙县"]).assign(
        comparator=[0.45, 0.35], outcome=["better", "similar"], rank=[1, 2]
    )
    meta = {"peers": True, "key": "district_code", "level": "district"}
    figure = league_bars(frame, meta, REGISTRY["htn_control_rate"], "zh")
    bars, marks = figure.data
    assert list(bars.y) == ["2. 乙县", "1. 甲区"] and list(marks.x) == [0.35, 0.45]
    assert figure.layout.shapes == ()  # peers: no single comparator line
    city = league_bars(
        frame.assign(comparator=0.4), {**meta, "peers": False}, REGISTRY["htn_control_rate"], "en"
    )
    assert len(city.data) == 1 and city.layout.shapes[0].x0 == 0.4


def test_group_drill_links_back_up_every_level_of_the_path():
    frame = pd.DataFrame(
        {
            "drg_code": ["BR25", "BR21"],
            "name": ["a", "b"],
            "value": [9, 5],
            "ci_low": np.nan,
            "ci_high": np.nan,
            "suppressed": False,
        }
    )
    state = parse_query("?group=BR2&district=D1")[0]
    body = group_drill("drg-groups", frame, {"group": "BR2", "key": "drg_code", "top": 25}, state)
    links = [c for c in body.children[0].children if isinstance(c, dcc.Link)]
    assert [link.href for link in links] == ["/drg?district=D1", "/drg?district=D1&group=B"]
    assert list(graphs(body)[0].figure.data[0].customdata[0]) == ["group", "BR21"]
    at_a_drg = group_drill(
        "drg-groups", frame, {"group": "BR25", "key": "drg_code", "top": 25}, parse_query("?group=BR25")[0]
    )
    assert graphs(at_a_drg)[0].figure.data[0].customdata is None  # a single DRG: nothing below


def test_funnel_lists_the_units_outside_its_limits():
    frame = _units(team_id=["T1", "T2"], name=["一队", "二队"]).assign(
        **{"outside_99.8": [True, False], "chosen": [False, True]}, outcome=["better", "similar"]
    )
    group = {"group": None, "benchmark": 0.4, "sizes": [1, 100], "phi": float("nan"), "tau2": 0.0}
    group["limits"] = {"95": ([0, 0], [1, 1]), "99.8": ([0, 0], [1, 1])}
    meta = {"groups": [group], "key": "team_id", "level": "team", "comparator": {"kind": "city"}}
    body = funnel_with_outliers("chronic-funnel-team", frame, meta, "zh", "比较对象：全市。")
    assert "一队: 50.0% (优于)" in texts(body) and "二队" not in texts(body.children[1])
    assert "比较对象：全市" in texts(body)
    assert graphs(body)[0].figure.data[-1].marker.line.width == (0.5, 3)


def test_funnel_points_take_their_colour_from_the_outcome_not_the_side():
    # Issue 12, item 7: a unit above the benchmark of a lower-is-better KPI (住院率) is worse: red, not green
    frame = _units(district_code=["DA", "DB"], name=["甲区", "乙县"]).assign(
        **{"outside_99.8": [True, True]}, outcome=["worse", "better"]
    )
    group = {"group": None, "benchmark": 0.4, "sizes": [1, 100], "phi": float("nan"), "tau2": 0.0}
    group["limits"] = {"95": ([0, 0], [1, 1]), "99.8": ([0, 0], [1, 1])}
    meta = {"groups": [group], "comparator": {"kind": "city"}}
    figure = funnel_plot(frame, meta, "district_code", "per100", "zh", "district")
    assert figure.data[-1].marker.color == ("#dc3545", "#198754")  # 0.5 > 0.4 and worse: red


def test_a_funnel_per_level_titled_by_the_level():
    frame = _units(institution_id=["I1", "I2"], name=["甲卫生院", "乙医院"]).assign(
        **{"outside_99.8": [False, False]},
        outcome=["similar", "similar"],
        comparator_group=["thc", "tertiary"],
    )
    groups = [
        {"group": g, "benchmark": b, "sizes": [1, 100], "phi": 1.0, "tau2": 0.0}
        for g, b in (("tertiary", 0.5), ("thc", 0.3))
    ]
    for group in groups:
        group["limits"] = {"95": ([0, 0], [1, 1]), "99.8": ([0, 0], [1, 1])}
    meta = {"groups": groups, "comparator": {"kind": "city", "grouped_by": "level"}}
    figure = funnel_plot(frame, meta, "institution_id", "share", "zh", "institution")
    assert [a.text for a in figure.layout.annotations] == ["三级医院", "乡镇卫生院"]
    points = [d for d in figure.data if d.mode == "markers"]
    assert [list(p.y) for p in points] == [[0.3], [0.5]]  # each unit in its own level's funnel


def test_the_case_list_names_its_columns_bands_and_kinds_and_its_download_is_the_screen():
    frame = pd.DataFrame(
        {
            "month": ["2025-03", "2025-04"],
            "institution": ["城一医院", "城一医院"],
            "drg_code": ["BR25", "BR25"],
            "drg_name": ["脑缺血", "脑缺血"],
            "los_band": ["8-14", "31+"],
            "cost": [12300, 1200],
            "kind": ["high", "low"],
        }
    )
    grid = outlier_cases(frame, {"limit": 200}, "en").children[0]
    headers = [c["headerName"] for c in grid.columnDefs]
    assert headers[:2] == ["Discharged", "Institution"] and "Cost (yuan, to the nearest 100)" in headers
    assert [r["los_band"] for r in grid.rowData] == ["8–14 days", "over 30 days"]
    assert [r["kind"] for r in grid.rowData] == ["High-cost outliers", "Low-cost outliers"]
    assert grid.rowData[0]["cost"] == 12300
    table = case_table(frame, "zh")
    assert list(table.columns) == [
        "出院月份",
        "机构",
        "DRG",
        "组名",
        "住院日",
        "费用（取整到百元）",
        "类型",
    ]
    assert (
        table.values.tolist()
        == pd.DataFrame(outlier_cases(frame, {"limit": 200}, "zh").children[0].rowData).values.tolist()
    )


@pytest.mark.parametrize(
    ("lang", "withheld", "overlap", "zero"),
    [
        ("zh", "1至4之间", "1–10月减去1–9月", "0不隐藏"),
        ("en", "between 1 and 4", "January–October minus January–September", "Zero is shown"),
    ],
)
def test_the_disclosure_rules_say_every_rule_for_the_threshold(lang, withheld, overlap, zero):
    card = disclosure_rules(5, lang)
    text = texts(card)
    assert card.id == "disclosure"
    for rule in DISCLOSURE_RULES:
        assert t(f"disclosure_{rule}_lead", lang) in text
    assert withheld in text and overlap in text and zero in text
    assert "DASHBOARD_SUPPRESSION_THRESHOLD" in text and t("suppressed", lang) in text
    raised = texts(disclosure_rules(11, lang))
    assert ("1至10" if lang == "zh" else "1 to 10") in raised and "11" in raised


def test_the_policy_table_has_a_row_per_parameter_and_a_column_per_year():
    frame = pd.DataFrame(
        {
            "year": [2025, 2026],
            "base_rate": [10000.0, 10500.0],
            "k_high": [2.0, 2.0],
            "k_low": [0.5, 0.5],
            "high_outlier_top_up": [0.9, 0.9],
            "readmission_days": [31, 31],
            "grouper_version": ["v1", "v1"],
            "risk_cut_points": ["-1, 0, 1", "-1, 0, 1"],
            "capitation_warning_line": [0.85, 0.9],
        }
    )
    body = policy_table(frame, {"fingerprint": "0123abcd", "risk_source": "catalogue"}, "zh")
    assert "基础费率（元/权重）" in texts(body) and "10,500" in texts(body) and "0123abcd" in texts(body)
    assert "风险等级：取自DRG目录" in texts(body)
    assert "按人头付费预警线" in texts(body) and "0.9" in texts(body)


def test_the_policy_table_says_where_derived_risk_levels_come_from_and_names_the_coefficients():
    frame = pd.DataFrame(
        {
            "year": [2025],
            "base_rate": [10000.0],
            "low_outlier_payment": ["standard"],
            "coefficient_tertiary": [1.08],
        }
    )
    meta = {"fingerprint": "0123abcd", "risk_source": "derived", "derived_versions": ["v1"]}
    text = texts(policy_table(frame, meta, "en"))
    assert "Level coefficient (Tertiary hospital)" in text and "At the group's standard" in text
    assert "not in the DRG catalogue (v1)" in text


def test_flows_are_named_by_the_frame_or_the_catalogue():
    pairs = pd.DataFrame(
        {
            "institution_id": ["H1"],
            "name": ["城一医院"],
            "to_institution_id": ["P1"],
            "to_name": ["城一社区中心"],
            "value": [12],
        }
    )
    assert list(sankey(pairs, "institution_id", "to_institution_id", "zh").data[0].node.label) == [
        "城一医院",
        "城一社区中心",
    ]
    levels = pd.DataFrame({"level": ["chc"], "name": ["chc"], "to_level": ["tertiary"], "value": [7]})
    assert list(sankey(unit_names(levels, "en"), "level", "to_level", "en").data[0].node.label) == [
        "Community health centre",
        "Tertiary hospital",
    ]
    flows = pd.DataFrame(
        {
            "res_district": ["D1"],
            "name": ["城一区"],
            "district_code": ["D2"],
            "care_name": ["乡二县"],
            "value": [5],
            "share": [1.0],
        }
    )
    figure = flow_matrix(flows, "zh")
    assert (list(figure.data[0].y), list(figure.data[0].x)) == (["城一区"], ["乡二县"])


def test_surplus_is_green_and_deficit_red():
    frame = pd.DataFrame(
        {
            "drg_code": ["A", "B"],
            "name": ["a", "b"],
            "value": [100.0, -50.0],
            "ci_low": np.nan,
            "ci_high": np.nan,
            "suppressed": False,
        }
    )
    frame["outcome"] = sign_outcomes(frame["value"], "higher")  # as the query layer reads a surplus
    bars = surplus_bars(frame, {"key": "drg_code", "top": 30}, "zh").data[0]
    assert list(bars.marker.color) == ["#dc3545", "#198754"]  # drawn bottom-up: the deficit last in the list


def test_followups_are_labelled_with_their_open_last_band():
    frame = pd.DataFrame(
        {"followups": [0, 4, 6], "denominator": [10, 20, 30], "value": [0.1, 0.5, 0.7], "suppressed": False}
    )
    bars = followup_bars(frame, "zh", required=4).data[0]
    assert list(bars.x) == ["0次", "4次", "≥6次"] and list(bars.marker.color)[1:] == ["#198754", "#198754"]


def test_a_pairs_lines_are_named_after_their_kpis():
    frame = pd.DataFrame(
        {
            "month": ["2025-01", "2025-01"],
            "kpi": ["up_referrals", "down_referrals"],
            "value": [3, 5],
            "name": None,
        }
    )
    assert {trace.name for trace in pair_lines(frame, REGISTRY, "en").data} == {
        "Up-referrals",
        "Down-referrals",
    }


def test_cards_say_why_a_kpi_has_no_value_in_the_viewers_language():
    card = {
        "kpi": "cmi",
        "kpi_obj": REGISTRY["cmi"],
        "error": Message.of("not_available_here", kpi=Name("CMI", "Case-mix index")),
    }
    assert "Case-mix index is not available for this selection" in texts(kpi_card(card, "en", 0))
    notice, _grid = cards_with_notice([card], ("district=NOPE",), "zh")
    assert "district=NOPE" in texts(notice)


def test_the_scorecard_says_when_there_is_nothing_below():
    body, title, red = scorecard_panel(
        pd.DataFrame(), {"level": None, "red_red": pd.DataFrame()}, REGISTRY, ("cmi",), "zh"
    )
    assert "所选范围内没有数据" in texts(body) and title == "成员单位记分卡"
    assert "没有同时差于基准且在变差的单位" in texts(red)
    assert isinstance(body, html.Div) or body.color == "light"


@pytest.mark.parametrize(("compared_with", "word"), [("previous", "环比"), ("last_year", "同比")])
def test_a_red_red_line_names_its_comparison(compared_with, word):
    red = pd.DataFrame(
        [{"name": "平湖县", "kpi": "htn_control_rate", "value": 0.40, "previous": 0.45, "parent": 0.50}]
    )
    text = texts(red_red_list(red, REGISTRY, "zh", compared_with)).replace(" ", "")
    assert f"{word}45.0%→40.0%(50.0%)" in text


def test_a_sparklines_provisional_points_are_open_on_a_dashed_tail():
    from urllib.parse import unquote

    from dashboard.ui.figures.theme import sparkline_svg

    settled = unquote(sparkline_svg([0.9, 0.92, 0.91]))
    assert "stroke-dasharray" not in settled and 'fill="white"' not in settled
    svg = unquote(sparkline_svg([0.9, 0.92, 0.91, 0.76], provisional=[False, False, False, True]))
    assert svg.count("stroke-dasharray") == 1 and svg.count('fill="white"') == 1
