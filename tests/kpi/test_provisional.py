"""Provisional months (DOMAIN §4, issue 12 item 6): a KPI whose outcome needs follow-up time marks the months
whose time has not passed, shows them as such and leaves them out of trend tests and of 同比/环比.

Worked by hand: data ending 2025-12-31. Readmission within N days (the policy's N for the discharge year): a
month is provisional when its last day + N lies after 2025-12-31, so with N = 31 only December (30 Nov + 31 =
31 Dec is still inside), with N = 45 November too (30 Nov + 45 = 14 Jan), with N = 14 only December. A contract
renewal needs 90 days: 30 Sep + 90 = 29 Dec is inside, 31 Oct + 90 = 29 Jan is not, so October–December. A
referral has 30 days to complete: 30 Nov + 30 = 30 Dec is inside, so December only.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from dashboard.core.cache import standalone_cache
from queries.comparisons import earlier_periods, trend
from queries.execution import kpi_values
from queries.kpi import stats
from queries.kpi.builder import Request
from queries.kpi.filters import make_filters
from queries.kpi.provisional import first_provisional_month, settled_part
from queries.kpi.registry import get_kpi
from queries.selection import filters_for
from tests.support import CSV_COLUMNS, POLICY_ENTRY
from tests.support.mini_warehouse import build_mini_warehouse

END = dt.date(2025, 12, 31)


@pytest.fixture(autouse=True)
def _no_cache():
    standalone_cache(None)


@pytest.fixture(scope="module")
def mini(tmp_path_factory) -> str:
    return build_mini_warehouse(tmp_path_factory.mktemp("provisional") / "mini.duckdb")


def _policy(monkeypatch, tmp_path, days: int) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(POLICY_ENTRY.format(year=2025, k_high=2.0, days=days), encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_POLICY_FILE", str(path))


@pytest.mark.parametrize(
    ("kpi", "first"),
    [
        ("readmission_rate", dt.date(2025, 12, 1)),  # the shipped policy: 31 days
        ("contract_renewal_rate", dt.date(2025, 10, 1)),
        ("referral_completion_rate", dt.date(2025, 12, 1)),
        ("referral_completion_days", dt.date(2025, 12, 1)),
        ("primary_care_visit_share", None),  # known at once
        ("htn_control_rate", None),
    ],
)
def test_the_months_whose_follow_up_time_has_not_passed(kpi, first):
    assert first_provisional_month(get_kpi(kpi), END) == first


@pytest.mark.parametrize(("days", "first"), [(14, dt.date(2025, 12, 1)), (45, dt.date(2025, 11, 1))])
def test_readmission_follows_the_policys_interval(monkeypatch, tmp_path, days, first):
    _policy(monkeypatch, tmp_path, days)
    assert first_provisional_month(get_kpi("readmission_rate"), END) == first


@pytest.mark.parametrize(
    ("months", "settled"),
    [
        (("2025-01", "2025-12"), ("2025-01", "2025-09")),
        (("2025-07", "2025-09"), ("2025-07", "2025-09")),  # nothing provisional in it
        (("2025-09", "2025-11"), ("2025-09", "2025-09")),
        (("2025-10", "2025-12"), None),  # all provisional: nothing to compare
    ],
)
def test_the_settled_part_of_a_period(months, settled):
    filters = make_filters(dt.date.fromisoformat(months[0] + "-01"), dt.date.fromisoformat(months[1] + "-01"))
    got = settled_part(get_kpi("contract_renewal_rate"), filters, END)
    assert (None if got is None else (f"{got.start:%Y-%m}", f"{got.end:%Y-%m}")) == settled


def test_a_series_marks_its_provisional_months(mini):
    """The mini warehouse ends in December 2025: December's readmissions are not all in yet."""
    series = kpi_values(mini, Request("readmission_rate", filters_for(mini, period="all"), (), "month"))
    assert list(series.columns)[-1] == "provisional"
    assert list(series["month"]) == [dt.date(2025, m, 1) for m in range(1, 13)]
    assert list(series["provisional"]) == [False] * 11 + [True]
    renewal = kpi_values(
        mini, Request("contract_renewal_rate", filters_for(mini, period="all"), (), "quarter")
    )
    assert list(renewal["provisional"]) == [False, False, False, True]
    visits = kpi_values(mini, Request("visit_count", filters_for(mini, period="all"), (), "month"))
    assert not visits["provisional"].any()


