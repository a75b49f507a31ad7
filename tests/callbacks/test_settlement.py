"""The settlement and capitation page through its callbacks: every panel draws, and its numbers equal the
command line's (surplus by group, the capitation year and its projection, each holder's share)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from callbacks import settlement
from dashboard.core.cache import standalone_cache
from dashboard.core.policy import get_policy
from tests.support import CONSORTIUM, ERROR_TEXTS, cli_json, draw_panel, graphs, panel_data, texts


@pytest.fixture(autouse=True)
def _cache():
    standalone_cache(None)


@pytest.mark.parametrize("key", sorted(settlement.SPECS))
@pytest.mark.parametrize("query", ["", CONSORTIUM, "?lang=en&district=990122"])
def test_every_panel_draws(s_warehouse, key, query):
    content = draw_panel(key, query, s_warehouse)
    text = texts(content)
    assert not any(e in text for e in ERROR_TEXTS), text
    if key.endswith("cards"):
        assert "kpi-card" in str(content)
    elif key.endswith("policy"):  # the parameters in force, read from the policy file
        entry = get_policy().for_year(2026)
        assert f"{entry.base_rate:,.0f}" in text and entry.grouper_version in text
    else:
        assert graphs(content), text


def test_surplus_by_group_equals_the_command_line(s_warehouse):
    bars = graphs(draw_panel("settlement-surplus-drg", "", s_warehouse))[0].figure.data[0]
    cli = cli_json(s_warehouse, "drg_surplus", "--by", "drg").dropna(subset=["value", "drg_code"])
    expected = dict(zip(cli["name"], cli["value"], strict=True))
    shown = dict(zip(bars.y, bars.x, strict=True))
    assert shown == pytest.approx({name: expected[name] for name in shown})
    assert min(shown.values()) == pytest.approx(min(expected.values()))  # the largest deficit is there
    assert max(shown.values()) == pytest.approx(max(expected.values()))


def test_capitation_year_and_projection_equal_the_command_line(s_warehouse):
    data = panel_data("settlement-capitation", CONSORTIUM, s_warehouse)
    where = ["--where", "consortium=C04", "--where", "district=990122"]
    months = cli_json(
        s_warehouse, "capitation_spend_rate", "--grain", "month", "--period", "this_year", *where
    )
    assert data.meta["spent"] == pytest.approx(months["numerator"].sum())
    elapsed = (dt.date(2026, 10, 31) - dt.date(2026, 1, 1)).days + 1  # the S warehouse ends 2026-10
    assert data.meta["annual_budget"] == pytest.approx(months["denominator"].sum() * 365 / elapsed)
    assert data.meta["projected"] == pytest.approx(months["numerator"].sum() * 365 / elapsed)
    assert data.meta["balance"] == pytest.approx(data.meta["annual_budget"] - data.meta["projected"])
    title = graphs(draw_panel("settlement-capitation", CONSORTIUM, s_warehouse))[0].figure.layout.title.text
    assert ("结余" in title) == (data.meta["balance"] >= 0) and ("超支" in title) == (
        data.meta["balance"] < 0
    )


def test_each_member_share_of_the_consortium(s_warehouse):
    frame = panel_data("settlement-capitation_members", CONSORTIUM, s_warehouse).frame
    assert frame["budget_share"].sum() == pytest.approx(1.0) and frame["spend_share"].sum() == pytest.approx(
        1.0
    )
    cli = cli_json(
        s_warehouse,
        "capitation_spend_rate",
        "--by",
        "institution",
        "--where",
        "consortium=C04",
        "--where",
        "district=990122",
    ).dropna(subset=["denominator"])
    assert dict(zip(frame["institution_id"], frame["numerator"], strict=True)) == pytest.approx(
        dict(zip(cli["institution_id"], cli["numerator"], strict=True))
    )


def test_capitation_verdicts_follow_the_band(s_warehouse, monkeypatch, tmp_path):
    # Issue 12, item 10: capitation_spend_rate is a band (today "lower is better", and every card "无法判断"):
    # over 100% is overspend, under the policy's warning line under-use, in between within budget
    members = panel_data("settlement-capitation_members", "", s_warehouse).frame
    for rate, outcome in zip(members["value"], members["outcome"], strict=True):
        assert outcome == ("overspend" if rate > 1 else "underuse" if rate < 0.85 else "within_budget")
    assert {"overspend", "within_budget"} <= set(members["outcome"])
    cards = panel_data("settlement-cards", "", s_warehouse).meta["cards"]
    card = next(c for c in cards if c["kpi"] == "capitation_spend_rate")
    assert card["outcome"] == ("overspend" if card["value"] > 1 else "within_budget")
    assert card["band"] == (0.85, 1.0)
    assert "超支" in texts(draw_panel("settlement-cards", "", s_warehouse))
    bars = graphs(draw_panel("settlement-capitation_members", "", s_warehouse))[0].figure.data[1]
    assert "#dc3545" in bars.marker.color and "#198754" in bars.marker.color  # red overspend, green within
    # a stricter warning line (from the policy file) turns the lowest spender into a warning of 推诿
    lowest = members.dropna(subset=["value"]).sort_values("value").iloc[0]
    line = (lowest["value"] + 1) / 2
    policy = tmp_path / "policy.toml"
    text = Path(get_policy().path).read_text(encoding="utf-8")
    policy.write_text(text.replace("capitation_warning_line = 0.85", f"capitation_warning_line = {line}"))
    monkeypatch.setenv("DASHBOARD_POLICY_FILE", str(policy))
    members = panel_data("settlement-capitation_members", "", s_warehouse).frame.set_index("name")
    assert members.loc[lowest["name"], "outcome"] == "underuse"
