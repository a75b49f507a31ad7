"""The settlement and capitation page through its callbacks: every panel draws, and its numbers equal the
command line's (surplus by group, the capitation year and its projection, each holder's share)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from callbacks import settlement
from dashboard.core.cache import standalone_cache
from dashboard.core.paths import PROJECT_ROOT
from dashboard.core.policy import DEFAULT_POLICY_FILE, get_policy
from tests.support import (
    CONSORTIUM,
    ERROR_TEXTS,
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
        # the file's version, never where it lies on the server
        assert get_policy().fingerprint in text and str(PROJECT_ROOT) not in text and ".toml" not in text
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


@pytest.mark.parametrize("key", sorted(settlement.SPECS))
def test_every_panel_draws_for_an_institution_of_each_level_and_the_whole_period(s_warehouse, key):
    """Village clinics settle no DRG case, and the whole period's comparisons reach before the policy file:
    each panel draws or says why, never fails."""
    for query in [*one_of_each_level(s_warehouse), "?period=all"]:
        content = draw_panel(key, query, s_warehouse)
        text = texts(content)
        assert not any(e in text for e in ERROR_TEXTS), (key, query, text)
        if key.endswith("cards"):
            assert "kpi-card" in str(content), (query, text)


def test_the_demo_is_settled_by_the_shipped_policy(s_warehouse):
    """The demo generator settles its cases with the shipped policy file: the policy's estimate equals what
    the fund settled (to the rounding of each case to the fen)."""
    data = panel_data("settlement-payments", "?period=all", s_warehouse)
    cases = cli_json(s_warehouse, "drg_grouping_rate", "--period", "all")["numerator"][0]
    assert data.meta["settled"] == pytest.approx(data.meta["policy"], abs=0.01 * cases)
    assert list(data.frame["year"].astype(str).str[:4]) == ["2023", "2024", "2025", "2026"]


def test_editing_the_base_rate_changes_the_policy_estimate_not_the_settled(
    s_warehouse, monkeypatch, tmp_path
):
    before = panel_data("settlement-payments", "?period=all", s_warehouse)
    text = DEFAULT_POLICY_FILE.read_text(encoding="utf-8")
    copy = tmp_path / "policy.toml"
    copy.write_text(text.replace("base_rate = 10700", "base_rate = 21400"), encoding="utf-8")  # 2026 doubled
    monkeypatch.setenv("DASHBOARD_POLICY_FILE", str(copy))
    after = panel_data("settlement-payments", "?period=all", s_warehouse)
    assert after.meta["settled"] == pytest.approx(before.meta["settled"])
    year = {str(y)[:4]: i for i, y in enumerate(after.frame["year"])}
    changed = after.frame["policy"] - before.frame["policy"]
    assert changed.iloc[year["2026"]] > 0.5 * before.frame["policy"].iloc[year["2026"]]
    assert changed.drop(index=year["2026"]).abs().max() < 1e-6  # other years keep their base rate
    drawn = texts(draw_panel("settlement-payments", "?period=all", s_warehouse))
    assert get_policy().fingerprint in drawn


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