def test_the_command_line_prints_the_mark_as_a_last_column(mini):
    done = subprocess.run(
        [
            *(sys.executable, "-m", "dashboard", "kpi", "referral_completion_rate", "--grain", "month"),
            *("--period", "all", "--format", "csv", "--database-url", mini),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    printed = pd.read_csv(io.StringIO(done.stdout))
    assert list(printed.columns) == ["month", *CSV_COLUMNS, "provisional"]
    assert list(printed["provisional"]) == [False] * 11 + [True]


# --- on the S demo (data to 2026-10): the last month of readmissions reads low until its 31 days pass ---------


def test_the_trend_test_leaves_provisional_months_out(s_warehouse):
    # the last month's referrals have not all had 30 days to complete: 76% against ≈90% before
    request = Request("referral_completion_rate", filters_for(s_warehouse, period="all"))
    result = trend(s_warehouse, request, "month")
    series = result["series"]
    assert list(series["provisional"].tail(2)) == [False, True] and result["provisional"] == 1
    settled = series[~series["provisional"]]
    slope, p_value = stats.trend_test(settled["value"].to_numpy(), settled["denominator"].to_numpy(), 5)
    assert (result["slope"], result["p_value"]) == pytest.approx((slope, p_value))
    with_last = stats.trend_test(series["value"].to_numpy(), series["denominator"].to_numpy(), 5)
    assert with_last[1] != pytest.approx(p_value, rel=0.05)  # the open month would have moved the test


def test_comparisons_use_the_settled_months_only(s_warehouse):
    """本年累计 to October 2026: readmission's 同比 compares January–September with January–September 2025."""
    request = Request("readmission_rate", filters_for(s_warehouse), ("district",))
    frame = earlier_periods(s_warehouse, request).set_index("district_code")
    whole = kpi_values(s_warehouse, request).set_index("district_code")
    settled, before = (
        kpi_values(
            s_warehouse, replace(request, filters=filters_for(s_warehouse, from_month=a, to_month=b))
        ).set_index("district_code")["value"]
        for a, b in (("2026-01", "2026-09"), ("2025-01", "2025-09"))
    )
    assert whole["value"].notna().sum() >= 4  # most districts shown (the rest withheld alike in each view)
    same = {"nan_ok": True}
    assert frame["value"].to_dict() == pytest.approx(whole["value"].to_dict(), **same)  # the period's value
    assert frame["value_last_year"].to_dict() == pytest.approx(before.to_dict(), **same)
    assert frame["change_last_year"].to_dict() == pytest.approx((settled - before).to_dict(), **same)


def test_a_wholly_provisional_period_has_no_comparison(s_warehouse):
    frame = earlier_periods(
        s_warehouse, Request("referral_completion_rate", filters_for(s_warehouse, period="last_month"))
    )
    assert not np.isnan(frame["value"].iloc[0])
    assert (
        frame[["value_previous", "value_last_year", "change_previous", "change_last_year"]]
        .isna()
        .all(axis=None)
    )


def test_cards_say_which_months_are_provisional(s_warehouse):
    from queries.panels import cards
    from queries.selection import View

    def card(query: str) -> dict:
        from dashboard.core.state import parse_query

        data = cards(View(s_warehouse, parse_query(query)[0]), ("referral_completion_rate", "visit_count"))
        return {c["kpi"]: c for c in data.meta["cards"]}

    year = card("")
    assert [n.key for n in year["referral_completion_rate"]["notes"]] == ["provisional_compared"]
    assert dict(year["referral_completion_rate"]["notes"][0].params)["compared"] == "2026-01–2026-09"
    assert year["visit_count"]["notes"] == ()
    month = card("?period=last_month")["referral_completion_rate"]
    assert [n.key for n in month["notes"]] == ["provisional_uncompared"] and month["comparisons"] == ()
